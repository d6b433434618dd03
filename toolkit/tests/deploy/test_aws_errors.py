"""AWS and SDK errors become one line naming the call, the resource and what to check (real botocore errors)."""
import boto3
import pytest
from botocore.config import Config

from mlops_guardrails import aws_errors

from mlops_guardrails.deploy import cli


def error_of(call):
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


def test_client_error_names_call_resource_code_and_hint(emulator):
    sm = boto3.client("sagemaker")
    line = aws_errors.explain(error_of(lambda: sm.describe_model_package_group(ModelPackageGroupName="no-such-group")))
    assert line.startswith("AWS call sagemaker:DescribeModelPackageGroup on no-such-group failed: ValidationException")
    assert line.endswith(aws_errors.HINTS["ValidationException"])


def test_missing_bucket_names_the_s3_uri(emulator):
    s3 = boto3.client("s3")
    line = aws_errors.explain(error_of(lambda: s3.get_object(Bucket="no-such-bucket-x1", Key="a/b.csv")))
    assert line.startswith("AWS call s3:GetObject on s3://no-such-bucket-x1/a/b.csv failed: NoSuchBucket")
    assert "check the bucket name" in line


def test_unreachable_endpoint_says_what_to_check():
    sm = boto3.client("sagemaker", endpoint_url="http://127.0.0.1:9", config=Config(retries={"max_attempts": 1}))
    line = aws_errors.explain(error_of(lambda: sm.list_model_package_groups()))
    assert line.startswith('AWS call sagemaker:ListModelPackageGroups failed: Could not connect to the endpoint URL: "http://127.0.0.1:9/"')
    assert "AWS_ENDPOINT_URL" in line


def test_no_region_and_bad_parameter_are_one_line(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert aws_errors.explain(error_of(lambda: boto3.client("sagemaker"))).endswith(
        "no AWS region set: set AWS_DEFAULT_REGION or a profile's region (boto3 does not read AWS_REGION)")
    sm = boto3.client("sagemaker", region_name="us-east-1")
    line = aws_errors.explain(error_of(lambda: sm.describe_endpoint(EndpointName=7)))
    assert line.startswith("AWS call sagemaker:DescribeEndpoint on 7 failed: AWS would refuse the request: Parameter validation failed")


def test_other_exceptions_are_not_aws_errors():
    assert aws_errors.explain(ValueError("x")) is None


def test_cli_reports_an_aws_error_in_one_line_and_a_traceback_only_with_debug(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    argv = ["rollback", "--to-version", "1", "--group", "g"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: AWS call sagemaker:ListModelPackages on g failed: Could not connect")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert cli.main([*argv, "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_access_denied_names_the_call_the_resource_and_the_permission_to_check():
    # moto does not enforce IAM; botocore's Stubber answers with the error AWS documents for the call.
    from botocore.stub import Stubber

    sm = boto3.client("sagemaker", region_name="us-east-1")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/3"
    with Stubber(sm) as stub:
        stub.add_client_error("update_model_package", "AccessDeniedException",
                              "User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: "
                              "sagemaker:UpdateModelPackage", http_status_code=400)
        error = error_of(lambda: sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected"))
    line = aws_errors.explain(error)
    assert line.startswith(f"AWS call sagemaker:UpdateModelPackage on {arn} failed: AccessDeniedException: User: ")
    assert line.endswith("check that the role or user may make this call on this resource (IAM policy)")
