"""SageMaker's rules that a JSON Schema cannot express, each problem as `<field.path>: <value>: <rule>`."""
import json

from deploy import capacity, strategies
from deploy.capacity import PERCENT_OVER_100

# The messages, named so tests and docs can point at them.
DUPLICATE_VARIANT_NAME = "variant names must be unique across production and shadow variants"
INSTANCES_OR_SERVERLESS = "give InstanceType and InitialInstanceCount, or ServerlessConfig (exactly one of the two)"
ALL_WEIGHTS_ZERO = "at least one production variant needs an InitialVariantWeight above 0"
SHADOW_NEEDS_ONE_PRODUCTION = "a shadow variant needs exactly one production variant (found {count})"
ONE_UPDATE_POLICY = "give one update policy only: BlueGreenUpdatePolicy or RollingUpdatePolicy"
SIZE_REQUIRED = "required when Type is {type}"
SIZE_NOT_ALLOWED = "{field} goes only with Type {type}"
CANARY_OVER_HALF = "a canary must be at most 50% of the instance count ({detail})"
LINEAR_OUT_OF_RANGE = "a linear step must be 10-50% of the instance count ({detail})"
ROLLING_BATCH_OUT_OF_RANGE = "a rolling batch must be 5-50% of the instance count ({detail})"
ROLLBACK_BATCH_OVER_COUNT = "a rollback batch cannot exceed the instance count ({detail})"
INSTANCE_COUNT_NEEDS_INSTANCES = "INSTANCE_COUNT sizes need instance-based variants; {variant} is serverless"
ROLLING_ONE_VARIANT = "rolling updates need exactly one production variant (found {count})"
ROLLING_NO_SERVERLESS = "rolling updates do not support serverless variants ({variant})"
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
MONITORING_NEEDS_CAPTURE = "data-quality monitoring needs DataCapture with InitialSamplingPercentage above 0"

EXTRA_ALARM_LIMIT = 8
MAX_EXECUTION_LIMIT = strategies.DEFAULT_TIMEOUT_SECONDS
TRAFFIC_ROUTING = "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration"


def show(value) -> str:
    return json.dumps(value, sort_keys=True)


def problem(path: str, value, rule: str) -> str:
    """One problem line; a value written "(...)" is a description (e.g. "(missing)"), shown as is, not as JSON."""
    return f"{path}: {value if isinstance(value, str) and value.startswith('(') else show(value)}: {rule}"


def is_serverless(variant: dict) -> bool:
    return "ServerlessConfig" in variant


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


def check_size(path: str, size: dict, variants: list[tuple[str, dict]], low: float, high: float, rule: str) -> list[str]:
    """A CapacitySize against every production variant's instance count: share within [low, high] percent."""
    if size["Type"] == "CAPACITY_PERCENT":
        if size["Value"] > 100:
            return [problem(f"{path}.Value", size["Value"], PERCENT_OVER_100)]
        if not low <= size["Value"] <= high:
            return [problem(f"{path}.Value", size["Value"], rule.format(detail=f"{size['Value']}%"))]
        return []
    problems = []
    for variant_path, variant in variants:
        if is_serverless(variant):
            problems.append(problem(f"{path}.Type", size["Type"], INSTANCE_COUNT_NEEDS_INSTANCES.format(variant=variant_path)))
            continue
        count = variant["InitialInstanceCount"]
        share = capacity.share_percent(size, count)
        if not low <= share <= high:
            detail = f"{size['Value']} of {variant['VariantName']}'s {count} instance(s) is {share:.0f}%"
            problems.append(problem(f"{path}.Value", size["Value"], rule.format(detail=detail)))
    return problems


def production(config: dict) -> list[tuple[str, dict]]:
    return [(f"ProductionVariants[{i}]", v) for i, v in enumerate(config["ProductionVariants"])]


def check_blue_green(config: dict, policy: dict) -> list[str]:
    routing = policy["TrafficRoutingConfiguration"]
    kind, problems = routing["Type"], []
    for field, wanted, low, high, rule in (
        ("CanarySize", "CANARY", 0, 50, CANARY_OVER_HALF),
        ("LinearStepSize", "LINEAR", 10, 50, LINEAR_OUT_OF_RANGE),
    ):
        path = f"{TRAFFIC_ROUTING}.{field}"
        if kind == wanted and field not in routing:
            problems.append(problem(path, "(missing)", SIZE_REQUIRED.format(type=wanted)))
        elif kind != wanted and field in routing:
            problems.append(problem(path, routing[field], SIZE_NOT_ALLOWED.format(field=field, type=wanted)))
        elif field in routing:
            problems.extend(check_size(path, routing[field], production(config), low, high, rule))
    return problems


