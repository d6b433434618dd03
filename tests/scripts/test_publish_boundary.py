"""The project role boundary has one fixed name per account, and two stacks can create it: the Service Catalog
portfolio stack and the S3 path's launch-role stack. publish passes CreateRoleBoundary=false to whichever comes
second (iam:GetPolicy finds it), keeps it true for the stack that owns it, and reruns cleanly.

Against the emulator: moto's IAM and CloudFormation create the stacks' IAM resources and honour the resource
condition (its CloudFormation skips the Service Catalog resources, which these tests do not look at). Each test
runs in its own account (moto gives assumed-role credentials their role's account), so the session's other
publish tests, which create the boundary in the default account, do not decide the outcome here.
"""
import json

import boto3
import pytest
from botocore.stub import Stubber

import publish
from publish import LAUNCH_ROLE_STACK, PORTFOLIO_STACK, Options

BOUNDARY = "policy/sagemaker-project/sagemaker-project-role-boundary"


@pytest.fixture(autouse=True)
def _no_lint(monkeypatch):
    monkeypatch.setattr(publish, "lint", lambda synthesis, region, progress: None)


@pytest.fixture(params=["210987654321"])
def account(request, emulator, monkeypatch):
    """Credentials of a fresh emulated account (an assumed role in it)."""
    credentials = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{request.param}:role/admin",
                                                  RoleSessionName="publish-test")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # the default session caches the credentials it read
    assert boto3.client("sts").get_caller_identity()["Account"] == request.param
    return request.param


def boundaries() -> list[str]:
    return [p["Arn"] for p in boto3.client("iam").list_policies(Scope="Local")["Policies"]
            if p["PolicyName"] == "sagemaker-project-role-boundary"]


def parameter(stack: str, key: str) -> str:
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return next(p["ParameterValue"] for p in stack["Parameters"] if p["ParameterKey"] == key)


