"""One template, several parameter sets: which resources exist and what the deploy stages assume."""
import json

import pytest

from resolve import ResolveError, resolve_template

PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123def456"}


CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/abc"
SETS = {
    "codecommit": {},
    "codeconnections": {"CodeConnectionArn": CONNECTION, "BuildRepositoryId": "org/build",
                        "DeployRepositoryId": "org/deploy"},
    "multi-account": {"StagingAccountId": "111111111111", "ProdAccountId": "222222222222"},
}


def resolved(project_template, name):
    return resolve_template(project_template, {**PROJECT, **SETS[name]})


def kinds(template):
    return sorted(r["Type"] for r in template["Resources"].values())


def deploy_action(template, stage):
    pipeline = next(r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"
                    and r["Properties"]["Name"].endswith("-modeldeploy"))
    return next(s for s in pipeline["Properties"]["Stages"] if s["Name"] == stage)["Actions"][0]


def test_codecommit_set_creates_seeded_repositories_and_push_rules(project_template):
    template = resolved(project_template, "codecommit")
    repos = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CodeCommit::Repository"]
    assert sorted((r["RepositoryName"], r["Code"]["S3"]["Key"]) for r in repos) == [
        ("sagemaker-abalone-p-abc123def456-modelbuild", "seeds/seed-build.zip"),
        ("sagemaker-abalone-p-abc123def456-modeldeploy", "seeds/seed-deploy.zip")]
    assert kinds(template).count("AWS::Events::Rule") == 3
    assert deploy_action(template, "Source")["ActionTypeId"]["Provider"] == "CodeCommit"


def test_codeconnections_set_has_no_codecommit_and_uses_the_connection(project_template):
    template = resolved(project_template, "codeconnections")
    assert "AWS::CodeCommit::Repository" not in kinds(template)
    assert kinds(template).count("AWS::Events::Rule") == 1
    source = deploy_action(template, "Source")
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == CONNECTION
    assert source["Configuration"]["FullRepositoryId"] == "org/deploy"
    policies = [r["Properties"]["PolicyDocument"]["Statement"] for r in template["Resources"].values()
                if r["Type"] == "AWS::IAM::Policy"]
    assert any(s["Resource"] == CONNECTION and "codeconnections:UseConnection" in s["Action"]
               for statements in policies for s in statements)


def test_single_account_deploys_with_the_local_cloudformation_role(project_template):
    action = deploy_action(resolved(project_template, "codecommit"), "DeployProd")
    assert "RoleArn" not in action
    assert action["Configuration"]["RoleArn"].startswith("<RolesCloudFormation")
    assert "ParameterOverrides" not in action["Configuration"]


@pytest.mark.parametrize("stage, account", [("DeployStaging", "111111111111"), ("DeployProd", "222222222222")])
def test_multi_account_stages_assume_the_target_account_roles(project_template, stage, account):
    action = deploy_action(resolved(project_template, "multi-account"), stage)
    prefix = f"arn:aws:iam::{account}:role/sagemaker-project/sagemaker-p-abc123def456"
    assert action["RoleArn"] == f"{prefix}-deploy-action"
    assert action["Configuration"]["RoleArn"] == f"{prefix}-cfn-deploy"
    assert action["Configuration"]["ParameterOverrides"] == (
        f'{{"ModelExecutionRoleArn": "{prefix}-model-execution"}}')


