"""The target-account stack: the roles a multi-account project's pipeline assumes in staging and prod."""
import pytest

from resolve import resolve_template


@pytest.fixture(scope="module")
def roles(synthesis):
    template = synthesis.template("sagemaker-project-target-account")
    return {r["Properties"]["RoleName"]["Fn::Join"][1][-1] if isinstance(r["Properties"]["RoleName"], dict)
            else r["Properties"]["RoleName"]: r["Properties"]
            for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"}


def role_named(roles, suffix):
    (properties,) = [p for name, p in roles.items() if str(name).endswith(suffix)]
    return properties


@pytest.mark.parametrize("suffix, tooling_role", [("-stage-test", "ToolingBuildRoleName"),
                                                  ("-deploy-action", "ToolingPipelineRoleName")])
def test_cross_account_roles_trust_one_named_tooling_role_only(roles, suffix, tooling_role):
    trust = role_named(roles, suffix)["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"]["AWS"] for s in trust] == [
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "ToolingAccountId"}, ":root"]]}]
    assert [s["Condition"] for s in trust] == [{"ArnEquals": {"aws:PrincipalArn": {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "ToolingAccountId"}, ":role/sagemaker-project/",
        {"Ref": tooling_role}]]}}}]


def test_stage_test_role_reads_stacks_endpoints_models_alarms_and_invokes(roles):
    statements = role_named(roles, "-stage-test")["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {action for s in statements for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {"sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel",
                       "sagemaker:InvokeEndpoint",
                       "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
                       "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:DescribeAlarms"}


TARGET = {"ToolingAccountId": "123456789012", "ToolingPipelineRoleName": "pipeline", "ToolingBuildRoleName": "build",
          "SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123def456", "ArtifactBucketName": "tooling-bucket",
          "ArtifactKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"}


def test_model_role_writes_only_captures_and_monitoring_reports_into_the_tooling_bucket(synthesis):
    """The stage endpoints' data capture and Model Monitor reports (seed-deploy's template_render destinations)."""
    resolved = resolve_template(synthesis.template("sagemaker-project-target-account"), TARGET)
    (role,) = [r["Properties"] for r in resolved["Resources"].values() if r["Type"] == "AWS::IAM::Role"
               and r["Properties"]["RoleName"] == "sagemaker-p-abc123def456-model-execution"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    writes = [s for s in statements if {"s3:PutObject", "s3:DeleteObject", "kms:GenerateDataKey", "kms:Encrypt"}
              & set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert writes == [
        {"Action": "s3:PutObject", "Effect": "Allow", "Resource": ["arn:aws:s3:::tooling-bucket/data-capture/*",
                                                                   "arn:aws:s3:::tooling-bucket/monitoring/*"]},
        {"Action": ["kms:Encrypt", "kms:GenerateDataKey"], "Effect": "Allow", "Resource": TARGET["ArtifactKeyArn"]}]
