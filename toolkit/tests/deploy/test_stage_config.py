"""Stage config validation: shipped configs are valid; every invalid fixture fails with its exact message."""
import json
from pathlib import Path

import pytest

from mlops_guardrails.deploy import cli, config_rules, inference_components, stage_config
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.stage_config import config_warnings, load_stage_config, read_config, validate_config

SEED = Path(__file__).resolve().parents[3] / "seed-deploy"  # the repository's deploy seed: the shipped configs
FIXTURES = Path(__file__).parent / "fixtures"
TRAFFIC = "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration"
SHIPPED = ["staging-config.json", "prod-config.json", "examples/ab-test.json", "examples/ic-scale-to-zero.json",
           "examples/inference-components.json", "examples/linear.json", "examples/shadow.json"]



def same_id(path: str, value: str, other: str, logical_id: str) -> str:
    return f'{path}: "{value}": ' + config_rules.SAME_RESOURCE_ID.format(other=other, logical_id=logical_id)


# fixture file -> the exact problems validate reports, one per line.
INVALID = [
    ("invalid-canary-over-half", [f"{TRAFFIC}.CanarySize.Value: 2: a canary must be at most 50% of the instance "
                                  "count (2 of AllTraffic's 3 instance(s) is 67%)"]),
    ("invalid-canary-percent-over-half", ['DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value: 60: a canary must be at most 50% of the instance count (60%)']),
    ("invalid-canary-on-one-instance", ["DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value: 1: a canary must be at most 50% of the instance count (1 of AllTraffic's 1 instance(s) is 100%)"]),
    ("invalid-canary-without-size", ['DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize: (missing): required when Type is CANARY']),
    ("invalid-linear-step-under-ten-percent", ['DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.LinearStepSize.Value: 5: a linear step must be 10-50% of the instance count (5%)']),
    ("invalid-linear-step-over-half", ["DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.LinearStepSize.Value: 2: a linear step must be 10-50% of the instance count (2 of AllTraffic's 3 instance(s) is 67%)"]),
    ("invalid-linear-size-on-canary", ['DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.LinearStepSize: {"Type": "INSTANCE_COUNT", "Value": 1}: LinearStepSize goes only with Type LINEAR']),
    ("invalid-rolling-batch-over-half", ['DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value: 60: a rolling batch must be 5-50% of the instance count (60%)']),
    ("invalid-rolling-batch-under-five-percent", ['DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value: 4: a rolling batch must be 5-50% of the instance count (4%)']),
    ("invalid-rolling-with-two-variants", ['DeploymentConfig.RollingUpdatePolicy: (2 production variants): rolling updates need exactly one production variant (found 2)']),
    ("invalid-rolling-serverless", ['DeploymentConfig.RollingUpdatePolicy: (serverless): rolling updates do not support serverless variants (ProductionVariants[0])']),
    ("invalid-two-update-policies", ['DeploymentConfig: (BlueGreenUpdatePolicy, RollingUpdatePolicy): give one update policy only: BlueGreenUpdatePolicy or RollingUpdatePolicy']),
    ("invalid-nine-extra-alarms", ['DeploymentConfig.AutoRollbackConfiguration.Alarms: (9 item(s)): at most 8 extra alarms: SageMaker allows 10 and the stage adds its own 2']),
    ("invalid-duplicate-extra-alarm", ['DeploymentConfig.AutoRollbackConfiguration.Alarms[1].AlarmName: "x": alarm listed twice']),
    ("invalid-variant-name-underscore", ['ProductionVariants[0].VariantName: "all_traffic": must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$']),
    ("invalid-negative-weight", ['ProductionVariants[0].InitialVariantWeight: -1: must be >= 0']),
    ("invalid-all-weights-zero", ['ProductionVariants[*].InitialVariantWeight: 0: at least one production variant needs an InitialVariantWeight above 0']),
    ("invalid-duplicate-variant-names", ['ProductionVariants[1].VariantName: "A": variant names must be unique across production and shadow variants']),
    ("invalid-eleven-variants", ['ProductionVariants: 11 item(s): allows at most 10 item(s)']),
    ("invalid-shadow-beside-two-variants", ['ShadowProductionVariants: (1 item(s)): a shadow variant needs exactly one production variant (found 2)']),
    ("invalid-two-shadow-variants", ['ShadowProductionVariants: 2 item(s): allows at most 1 item(s)']),
    ("invalid-instances-and-serverless", ['ProductionVariants[0]: (InitialInstanceCount, InstanceType, ServerlessConfig): give InstanceType and InitialInstanceCount, or ServerlessConfig (exactly one of the two)']),
    ("invalid-instance-type-without-count", ['ProductionVariants[0]: (InstanceType): give InstanceType and InitialInstanceCount, or ServerlessConfig (exactly one of the two)']),
    ("invalid-serverless-memory-not-multiple", ['ProductionVariants[0].ServerlessConfig.MemorySizeInMB: 1500: must be one of 1024, 2048, 3072, 4096, 5120, 6144']),
    ("invalid-serverless-concurrency-over-200", ['ProductionVariants[0].ServerlessConfig.MaxConcurrency: 201: must be <= 200']),
    ("invalid-instance-count-size-on-serverless", ['DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Type: "INSTANCE_COUNT": INSTANCE_COUNT sizes need instance-based variants; ProductionVariants[0] is serverless']),
    ("invalid-wait-interval-over-hour", ['DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds: 3601: must be <= 3600']),
    ("invalid-termination-wait-over-hour", ['DeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds: 4000: must be <= 3600']),
    ("invalid-timeout-under-600", ['DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds: 500: must be >= 600']),
    ("invalid-timeout-shorter-than-waits", ["DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds: 1500: must exceed the schedule's waits (1200 s) plus provisioning (300 s) = 1500 s"]),
    ("invalid-traffic-type", ['DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type: "BLUE_GREEN": must be one of "ALL_AT_ONCE", "CANARY", "LINEAR"']),
    ("invalid-capacity-size-zero", ['DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value: 0: must be >= 1']),
    ("invalid-model-version-word", ['ProductionVariants[0].ModelVersion: "newest": must be latest, previous, live or a model package version number >= 1']),
    ("invalid-unknown-field", ['DeploymentConfiguration: {}: unknown field (see the schema: python -m deploy schema)']),
    ("invalid-missing-alarms", ['Alarms: missing: required']),
    ("invalid-alarm-period-45", ['Alarms.ModelLatency.Period: 45: must be 10, 30 or a multiple of 60 seconds']),
    ("invalid-alarm-window-over-a-day", ['Alarms.Invocation5XXErrors.EvaluationPeriods: 25: Period x EvaluationPeriods must not exceed one day (86400 s)']),
    ("invalid-latency-threshold-zero", ['Alarms.ModelLatency.ThresholdMicroseconds: 0: must be > 0']),
    ("invalid-sampling-over-100", ['DataCapture.InitialSamplingPercentage: 101: must be <= 100']),
    ("invalid-autoscaling-max-below-min", ['AutoScaling.MaxCapacity: 2: must be >= MinCapacity (4)']),
    ("invalid-autoscaling-count-outside-range", ['ProductionVariants[0].InitialInstanceCount: 3: must lie between AutoScaling.MinCapacity and MaxCapacity (4-8)']),
    ("invalid-monitoring-without-capture", ['DataCapture: (absent): data-quality monitoring needs DataCapture with InitialSamplingPercentage above 0']),
    ("invalid-monitoring-schedule-not-cron", ['Monitoring.DataQuality.ScheduleExpression: "hourly": must match ^cron\\(.+\\)$']),
    ("invalid-stage-test-tolerance-over-one", ['StageTest.VariantShareTolerance: 1.5: must be <= 1']),
    # Guardrails that can trip (deploy/guardrail_rules.py): every bake must hold every watched alarm's window.
    ("invalid-latency-window-longer-than-termination-wait", [  # the staging config once shipped (a 60 s bake)
        "DeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds: 60: alarm Alarms.Invocation5XXErrors needs its window Period 60 s x EvaluationPeriods 1 plus "
        "CloudWatch's 60 s ingestion delay = 120 s to reach ALARM, longer than this 60 s bake (all traffic on green) it must "
        "fit in: it cannot roll the update back there; bake at least 120 s or shorten the alarm's window",
        "DeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds: 60: alarm Alarms.ModelLatency needs its "
        "window Period 60 s x EvaluationPeriods 2 plus CloudWatch's 60 s ingestion delay = 180 s to reach ALARM, longer "
        "than this 60 s bake (all traffic on green) it must fit in: it cannot roll the update back there; bake at least "
        "180 s or shorten the alarm's window"]),
    ("invalid-canary-bake-shorter-than-latency-window", [
        f"{TRAFFIC}.WaitIntervalInSeconds: 120: alarm Alarms.ModelLatency needs its window Period 60 s x "
        "EvaluationPeriods 3 plus CloudWatch's 60 s ingestion delay = 240 s to reach ALARM, longer than this 120 s bake "
        "(canary) it must fit in: it cannot roll the update back there; bake at least 240 s or shorten the alarm's window"]),
    ("invalid-rolling-batch-bake-shorter-than-latency-window", [
        "DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds: 60: alarm Alarms.Invocation5XXErrors needs its window Period 60 s x EvaluationPeriods 1 plus "
        "CloudWatch's 60 s ingestion delay = 120 s to reach ALARM, longer than this 60 s bake (batch 1/4 and 3 more step(s) with this wait) it must "
        "fit in: it cannot roll the update back there; bake at least 120 s or shorten the alarm's window",
        "DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds: 60: alarm Alarms.ModelLatency needs its window "
        "Period 60 s x EvaluationPeriods 3 plus CloudWatch's 60 s ingestion delay = 240 s to reach ALARM, longer than "
        "this 60 s bake (batch 1/4 and 3 more step(s) with this wait) it must fit in: it cannot roll the update back "
        "there; bake at least 240 s or shorten the alarm's window"]),
    ("invalid-all-at-once-without-bake", [
        f"DeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds: 0: alarm Alarms.{name} needs its window "
        f"Period 60 s x EvaluationPeriods {periods} plus CloudWatch's 60 s ingestion delay = {needed} s to reach ALARM, "
        f"longer than this 0 s bake (all traffic on green) it must fit in: it cannot roll the update back there; bake "
        f"at least {needed} s or shorten the alarm's window"
        for name, periods, needed in (("Invocation5XXErrors", 1, 120), ("ModelLatency", 3, 240))]),
    ("invalid-extra-alarm-window-longer-than-bakes", [
        f"{field}: 600: alarm DeploymentConfig.AutoRollbackConfiguration.Alarms[0] (abalone-prod-error-rate) needs "
        f"its window Period 300 s x EvaluationPeriods 3 plus CloudWatch's 60 s ingestion delay = 960 s to reach ALARM, "
        f"longer than this 600 s bake ({step}) it must fit in: it cannot roll the update back there; bake at least "
        "960 s or shorten the alarm's window"
        for field, step in ((f"{TRAFFIC}.WaitIntervalInSeconds", "canary"),
                            ("DeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds", "all traffic on green"))]),
    ("invalid-extra-alarm-period-without-evaluation-periods", [
        "DeploymentConfig.AutoRollbackConfiguration.Alarms[0].Period: 60: give Period and EvaluationPeriods together "
        "(the alarm's window), or neither"]),
    ("invalid-latency-threshold-beyond-invocation-timeout", [
        "Alarms.ModelLatency.ThresholdMicroseconds: 60000000: an average ModelLatency cannot exceed the 60 s a model "
        "has to answer (InvokeEndpoint): the alarm can never fire; use a threshold below 60000000 microseconds"]),
    # Inference components (deploy/inference_components.py, deploy/strategies/component_rolling.py).
    ('invalid-ic-batch-in-instances', ["DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Type: \"INSTANCE_COUNT\": inference components update by copies: use COPY_COUNT or CAPACITY_PERCENT"]),
    ('invalid-ic-blue-green-policy', ["DeploymentConfig.BlueGreenUpdatePolicy: (present): inference components update by RollingUpdatePolicy only (InferenceComponentDeploymentConfig)"]),
    ('invalid-ic-copies-do-not-fit-the-variant', ["InferenceComponents[0].RuntimeConfig.CopyCount: 6: 6 copies need 3 instance(s) of ml.m5.large (2 per instance, limited by cores), more than the variant's 2 (ManagedInstanceScaling.MaxInstanceCount)"]),
    ('invalid-ic-copy-bake-shorter-than-latency-window', [
        "DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds: 60: alarm Alarms.Invocation5XXErrors needs its window Period 60 s x EvaluationPeriods 1 plus "
        "CloudWatch's 60 s ingestion delay = 120 s to reach ALARM, longer than this 60 s bake (copy batch 1/2 and 1 more step(s) with this wait) it must "
        "fit in: it cannot roll the update back there; bake at least 120 s or shorten the alarm's window",
        "DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds: 60: alarm Alarms.ModelLatency needs its window Period 60 s x EvaluationPeriods 2 plus CloudWatch's 60 s ingestion delay = 180 s to reach ALARM, longer than this 60 s bake (copy batch 1/2 and 1 more step(s) with this wait) it must fit in: it cannot roll the update back there; bake at least 180 s or shorten the alarm's window"]),
    ('invalid-ic-copy-batch-over-half', ["DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value: 2: a copy batch must be 5-50% of the copy count (2 of model's 2 copies is 100%)"]),
    ('invalid-ic-cores-exceed-instance', ["InferenceComponents[0].ComputeResourceRequirements.NumberOfCpuCoresRequired: 4: one copy needs more cores than a ml.m5.large has (2 vCPUs)"]),
    ('invalid-ic-on-serverless-variant', ["ProductionVariants[0].ServerlessConfig: (serverless): inference components run on instance-based variants only; ProductionVariants[0] is serverless"]),
    ('invalid-ic-unknown-instance-type', ["InferenceComponents[0].VariantName: \"AllTraffic\": its InstanceType ml.p5.48xlarge is not in deploy/instance_types.json, so what one copy needs cannot be checked against it: add the type with its vCPUs and memory (and their source)"]),
    ('invalid-ic-unknown-variant', ["InferenceComponents[0].VariantName: \"Other\": names no production variant (known: AllTraffic)"]),
    ('invalid-ic-variant-names-a-model', ["ProductionVariants[0].ModelVersion: \"latest\": its inference components carry the model: a variant that hosts them names no model"]),
    ('invalid-ic-zero-copies-scaling-without-scale-to-zero', ["AutoScaling.MinCapacity: 0: 0 copies need InferenceComponents[0]'s variant to scale to zero (ManagedInstanceScaling Status ENABLED, MinInstanceCount 0)"]),
    ('invalid-ic-zero-copies-without-scale-to-zero', ["InferenceComponents[0].RuntimeConfig.CopyCount: 0: 0 copies only where the variant may scale to zero (ManagedInstanceScaling Status ENABLED, MinInstanceCount 0)"]),
    # InferenceComponentName = <endpoint>-<ComponentName>, at most 63 characters (botocore's sagemaker model);
    # the shortest endpoint name any project gets is p-prod (mlops_guardrails.deploy.stage_names): 7 + 57 = 64.
    ("invalid-ic-component-name-fits-no-endpoint", [
        f'InferenceComponents[0].ComponentName: "{"m" * 57}": InferenceComponentName <endpoint>-<ComponentName> would '
        "be 64 characters with even the shortest endpoint name a project gets, p-prod, over SageMaker's limit of 63: "
        "keep ComponentName to at most 56 characters"]),
    # Field limits of CreateInferenceComponent in botocore's sagemaker model (patterns and minimums).
    ("invalid-ic-component-name-underscore", ['InferenceComponents[0].ComponentName: "my_model": must match ^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$']),
    ("invalid-ic-negative-copy-count", ["InferenceComponents[0].RuntimeConfig.CopyCount: -1: must be >= 0"]),
    ("invalid-ic-cores-under-a-quarter", ["InferenceComponents[0].ComputeResourceRequirements.NumberOfCpuCoresRequired: 0.1: must be >= 0.25"]),
    ("invalid-ic-memory-under-128-mb", ["InferenceComponents[0].ComputeResourceRequirements.MinMemoryRequiredInMb: 64: must be >= 128"]),
    ("invalid-ic-max-memory-under-128-mb", ["InferenceComponents[0].ComputeResourceRequirements.MaxMemoryRequiredInMb: 100: must be >= 128"]),
    ("invalid-ic-max-memory-below-min", ["InferenceComponents[0].ComputeResourceRequirements.MaxMemoryRequiredInMb: 512: must be >= MinMemoryRequiredInMb (1024)"]),
    ("invalid-ic-memory-exceeds-instance", ["InferenceComponents[0].ComputeResourceRequirements.MinMemoryRequiredInMb: 16384: one copy needs more memory than a ml.m5.large has (8192 MiB)"]),
    ("invalid-ic-wait-interval-over-hour", ["DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds: 3601: must be <= 3600"]),
    ("invalid-ic-timeout-over-eight-hours", ["DeploymentConfig.RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds: 28801: must be <= 28800"]),
    ("invalid-ic-scaling-max-instances-zero", ["ProductionVariants[0].ManagedInstanceScaling.MaxInstanceCount: 0: must be >= 1"]),
    ("invalid-ic-duplicate-component-name", ['InferenceComponents[1].ComponentName: "my-model": component names must be unique']),
    # Names that meet in one resource id of the rendered template (mlops_guardrails.deploy.config_rules.check_resource_ids).
    ("invalid-ic-names-differ-only-by-hyphen", [same_id(
        "InferenceComponents[1].ComponentName", "mymodel", 'InferenceComponents[0].ComponentName "my-model"',
        "<Stage>mymodelInferenceComponent")]),
    # Model, ScalableTarget and ScalingPolicy all meet: one problem per pair of names.
    ("invalid-variant-names-differ-only-by-hyphen", [same_id(
        "ProductionVariants[1].VariantName", "ab", 'ProductionVariants[0].VariantName "a-b"', "<Stage>abModel")]),
    ("invalid-shadow-name-differs-only-by-hyphen", [same_id(
        "ShadowProductionVariants[0].VariantName", "All-Traffic", 'ProductionVariants[0].VariantName "AllTraffic"',
        "<Stage>AllTrafficModel")]),
    # No hyphen: the variant's <name>Model is the component's <name>ComponentModel.
    ("invalid-variant-name-meets-component-model-id", [
        'ProductionVariants[0].ModelVersion: "latest": its inference components carry the model: a variant that hosts '
        "them names no model",
        same_id("InferenceComponents[0].ComponentName", "model", 'ProductionVariants[0].VariantName "modelComponent"',
                "<Stage>modelComponentModel")]),
    # The inference-component rules in code (deploy/inference_components.py, strategies/component_rolling.py).
    ("invalid-ic-instance-count-outside-managed-scaling", ["ProductionVariants[0].InitialInstanceCount: 3: must lie between ManagedInstanceScaling.MinInstanceCount and MaxInstanceCount (1-2)"]),
    ("invalid-ic-managed-scaling-max-below-min", ["ProductionVariants[0].ManagedInstanceScaling.MaxInstanceCount: 1: must be >= MinInstanceCount (2)"]),
    ("invalid-ic-copy-batch-under-five-percent", ["DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value: 4: a copy batch must be 5-50% of the copy count (4%)"]),
    ("invalid-ic-rollback-batch-over-copies", ["DeploymentConfig.RollingUpdatePolicy.RollbackMaximumBatchSize.Value: 3: a rollback batch cannot exceed the copy count (3 of model's 2 copies is 150%)"]),
    ("invalid-ic-without-rolling-policy", ["DeploymentConfig.RollingUpdatePolicy: (missing): required with InferenceComponents: the components' rolling update in copies"]),
    ("invalid-ic-live-model-version", ['InferenceComponents[0].ModelVersion: "live": live reads a production variant\'s model; for a component give latest, previous or a version number']),
    ("invalid-ic-beside-shadow-variant", ["ShadowProductionVariants: (1 item(s)): this template does not render shadow variants beside inference components"]),
    ('invalid-scale-to-zero-without-components', ["ProductionVariants[0].ManagedInstanceScaling.MinInstanceCount: 0: scaling to zero instances needs InferenceComponents on the endpoint"]),
]

