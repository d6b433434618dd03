"""Rolling: batches of MaximumBatchSize instances move to the new fleet, a bake after each batch."""
from deploy.capacity import instances, ramp
from deploy.errors import InputError
from deploy.strategies.base import DEFAULT_TIMEOUT_SECONDS, Plan, Step, seconds

FIELD = "DeploymentConfig.RollingUpdatePolicy"


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    if len(counts) != 1:
        raise InputError(f"{FIELD}: {sorted(counts)}: rolling updates exclude multi-variant endpoints")
    if "MaximumBatchSize" not in policy:
        raise InputError(f"{FIELD}.MaximumBatchSize: missing: required by UpdateEndpoint")
    ((variant, count),) = counts.items()
    batch = instances(policy["MaximumBatchSize"], count, f"{FIELD}.MaximumBatchSize")
    bake = seconds(policy, "WaitIntervalInSeconds", FIELD)
    ramps = ramp(counts, {variant: batch})
    # Each batch bakes WaitIntervalInSeconds; a rolling update has no separate termination wait.
    steps = tuple(Step(f"batch {i}/{len(ramps)}", green, bake, False) for i, green in enumerate(ramps, start=1))
    rollback = None
    if "RollbackMaximumBatchSize" in policy:
        size = instances(policy["RollbackMaximumBatchSize"], count, f"{FIELD}.RollbackMaximumBatchSize")
        rollback = None if size >= count else {variant: size}  # 100% = the blue/green rollback: all at once
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", FIELD, DEFAULT_TIMEOUT_SECONDS)
    return Plan("ROLLING", steps, timeout, rollback)
