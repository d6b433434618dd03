"""scripts/publish.py: input errors exit 2 before any change; dry run plans; the emulator gets what moto has."""
import boto3
import pytest

import publish
from mlops_guardrails import WHEEL_NAME
from publish import Options, PublishError, PublishInputError

FAKE = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.mark.parametrize("options, message", [
    (Options(version="1 0", dry_run=True), "--version: '1 0': must be 1-100 letters, digits, '.', '_' or '-'"),
    (Options(studio_role_arns=["studio"], dry_run=True), "--studio-role-arn: 'studio': must be an IAM role ARN"),
    (Options(), "--studio-role-arn: none given"),
])
def test_invalid_input_is_refused_naming_the_field(options, message, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(PublishInputError, match=message) as error:
        publish.validate(options)
    assert error.value.exit_code == 2


def test_main_exits_2_with_the_message_on_stderr(monkeypatch, capsys):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert publish.main(["--version", "a/b", "--dry-run"]) == 2
    assert capsys.readouterr().err == "error: --version: 'a/b': must be 1-100 letters, digits, '.', '_' or '-', a letter or digit first (an S3 folder, URL and tag value)\n"


def test_dry_run_plans_uploads_and_the_stack(synthesis, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    lines = publish.publish(Options(version="2.0.0", asset_bucket="assets", dry_run=True), synthesis=synthesis,
                            progress=lambda _line: None)
    assert lines == [
        "upload s3://assets/sagemaker-project/2.0.0/seed-build.zip",
        "upload s3://assets/sagemaker-project/2.0.0/seed-deploy.zip",
        f"upload s3://assets/sagemaker-project/2.0.0/{WHEEL_NAME}",
        "upload s3://assets/sagemaker-project/2.0.0/sagemaker-project.json",
        "upload s3://assets/sagemaker-project/2.0.0/sagemaker-project-target-account.json",
        "deploy CloudFormation stack sagemaker-project-portfolio: portfolio, product version 2.0.0, launch role and "
        "constraint, 0 Studio principal(s), the project role boundary unless the account has it"]


def test_missing_credentials_is_a_clear_error(tmp_path, monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # an earlier test's session caches its credentials
    with pytest.raises(PublishError, match="sts:GetCallerIdentity: no AWS credentials found"):
        publish.resolve_bucket(Options(studio_role_arns=["arn:aws:iam::1:role/s"]), progress=lambda _l: None)


def test_missing_bootstrap_bucket_outside_the_emulator_says_bootstrap(emulator, monkeypatch):
    monkeypatch.setattr(publish, "is_emulator", lambda endpoint=None: False)
    with pytest.raises(PublishError, match=r"asset bucket nope-bucket: does not exist: run `cdk bootstrap"):
        publish.ensure_bucket(boto3.client("s3"), "nope-bucket", progress=lambda _l: None)


def test_emulator_publish_uploads_and_creates_portfolio_and_says_what_it_skipped(synthesis, emulator):
    said = []
    publish.publish(Options(version="3.1.0", asset_bucket="publish-assets"), synthesis=synthesis,
                    progress=said.append)
    s3 = boto3.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="publish-assets")["Contents"])
    assert keys == [f"sagemaker-project/3.1.0/{name}" for name in (
        WHEEL_NAME, "sagemaker-project-target-account.json", "sagemaker-project.json", "seed-build.zip",
        "seed-deploy.zip")]
    # Service Catalog shows the product by its tag; the JSON object stays untagged so that Studio's S3
    # template list (which needs YAML) never shows it.
    tags = s3.get_object_tagging(Bucket="publish-assets", Key="sagemaker-project/3.1.0/sagemaker-project.json")
    assert tags["TagSet"] == []
    names = [p["DisplayName"] for p in boto3.client("servicecatalog").list_portfolios()["PortfolioDetails"]]
    assert "SageMaker MLOps project templates" in names
    assert any("emulator: skipped the product" in line and "moto does not support them" in line for line in said)
    # The precondition of every isolation promise: publish says how to attach the Studio users' guardrails.
    account = boto3.client("sts").get_caller_identity()["Account"]
    assert (f"    aws iam attach-role-policy --role-name <StudioExecutionRoleName> --policy-arn "
            f"arn:aws:iam::{account}:policy/sagemaker-project-user-guardrails") in said


def test_is_emulator_only_for_loopback():
    assert publish.is_emulator("http://127.0.0.1:5000") and publish.is_emulator("http://localhost:1")
    assert not publish.is_emulator("https://example.com") and not publish.is_emulator("")
