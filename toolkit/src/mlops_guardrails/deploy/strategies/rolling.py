"""Rolling: batches of MaximumBatchSize instances move to the new fleet, a bake after each batch."""
from mlops_guardrails.deploy.capacity import instances, ramp
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.problems import problem
from mlops_guardrails.deploy.strategies.base import (DEFAULT_TIMEOUT_SECONDS, ROLLING, Plan, Step, Strategy, check_share,
                                    is_serverless, production, seconds)

FIELD = ROLLING
SIZE_FIELD = "MaximumBatchSize"
# API_RollingUpdatePolicy and deployment-guardrails-rolling / -exclusions in the SageMaker Developer Guide.
ROLLING_BATCH_OUT_OF_RANGE = "a rolling batch must be 5-50% of the instance count ({detail})"
ROLLBACK_BATCH_OVER_COUNT = "a rollback batch cannot exceed the instance count ({detail})"
ROLLING_ONE_VARIANT = "rolling updates need exactly one production variant (found {count})"
ROLLING_NO_SERVERLESS = "rolling updates do not support serverless variants ({variant})"


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    if len(counts) != 1:
        raise InputError(f"{FIELD}: {sorted(counts)}: rolling updates exclude multi-variant endpoints")
    if SIZE_FIELD not in policy:
        raise InputError(f"{FIELD}.{SIZE_FIELD}: missing: required by UpdateEndpoint")
    ((variant, count),) = counts.items()
    batch = instances(policy[SIZE_FIELD], count, f"{FIELD}.{SIZE_FIELD}")
    bake = seconds(policy, "WaitIntervalInSeconds", FIELD)
    ramps = ramp(counts, {variant: batch})
    # Each batch bakes WaitIntervalInSeconds; a rolling update has no separate termination wait.
    steps = tuple(Step(f"batch {i}/{len(ramps)}", green, bake, False, f"{FIELD}.WaitIntervalInSeconds")
                  for i, green in enumerate(ramps, start=1))
    rollback = None
    if "RollbackMaximumBatchSize" in policy:
        size = instances(policy["RollbackMaximumBatchSize"], count, f"{FIELD}.RollbackMaximumBatchSize")
        rollback = None if size >= count else {variant: size}  # 100% = the blue/green rollback: all at once
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", FIELD, DEFAULT_TIMEOUT_SECONDS)
    return Plan("ROLLING", steps, timeout, rollback, True)


def check(config: dict, policy: dict) -> list[str]:
    variants = production(config)
    if len(variants) != 1:
        return [problem(FIELD, f"({len(variants)} production variants)", ROLLING_ONE_VARIANT.format(count=len(variants)))]
    if is_serverless(variants[0][1]):
        return [problem(FIELD, "(serverless)", ROLLING_NO_SERVERLESS.format(variant=variants[0][0]))]
    problems = check_share(f"{FIELD}.{SIZE_FIELD}", policy[SIZE_FIELD], variants, 5, 50, ROLLING_BATCH_OUT_OF_RANGE)
    if "RollbackMaximumBatchSize" in policy:
        problems += check_share(f"{FIELD}.RollbackMaximumBatchSize", policy["RollbackMaximumBatchSize"], variants,
                                0, 100, ROLLBACK_BATCH_OVER_COUNT)
    return problems


STRATEGY = Strategy("ROLLING", "RollingUpdatePolicy", SIZE_FIELD, plan, check,
                    "batches of the fleet replaced in place, a bake after each", "rolling batch")
