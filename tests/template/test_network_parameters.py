"""The project's VPC and key parameters: CodeBuild in the VPC only when given one, the builds' environment."""
import re

import pytest

from template.components.network import NETWORK_TOGETHER
from resolve import ResolveError, Resolver, resolve_template

PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123def456"}
VPC = {"VpcId": "vpc-0123456789abcdef0", "SubnetIds": "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2",
       "SecurityGroupIds": "sg-0ccccccccccccccc3"}
ADMIN_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def codebuild_projects(template) -> dict:
    return {r["Properties"]["Name"]: r["Properties"] for r in template["Resources"].values()
            if r["Type"] == "AWS::CodeBuild::Project"}


def environment(project) -> dict:
    return {v["Name"]: v["Value"] for v in project["Environment"]["EnvironmentVariables"]}


def project_key(template) -> str:
    (key_id,) = [lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::KMS::Key"]
    return f"<{key_id}.Arn>"


def test_without_a_vpc_no_build_is_in_one_and_the_key_is_the_projects(project_template):
    resolved = resolve_template(project_template, PROJECT)
    projects = codebuild_projects(resolved)
    assert len(projects) == 3
    for project in projects.values():
        assert "VpcConfig" not in project
        env = environment(project)
        assert (env["SUBNET_IDS"], env["SECURITY_GROUP_IDS"]) == ("", "")
        assert env["KMS_KEY_ARN"] == project_key(resolved)


def test_with_a_vpc_every_build_runs_in_it(project_template):
    projects = codebuild_projects(resolve_template(project_template, {**PROJECT, **VPC}))
    assert sorted(projects) == ["sagemaker-abalone-p-abc123def456-modelbuild", "sagemaker-abalone-p-abc123def456-modeldeploy",
                                "sagemaker-abalone-p-abc123def456-stagetest"]
    for project in projects.values():
        assert project["VpcConfig"] == {"VpcId": VPC["VpcId"], "Subnets": VPC["SubnetIds"].split(","),
                                        "SecurityGroupIds": [VPC["SecurityGroupIds"]]}
        env = environment(project)
        assert (env["SUBNET_IDS"], env["SECURITY_GROUP_IDS"]) == (VPC["SubnetIds"], VPC["SecurityGroupIds"])


def test_a_key_the_admin_names_reaches_every_build(project_template):
    projects = codebuild_projects(resolve_template(project_template, {**PROJECT, "KmsKeyArn": ADMIN_KEY}))
    assert {environment(p)["KMS_KEY_ARN"] for p in projects.values()} == {ADMIN_KEY}


@pytest.mark.parametrize("name, value", [("SubnetIds", "subnet-0aaaaaaaaaaaaaaa1, subnet-0bbbbbbbbbbbbbbb2"),
                                         ("SubnetIds", "sg-0ccccccccccccccc3"),
                                         ("SecurityGroupIds", "sg-12"),
                                         ("VpcId", "vpc-xyz"),
                                         ("KmsKeyArn", "alias/project-key")])
def test_malformed_ids_are_refused_by_their_pattern(project_template, name, value):
    with pytest.raises(ResolveError, match=rf"parameters\.{name}: {re.escape(repr(value))}: does not match"):
        resolve_template(project_template, {**PROJECT, name: value})


@pytest.mark.parametrize("given, holds", [({}, True), (VPC, True),
                                          ({"SubnetIds": VPC["SubnetIds"]}, False),
                                          ({**VPC, "VpcId": ""}, False),
                                          ({**VPC, "SecurityGroupIds": ""}, False)])
def test_rule_keeps_vpc_subnets_and_security_groups_together(project_template, given, holds):
    rule = project_template["Rules"]["NetworkTogether"]["Assertions"][0]
    assert rule["AssertDescription"] == NETWORK_TOGETHER
    assert Resolver(project_template, {**PROJECT, **given}).value(rule["Assert"]) is holds
