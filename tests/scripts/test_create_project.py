"""scripts/create_project.py: CreateProject with either provider, checked against botocore's sagemaker model.

moto has no CreateProject (NotImplementedError, a 500), so the calls go through botocore's Stubber: the
client validates each request against the same model before the stub answers. The S3 request has the shape
of the SageMaker Developer Guide's Boto3 example (sagemaker-projects-templates-custom.html)."""
import boto3
import pytest
from botocore.stub import Stubber

import create_project
from publish import PublishError, PublishInputError

URL = "https://assets.s3.us-east-1.amazonaws.com/sagemaker-project/1.0.0/sagemaker-project.yaml"
ROLE = "arn:aws:iam::111122223333:role/sagemaker-project-launch-role-LaunchRole-ABC"
ANSWER = {"ProjectArn": "arn:aws:sagemaker:us-east-1:111122223333:project/churn", "ProjectId": "p-abcdef123456"}


@pytest.fixture
def sagemaker(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_s3_template_provider_request(sagemaker):
    client, stubber = sagemaker
    request = create_project.build_request("churn", template_url=URL, role_arn=ROLE, parameters={"BranchName": "dev"})
    assert request == {"ProjectName": "churn", "TemplateProviders": [{"CfnTemplateProvider": {
        "TemplateName": "sagemaker-project", "TemplateURL": URL, "RoleARN": ROLE,
        "Parameters": [{"Key": "BranchName", "Value": "dev"}]}}]}
    stubber.add_response("create_project", ANSWER, request)
    assert create_project.create_project(request, sagemaker=client, progress=lambda _l: None) == ANSWER


def test_service_catalog_provider_request(sagemaker):
    client, stubber = sagemaker
    request = create_project.build_request("churn", product_id="prod-abc123", artifact_id="pa-def456",
                                           parameters={"BranchName": "main"}, tags={"team": "risk"})
    assert request == {"ProjectName": "churn", "ServiceCatalogProvisioningDetails": {
        "ProductId": "prod-abc123", "ProvisioningArtifactId": "pa-def456",
        "ProvisioningParameters": [{"Key": "BranchName", "Value": "main"}]}, "Tags": [{"Key": "team", "Value": "risk"}]}
    stubber.add_response("create_project", ANSWER, request)
    said = []
    create_project.create_project(request, sagemaker=client, progress=said.append)
    assert said == ["==> project churn: arn:aws:sagemaker:us-east-1:111122223333:project/churn (id p-abcdef123456); "
                    "SageMaker provisions it now: aws sagemaker describe-project --project-name churn"]


@pytest.mark.parametrize("request_, problem", [
    ({"ProjectName": "churn_model", "ServiceCatalogProvisioningDetails": {"ProductId": "prod-1"}},
     "ProjectName: 'churn_model': must match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,31} (ProjectEntityName"),
    ({"ProjectName": "churn", "TemplateProviders": [{"CfnTemplateProvider": {
        "TemplateName": "t", "TemplateURL": "s3://assets/template.yaml"}}]},
     "TemplateProviders[0].CfnTemplateProvider.TemplateURL: 's3://assets/template.yaml': must match "
     "(?=.{1,1024}$)(https)://([^/]+)/(.+)"),
    ({"ProjectName": "churn", "TemplateProviders": [{"CfnTemplateProvider": {
        "TemplateName": "t", "TemplateURL": URL, "RoleARN": "launch-role"}}]},
     "TemplateProviders[0].CfnTemplateProvider.RoleARN: 'launch-role': must match arn:aws[a-z\\-]*:iam::"),
    ({"ProjectName": "churn", "TemplateProviders": [{"CfnTemplateProvider": {
        "TemplateName": "t", "TemplateURL": URL, "Parameters": [{"Value": "main"}]}}]},
     'Missing required parameter in TemplateProviders[0].CfnTemplateProvider.Parameters[0]: "Key"'),
    ({"ProjectName": "churn", "TemplateProviders": [{"CfnTemplateProvider": {"TemplateURL": URL}}]},
     'Missing required parameter in TemplateProviders[0].CfnTemplateProvider: "TemplateName"'),
])
def test_requests_that_break_the_model_are_refused_before_sending(request_, problem, sagemaker):
    client, _ = sagemaker  # no response queued: a sent request would fail the stubber
    with pytest.raises(PublishInputError, match="CreateProject: ") as error:
        create_project.create_project(request_, sagemaker=client)
    assert problem in str(error.value)
    assert error.value.exit_code == 2


def test_exactly_one_provider(capsys):
    assert create_project.main(["churn"]) == 2
    assert "--product-id / --template-url: give exactly one" in capsys.readouterr().err
    assert create_project.main(["churn", "--product-id", "prod-1", "--template-url", URL]) == 2
    assert create_project.main(["churn", "--product-id", "prod-1", "--role-arn", ROLE]) == 2
    assert "--role-arn: " in capsys.readouterr().err


def test_bad_parameter_and_dry_run(capsys):
    assert create_project.main(["churn", "--product-id", "prod-1", "--parameter", "BranchName"]) == 2
    assert "error: --parameter: 'BranchName': must be KEY=VALUE" in capsys.readouterr().err
    assert create_project.main(["churn", "--template-url", URL, "--role-arn", ROLE, "--dry-run"]) == 0
    assert "would call CreateProject with {'ProjectName': 'churn', 'TemplateProviders'" in capsys.readouterr().out


def test_aws_refusal_is_exit_1(sagemaker):
    client, stubber = sagemaker
    stubber.add_client_error("create_project", "ResourceLimitExceeded", "too many projects")
    request = create_project.build_request("churn", product_id="prod-abc123")
    with pytest.raises(PublishError, match="sagemaker:CreateProject churn: ResourceLimitExceeded: "
                                                          "too many projects") as error:
        create_project.create_project(request, sagemaker=client)
    assert error.value.exit_code == 1


def test_unicode_description_and_tags_within_the_limits_pass_the_pattern_check(sagemaker):
    """The control beside the bad-input rows: \\p{L}, \\p{P}, \\p{S}... translated, not skipped and not refusing
    what AWS accepts; exactly 50 tags and 1,024 characters are within the limits."""
    client, stubber = sagemaker
    description = ("Déjà vu — 10% «ok» 日本語 ½ " * 40)[:1024]
    tags = {"team é": "a.b:c/d=e+f-g@h", **{f"k{i}": "v" for i in range(49)}}
    request = create_project.build_request("churn", product_id="prod-abc123", description=description, tags=tags)
    assert create_project.model_problems(request) == []
    stubber.add_response("create_project", ANSWER, request)
    assert create_project.create_project(request, sagemaker=client, progress=lambda _l: None) == ANSWER
