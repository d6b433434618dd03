"""Blue/green CANARY: a canary share of green, a bake, then all traffic on green and the termination wait."""
from mlops_guardrails.deploy.strategies.base import (BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS, ROUTING, Plan, Step, Strategy,
                                    check_routing_size, seconds, step_sizes, termination_step)

SIZE_FIELD = "CanarySize"
# API_TrafficRoutingConfig: CanarySize "must be 50% or less of the total instance count".
CANARY_OVER_HALF = "a canary must be at most 50% of the instance count ({detail})"


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    routing = policy.get("TrafficRoutingConfiguration", {})
    canary = step_sizes(routing, SIZE_FIELD, "CANARY", counts)
    final = termination_step(policy, counts)
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS)
    if canary == counts:  # a canary as large as the fleet (50% of one instance rounds up to it) is one step
        return Plan("CANARY", (final,), timeout)
    bake = seconds(routing, "WaitIntervalInSeconds", ROUTING)
    return Plan("CANARY", (Step("canary", canary, bake, False, f"{ROUTING}.WaitIntervalInSeconds"), final), timeout)


def check(config: dict, policy: dict) -> list[str]:
    return check_routing_size(config, policy["TrafficRoutingConfiguration"], SIZE_FIELD, "CANARY", 0, 50,
                              CANARY_OVER_HALF)


STRATEGY = Strategy("CANARY", "BlueGreenUpdatePolicy", SIZE_FIELD, plan, check,
                    "a canary of the new fleet, a bake, then the rest and the termination wait", "canary")
