"""CodeBuild installs the seeds' pinned toolkit from the seed bucket: its role reads that one object, nothing
beside it (not the seed zips, not another version's wheel, not another bucket) and never writes it."""
import pytest
from aws_cdk.assertions import Template

from iam_policy import ALLOW, IMPLICIT_DENY, Request
from mlops_guardrails import WHEEL_NAME
from template.components.parameters import UNPUBLISHED_SEED_BUCKET

SEEDS = f"arn:aws:s3:::{UNPUBLISHED_SEED_BUCKET}/seeds"  # synthesis' defaults: SeedBucket and the seeds/ prefix
WHEEL = f"{SEEDS}/{WHEEL_NAME}"


@pytest.fixture(scope="module")
def codebuild_role(project_roles):
    (role,) = [p for lid, p in project_roles.items() if lid.startswith("RolesCodeBuild")]
    return role


@pytest.mark.parametrize("action, resource, decision", [
    ("s3:GetObject", WHEEL, ALLOW),
    ("s3:GetObject", f"{SEEDS}/seed-deploy.zip", IMPLICIT_DENY),
    ("s3:GetObject", f"{SEEDS}/mlops_guardrails-0.0.1-py3-none-any.whl", IMPLICIT_DENY),
    ("s3:GetObject", f"arn:aws:s3:::{UNPUBLISHED_SEED_BUCKET}-other/seeds/{WHEEL_NAME}", IMPLICIT_DENY),
    ("s3:PutObject", WHEEL, IMPLICIT_DENY),
])
def test_codebuild_reads_exactly_the_pinned_wheel(codebuild_role, action, resource, decision):
    assert codebuild_role.decide(Request(action, resource)) == decision


def test_every_build_gets_the_wheels_uri_from_the_template_parameters(synthesis):
    template = Template.from_stack(synthesis.stacks["sagemaker-project"])
    template.has_parameter("ToolkitWheelKey", {"Type": "String", "Default": f"seeds/{WHEEL_NAME}"})
    uri = {"Fn::Join": ["", ["s3://", {"Ref": "SeedBucket"}, "/", {"Ref": "ToolkitWheelKey"}]]}
    projects = template.find_resources("AWS::CodeBuild::Project")
    assert len(projects) == 3
    for project in projects.values():
        variables = {v["Name"]: v["Value"] for v in project["Properties"]["Environment"]["EnvironmentVariables"]}
        assert variables["TOOLKIT_WHEEL_URI"] == uri
