"""The project stack's resources and the properties that matter, asserted on the synthesized template."""
import pytest
from aws_cdk.assertions import Match, Template

from template.components.boundary import BOUNDARY_DESCRIPTION
from template.components.pipelines import DEPLOY_STAGES

CONTRACT_ENV = {"SAGEMAKER_PROJECT_NAME", "SAGEMAKER_PROJECT_ID", "MODEL_PACKAGE_GROUP_NAME", "ARTIFACT_BUCKET",
                "AWS_REGION", "SUBNET_IDS", "SECURITY_GROUP_IDS", "KMS_KEY_ARN",
                "CODEARTIFACT_DOMAIN", "CODEARTIFACT_DOMAIN_OWNER", "CODEARTIFACT_REPOSITORY", "TOOLKIT_WHEEL_URI"}
GROUP_NAME = {"Fn::Join": ["", [{"Ref": "SageMakerProjectName"}, "-", {"Ref": "SageMakerProjectId"}]]}


@pytest.fixture(scope="module")
def template(synthesis) -> Template:
    return Template.from_stack(synthesis.stacks["sagemaker-project"])


def resources(project_template: dict, kind: str) -> dict:
    return {k: v for k, v in project_template["Resources"].items() if v["Type"] == kind}


def test_parameters_are_sagemakers_project_name_and_id(template):
    template.has_parameter("SageMakerProjectName", {"Type": "String", "MaxLength": 32,
                                                    "AllowedPattern": "^[a-zA-Z](-*[a-zA-Z0-9])*$"})
    template.has_parameter("SageMakerProjectId", {"Type": "String", "MinLength": 14, "MaxLength": 14,
                                                  "AllowedPattern": "^p-[a-z0-9]{12}$"})


def test_approval_rule_matches_only_this_groups_approved_and_rejected(template):
    template.has_resource_properties("AWS::Events::Rule", {"EventPattern": Match.object_equals({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [GROUP_NAME], "ModelApprovalStatus": ["Approved", "Rejected"]}}),
        "Targets": [Match.object_like({"Arn": Match.any_value(), "RoleArn": Match.any_value()})]})


def test_model_package_group_is_named_project_dash_id(template):
    template.has_resource_properties("AWS::SageMaker::ModelPackageGroup", {"ModelPackageGroupName": GROUP_NAME})


def test_deploy_pipeline_stages_run_in_the_documented_order(project_template):
    stages = {props["Properties"]["Name"]["Fn::Join"][1][-1]: [s["Name"] for s in props["Properties"]["Stages"]]
              for props in resources(project_template, "AWS::CodePipeline::Pipeline").values()}
    assert stages == {"-modelbuild": ["Source", "Build"], "-modeldeploy": DEPLOY_STAGES}
    assert DEPLOY_STAGES == ["Source", "Build", "DeployStaging", "TestStaging", "ApproveDeployment", "DeployProd",
                             "VerifyProd"]


def test_deploy_staging_uses_the_staging_configuration_and_stack_name(template):
    template.has_resource_properties("AWS::CodePipeline::Pipeline", {"Stages": Match.array_with([{
        "Name": "DeployStaging", "Actions": [Match.object_like({
            "ActionTypeId": {"Category": "Deploy", "Owner": "AWS", "Provider": "CloudFormation", "Version": "1"},
            "Configuration": Match.object_like({
                "ActionMode": "CREATE_UPDATE", "TemplatePath": "BuildArtifact::template-export.yml",
                "TemplateConfiguration": "BuildArtifact::staging-config-export.json",
                "StackName": {"Fn::Join": ["", ["sagemaker-", {"Ref": "SageMakerProjectName"},
                                                "-deploy-staging"]]}})})]}])})


@pytest.mark.parametrize("stage_name, stage", [("TestStaging", "staging"), ("VerifyProd", "prod")])
def test_stage_tests_run_the_test_project_with_their_stage(template, stage_name, stage):
    # TARGET_ROLE_ARN is a condition (multi-account or not), so the variables are joined at deploy time;
    # tests/template/test_parameter_sets.py checks the resolved values.
    template.has_resource_properties("AWS::CodePipeline::Pipeline", {"Stages": Match.array_with([{
        "Name": stage_name, "Actions": [Match.object_like({"Configuration": Match.object_like({
            "ProjectName": Match.any_value(),
            "EnvironmentVariables": {"Fn::Join": ["", Match.array_with([
                Match.string_like_regexp(f'"name": "STAGE", "value": "{stage}"')])]}})})]}])})


