"""What every traffic-shifting strategy returns: the steps of an update, and the rounding of step sizes."""
import math
from dataclasses import dataclass

from deploy.errors import InputError

# BlueGreenUpdatePolicy/RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds is optional; its API maximum
# (28800 s) stands in when it is absent.
DEFAULT_TIMEOUT_SECONDS = 28800


@dataclass(frozen=True)
class Step:
    """Turn on `green_instances` of each variant's new fleet, then bake (alarms watched) for bake_seconds.

    The variant's share of traffic on green is green_instances / the variant's instance count: SageMaker
    routes by active capacity. `final` marks the termination wait (blue kept, alarms still watched)."""

    label: str
    green_instances: dict[str, int]
    bake_seconds: float
    final: bool = False

    def shares(self, counts: dict[str, int]) -> dict[str, float]:
        return {name: self.green_instances[name] / counts[name] for name in counts}


@dataclass(frozen=True)
class Plan:
    """A strategy's answer: its steps, how long the whole update may run, and how a rollback proceeds."""

    strategy: str
    steps: tuple[Step, ...]
    timeout_seconds: float
    rollback_batch: dict[str, int] | None = None  # instances per rollback step; None = all at once


def instances(size: dict, count: int, field: str) -> int:
    """A CapacitySize as a number of instances of a variant with `count` instances.

    SageMaker states sizes as a share of the variant's instance count (CanarySize <= 50%, LinearStepSize
    10-50%, MaximumBatchSize 5-50%) and says nothing of rounding: API_CapacitySize, API_TrafficRoutingConfig,
    deployment-guardrails-blue-green-canary / -linear and deployment-guardrails-rolling in the SageMaker
    Developer Guide (searched for a rounding rule; none is documented). Instances are whole, and a step
    that turns on zero instances would shift no traffic and never end, so this rehearsal rounds a
    CAPACITY_PERCENT size UP to whole instances (ceil(count * percent / 100)), at least 1 and at most the
    variant's count; INSTANCE_COUNT is taken as given, capped at the count. The stage-config validator
    rejects sizes outside SageMaker's ranges before a rehearsal ever runs.
    """
    kind, value = size.get("Type"), size.get("Value")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"{field}.Value: {value!r}: must be an integer >= 1")
    if kind == "INSTANCE_COUNT":
        return min(value, count)
    if kind == "CAPACITY_PERCENT":
        if value > 100:
            raise InputError(f"{field}.Value: {value}: a CAPACITY_PERCENT size must be 1-100")
        return min(count, max(1, math.ceil(count * value / 100)))
    raise InputError(f"{field}.Type: {kind!r}: must be one of ['CAPACITY_PERCENT', 'INSTANCE_COUNT']")


def ramp(counts: dict[str, int], sizes: dict[str, int]) -> list[dict[str, int]]:
    """Cumulative green instances per step when each variant adds sizes[v] instances a step."""
    steps = max(math.ceil(counts[v] / sizes[v]) for v in counts)
    return [{v: min(counts[v], sizes[v] * i) for v in counts} for i in range(1, steps + 1)]


def seconds(policy: dict, key: str, field: str, default: float | None = None) -> float:
    value = policy.get(key, default)
    if value is None:
        raise InputError(f"{field}.{key}: missing: required by UpdateEndpoint")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise InputError(f"{field}.{key}: {value!r}: must be a number of seconds >= 0")
    return float(value)