def owner(arn: str) -> list[str]:
    """The stacks whose resources include the policy `arn`."""
    cfn = boto3.client("cloudformation")
    return [stack for stack in (PORTFOLIO_STACK, LAUNCH_ROLE_STACK) if publish._stack_exists(cfn, stack) and any(
        r.get("PhysicalResourceId") == arn for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"])]


def deploy_portfolio(synthesis, account: str, said: list[str]) -> str:
    """The Service Catalog path's stack deployment (publish's emulator path skips it: moto lacks the product)."""
    options = Options(version="5.0.0", studio_role_arns=[f"arn:aws:iam::{account}:role/Studio"])
    return publish.deploy_portfolio(options, f"boundary-{account}", "sagemaker-project/5.0.0/sagemaker-project.json",
                                    synthesis, said.append)


def s3_publish(synthesis, account: str, said: list[str]) -> None:
    publish.publish(Options(version="5.0.0", asset_bucket=f"boundary-{account}", s3_template=True),
                    synthesis=synthesis, progress=said.append)


def test_s3_publish_in_an_account_with_the_portfolio_stack_reuses_its_boundary(synthesis, account):
    portfolio, first, second = [], [], []
    assert deploy_portfolio(synthesis, account, portfolio) == "CREATE_COMPLETE"
    arn = f"arn:aws:iam::{account}:{BOUNDARY}"
    assert f"    role boundary {arn}: created or kept by stack {PORTFOLIO_STACK}" in portfolio
    assert boundaries() == [arn] and owner(arn) == [PORTFOLIO_STACK]

    s3_publish(synthesis, account, first)  # before the fix: "A policy called sagemaker-project-role-boundary already exists"
    assert f"    role boundary {arn}: exists (another stack made it): reused" in first
    assert parameter(LAUNCH_ROLE_STACK, "CreateRoleBoundary") == "false"
    role_arn = publish.stack_output(LAUNCH_ROLE_STACK, "LaunchRoleArn")
    assert boto3.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]["Arn"] == role_arn

    s3_publish(synthesis, account, second)  # rerunnable: same answer, nothing created twice
    assert f"    role boundary {arn}: exists (another stack made it): reused" in second
    assert parameter(LAUNCH_ROLE_STACK, "CreateRoleBoundary") == "false"
    assert boundaries() == [arn] and owner(arn) == [PORTFOLIO_STACK]


@pytest.mark.parametrize("account", ["310987654321"], indirect=True)
def test_the_launch_role_stack_keeps_the_boundary_it_made_and_the_portfolio_stack_reuses_it(synthesis, account):
    first, second, portfolio = [], [], []
    arn = f"arn:aws:iam::{account}:{BOUNDARY}"
    s3_publish(synthesis, account, first)
    assert f"    role boundary {arn}: created or kept by stack {LAUNCH_ROLE_STACK}" in first
    assert parameter(LAUNCH_ROLE_STACK, "CreateRoleBoundary") == "true" and owner(arn) == [LAUNCH_ROLE_STACK]

    # The policy now exists, but this stack owns it: false would make CloudFormation delete it.
    s3_publish(synthesis, account, second)
    assert f"    role boundary {arn}: created or kept by stack {LAUNCH_ROLE_STACK}" in second
    assert parameter(LAUNCH_ROLE_STACK, "CreateRoleBoundary") == "true"

    assert deploy_portfolio(synthesis, account, portfolio) == "CREATE_COMPLETE"  # the Service Catalog path after the S3 one
    assert f"    role boundary {arn}: exists (another stack made it): reused" in portfolio
    assert parameter(PORTFOLIO_STACK, "CreateRoleBoundary") == "false"
    assert boundaries() == [arn] and owner(arn) == [LAUNCH_ROLE_STACK]


def test_both_stacks_take_the_parameter_and_create_the_boundary_only_under_its_condition(synthesis):
    for stack in (PORTFOLIO_STACK, LAUNCH_ROLE_STACK):
        template = synthesis.template(stack)
        assert template["Parameters"]["CreateRoleBoundary"]["AllowedValues"] == ["true", "false"]
        assert template["Conditions"]["CreatesRoleBoundary"] == {"Fn::Equals": [{"Ref": "CreateRoleBoundary"}, "true"]}
        (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
                     and r["Properties"].get("ManagedPolicyName") == "sagemaker-project-role-boundary"]
        assert policy["Condition"] == "CreatesRoleBoundary"
        assert publish.boundary_arn(template, "111122223333", "aws-cn") == f"arn:aws-cn:iam::111122223333:{BOUNDARY}"


def test_a_stack_left_in_rollback_complete_is_deleted_and_created_again(synthesis):
    """A creation that failed (the old "already exists") leaves ROLLBACK_COMPLETE, which CloudFormation cannot
    update. moto keeps such a stack CREATE_IN_PROGRESS instead, so this is botocore's Stubber: the requests are
    validated against CloudFormation's model, and the statuses are those of the CloudFormation User Guide."""
    cfn = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    stubber = Stubber(cfn)
    body = synthesis.templates[LAUNCH_ROLE_STACK].read_text()

    def stack(status: str) -> dict:
        return {"Stacks": [{"StackName": LAUNCH_ROLE_STACK, "CreationTime": "2026-12-01T00:00:00Z",
                            "StackStatus": status}]}
    named = {"StackName": LAUNCH_ROLE_STACK}
    stubber.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"), named)  # exists?
    stubber.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"), named)  # in which state?
    stubber.add_response("delete_stack", {}, named)
    stubber.add_response("describe_stacks", stack("DELETE_COMPLETE"), named)  # the delete waiter
    stubber.add_response("create_stack", {"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/x/1"}, {
        **named, "TemplateBody": body, "Capabilities": ["CAPABILITY_IAM"],
        "Parameters": [{"ParameterKey": "TemplateBucket", "ParameterValue": "assets"},
                       {"ParameterKey": "CreateRoleBoundary", "ParameterValue": "false"}]})
    stubber.add_response("describe_stacks", stack("CREATE_COMPLETE"), named)  # the create waiter
    said = []
    with stubber:
        status = publish.deploy_stack(LAUNCH_ROLE_STACK, body, {"TemplateBucket": "assets",
                                                                "CreateRoleBoundary": "false"}, said.append, cfn=cfn)
    stubber.assert_no_pending_responses()
    assert status == "CREATE_COMPLETE"
    assert said == [f"    {LAUNCH_ROLE_STACK}: ROLLBACK_COMPLETE (an earlier creation failed; it holds nothing): "
                    "deleting it first", f"==> creating stack {LAUNCH_ROLE_STACK}"]
    assert json.loads(body)["Parameters"]["CreateRoleBoundary"]["Default"] == "true"
