"""Inference-component rolling update: batches of MaximumBatchSize copies move to the new model, a bake after each.

UpdateInferenceComponent's DeploymentConfig (InferenceComponentDeploymentConfig: a RollingUpdatePolicy only)
in botocore's sagemaker service model and API_InferenceComponentRollingUpdatePolicy: MaximumBatchSize and
RollbackMaximumBatchSize are InferenceComponentCapacitySize (COPY_COUNT or CAPACITY_PERCENT), the batch
5-50% of the copy count, WaitIntervalInSeconds 0-3600 (the bake after each batch: alarms watched),
MaximumExecutionTimeoutInSeconds 600-28800; no RollbackMaximumBatchSize restores every copy at once."""
from mlops_guardrails.deploy.capacity import COMPONENT_TYPES, instances, ramp
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.problems import problem
from mlops_guardrails.deploy.strategies.base import DEFAULT_TIMEOUT_SECONDS, ROLLING, Plan, Step, Strategy, check_share, seconds

FIELD = ROLLING
SIZE_FIELD = "MaximumBatchSize"
BATCH_OUT_OF_RANGE = "a copy batch must be 5-50% of the copy count ({detail})"
ROLLBACK_OVER_COPIES = "a rollback batch cannot exceed the copy count ({detail})"
COPIES_NOT_INSTANCES = "inference components update by copies: use COPY_COUNT or CAPACITY_PERCENT"
ROLLING_ONLY = "inference components update by RollingUpdatePolicy only (InferenceComponentDeploymentConfig)"
ROLLING_REQUIRED = "required with InferenceComponents: the components' rolling update in copies"


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    """counts: copies per component. Every component moves in batches of its own share of copies."""
    if SIZE_FIELD not in policy:
        raise InputError(f"{FIELD}.{SIZE_FIELD}: missing: required by UpdateInferenceComponent")
    live = {name: n for name, n in counts.items() if n > 0}  # a component scaled to zero has nothing to move
    bake = seconds(policy, "WaitIntervalInSeconds", FIELD)
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", FIELD, DEFAULT_TIMEOUT_SECONDS)
    if not live:
        return Plan("INFERENCE_COMPONENT_ROLLING", (), timeout, None, True)
    batch = {n: instances(policy[SIZE_FIELD], c, f"{FIELD}.{SIZE_FIELD}", COMPONENT_TYPES) for n, c in live.items()}
    ramps = ramp(live, batch)
    steps = tuple(Step(f"copy batch {i}/{len(ramps)}", green, bake, False, f"{FIELD}.WaitIntervalInSeconds")
                  for i, green in enumerate(ramps, start=1))
    rollback = None
    if "RollbackMaximumBatchSize" in policy:
        sizes = {n: instances(policy["RollbackMaximumBatchSize"], c, f"{FIELD}.RollbackMaximumBatchSize",
                              COMPONENT_TYPES) for n, c in live.items()}
        rollback = None if all(sizes[n] >= live[n] for n in live) else sizes
    return Plan("INFERENCE_COMPONENT_ROLLING", steps, timeout, rollback, True)


def check(config: dict, policy: dict) -> list[str]:
    components = [(f"InferenceComponents[{i}]", {"VariantName": c["ComponentName"],
                                                  "InitialInstanceCount": c["RuntimeConfig"]["CopyCount"]})
                  for i, c in enumerate(config["InferenceComponents"]) if c["RuntimeConfig"]["CopyCount"] > 0]
    problems = []
    for field in (SIZE_FIELD, "RollbackMaximumBatchSize"):
        if field in policy and policy[field]["Type"] == "INSTANCE_COUNT":
            problems.append(problem(f"{FIELD}.{field}.Type", "INSTANCE_COUNT", COPIES_NOT_INSTANCES))
    if problems:
        return problems
    problems = check_share(f"{FIELD}.{SIZE_FIELD}", policy[SIZE_FIELD], components, 5, 50, BATCH_OUT_OF_RANGE,
                           unit="copies")
    if "RollbackMaximumBatchSize" in policy:
        problems += check_share(f"{FIELD}.RollbackMaximumBatchSize", policy["RollbackMaximumBatchSize"], components,
                                0, 100, ROLLBACK_OVER_COPIES, unit="copies")
    return problems


STRATEGY = Strategy("INFERENCE_COMPONENT_ROLLING", "RollingUpdatePolicy", SIZE_FIELD, plan, check,
                    "batches of an inference component's copies replaced, a bake after each", "copy batch",
                    for_components=True)