def check_rolling(config: dict, policy: dict) -> list[str]:
    path = "DeploymentConfig.RollingUpdatePolicy"
    variants = production(config)
    if len(variants) != 1:
        return [problem(path, f"({len(variants)} production variants)", ROLLING_ONE_VARIANT.format(count=len(variants)))]
    if is_serverless(variants[0][1]):
        return [problem(path, "(serverless)", ROLLING_NO_SERVERLESS.format(variant=variants[0][0]))]
    problems = check_size(f"{path}.MaximumBatchSize", policy["MaximumBatchSize"], variants, 5, 50, ROLLING_BATCH_OUT_OF_RANGE)
    if "RollbackMaximumBatchSize" in policy:
        problems += check_size(f"{path}.RollbackMaximumBatchSize", policy["RollbackMaximumBatchSize"], variants, 0, 100,
                               ROLLBACK_BATCH_OVER_COUNT)
    return problems


def instance_counts(config: dict) -> dict[str, int]:
    """Instances per production variant; a serverless variant is one unit of capacity."""
    return {v["VariantName"]: v.get("InitialInstanceCount", 1) for v in config["ProductionVariants"]}


def check_timeout(config: dict) -> list[str]:
    deployment = config["DeploymentConfig"]
    name = "RollingUpdatePolicy" if "RollingUpdatePolicy" in deployment else "BlueGreenUpdatePolicy"
    if name not in deployment:
        return []
    # The schedule the rehearsal runs and the plan draws, so a config that validates never times out there.
    schedule = strategies.plan_update(deployment, instance_counts(config))
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


def check_deployment(config: dict) -> list[str]:
    deployment = config["DeploymentConfig"]
    if "BlueGreenUpdatePolicy" in deployment and "RollingUpdatePolicy" in deployment:
        return [problem("DeploymentConfig", "(BlueGreenUpdatePolicy, RollingUpdatePolicy)", ONE_UPDATE_POLICY)]
    problems = []
    if "BlueGreenUpdatePolicy" in deployment:
        problems += check_blue_green(config, deployment["BlueGreenUpdatePolicy"])
    if "RollingUpdatePolicy" in deployment:
        problems += check_rolling(config, deployment["RollingUpdatePolicy"])
    alarms = deployment.get("AutoRollbackConfiguration", {}).get("Alarms", [])
    path = "DeploymentConfig.AutoRollbackConfiguration.Alarms"
    if len(alarms) > EXTRA_ALARM_LIMIT:
        problems.append(problem(path, f"({len(alarms)} item(s))", TOO_MANY_ALARMS.format(limit=EXTRA_ALARM_LIMIT)))
    names = [alarm["AlarmName"] for alarm in alarms]
    problems += [problem(f"{path}[{i}].AlarmName", n, DUPLICATE_ALARM) for i, n in enumerate(names) if n in names[:i]]
    return problems + (check_timeout(config) if not problems else [])


def check_alarms(config: dict) -> list[str]:
    problems = []
    for name, alarm in config["Alarms"].items():
        period = alarm["Period"]
        if period not in (10, 30) and period % 60:
            problems.append(problem(f"Alarms.{name}.Period", period, ALARM_PERIOD))
        if period * alarm["EvaluationPeriods"] > 86400:
            problems.append(problem(f"Alarms.{name}.EvaluationPeriods", alarm["EvaluationPeriods"], ALARM_WINDOW))
    return problems


def check_scaling(config: dict) -> list[str]:
    scaling = config.get("AutoScaling")
    if not scaling:
        return []
    low, high = scaling["MinCapacity"], scaling["MaxCapacity"]
    if high < low:
        return [problem("AutoScaling.MaxCapacity", high, SCALING_MAX_BELOW_MIN.format(minimum=low))]
    problems = []
    for path, variant in production(config):
        if is_serverless(variant):
            problems.append(problem(f"{path}.ServerlessConfig", "(serverless)", SCALING_NEEDS_INSTANCES.format(variant=path)))
        elif not low <= variant["InitialInstanceCount"] <= high:
            problems.append(problem(f"{path}.InitialInstanceCount", variant["InitialInstanceCount"],
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
    variant_problems = check_variants(config)
    # Sizes are measured against instance counts: only meaningful once the variants are sound.
    deployment_problems = [] if variant_problems else check_deployment(config)
    return (variant_problems + deployment_problems + check_alarms(config) + check_scaling(config)
            + check_monitoring(config))
