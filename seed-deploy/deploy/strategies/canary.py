"""Blue/green CANARY: a canary share of green, a bake, then all traffic on green and the termination wait."""
from deploy.strategies.base import BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS, ROUTING, Plan, Step, seconds, step_sizes


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    routing = policy.get("TrafficRoutingConfiguration", {})
    canary = step_sizes(routing, "CanarySize", "CANARY", counts)
    final = Step("all traffic on green", dict(counts), seconds(policy, "TerminationWaitInSeconds", BLUE_GREEN, 0), True)
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS)
    if canary == counts:  # a canary as large as the fleet (50% of one instance rounds up to it) is one step
        return Plan("CANARY", (final,), timeout)
    bake = seconds(routing, "WaitIntervalInSeconds", ROUTING)
    return Plan("CANARY", (Step("canary", canary, bake), final), timeout)
