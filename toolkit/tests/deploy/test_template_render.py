"""The rendered endpoint template: cfn-lint clean for every shipped config, stage slots, alarms, deployment config."""
import functools
from pathlib import Path

import pytest
import yaml
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.runner import Runner

from mlops_guardrails.deploy.stage_config import load_stage_config
from mlops_guardrails.deploy.template_render import ResolvedStage, load_base, merge_stages, named_resource_ids, render, to_yaml

SEED = Path(__file__).resolve().parents[3] / "seed-deploy"  # the repository's deploy seed: the shipped configs
SHIPPED = ["staging-config.json", "prod-config.json", *sorted(p.relative_to(SEED).as_posix()
                                                              for p in (SEED / "examples").glob("*.json"))]
BASELINE = {"Statistics": "s3://b/statistics.json", "Constraints": "s3://b/constraints.json"}


def resolved(stage: str, name: str) -> ResolvedStage:
    return resolved_config(stage, load_stage_config(SEED / name))


def resolved_config(stage: str, config: dict) -> ResolvedStage:
    variants = config["ProductionVariants"] + config.get("ShadowProductionVariants", [])
    names = [v["VariantName"] for v in variants if "ModelVersion" in v]
    names += [c["ComponentName"] for c in config.get("InferenceComponents", [])]
    packages = {name: f"arn:aws:sagemaker:us-east-1:123456789012:model-package/g/{n}"
                for n, name in enumerate(names, start=1)}
    return ResolvedStage(stage, config, packages, BASELINE)


def rendered(staging: str, prod: str) -> dict:
    return render({"staging": resolved("staging", staging), "prod": resolved("prod", prod)})


def lint(template: dict) -> list[str]:
    return list(lint_text(to_yaml(template)))


@functools.cache
def lint_text(text: str) -> tuple[str, ...]:
    """cfn-lint's findings, once per distinct template text (the default pair is also a shipped row)."""
    parsed, errors = decode_str(text)
    return tuple(str(match) for match in errors or linter().validate_template(parsed))


@functools.cache
def linter() -> Runner:
    """What cfnlint.api.lint(text, regions=["us-east-1"]) builds on every call, built once: loading the
    rules is most of a call (about 0.45 s of 0.55 s); like the cfn-lint command given several templates,
    one Runner checks them all."""
    return Runner(ConfigMixIn(regions=["us-east-1"]))


def test_shipped_configs_list_covers_defaults_and_examples():
    assert SHIPPED == ["staging-config.json", "prod-config.json", "examples/ab-test.json",
                       "examples/ic-scale-to-zero.json", "examples/inference-components.json", "examples/linear.json",
                       "examples/shadow.json"]


def test_default_pair_renders_cfn_lint_clean():
    assert lint(rendered("staging-config.json", "prod-config.json")) == []


def test_lint_reports_a_property_the_resource_type_does_not_have():
    # The one Runner shared by every lint above still finds problems: cfn-lint's E3002 here.
    template = rendered("staging-config.json", "prod-config.json")
    template["Resources"]["EndpointConfig"]["Properties"]["NotAProperty"] = 1
    assert any("E3002" in problem and "NotAProperty" in problem for problem in lint(template))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_config_renders_cfn_lint_clean_as_prod(name):
    assert lint(rendered("staging-config.json", name)) == []


def test_endpoint_config_has_no_fixed_name_and_endpoint_name_is_a_parameter():
    resources = rendered("staging-config.json", "prod-config.json")["Resources"]
    assert "EndpointConfigName" not in resources["EndpointConfig"]["Properties"]
    assert resources["Endpoint"]["Properties"]["EndpointName"] == {"Ref": "EndpointName"}


