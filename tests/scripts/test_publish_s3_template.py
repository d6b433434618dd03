"""publish --s3-template: YAML equal to the JSON template, objects and tags, Studio's CORS rule, the launch role
(from the Service Catalog launch role's construct) and the domain tag, against the emulator.

The shapes come from AWS's admin setup for S3 templates (SageMaker Developer Guide,
sagemaker-projects-templates-custom.html#sagemaker-projects-templates-s3) and AWS's sample
(aws-samples/sagemaker-custom-project-templates: s3_templates/README.md, cors-policy.json). moto has no
AddTags for domains (it answers 500), so the domain tag goes through botocore's Stubber, which validates the
request against the same service model."""
import ast
import json

import boto3
import pytest
import yaml
from botocore.stub import Stubber

import publish
import s3_template
from lint import cfn_lint
from mlops_guardrails import WHEEL_NAME
from publish import Options, PublishInputError

VERSION_PREFIX = "sagemaker-project/4.0.0/"


@pytest.fixture(autouse=True)
def _no_lint(monkeypatch):
    """publish lints every template first (seconds of cfn-lint per call; test_publish_script covers it): these
    tests are about what lands in S3, IAM and the requests, so they skip it."""
    monkeypatch.setattr(publish, "lint", lambda synthesis, region, progress: None)


@pytest.fixture(scope="module")
def yaml_text(synthesis) -> str:
    """The project template as publish writes it (0.3 s of pure-Python YAML: made once, only read)."""
    return publish.project_template_yaml(synthesis)


def test_yaml_and_json_are_the_same_template(synthesis, yaml_text):
    json_text = synthesis.templates["sagemaker-project"].read_text()
    assert yaml.safe_load(yaml_text) == json.loads(json_text)
    assert not yaml_text.lstrip().startswith("{")  # YAML block style, not JSON passed off as YAML


def test_yaml_template_passes_cfn_lint(yaml_text):
    findings = cfn_lint(yaml_text, "sagemaker-project.yaml", "us-east-1")
    assert [str(f) for f in findings if f.is_error] == []


def test_same_template_notices_a_difference():
    assert not s3_template.same_template('{"Resources": {"A": {"Type": "X"}}}', "Resources:\n  A:\n    Type: Y\n")


def test_dry_run_plans_yaml_cors_launch_role_and_prints_domain_step(synthesis, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    lines = publish.publish(Options(version="4.0.0", asset_bucket="assets", dry_run=True, s3_template=True),
                            synthesis=synthesis, progress=lambda _line: None)
    assert lines[-4:] == [
        "upload s3://assets/sagemaker-project/4.0.0/sagemaker-project.yaml (tag sagemaker:studio-visibility=true)",
        "set the CORS rule sagemaker-studio-project-templates on bucket assets",
        "create or reuse CloudFormation stack sagemaker-project-launch-role (the launch role, and the project role "
        "boundary unless the account has it)",
        "print the command that tags the domain with "
        "sagemaker:projectS3TemplatesLocation=s3://assets/sagemaker-project/4.0.0/"]
    assert not any("portfolio" in line for line in lines)


@pytest.mark.parametrize("options, message", [
    (Options(s3_template=True, studio_domain_id="D_1", dry_run=True),
     r"--studio-domain-id: 'D_1': must match d-\(-\*\[a-z0-9\]\)\{1,61\}"),
    (Options(studio_domain_id="d-abc", dry_run=True), "--studio-domain-id: 'd-abc': only with --s3-template"),
])
def test_bad_domain_id_is_refused_naming_the_rule(options, message):
    with pytest.raises(PublishInputError, match=message):
        publish.validate(options)


def test_main_exits_2_on_a_bad_domain_id(capsys):
    assert publish.main(["--s3-template", "--studio-domain-id", "domain", "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("error: --studio-domain-id: 'domain': must match")


def _stubbed_sagemaker(domain_arn: str, location: str):
    client = boto3.client("sagemaker", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response("add_tags", {"Tags": [{"Key": "sagemaker:projectS3TemplatesLocation", "Value": location}]},
                         {"ResourceArn": domain_arn,
                          "Tags": [{"Key": "sagemaker:projectS3TemplatesLocation", "Value": location}]})
    stubber.activate()
    return client, stubber


def test_s3_publish_uploads_tags_sets_cors_creates_launch_role_and_tags_domain(synthesis, emulator):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="s3-template-assets")
    other_rule = {"ID": "someone-else", "AllowedMethods": ["GET"], "AllowedOrigins": ["https://example.org"]}
    s3.put_bucket_cors(Bucket="s3-template-assets", CORSConfiguration={"CORSRules": [other_rule]})
    location = f"s3://s3-template-assets/{VERSION_PREFIX}"
    domain = "arn:aws:sagemaker:us-east-1:123456789012:domain/d-abcdef123456"
    sagemaker, stubber = _stubbed_sagemaker(domain, location)
    said = []
    options = Options(version="4.0.0", asset_bucket="s3-template-assets", s3_template=True,
                      studio_domain_id="d-abcdef123456")
    publish.publish(options, synthesis=synthesis, progress=said.append, sagemaker=sagemaker)
    stubber.assert_no_pending_responses()  # AddTags was called, with exactly the domain ARN and tag above

    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="s3-template-assets")["Contents"])
    assert keys == [VERSION_PREFIX + name for name in (
        WHEEL_NAME, "sagemaker-project-target-account.json", "sagemaker-project.json", "sagemaker-project.yaml",
        "seed-build.zip", "seed-deploy.zip")]
    body = s3.get_object(Bucket="s3-template-assets", Key=VERSION_PREFIX + "sagemaker-project.yaml")["Body"].read()
    assert yaml.safe_load(body) == synthesis.template("sagemaker-project")
    assert s3.get_object_tagging(Bucket="s3-template-assets", Key=VERSION_PREFIX + "sagemaker-project.yaml")[
        "TagSet"] == [{"Key": "sagemaker:studio-visibility", "Value": "true"}]
    rules = s3.get_bucket_cors(Bucket="s3-template-assets")["CORSRules"]
    assert [r.get("ID") for r in rules] == ["someone-else", "sagemaker-studio-project-templates"]
    assert rules[1]["AllowedOrigins"] == ["https://*.sagemaker.aws"] and set(rules[1]["AllowedMethods"]) == {"GET", "HEAD"}

    role_arn = publish.stack_output("sagemaker-project-launch-role", "LaunchRoleArn")
    role = boto3.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"},
         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]  # issue 9: no confused deputy
    policy = boto3.client("iam").get_role_policy(RoleName=role["RoleName"], PolicyName="Provision")["PolicyDocument"]
    policy = ast.literal_eval(policy) if isinstance(policy, str) else policy  # moto keeps the dict as its repr
    stacks = next(s for s in policy["Statement"] if "cloudformation:CreateStack" in s["Action"])
    assert stacks["Resource"] == "arn:aws:cloudformation:us-east-1:123456789012:stack/SP-*"
    assert any(f"--role-arn {role_arn}" in line for line in said)