# fixture file -> the exact warnings of a valid config (SageMaker accepts it; the guardrail is weaker than it looks).
WARNINGS = [
    ("warn-canary-percent-rounds-up-to-a-third", [
        f"{TRAFFIC}.CanarySize.Value: 10: 10% of AllTraffic's 3 instance(s) rounds up to 1 instance(s): the canary "
        "takes 33% of AllTraffic's traffic, not 10%"]),
    ("warn-extra-5xx-alarm-on-whole-endpoint", [
        'DeploymentConfig.AutoRollbackConfiguration.Alarms[0].Dimensions: ["EndpointName", "VariantName"]: watches '
        "the whole endpoint (dimensions EndpointName + VariantName): the old fleet's errors count too, so it can roll "
        "back a good update and dilutes the new fleet's; add the dimension EndpointConfigName to watch only the new "
        "fleet"]),
]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_is_valid(name):
    assert validate_config(read_config(SEED / name)) == []
    assert config_warnings(read_config(SEED / name)) == []


def test_every_warning_fixture_has_a_case():
    assert sorted(p.stem for p in FIXTURES.glob("warn-*.json")) == sorted(name for name, _ in WARNINGS)


@pytest.mark.parametrize(("name", "warnings"), WARNINGS, ids=[name for name, _ in WARNINGS])
def test_warning_config_is_valid_and_warns_with_field_value_and_rule(name, warnings):
    config = read_config(FIXTURES / f"{name}.json")
    assert (validate_config(config), config_warnings(config)) == ([], warnings)


