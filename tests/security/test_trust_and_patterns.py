"""Who may assume each role, who may read the shared bucket, key and registry, and the parameter patterns that
CloudFormation enforces before anything is created (tested by parameter-set resolution, resolve.py)."""
import pytest

from iam_policy import Request, statement_matches, trust_matches
from resolved_project import ACCOUNT, PROJECT
from resolve import ResolveError, resolve_template

STAGING, PROD = "111111111111", "222222222222"
MULTI = {**PROJECT, "StagingAccountId": STAGING, "ProdAccountId": PROD}
TARGET = {"ToolingAccountId": ACCOUNT, "ToolingPipelineRoleName": "sagemaker-project-RolesCodePipeline-A1",
          "ToolingBuildRoleName": "sagemaker-project-RolesCodeBuild-B2", "SageMakerProjectName": "abalone",
          "SageMakerProjectId": "p-abc123def456", "ArtifactBucketName": "sc-123-bucket",
          "ArtifactKeyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"}
TOOLING_ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/"


def roles_by_description(template: dict) -> dict[str, dict]:
    return {r["Properties"].get("Description", lid): r["Properties"] for lid, r in template["Resources"].items()
            if r["Type"] == "AWS::IAM::Role"}


@pytest.mark.parametrize("fragment, service, source_arn", [
    ("CodeBuild projects", "codebuild.amazonaws.com",
     f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-abalone-p-abc123def456-modelbuild"),
    ("build and deploy pipelines", "codepipeline.amazonaws.com",
     f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:sagemaker-abalone-p-abc123def456-modeldeploy"),
    ("approval events", "events.amazonaws.com", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/SC-1-pp-x-ModelApproval"),
    ("endpoint stacks", "cloudformation.amazonaws.com", None),
    ("SageMaker Pipeline", "sagemaker.amazonaws.com", None),
    ("models and endpoints", "sagemaker.amazonaws.com", None),
    ("managed shadow tests", "sagemaker.amazonaws.com", None),
])
def test_service_roles_trust_their_service_for_this_account_and_project_only(project, fragment, service,
                                                                            source_arn):
    (role,) = [props for description, props in roles_by_description(project).items() if fragment in description]
    principal = {"Service": service}
    context = {"aws:SourceAccount": ACCOUNT, **({"aws:SourceArn": source_arn} if source_arn else {})}
    assert trust_matches(role, principal=principal, context=context)
    assert not trust_matches(role, principal=principal, context={**context, "aws:SourceAccount": "999999999999"})
    if source_arn:
        other = source_arn.replace("sagemaker-abalone-p-abc123def456", "someone-else").replace(ACCOUNT, "999999999999")
        assert not trust_matches(role, principal=principal, context={**context, "aws:SourceArn": other})


@pytest.mark.parametrize("suffix, tooling", [("-deploy-action", "sagemaker-project-RolesCodePipeline-A1"),
                                             ("-stage-test", "sagemaker-project-RolesCodeBuild-B2")])
def test_target_roles_trust_one_tooling_role_not_the_account(synthesis, suffix, tooling):
    resolved = resolve_template(synthesis.template("sagemaker-project-target-account"), TARGET)
    (role,) = [r["Properties"] for r in resolved["Resources"].values()
               if r["Type"] == "AWS::IAM::Role" and r["Properties"]["RoleName"].endswith(suffix)]
    root = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert trust_matches(role, principal=root, context={"aws:PrincipalArn": TOOLING_ROLE + tooling})
    assert not trust_matches(role, principal=root, context={"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin"})
    assert not trust_matches(role, principal=root, context={"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/dev"})


def shared_statements(template: dict) -> dict[str, dict]:
    found = {}
    for resource in template["Resources"].values():
        props = resource["Properties"]
        for document in (props.get("PolicyDocument"), props.get("KeyPolicy"), props.get("ModelPackageGroupPolicy")):
            for statement in (document or {}).get("Statement", []):
                if statement.get("Sid", "").startswith("TargetAccounts"):
                    found[f"{resource['Type']}:{statement['Sid']}"] = statement
    return found


@pytest.mark.parametrize("kind, roles", [
    ("AWS::S3::BucketPolicy:TargetAccountsRead", ["deploy-action", "model-execution", "shadow-test"]),
    ("AWS::KMS::Key:TargetAccountsDecrypt", ["deploy-action", "model-execution", "shadow-test"]),
    ("AWS::SageMaker::ModelPackageGroup:TargetAccountsRead", ["cfn-deploy", "model-execution"]),
])
def test_shared_artifacts_and_registry_grant_the_target_roles_not_the_accounts(synthesis, kind, roles):
    statement = shared_statements(resolve_template(synthesis.template("sagemaker-project"), MULTI))[kind]
    assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [
        f"arn:aws:iam::{account}:role/sagemaker-project/sagemaker-p-abc123def456-{role}"
        for account in (STAGING, PROD) for role in roles]}}
    action = statement["Action"][0]
    resource = statement["Resource"] if isinstance(statement["Resource"], str) else statement["Resource"][0]
    named = f"arn:aws:iam::{STAGING}:role/sagemaker-project/sagemaker-p-abc123def456-{roles[1]}"
    assert statement_matches({**statement, "Resource": "*"}, Request(action, resource, {"aws:PrincipalArn": named}))
    assert not statement_matches({**statement, "Resource": "*"},
                                 Request(action, resource, {"aws:PrincipalArn": f"arn:aws:iam::{STAGING}:role/Admin"}))


@pytest.mark.parametrize("name, value, rule", [
    ("SageMakerProjectId", "P-ABC123DEF456", "AllowedPattern"),
    ("SageMakerProjectId", "p-abc123def45-", "AllowedPattern"),
    ("SageMakerProjectId", "p_abc123def456", "AllowedPattern"),
    ("SageMakerProjectId", "p-" + "a" * 19, "length 21"),
    # Ids of another length: a project whose id is the tail of another's would match the victim's `*-<id>`.
    ("SageMakerProjectId", "c123def456", "length 10"),
    ("SageMakerProjectId", "x-p-abc123def456", "length 16"),
    ("SageMakerProjectId", "q-abc123def456", "AllowedPattern"),
    ("SageMakerProjectName", "1abalone", "AllowedPattern"),
    ("SageMakerProjectName", "abalone_demo", "AllowedPattern"),
    ("SageMakerProjectName", "abalone-", "AllowedPattern"),
    ("StagingAccountId", "11111111111", "AllowedPattern"),
    ("ProdAccountId", "22222222222a", "AllowedPattern"),
])
def test_project_stack_refuses_ids_and_names_outside_the_pattern(synthesis, name, value, rule):
    with pytest.raises(ResolveError, match=rf"parameters.{name}: '{value}': .*{rule}"):
        resolve_template(synthesis.template("sagemaker-project"), {**MULTI, name: value})


@pytest.mark.parametrize("name, value", [("ToolingAccountId", "12345"), ("SageMakerProjectId", "p-ABC"),
                                         ("ToolingPipelineRoleName", "role/with/slash"),
                                         ("ToolingBuildRoleName", "a b")])
def test_target_account_stack_refuses_bad_ids_and_role_names(synthesis, name, value):
    with pytest.raises(ResolveError, match=rf"parameters.{name}: '{value}'"):
        resolve_template(synthesis.template("sagemaker-project-target-account"), {**TARGET, name: value})


def test_sagemaker_generated_ids_and_names_are_accepted(synthesis):
    resolved = resolve_template(synthesis.template("sagemaker-project"),
                                {"SageMakerProjectName": "Abalone-Demo-2", "SageMakerProjectId": "p-bxw3ou5gdnkq"})
    assert resolved["Resources"]


@pytest.mark.parametrize("fragment, service, squatter", [
    # A project named "abalone-p-abc123def456" names its resources sagemaker-abalone-p-abc123def456-p-<its id>-...
    ("CodeBuild projects", "codebuild.amazonaws.com",
     f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-abalone-p-abc123def456-p-zzz999zzz999-modelbuild"),
    ("build and deploy pipelines", "codepipeline.amazonaws.com",
     f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:sagemaker-abalone-p-abc123def456-p-zzz999zzz999-modeldeploy"),
    ("build and deploy pipelines", "codepipeline.amazonaws.com",
     f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:sagemaker-abalone-p-abc123def456-x"),
])
def test_roles_trust_exact_names_not_a_prefix_another_project_can_share(project, fragment, service, squatter):
    (role,) = [props for description, props in roles_by_description(project).items() if fragment in description]
    assert not trust_matches(role, principal={"Service": service},
                             context={"aws:SourceAccount": ACCOUNT, "aws:SourceArn": squatter})
