"""Blue/green LINEAR: green grows by LinearStepSize a step, a bake after each, the termination wait last."""
from deploy.capacity import ramp
from deploy.strategies.base import BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS, ROUTING, Plan, Step, seconds, step_sizes


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    routing = policy.get("TrafficRoutingConfiguration", {})
    sizes = step_sizes(routing, "LinearStepSize", "LINEAR", counts)
    bake = seconds(routing, "WaitIntervalInSeconds", ROUTING)
    termination = seconds(policy, "TerminationWaitInSeconds", BLUE_GREEN, 0)
    ramps = ramp(counts, sizes)
    steps = tuple(
        Step(f"linear step {i}/{len(ramps)}", green, termination if i == len(ramps) else bake, i == len(ramps))
        for i, green in enumerate(ramps, start=1)
    )
    return Plan("LINEAR", steps, seconds(policy, "MaximumExecutionTimeoutInSeconds", BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS))