def test_multi_account_shares_bucket_key_and_registry_with_both_accounts(project_template):
    template = resolved(project_template, "multi-account")
    roots = ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]
    shared = {r["Type"]: r for r in template["Resources"].values()}
    bucket_sids = {s.get("Sid"): s for s in shared["AWS::S3::BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    assert bucket_sids["TargetAccountsRead"]["Principal"] == {"AWS": roots}
    key_sids = {s.get("Sid"): s for s in shared["AWS::KMS::Key"]["Properties"]["KeyPolicy"]["Statement"]}
    assert key_sids["TargetAccountsDecrypt"]["Principal"] == {"AWS": roots}
    # The stage endpoints' model roles write their data capture and Model Monitor reports here (by name).
    model_roles = [f"arn:aws:iam::{account}:role/sagemaker-project/sagemaker-p-abc123def456-model-execution"
                   for account in ("111111111111", "222222222222")]
    for statement in (bucket_sids["TargetAccountsModelWrite"], key_sids["TargetAccountsEncryptModelWrites"]):
        assert statement["Principal"] == {"AWS": roots}
        assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": model_roles}}
    assert bucket_sids["TargetAccountsModelWrite"]["Action"] == ["s3:PutObject"]
    assert [r.split("/", 1)[1] for r in bucket_sids["TargetAccountsModelWrite"]["Resource"]] == [
        "data-capture/*", "monitoring/*"]
    assert key_sids["TargetAccountsEncryptModelWrites"]["Action"] == ["kms:Encrypt", "kms:GenerateDataKey"]
    group_policy = shared["AWS::SageMaker::ModelPackageGroup"]["Properties"]["ModelPackageGroupPolicy"]
    assert group_policy["Statement"][0]["Principal"] == {"AWS": roots}


def test_single_account_shares_nothing(project_template):
    template = resolved(project_template, "codecommit")
    shared = {r["Type"]: r for r in template["Resources"].values()}
    assert [s.get("Sid") for s in shared["AWS::S3::BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]] == [None]
    assert len(shared["AWS::KMS::Key"]["Properties"]["KeyPolicy"]["Statement"]) == 1  # the account's own admin
    assert "ModelPackageGroupPolicy" not in shared["AWS::SageMaker::ModelPackageGroup"]["Properties"]


def test_rules_refuse_one_account_without_the_other(project_template):
    rule = project_template["Rules"]["AccountsTogether"]["Assertions"][0]
    assert rule["AssertDescription"].startswith("StagingAccountId/ProdAccountId: one set, one empty")


def test_resolver_rejects_undeclared_parameter(project_template):
    with pytest.raises(ResolveError, match=r"parameters: \['Nope'\]: not declared"):
        resolve_template(project_template, {**PROJECT, "Nope": "x"})


def test_resolver_rejects_missing_required_parameter(project_template):
    with pytest.raises(ResolveError, match="parameters.SageMakerProjectId: missing"):
        resolve_template(project_template, {"SageMakerProjectName": "abalone"})


@pytest.mark.parametrize("stage, account", [("TestStaging", "111111111111"), ("VerifyProd", "222222222222")])
def test_multi_account_stage_tests_assume_the_target_accounts_stage_test_role(project_template, stage, account):
    variables = json.loads(deploy_action(resolved(project_template, "multi-account"), stage)["Configuration"]
                           ["EnvironmentVariables"])
    assert {v["name"]: v["value"] for v in variables}["TARGET_ROLE_ARN"] == (
        f"arn:aws:iam::{account}:role/sagemaker-project/sagemaker-p-abc123def456-stage-test")


def test_single_account_stage_tests_assume_nothing(project_template):
    variables = json.loads(deploy_action(resolved(project_template, "codecommit"), "VerifyProd")["Configuration"]
                           ["EnvironmentVariables"])
    assert {v["name"]: v["value"] for v in variables} == {"STAGE": "prod", "TARGET_ROLE_ARN": ""}


def test_codebuild_may_assume_the_stage_test_roles_only_in_multi_account(project_template):
    def assumable(template):
        return sorted(resource for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"
                      for s in r["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "sts:AssumeRole"
                      for resource in s["Resource"] if resource.endswith("-stage-test"))
    assert assumable(resolved(project_template, "codecommit")) == []
    assert assumable(resolved(project_template, "multi-account")) == [
        "arn:aws:iam::111111111111:role/sagemaker-project/sagemaker-p-abc123def456-stage-test",
        "arn:aws:iam::222222222222:role/sagemaker-project/sagemaker-p-abc123def456-stage-test"]


def deploy_build_environment(template) -> dict:
    (project,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CodeBuild::Project"
                  and r["Properties"]["Name"].endswith("-modeldeploy")]
    return {v["Name"]: v["Value"] for v in project["Environment"]["EnvironmentVariables"]}


def test_multi_account_deploy_build_reads_live_endpoints_through_the_stage_roles(project_template):
    environment = deploy_build_environment(resolved(project_template, "multi-account"))
    prefix = "role/sagemaker-project/sagemaker-p-abc123def456-stage-test"
    assert environment["STAGING_TARGET_ROLE_ARN"] == f"arn:aws:iam::111111111111:{prefix}"
    assert environment["PROD_TARGET_ROLE_ARN"] == f"arn:aws:iam::222222222222:{prefix}"


def test_single_account_deploy_build_has_no_target_roles(project_template):
    environment = deploy_build_environment(resolved(project_template, "codecommit"))
    assert (environment["STAGING_TARGET_ROLE_ARN"], environment["PROD_TARGET_ROLE_ARN"]) == ("", "")