def test_extra_5xx_alarm_on_the_new_fleet_with_a_fitting_window_is_valid_without_warnings():
    config = read_config(FIXTURES / "valid-extra-5xx-alarm-on-new-fleet.json")
    assert (validate_config(config), config_warnings(config)) == ([], [])


def test_canary_percent_that_rounds_to_its_own_share_does_not_warn():
    config = read_config(FIXTURES / "warn-canary-percent-rounds-up-to-a-third.json")
    config["ProductionVariants"][0]["InitialInstanceCount"] = 10
    config["AutoScaling"] = {"MinCapacity": 10, "MaxCapacity": 10, "TargetInvocationsPerInstance": 5}
    assert (validate_config(config), config_warnings(config)) == ([], [])


def test_validate_cli_prints_warnings_and_exits_0(capsys):
    path = FIXTURES / "warn-canary-percent-rounds-up-to-a-third.json"
    assert cli.main(["validate", str(path)]) == 0
    out = capsys.readouterr()
    assert out.err == f"{path}: warning: {WARNINGS[0][1][0]}\n" and out.out == f"{path}: valid\n"


def test_old_staging_config_exits_2_naming_alarm_window_and_bake(capsys):
    path = FIXTURES / "invalid-latency-window-longer-than-termination-wait.json"
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Alarms.ModelLatency" in err and "EvaluationPeriods 2 plus CloudWatch's 60 s ingestion delay = 180 s" in err
    assert "60 s bake" in err