def test_deployment_config_differs_by_stage_and_lists_stage_alarms_first():
    deployment = rendered("staging-config.json", "prod-config.json")["Resources"]["Endpoint"]["Properties"]
    condition, staging, prod = deployment["DeploymentConfig"]["Fn::If"]
    assert condition == "IsStaging"
    assert staging["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "ALL_AT_ONCE"
    assert prod["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == {
        "Type": "CANARY", "WaitIntervalInSeconds": 600, "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}
    assert prod["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"] == 600
    assert prod["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": {"Ref": "Invocation5XXErrorsAlarm"}}, {"AlarmName": {"Ref": "ModelLatencyAlarm"}}]


def test_extra_rollback_alarms_follow_the_stage_alarms():
    stage = resolved("prod", "prod-config.json")
    stage.config["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"] = [{"AlarmName": "team-cpu"}]
    template = render({"staging": stage, "prod": stage})
    alarms = template["Resources"]["Endpoint"]["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert alarms[2:] == [{"AlarmName": "team-cpu"}]


def test_extra_alarm_descriptions_for_the_validator_stay_out_of_the_template():
    stage = resolved("prod", "prod-config.json")
    stage.config["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"] = [{
        "AlarmName": "team-5xx", "MetricName": "Invocation5XXErrors", "Period": 60, "EvaluationPeriods": 2,
        "Dimensions": ["EndpointName", "VariantName", "EndpointConfigName"]}]
    template = render({"staging": resolved("staging", "staging-config.json"), "prod": stage})
    alarms = template["Resources"]["Endpoint"]["Properties"]["DeploymentConfig"]["Fn::If"][2]["AutoRollbackConfiguration"]["Alarms"]
    assert alarms[2:] == [{"AlarmName": "team-5xx"}]  # AWS::SageMaker::Endpoint's Alarm has AlarmName only
    assert lint(template) == []


def test_alarms_watch_the_new_fleet_per_variant():
    alarm = rendered("staging-config.json", "examples/ab-test.json")["Resources"]["ModelLatencyAlarm"]["Properties"]
    assert alarm["AlarmName"] == {"Fn::Sub": "${EndpointName}-model-latency"}
    prod_metrics = alarm["Metrics"]["Fn::If"][2]
    dims = prod_metrics[0]["MetricStat"]["Metric"]["Dimensions"]
    assert {"Name": "EndpointConfigName", "Value": {"Fn::GetAtt": ["EndpointConfig", "EndpointConfigName"]}} in dims
    assert [d["Value"] for d in dims if d["Name"] == "VariantName"] == ["Champion"]
    assert prod_metrics[-1] == {"Id": "fleet", "Expression": "MAX([v1, v2])",
                                "Label": "ModelLatency of the new fleet", "ReturnData": True}
    # Both stages hold the new model to the same 300 ms bar; they differ in the window (2 and 3 periods).
    assert alarm["Threshold"] == 300000
    assert alarm["EvaluationPeriods"] == {"Fn::If": ["IsStaging", 2, 3]}


def test_stage_values_that_agree_are_written_once():
    template = rendered("staging-config.json", "staging-config.json")
    errors = template["Resources"]["Invocation5XXErrorsAlarm"]["Properties"]
    assert errors["Threshold"] == 0
    assert template["Resources"]["EndpointConfig"]["Properties"]["ShadowProductionVariants"] == {"Ref": "AWS::NoValue"}


def test_merge_stages_absent_in_one_stage_is_no_value():
    assert merge_stages({"staging": None, "prod": {"a": 1}}) == {"Fn::If": ["IsStaging", {"Ref": "AWS::NoValue"}, {"a": 1}]}


def test_data_capture_goes_under_the_artifact_bucket():
    capture = rendered("staging-config.json", "staging-config.json")["Resources"]["EndpointConfig"]["Properties"][
        "DataCaptureConfig"]
    assert capture["DestinationS3Uri"] == {"Fn::Sub": "s3://${ArtifactBucket}/data-capture"}
    assert capture["InitialSamplingPercentage"] == 100
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]


def test_prod_autoscaling_and_monitoring_are_conditional_on_prod():
    resources = rendered("staging-config.json", "prod-config.json")["Resources"]
    target = resources["ProdAllTrafficScalableTarget"]
    assert target["Condition"] == "IsProd"
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (3, 6)
    policy = resources["ProdAllTrafficScalingPolicy"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert policy["PredefinedMetricSpecification"] == {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}
    schedule = resources["ProdDataQualitySchedule"]["Properties"]["MonitoringScheduleConfig"]
    assert schedule["ScheduleConfig"] == {"ScheduleExpression": "cron(0 * ? * * *)"}
    assert not any(key.startswith("Staging") and "Scal" in key for key in resources)


def test_base_template_slots_are_all_filled():
    text = to_yaml(rendered("staging-config.json", "prod-config.json"))
    assert "FromStageConfig" not in text and "StageSlot" not in text
    assert set(load_base()["Outputs"]) == {"EndpointName", "EndpointConfigName"}
    assert yaml.safe_load(text)["Outputs"]["EndpointConfigName"]["Value"] == {
        "Fn::GetAtt": ["EndpointConfig", "EndpointConfigName"]}


def test_inference_component_config_renders_components_beside_the_endpoint_cfn_lint_clean():
    template = rendered("examples/ic-scale-to-zero.json", "prod-config.json")
    assert lint(template) == []
    resources = template["Resources"]
    component = resources["StagingmodelInferenceComponent"]
    assert component["Condition"] == "IsStaging"
    assert component["Properties"] == {
        "EndpointName": {"Fn::GetAtt": ["Endpoint", "EndpointName"]},
        "InferenceComponentName": {"Fn::Sub": "${EndpointName}-model"},
        "VariantName": "AllTraffic",
        "Specification": {"ModelName": {"Fn::GetAtt": ["StagingmodelComponentModel", "ModelName"]},
                          "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
        "RuntimeConfig": {"CopyCount": 2},
        "DeploymentConfig": {
            "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 180,
                                    "MaximumExecutionTimeoutInSeconds": 1800},
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": {"Ref": "Invocation5XXErrorsAlarm"}},
                                                     {"AlarmName": {"Ref": "ModelLatencyAlarm"}}]}},
    }
    config = resources["EndpointConfig"]["Properties"]
    staging_variant = config["ProductionVariants"]["Fn::If"][1][0]
    assert "ModelName" not in staging_variant  # the component carries the model
    assert staging_variant["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 1}
    assert config["ExecutionRoleArn"] == {"Fn::If": ["IsStaging", {"Ref": "ModelExecutionRoleArn"}, {"Ref": "AWS::NoValue"}]}
    # The endpoint's own DeploymentConfig is prod's only: staging's update is the component's.
    assert resources["Endpoint"]["Properties"]["DeploymentConfig"]["Fn::If"][1] == {"Ref": "AWS::NoValue"}
    # The stage alarms watch the component by its name in staging, the new fleet in prod.
    staging_metrics = resources["ModelLatencyAlarm"]["Properties"]["Metrics"]["Fn::If"][1]
    assert staging_metrics[0]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "InferenceComponentName", "Value": {"Fn::Sub": "${EndpointName}-model"}}]
    # Scale to zero: copies 0-2 on invocations per copy, and a step policy out of zero on NoCapacityInvocationFailures.
    target = resources["StagingmodelScalableTarget"]["Properties"]
    assert (target["MinCapacity"], target["ScalableDimension"]) == (0, "sagemaker:inference-component:DesiredCopyCount")
    alarm = resources["StagingmodelNoCapacityAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["AlarmActions"]) == ("NoCapacityInvocationFailures",
                                                           [{"Ref": "StagingmodelScaleOutFromZeroPolicy"}])


