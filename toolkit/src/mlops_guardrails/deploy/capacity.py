"""CapacitySize (CanarySize, LinearStepSize, MaximumBatchSize, RollbackMaximumBatchSize) as whole instances or copies.

Endpoint updates count instances (CapacitySize: INSTANCE_COUNT or CAPACITY_PERCENT); inference-component
updates count copies (InferenceComponentCapacitySize: COPY_COUNT or CAPACITY_PERCENT, botocore's
sagemaker service model). The same rounding serves both: a "unit" is an instance or a copy."""
import json
import math

from mlops_guardrails.errors import InputError

TYPES = ("CAPACITY_PERCENT", "INSTANCE_COUNT")            # CapacitySize.Type
COMPONENT_TYPES = ("CAPACITY_PERCENT", "COPY_COUNT")      # InferenceComponentCapacitySize.Type
ABSOLUTE = ("INSTANCE_COUNT", "COPY_COUNT")  # a number of units rather than a share
PERCENT_OVER_100 = "a CAPACITY_PERCENT value cannot exceed 100"


def share_percent(size: dict, count: int) -> float:
    """A CapacitySize as a percentage of a variant with `count` instances (what SageMaker's ranges are stated in)."""
    return size["Value"] if size["Type"] not in ABSOLUTE else 100.0 * size["Value"] / count


def check(size, field: str, types: tuple[str, ...] = TYPES) -> None:
    """Raise InputError unless `size` is a CapacitySize; the validator reports the same problems for a config."""
    if not isinstance(size, dict):
        raise InputError(f"{field}: {json.dumps(size)}: must be a CapacitySize {{Type, Value}}")
    kind, value = size.get("Type"), size.get("Value")
    if kind not in types:
        raise InputError(f"{field}.Type: {json.dumps(kind)}: must be one of {', '.join(map(json.dumps, types))}")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"{field}.Value: {json.dumps(value)}: must be an integer >= 1")
    if kind == "CAPACITY_PERCENT" and value > 100:
        raise InputError(f"{field}.Value: {value}: {PERCENT_OVER_100}")


def instances(size, count: int, field: str, types: tuple[str, ...] = TYPES) -> int:
    """A CapacitySize as a number of instances of a variant with `count` instances.

    SageMaker states sizes as a share of the variant's instance count (CanarySize <= 50%, LinearStepSize
    10-50%, MaximumBatchSize 5-50%) and says nothing of rounding: API_CapacitySize, API_TrafficRoutingConfig,
    API_RollingUpdatePolicy, and deployment-guardrails-blue-green-canary / -linear / -rolling in the SageMaker
    Developer Guide (searched for a rounding rule; none is documented). Instances are whole, and a step
    that turns on zero instances would shift no traffic and never end, so a CAPACITY_PERCENT size rounds UP
    (ceil(count * percent / 100)): that never understates the traffic a bad model receives. Either type is
    at least 1 and at most the variant's count. This is the one place the rule lives: the validator's
    timeout check, the rollout plan and the rehearsal all step through deploy/strategies, which call it.
    """
    check(size, field, types)
    wanted = size["Value"] if size["Type"] in ABSOLUTE else math.ceil(count * size["Value"] / 100)
    return max(1, min(count, wanted))


def ramp(counts: dict[str, int], sizes: dict[str, int]) -> list[dict[str, int]]:
    """Cumulative instances per step when each variant adds sizes[v] of its counts[v] a step, until all are on."""
    steps = max(math.ceil(counts[v] / sizes[v]) for v in counts)
    return [{v: min(counts[v], sizes[v] * i) for v in counts} for i in range(1, steps + 1)]