def test_approval_stage_is_a_manual_approval(template):
    template.has_resource_properties("AWS::CodePipeline::Pipeline", {"Stages": Match.array_with([{
        "Name": "ApproveDeployment", "Actions": [Match.object_like({
            "ActionTypeId": {"Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"}})]}])})


@pytest.mark.parametrize("suffix, spec, extra", [
    ("-modelbuild", "buildspec.yml", {"SAGEMAKER_PIPELINE_ROLE_ARN"}),
    ("-modeldeploy", "buildspec.yml", {"MODEL_EXECUTION_ROLE_ARN", "STAGING_TARGET_ROLE_ARN", "PROD_TARGET_ROLE_ARN"}),
    ("-stagetest", "test-buildspec.yml", {"MODEL_EXECUTION_ROLE_ARN", "STAGE"}),
])
def test_codebuild_projects_get_the_contract_environment(project_template, suffix, spec, extra):
    projects = [p["Properties"] for p in resources(project_template, "AWS::CodeBuild::Project").values()
                if p["Properties"]["Name"]["Fn::Join"][1][-1] == suffix]
    assert len(projects) == 1
    assert projects[0]["Source"] == {"BuildSpec": spec, "Type": "CODEPIPELINE"}
    assert {v["Name"] for v in projects[0]["Environment"]["EnvironmentVariables"]} == CONTRACT_ENV | extra


def test_bucket_is_encrypted_versioned_private_with_lifecycle(template):
    template.has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [Match.object_like({
            "ServerSideEncryptionByDefault": Match.object_like({"SSEAlgorithm": "aws:kms"})})]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "LifecycleConfiguration": {"Rules": Match.array_with([Match.object_like({
            "NoncurrentVersionExpiration": {"NoncurrentDays": 90}})])}})


def test_bucket_policy_denies_requests_without_tls(template):
    template.has_resource_properties("AWS::S3::BucketPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Effect": "Deny", "Action": "s3:*", "Principal": {"AWS": "*"},
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}})


def _statements(template_dict: dict) -> list[dict]:
    """Identity statements (a permissions boundary grants nothing: tests/security checks what it caps)."""
    found = []
    for resource in template_dict["Resources"].values():
        props = resource.get("Properties", {})
        if props.get("Description") == BOUNDARY_DESCRIPTION:
            continue
        documents = [props.get("PolicyDocument")] + [p["PolicyDocument"] for p in props.get("Policies", [])]
        for document in filter(None, documents):
            found += [s for s in document["Statement"] if "Fn::If" not in s]
    return found


def test_no_statement_allows_every_action(synthesis):
    for name in synthesis.templates:
        statements = _statements(synthesis.template(name))
        assert statements, name
        for statement in statements:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow":
                assert not any(action == "*" or action.endswith(":*") for action in actions), (name, statement)


def test_model_execution_role_can_read_the_rollback_alarms(project_template):
    roles = resources(project_template, "AWS::IAM::Role")
    model_role = next(k for k, v in roles.items() if "Execution role of the project's models"
                      in v["Properties"].get("Description", ""))
    policies = [p["Properties"] for p in resources(project_template, "AWS::IAM::Policy").values()
                if {"Ref": model_role} in p["Properties"]["Roles"]]
    actions = {a for p in policies for s in p["PolicyDocument"]["Statement"]
               for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert "cloudwatch:DescribeAlarms" in actions


@pytest.mark.parametrize("kind", ["AWS::S3::Bucket", "AWS::KMS::Key", "AWS::IAM::Role", "AWS::CodeCommit::Repository",
                                  "AWS::CodeBuild::Project", "AWS::CodePipeline::Pipeline",
                                  "AWS::SageMaker::ModelPackageGroup"])
def test_taggable_resources_carry_the_project_tags(project_template, kind):
    found = resources(project_template, kind)
    assert found
    for resource in found.values():
        tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
        assert tags["sagemaker:project-name"] == {"Ref": "SageMakerProjectName"}
        assert tags["sagemaker:project-id"] == {"Ref": "SageMakerProjectId"}
