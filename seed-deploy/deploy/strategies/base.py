"""What every traffic-shifting strategy returns: the steps of an update (step sizes: deploy/capacity.py)."""
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


def seconds(policy: dict, key: str, field: str, default: float | None = None) -> float:
    value = policy.get(key, default)
    if value is None:
        raise InputError(f"{field}.{key}: missing: required by UpdateEndpoint")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise InputError(f"{field}.{key}: {value!r}: must be a number of seconds >= 0")
    return float(value)
