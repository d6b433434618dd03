"""What every traffic-shifting strategy returns: the steps of an update, their waits, and what they need in time.

The one schedule of an update: the validator's timeout check, the rollout plan and the rehearsal's
controller all read it. Step sizes come from deploy/capacity.py."""
from dataclasses import dataclass

from deploy.capacity import instances

from deploy.errors import InputError

# BlueGreenUpdatePolicy/RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds is optional; its API maximum
# (28800 s) stands in when it is absent.
DEFAULT_TIMEOUT_SECONDS = 28800
BLUE_GREEN = "DeploymentConfig.BlueGreenUpdatePolicy"
ROUTING = f"{BLUE_GREEN}.TrafficRoutingConfiguration"
# Time for SageMaker to provision one new fleet (blue/green) or one batch (rolling) before it shifts traffic.
# SageMaker publishes no figure; the validator and the plan's default both use this one.
PROVISIONING_ALLOWANCE_SECONDS = 300


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

    @property
    def waits(self) -> float:
        """Seconds of bakes: WaitIntervalInSeconds between traffic steps, TerminationWaitInSeconds last."""
        return sum(step.bake_seconds for step in self.steps)

    @property
    def provisioning_rounds(self) -> int:
        """Blue/green provisions the whole new fleet once; rolling provisions each batch."""
        return len(self.steps) if self.strategy == "ROLLING" else 1

    def needed_seconds(self, provisioning: float = PROVISIONING_ALLOWANCE_SECONDS) -> float:
        """What MaximumExecutionTimeoutInSeconds must exceed (the API: larger than the total waiting time)."""
        return self.waits + self.provisioning_rounds * provisioning


def seconds(policy: dict, key: str, field: str, default: float | None = None) -> float:
    value = policy.get(key, default)
    if value is None:
        raise InputError(f"{field}.{key}: missing: required by UpdateEndpoint")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise InputError(f"{field}.{key}: {value!r}: must be a number of seconds >= 0")
    return float(value)


def step_sizes(routing: dict, field: str, kind: str, counts: dict[str, int]) -> dict[str, int]:
    """Instances per variant of the TrafficRoutingConfiguration size `field` that Type `kind` requires."""
    if field not in routing:
        raise InputError(f"{ROUTING}.{field}: missing: required when Type is {kind}")
    return {v: instances(routing[field], n, f"{ROUTING}.{field}") for v, n in counts.items()}