def test_every_invalid_fixture_has_a_case():
    assert sorted(p.stem for p in FIXTURES.glob("invalid-*.json")) == sorted(name for name, _ in INVALID)


@pytest.mark.parametrize(("name", "problems"), INVALID, ids=[name for name, _ in INVALID])
def test_invalid_config_reports_field_value_and_rule(name, problems):
    assert validate_config(read_config(FIXTURES / f"{name}.json")) == problems


def test_validate_collects_every_schema_problem_at_once():
    config = read_config(SEED / "staging-config.json")
    config["ProductionVariants"][0]["InitialInstanceCount"] = 0
    config["DataCapture"]["InitialSamplingPercentage"] = -5
    config["Colour"] = "blue"
    assert validate_config(config) == [
        'Colour: "blue": unknown field (see the schema: python -m deploy schema)',
        "DataCapture.InitialSamplingPercentage: -5: must be >= 0",
        "ProductionVariants[0].InitialInstanceCount: 0: must be >= 1",
    ]


def test_rollback_batch_larger_than_fleet_is_refused():
    config = read_config(FIXTURES / "invalid-rolling-batch-over-half.json")
    config["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"] = {"Type": "INSTANCE_COUNT", "Value": 1}
    config["DeploymentConfig"]["RollingUpdatePolicy"]["RollbackMaximumBatchSize"] = {"Type": "INSTANCE_COUNT", "Value": 4}
    assert validate_config(config) == [
        "DeploymentConfig.RollingUpdatePolicy.RollbackMaximumBatchSize.Value: 4: a rollback batch cannot exceed the "
        "instance count (4 of AllTraffic's 3 instance(s) is 133%)"]