# The resource ids each shipped config renders in both stages, recorded from main before the resource-id rule:
# a changed id would make CloudFormation replace the resource in every stack already deployed.
SHIPPED_IDS = {
    "staging-config.json": ["StagingAllTrafficModel", "ProdAllTrafficModel"],
    "prod-config.json": [
        "StagingAllTrafficModel", "ProdAllTrafficModel", "StagingAllTrafficScalableTarget",
        "StagingAllTrafficScalingPolicy", "StagingDataQualityJobDefinition", "StagingDataQualitySchedule",
        "ProdAllTrafficScalableTarget", "ProdAllTrafficScalingPolicy", "ProdDataQualityJobDefinition",
        "ProdDataQualitySchedule"],
    "examples/ab-test.json": ["StagingChampionModel", "StagingChallengerModel", "ProdChampionModel",
                              "ProdChallengerModel"],
    "examples/ic-scale-to-zero.json": [
        "StagingmodelComponentModel", "ProdmodelComponentModel", "StagingmodelInferenceComponent",
        "StagingmodelScalableTarget", "StagingmodelScalingPolicy", "StagingmodelScaleOutFromZeroPolicy",
        "StagingmodelNoCapacityAlarm", "ProdmodelInferenceComponent", "ProdmodelScalableTarget",
        "ProdmodelScalingPolicy", "ProdmodelScaleOutFromZeroPolicy", "ProdmodelNoCapacityAlarm"],
    "examples/inference-components.json": ["StagingmodelComponentModel", "ProdmodelComponentModel",
                                           "StagingmodelInferenceComponent", "ProdmodelInferenceComponent"],
    "examples/linear.json": ["StagingAllTrafficModel", "ProdAllTrafficModel"],
    "examples/shadow.json": ["StagingAllTrafficModel", "StagingShadowModel", "ProdAllTrafficModel", "ProdShadowModel"],
}
BASE_IDS = ["EndpointConfig", "Endpoint", "Invocation5XXErrorsAlarm", "ModelLatencyAlarm"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_configs_keep_their_resource_ids(name):
    ids = list(rendered(name, name)["Resources"])
    assert [i for i in ids if i not in BASE_IDS] == SHIPPED_IDS[name]
    assert [i for i in ids if i in BASE_IDS] == BASE_IDS


def per_name_ids(template: dict) -> set[str]:
    """The rendered resources that belong to one variant or component (not the base's, not monitoring's)."""
    return {i for i in template["Resources"] if i not in BASE_IDS and "DataQuality" not in i}


def hyphenated_ab_test() -> dict:
    """examples/ab-test.json with hyphenated variant names that meet no other name, and autoscaling."""
    config = load_stage_config(SEED / "examples/ab-test.json")
    config["ProductionVariants"][0]["VariantName"] = "champion-a"
    config["ProductionVariants"][1]["VariantName"] = "challenger--b"
    config["AutoScaling"] = {"MinCapacity": 1, "MaxCapacity": 4, "TargetInvocationsPerInstance": 100}
    return config


@pytest.mark.parametrize("name", SHIPPED)
def test_validator_checks_exactly_the_per_name_resources_the_renderer_writes(name):
    # config_rules.check_resource_ids refuses names that meet, using named_resource_ids: it must list every
    # per-variant and per-component resource, under the renderer's own conditions, and no other.
    config = load_stage_config(SEED / name)
    listed = [i for stage in ("staging", "prod") for _, _, i in named_resource_ids(stage, config)]
    assert sorted(listed) == sorted(per_name_ids(rendered(name, name)))
    assert len(set(listed)) == len(listed)


def test_hyphenated_names_render_one_resource_each_with_todays_ids():
    config = hyphenated_ab_test()
    stage = resolved_config("prod", config)
    template = render({"staging": resolved_config("staging", config), "prod": stage})
    prod = sorted(i for i in per_name_ids(template) if i.startswith("Prod"))
    assert prod == ["ProdchallengerbModel", "ProdchallengerbScalableTarget", "ProdchallengerbScalingPolicy",
                    "ProdchampionaModel", "ProdchampionaScalableTarget", "ProdchampionaScalingPolicy"]
    assert sorted(i for _, _, i in named_resource_ids("prod", config)) == prod
    resources = template["Resources"]
    assert resources["ProdchampionaModel"]["Properties"]["PrimaryContainer"]["ModelPackageName"] == \
        stage.packages["champion-a"]
    assert resources["ProdchallengerbScalableTarget"]["Properties"]["ResourceId"] == {
        "Fn::Sub": "endpoint/${Endpoint.EndpointName}/variant/challenger--b"}
    assert lint(template) == []
