"""SageMaker's rules that a JSON Schema cannot express, each problem as `<field.path>: <value>: <rule>`."""
from mlops_guardrails.deploy import guardrail_rules, inference_components, strategies, template_render
from mlops_guardrails.deploy.problems import problem, show
from mlops_guardrails.deploy.strategies.base import is_serverless, production

# The messages, named so tests and docs can point at them.
DUPLICATE_VARIANT_NAME = "variant names must be unique across production and shadow variants"
INSTANCES_OR_SERVERLESS = "give InstanceType and InitialInstanceCount, or ServerlessConfig (exactly one of the two)"
ALL_WEIGHTS_ZERO = "at least one production variant needs an InitialVariantWeight above 0"
SHADOW_NEEDS_ONE_PRODUCTION = "a shadow variant needs exactly one production variant (found {count})"
TOO_MANY_ALARMS = "at most {limit} extra alarms: SageMaker allows 10 and the stage adds its own 2"
DUPLICATE_ALARM = "alarm listed twice"
TIMEOUT_TOO_SHORT = (
    "must exceed the schedule's waits ({waits} s) plus provisioning ({provisioning} s) = {needed} s"
)
SCHEDULE_OVER_LIMIT = "absent, but the schedule needs {needed} s, more than SageMaker's limit of 28800 s"
ALARM_PERIOD = "must be 10, 30 or a multiple of 60 seconds"
ALARM_WINDOW = "Period x EvaluationPeriods must not exceed one day (86400 s)"
SCALING_MAX_BELOW_MIN = "must be >= MinCapacity ({minimum})"
SCALING_COUNT_OUTSIDE = "must lie between AutoScaling.MinCapacity and MaxCapacity ({minimum}-{maximum})"
SCALING_NEEDS_INSTANCES = "autoscaling needs instance-based variants; {variant} is serverless"
SCALING_ZERO_NEEDS_COMPONENTS = "0 instances only for inference components' copies (scale to zero)"
SCALING_ZERO_NEEDS_SCALE_TO_ZERO = ("0 copies need {path}'s variant to scale to zero "
                                    "(ManagedInstanceScaling Status ENABLED, MinInstanceCount 0)")
SAME_RESOURCE_ID = ("gives the same template resource id as {other}: both would be {logical_id} (an id is <Stage>, "
                    "the name without '-', the resource's kind); rename one")
MONITORING_NEEDS_CAPTURE = "data-quality monitoring needs DataCapture with InitialSamplingPercentage above 0"

EXTRA_ALARM_LIMIT = 8
MAX_EXECUTION_LIMIT = strategies.DEFAULT_TIMEOUT_SECONDS


def all_variants(config: dict) -> list[tuple[str, dict]]:
    """(path, variant) for every production and shadow variant."""
    found = [(f"ProductionVariants[{i}]", v) for i, v in enumerate(config["ProductionVariants"])]
    found += [(f"ShadowProductionVariants[{i}]", v) for i, v in enumerate(config.get("ShadowProductionVariants", []))]
    return found


def check_variants(config: dict) -> list[str]:
    problems, seen = [], set()
    for path, variant in all_variants(config):
        name = variant["VariantName"]
        if name in seen:
            problems.append(problem(f"{path}.VariantName", name, DUPLICATE_VARIANT_NAME))
        seen.add(name)
        has_instances = "InstanceType" in variant and "InitialInstanceCount" in variant
        has_any_instance_field = "InstanceType" in variant or "InitialInstanceCount" in variant
        if is_serverless(variant) == has_any_instance_field or not (has_instances or is_serverless(variant)):
            fields = sorted(k for k in variant if k in ("InstanceType", "InitialInstanceCount", "ServerlessConfig"))
            problems.append(problem(path, f"({', '.join(fields) or 'no capacity fields'})", INSTANCES_OR_SERVERLESS))
    weights = [v.get("InitialVariantWeight", 1.0) for v in config["ProductionVariants"]]
    if all(weight == 0 for weight in weights):
        problems.append(problem("ProductionVariants[*].InitialVariantWeight", 0, ALL_WEIGHTS_ZERO))
    shadows = config.get("ShadowProductionVariants", [])
    if shadows and len(config["ProductionVariants"]) != 1:
        count = len(config["ProductionVariants"])
        problems.append(problem("ShadowProductionVariants", f"({len(shadows)} item(s))",
                                SHADOW_NEEDS_ONE_PRODUCTION.format(count=count)))
    return problems


def check_timeout(config: dict) -> list[str]:
    deployment = config["DeploymentConfig"]
    name = "RollingUpdatePolicy" if "RollingUpdatePolicy" in deployment else "BlueGreenUpdatePolicy"
    if name not in deployment:
        return []
    # The schedule the rehearsal runs and the plan draws, so a config that validates never times out there.
    schedule = strategies.plan_for(config)
    waits = round(schedule.waits)
    provisioning = schedule.provisioning_rounds * strategies.PROVISIONING_ALLOWANCE_SECONDS
    needed = waits + provisioning
    path = f"DeploymentConfig.{name}.MaximumExecutionTimeoutInSeconds"
    timeout = deployment[name].get("MaximumExecutionTimeoutInSeconds")
    if timeout is None:
        return [problem(path, "(absent)", SCHEDULE_OVER_LIMIT.format(needed=needed))] if needed > MAX_EXECUTION_LIMIT else []
    if timeout <= needed:
        return [problem(path, timeout, TIMEOUT_TOO_SHORT.format(waits=waits, provisioning=provisioning, needed=needed))]
    return []


