"""Blue/green CANARY: a canary share of green, a bake, then all traffic on green and the termination wait."""
from deploy.capacity import instances
from deploy.errors import InputError
from deploy.strategies.base import DEFAULT_TIMEOUT_SECONDS, Plan, Step, seconds

FIELD = "DeploymentConfig.BlueGreenUpdatePolicy"
ROUTING = f"{FIELD}.TrafficRoutingConfiguration"


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    routing = policy.get("TrafficRoutingConfiguration", {})
    if "CanarySize" not in routing:
        raise InputError(f"{ROUTING}.CanarySize: missing: required when Type is CANARY")
    canary = {v: instances(routing["CanarySize"], n, f"{ROUTING}.CanarySize") for v, n in counts.items()}
    final = Step("all traffic on green", dict(counts), seconds(policy, "TerminationWaitInSeconds", FIELD, 0), True)
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", FIELD, DEFAULT_TIMEOUT_SECONDS)
    if canary == counts:  # a canary as large as the fleet is one step (the validator rejects it beforehand)
        return Plan("CANARY", (final,), timeout)
    bake = seconds(routing, "WaitIntervalInSeconds", ROUTING)
    return Plan("CANARY", (Step("canary", canary, bake), final), timeout)