def test_copies_that_do_not_fit_name_initial_instance_count_when_managed_scaling_is_disabled():
    config = read_config(FIXTURES / "invalid-ic-copies-do-not-fit-the-variant.json")
    config["ProductionVariants"][0]["ManagedInstanceScaling"]["Status"] = "DISABLED"
    assert validate_config(config) == [
        "InferenceComponents[0].RuntimeConfig.CopyCount: 6: 6 copies need 3 instance(s) of ml.m5.large (2 per "
        "instance, limited by cores), more than the variant's 1 (InitialInstanceCount)"]


def test_timeout_check_uses_the_rehearsed_schedule_per_variant():
    # Two variants of 4 and 2 instances, LINEAR 1 instance a step: 4 steps (the larger variant), 3 bakes of
    # 300 s between them, the 300 s termination wait last, one 300 s provisioning: 1500 s needed.
    config = read_config(SEED / "examples/linear.json")
    config["ProductionVariants"].append({**config["ProductionVariants"][0], "VariantName": "B", "InitialInstanceCount": 2})
    config["DeploymentConfig"]["BlueGreenUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 1500
    assert validate_config(config) == [
        "DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds: 1500: must exceed the schedule's "
        "waits (1200 s) plus provisioning (300 s) = 1500 s"]
    config["DeploymentConfig"]["BlueGreenUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 1501
    assert validate_config(config) == []


def test_load_stage_config_raises_with_every_problem_on_its_own_line():
    with pytest.raises(InputError) as raised:
        load_stage_config(FIXTURES / "invalid-two-update-policies.json")
    lines = str(raised.value).splitlines()
    assert lines[0].endswith("invalid-two-update-policies.json is not a valid stage config:")
    assert lines[1].startswith("DeploymentConfig: (BlueGreenUpdatePolicy, RollingUpdatePolicy): give one update")


def test_validate_cli_valid_files_exit_0(capsys):
    assert cli.main(["validate", *(str(SEED / name) for name in SHIPPED)]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.count(": valid\n") == len(SHIPPED)


def test_validate_cli_invalid_file_exits_2_with_one_problem_per_line(capsys):
    bad = FIXTURES / "invalid-timeout-shorter-than-waits.json"
    assert cli.main(["validate", str(SEED / "staging-config.json"), str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"{bad}: DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds: 1500: must exceed "
                   "the schedule's waits (1200 s) plus provisioning (300 s) = 1500 s"]


def test_validate_cli_not_json_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    assert cli.main(["validate", str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_validate_cli_missing_file_exits_2(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope.json")]) == 2
    assert "nope.json: No such file or directory: cannot be read" in capsys.readouterr().err


def test_schema_descriptions_document_every_top_level_field():
    schema = json.loads(stage_config.SCHEMA_PATH.read_text())
    undocumented = [key for key, value in schema["properties"].items() if key != "$schema" and "description" not in value]
    assert undocumented == []


def test_component_name_that_fills_the_shortest_endpoint_name_exactly_is_valid():
    config = read_config(FIXTURES / "invalid-ic-component-name-fits-no-endpoint.json")
    config["InferenceComponents"][0]["ComponentName"] = "m" * 56  # p-prod- + 56 = 63
    assert validate_config(config) == []


def test_component_name_against_a_stage_endpoint_name_names_its_length_and_room():
    config = read_config(SEED / "examples/inference-components.json")
    config["InferenceComponents"][0]["ComponentName"] = "c" * 23
    endpoint = "p" * 32 + "-staging"  # the longest project name (ProjectEntityName, 32) and stage: 40 characters
    assert inference_components.check_names(config["InferenceComponents"], endpoint) == [
        f'InferenceComponents[0].ComponentName: "{"c" * 23}": InferenceComponentName <endpoint>-<ComponentName> would '
        f"be 64 characters with the stage's endpoint name {endpoint}, over SageMaker's limit of 63: keep ComponentName "
        "to at most 22 characters"]
    config["InferenceComponents"][0]["ComponentName"] = "c" * 22
    assert inference_components.check_names(config["InferenceComponents"], endpoint) == []


def test_schema_command_prints_the_schema_the_validator_uses(tmp_path, capsys):
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == stage_config.schema()
    assert cli.main(["schema", "--output", str(tmp_path / "config.schema.json")]) == 0
    assert json.loads((tmp_path / "config.schema.json").read_text()) == stage_config.schema()


def test_schema_command_into_a_missing_folder_is_refused_naming_the_path(tmp_path, capsys):
    target = tmp_path / "no-such-folder" / "schema.json"
    assert cli.main(["schema", "--output", str(target)]) == 2
    assert capsys.readouterr().err == f"error: {target}: No such file or directory: check the path\n"
