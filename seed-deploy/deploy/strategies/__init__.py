"""Traffic-shifting strategies, one module each behind plan(policy, counts) -> Plan; one dict picks them.

The schedule they share: WaitIntervalInSeconds bakes between traffic steps, TerminationWaitInSeconds is the
final bake once green takes all traffic, and ALL_AT_ONCE bakes only that final one. Source: the SageMaker
Developer Guide's examples (deployment-guardrails-blue-green-canary: a 600 s canary bake and a 600 s
termination wait under a 1800 s timeout, which fits only if the final bake is the termination wait;
deployment-guardrails-blue-green-all-at-once sets no WaitIntervalInSeconds)."""
from deploy.errors import InputError
from deploy.strategies import all_at_once, canary, linear, rolling
from deploy.strategies.base import DEFAULT_TIMEOUT_SECONDS, PROVISIONING_ALLOWANCE_SECONDS, Plan, Step

STRATEGIES = {
    "ALL_AT_ONCE": all_at_once.plan,
    "CANARY": canary.plan,
    "LINEAR": linear.plan,
    "ROLLING": rolling.plan,
}

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "PROVISIONING_ALLOWANCE_SECONDS", "STRATEGIES", "Plan", "Step", "plan_update"]


BLUE_GREEN_TYPES = ("ALL_AT_ONCE", "CANARY", "LINEAR")  # TrafficRoutingConfiguration.Type's values


def plan_update(deployment_config: dict | None, counts: dict[str, int]) -> Plan:
    """DeploymentConfig (UpdateEndpoint's shape) + instance count per variant -> the update's Plan.

    Neither policy means blue/green ALL_AT_ONCE, as SageMaker does."""
    config = deployment_config or {}
    blue_green, rolling_policy = config.get("BlueGreenUpdatePolicy"), config.get("RollingUpdatePolicy")
    if "BlueGreenUpdatePolicy" in config and "RollingUpdatePolicy" in config:
        raise InputError("DeploymentConfig: BlueGreenUpdatePolicy and RollingUpdatePolicy: only one of the two")
    if rolling_policy is not None:
        return STRATEGIES["ROLLING"](rolling_policy, counts)
    policy = blue_green or {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}
    kind = policy.get("TrafficRoutingConfiguration", {}).get("Type")
    if kind not in BLUE_GREEN_TYPES:
        raise InputError(f"DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type: {kind!r}: "
                         f"unknown strategy (valid: {', '.join(BLUE_GREEN_TYPES)})")
    return STRATEGIES[kind](policy, counts)