def check_resource_ids(config: dict) -> list[str]:
    """Two different names (variants, shadow variants, components alike) must not meet in one resource id of
    the rendered template: the later one is refused, once, naming the earlier. Equal names are the duplicate rules'."""
    problems, owner, reported = [], {}, set()
    for path, name, logical_id in template_render.named_resource_ids("", config):
        first = owner.setdefault(logical_id, (path, name))
        if first[1] != name and (path, first[0]) not in reported:
            reported.add((path, first[0]))
            problems.append(problem(path, name, SAME_RESOURCE_ID.format(
                other=f"{first[0]} {show(first[1])}", logical_id=f"<Stage>{logical_id}")))
    return problems


def check_deployment(config: dict) -> list[str]:
    problems = strategies.check(config)  # the strategy's own rules live in its module
    alarms, path = guardrail_rules.extra_alarms(config), guardrail_rules.EXTRA_ALARMS
    if len(alarms) > EXTRA_ALARM_LIMIT:
        problems.append(problem(path, f"({len(alarms)} item(s))", TOO_MANY_ALARMS.format(limit=EXTRA_ALARM_LIMIT)))
    names = [alarm["AlarmName"] for alarm in alarms]
    problems += [problem(f"{path}[{i}].AlarmName", n, DUPLICATE_ALARM) for i, n in enumerate(names) if n in names[:i]]
    # The timeout is measured against the schedule: only once the strategy's rules hold.
    return problems or check_timeout(config)


def check_alarms(config: dict) -> list[str]:
    """CloudWatch's limits on every alarm window the config gives: the stage's own and the extra ones'."""
    windows = [(f"Alarms.{name}", alarm) for name, alarm in config["Alarms"].items()]
    extra = guardrail_rules.extra_alarms(config)
    windows += [(f"{guardrail_rules.EXTRA_ALARMS}[{i}]", alarm) for i, alarm in enumerate(extra)
                if "Period" in alarm and "EvaluationPeriods" in alarm]
    problems = []
    for path, alarm in windows:
        period = alarm["Period"]
        if period not in (10, 30) and period % 60:
            problems.append(problem(f"{path}.Period", period, ALARM_PERIOD))
        if period * alarm["EvaluationPeriods"] > 86400:
            problems.append(problem(f"{path}.EvaluationPeriods", alarm["EvaluationPeriods"], ALARM_WINDOW))
    return problems


def check_scaling(config: dict) -> list[str]:
    scaling = config.get("AutoScaling")
    if not scaling:
        return []
    low, high = scaling["MinCapacity"], scaling["MaxCapacity"]
    if high < low:
        return [problem("AutoScaling.MaxCapacity", high, SCALING_MAX_BELOW_MIN.format(minimum=low))]
    if inference_components.uses_components(config):
        return check_component_scaling(config, low, high)
    if low == 0:
        return [problem("AutoScaling.MinCapacity", 0, SCALING_ZERO_NEEDS_COMPONENTS)]
    problems = []
    for path, variant in production(config):
        if is_serverless(variant):
            problems.append(problem(f"{path}.ServerlessConfig", "(serverless)", SCALING_NEEDS_INSTANCES.format(variant=path)))
        elif not low <= variant["InitialInstanceCount"] <= high:
            problems.append(problem(f"{path}.InitialInstanceCount", variant["InitialInstanceCount"],
                                    SCALING_COUNT_OUTSIDE.format(minimum=low, maximum=high)))
    return problems


def check_component_scaling(config: dict, low: int, high: int) -> list[str]:
    """With inference components AutoScaling scales each component's copies (sagemaker:inference-component:
    DesiredCopyCount); MinCapacity 0 only where the component's variant may scale to zero."""
    variants = {v["VariantName"]: v for v in config["ProductionVariants"]}
    problems = []
    for i, component in enumerate(config["InferenceComponents"]):
        copies, path = component["RuntimeConfig"]["CopyCount"], f"InferenceComponents[{i}]"
        if low == 0 and not inference_components.scales_to_zero(variants.get(component["VariantName"], {})):
            problems.append(problem("AutoScaling.MinCapacity", 0, SCALING_ZERO_NEEDS_SCALE_TO_ZERO.format(path=path)))
        if not low <= copies <= high:
            problems.append(problem(f"{path}.RuntimeConfig.CopyCount", copies,
                                    SCALING_COUNT_OUTSIDE.format(minimum=low, maximum=high)))
    return problems


def check_monitoring(config: dict) -> list[str]:
    if "Monitoring" not in config:
        return []
    sampling = config.get("DataCapture", {}).get("InitialSamplingPercentage", 0)
    if sampling > 0:
        return []
    value = sampling if "DataCapture" in config else "(absent)"
    return [problem("DataCapture.InitialSamplingPercentage" if "DataCapture" in config else "DataCapture", value,
                    MONITORING_NEEDS_CAPTURE)]


def check(config: dict) -> list[str]:
    """Every rule problem of a schema-valid config."""
    variant_problems = check_variants(config) + inference_components.check(config) + check_resource_ids(config)
    # Sizes are measured against instance counts: only meaningful once the variants are sound.
    deployment_problems = [] if variant_problems else check_deployment(config)
    alarm_problems = check_alarms(config)
    problems = (variant_problems + deployment_problems + alarm_problems + check_scaling(config)
                + check_monitoring(config))
    # Whether the alarms can trip is measured against the schedule and sound alarm windows.
    sound = not (variant_problems or deployment_problems or alarm_problems)
    return problems + (guardrail_rules.check(config) if sound else [])
