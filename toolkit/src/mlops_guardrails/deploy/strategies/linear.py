"""Blue/green LINEAR: green grows by LinearStepSize a step, a bake after each, the termination wait last."""
from mlops_guardrails.deploy.capacity import ramp
from mlops_guardrails.deploy.strategies.base import (BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS, ROUTING, TERMINATION_WAIT, Plan, Step,
                                    Strategy, check_routing_size, seconds, step_sizes)

SIZE_FIELD = "LinearStepSize"
# API_TrafficRoutingConfig: LinearStepSize "must be 10-50% of the total instance count".
LINEAR_OUT_OF_RANGE = "a linear step must be 10-50% of the instance count ({detail})"


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    routing = policy.get("TrafficRoutingConfiguration", {})
    sizes = step_sizes(routing, SIZE_FIELD, "LINEAR", counts)
    bake = seconds(routing, "WaitIntervalInSeconds", ROUTING)
    termination = seconds(policy, "TerminationWaitInSeconds", BLUE_GREEN, 0)
    ramps = ramp(counts, sizes)
    steps = tuple(
        Step(f"linear step {i}/{len(ramps)}", green, termination if i == len(ramps) else bake, i == len(ramps),
             TERMINATION_WAIT if i == len(ramps) else f"{ROUTING}.WaitIntervalInSeconds")
        for i, green in enumerate(ramps, start=1)
    )
    return Plan("LINEAR", steps, seconds(policy, "MaximumExecutionTimeoutInSeconds", BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS))


def check(config: dict, policy: dict) -> list[str]:
    return check_routing_size(config, policy["TrafficRoutingConfiguration"], SIZE_FIELD, "LINEAR", 10, 50,
                              LINEAR_OUT_OF_RANGE)


STRATEGY = Strategy("LINEAR", "BlueGreenUpdatePolicy", SIZE_FIELD, plan, check,
                    "equal steps of the new fleet, a bake after each, the termination wait last", "linear step")
