"""Blue/green LINEAR: green grows by LinearStepSize a step, a bake after each, the termination wait last."""
from deploy.capacity import instances, ramp
from deploy.errors import InputError
from deploy.strategies.base import DEFAULT_TIMEOUT_SECONDS, Plan, Step, seconds

FIELD = "DeploymentConfig.BlueGreenUpdatePolicy"
ROUTING = f"{FIELD}.TrafficRoutingConfiguration"


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    routing = policy.get("TrafficRoutingConfiguration", {})
    if "LinearStepSize" not in routing:
        raise InputError(f"{ROUTING}.LinearStepSize: missing: required when Type is LINEAR")
    sizes = {v: instances(routing["LinearStepSize"], n, f"{ROUTING}.LinearStepSize") for v, n in counts.items()}
    bake = seconds(routing, "WaitIntervalInSeconds", ROUTING)
    termination = seconds(policy, "TerminationWaitInSeconds", FIELD, 0)
    ramps = ramp(counts, sizes)
    steps = tuple(
        Step(f"linear step {i}/{len(ramps)}", green, termination if i == len(ramps) else bake, i == len(ramps))
        for i, green in enumerate(ramps, start=1)
    )
    return Plan("LINEAR", steps, seconds(policy, "MaximumExecutionTimeoutInSeconds", FIELD, DEFAULT_TIMEOUT_SECONDS))