def test_s3_publish_rerun_reuses_role_and_cors_and_prints_the_domain_command(synthesis, emulator):
    options = Options(version="4.0.1", asset_bucket="s3-template-rerun", s3_template=True)
    first, second = [], []
    publish.publish(options, synthesis=synthesis, progress=first.append)
    role_arn = publish.stack_output("sagemaker-project-launch-role", "LaunchRoleArn")
    publish.publish(options, synthesis=synthesis, progress=second.append)
    assert publish.stack_output("sagemaker-project-launch-role", "LaunchRoleArn") == role_arn
    assert "    CORS rule sagemaker-studio-project-templates on s3-template-rerun: set" in first
    assert "    CORS rule sagemaker-studio-project-templates on s3-template-rerun: already set" in second
    assert len(boto3.client("s3").get_bucket_cors(Bucket="s3-template-rerun")["CORSRules"]) == 1
    command = ("    aws sagemaker add-tags --resource-arn 'arn:aws:sagemaker:us-east-1:123456789012:domain/"
               "<your-domain-id>' --tags Key=sagemaker:projectS3TemplatesLocation,"
               "Value=s3://s3-template-rerun/sagemaker-project/4.0.1/")
    assert command in second


def test_launch_role_policy_is_the_service_catalog_one_with_the_s3_stack_prefix(synthesis):
    """One policy for both paths: the statements differ only where the provisioned stack's name does."""
    def statements(stack: str) -> list[dict]:
        resources = synthesis.template(stack)["Resources"]
        role = next(r for r in resources.values() if r["Type"] == "AWS::IAM::Role")
        return role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]

    catalog = json.dumps(statements("sagemaker-project-portfolio"))
    s3_path = json.dumps(statements("sagemaker-project-launch-role"))
    named_after_the_stack = ("stack", "rule", "connection", "api-destination", "secret:events!connection")
    expected = catalog.replace(":s3:::sc-*", ":s3:::sp-*")
    for kind in named_after_the_stack:
        expected = expected.replace(f"{kind}/SC-*", f"{kind}/SP-*")
    assert s3_path == expected
    assert "stack/SP-*" in s3_path and "SC-" not in s3_path


def test_launch_role_template_is_cfn_lint_clean(synthesis):
    text = synthesis.templates["sagemaker-project-launch-role"].read_text()
    assert [str(f) for f in cfn_lint(text, "sagemaker-project-launch-role", "us-east-1")] == []


def test_publish_names_the_launch_role_stack_as_its_cdk_app_does(synthesis):
    import projects_launch_role

    assert publish.LAUNCH_ROLE_STACK == projects_launch_role.LAUNCH_ROLE_STACK
    assert publish.LAUNCH_ROLE_STACK in synthesis.templates
