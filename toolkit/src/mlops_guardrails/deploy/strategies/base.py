"""What every update strategy is and returns: its plan (steps, waits, timeout), its checks, its size field.

The one schedule of an update: the validator's timeout and alarm-window checks, the rollout plan and the
rehearsal's controller all read it. Step sizes come from deploy/capacity.py."""
from collections.abc import Callable
from dataclasses import dataclass

from mlops_guardrails.deploy import capacity
from mlops_guardrails.deploy.capacity import PERCENT_OVER_100, instances
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.problems import problem

# BlueGreenUpdatePolicy/RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds is optional; its API maximum
# (28800 s) stands in when it is absent.
DEFAULT_TIMEOUT_SECONDS = 28800
BLUE_GREEN = "DeploymentConfig.BlueGreenUpdatePolicy"
ROUTING = f"{BLUE_GREEN}.TrafficRoutingConfiguration"
ROLLING = "DeploymentConfig.RollingUpdatePolicy"
TERMINATION_WAIT = f"{BLUE_GREEN}.TerminationWaitInSeconds"
# Time for SageMaker to provision one new fleet (blue/green) or one batch (rolling) before it shifts traffic.
# SageMaker publishes no figure; the validator and the plan's default both use this one.
PROVISIONING_ALLOWANCE_SECONDS = 300

SIZE_REQUIRED = "required when Type is {type}"
INSTANCE_COUNT_NEEDS_INSTANCES = "INSTANCE_COUNT sizes need instance-based variants; {variant} is serverless"


@dataclass(frozen=True)
class Step:
    """Turn on `green_instances` of each variant's new fleet (of each component's copies, for inference
    components), then bake (alarms watched) for bake_seconds.

    The variant's share of traffic on green is green_instances / the variant's instance count: SageMaker
    routes by active capacity. `final` marks the termination wait (blue kept, alarms still watched).
    `bake_field` is the config field the bake comes from: the validator names it."""

    label: str
    green_instances: dict[str, int]
    bake_seconds: float
    final: bool = False
    bake_field: str = ""

    def shares(self, counts: dict[str, int]) -> dict[str, float]:
        return {name: self.green_instances[name] / counts[name] for name in counts}


@dataclass(frozen=True)
class Plan:
    """A strategy's answer: its steps, how long the whole update may run, and how a rollback proceeds."""

    strategy: str
    steps: tuple[Step, ...]
    timeout_seconds: float
    rollback_batch: dict[str, int] | None = None  # instances per rollback step; None = all at once
    provisions_each_step: bool = False  # rolling updates provision every batch; blue/green the fleet once

    @property
    def waits(self) -> float:
        """Seconds of bakes: WaitIntervalInSeconds between traffic steps, TerminationWaitInSeconds last."""
        return sum(step.bake_seconds for step in self.steps)

    @property
    def provisioning_rounds(self) -> int:
        """Blue/green provisions the whole new fleet once; rolling updates provision each batch."""
        return len(self.steps) if self.provisions_each_step else 1

    def needed_seconds(self, provisioning: float = PROVISIONING_ALLOWANCE_SECONDS) -> float:
        """What MaximumExecutionTimeoutInSeconds must exceed (the API: larger than the total waiting time)."""
        return self.waits + self.provisioning_rounds * provisioning


@dataclass(frozen=True)
class Strategy:
    """One update strategy, whole: where its policy lives, the size field that sets its steps, its plan and checks.

    plan(policy, counts) -> Plan; check(stage config, policy) -> problem lines (the strategy's own rules,
    each `<field.path>: <value>: <rule>`)."""

    name: str
    policy: str                      # the DeploymentConfig key that holds its policy
    size_field: str | None           # the CapacitySize field that sets a step (None: one step)
    plan: Callable[[dict, dict[str, int]], Plan]
    check: Callable[[dict, dict], list[str]]
    description: str = ""
    step_name: str = ""              # what one step of size_field is called in messages ("canary", ...)
    for_components: bool = False     # updates inference components (copies) rather than the endpoint

    def sizes_path(self) -> str:
        """Where the policy's CapacitySize fields sit in a stage config: blue/green's TrafficRoutingConfiguration,
        else the policy itself."""
        return ROUTING if self.policy == "BlueGreenUpdatePolicy" else f"DeploymentConfig.{self.policy}"

    def sizes(self, policy: dict) -> dict:
        """The object at sizes_path() in this strategy's policy."""
        return policy.get("TrafficRoutingConfiguration", {}) if self.policy == "BlueGreenUpdatePolicy" else policy

    def size_path(self) -> str:
        """The size field's path in a stage config."""
        return f"{self.sizes_path()}.{self.size_field}"


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


def termination_step(policy: dict, green: dict[str, int], label: str = "all traffic on green") -> Step:
    """The final bake of a blue/green update: all traffic on green for TerminationWaitInSeconds, blue kept."""
    return Step(label, dict(green), seconds(policy, "TerminationWaitInSeconds", BLUE_GREEN, 0), True,
                TERMINATION_WAIT)


# -- checks shared by the strategies ---------------------------------------------------------------
def is_serverless(variant: dict) -> bool:
    return "ServerlessConfig" in variant


def production(config: dict) -> list[tuple[str, dict]]:
    return [(f"ProductionVariants[{i}]", v) for i, v in enumerate(config["ProductionVariants"])]


def check_share(path: str, size: dict, variants: list[tuple[str, dict]], low: float, high: float,
                rule: str, unit: str = "instance(s)") -> list[str]:
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
            detail = f"{size['Value']} of {variant['VariantName']}'s {count} {unit} is {share:.0f}%"
            problems.append(problem(f"{path}.Value", size["Value"], rule.format(detail=detail)))
    return problems


def check_routing_size(config: dict, routing: dict, field: str, kind: str, low: float, high: float,
                       rule: str) -> list[str]:
    """A blue/green strategy's own size field: required, and within [low, high] percent of every variant."""
    path = f"{ROUTING}.{field}"
    if field not in routing:
        return [problem(path, "(missing)", SIZE_REQUIRED.format(type=kind))]
    return check_share(path, routing[field], production(config), low, high, rule)
