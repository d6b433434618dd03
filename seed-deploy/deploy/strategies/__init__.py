"""Update strategies, one module each (plan, checks and messages, size field); STRATEGIES is the one registry.

A new strategy is one module with a STRATEGY (deploy/strategies/base.py: Strategy) added to STRATEGIES;
config.schema.json's TrafficRoutingConfiguration.Type enum must list the blue/green ones (a test checks).

The schedule they share: WaitIntervalInSeconds bakes between traffic steps, TerminationWaitInSeconds is the
final bake once green takes all traffic, and ALL_AT_ONCE bakes only that final one. Source: the SageMaker
Developer Guide's examples (deployment-guardrails-blue-green-canary: a 600 s canary bake and a 600 s
termination wait under a 1800 s timeout, which fits only if the final bake is the termination wait;
deployment-guardrails-blue-green-all-at-once sets no WaitIntervalInSeconds)."""
from deploy.errors import InputError
from deploy.problems import problem
from deploy.strategies import all_at_once, canary, linear, rolling
from deploy.strategies.base import (DEFAULT_TIMEOUT_SECONDS, PROVISIONING_ALLOWANCE_SECONDS, ROUTING, Plan, Step,
                                    Strategy)

STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    all_at_once.STRATEGY, canary.STRATEGY, linear.STRATEGY, rolling.STRATEGY,
)}

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "PROVISIONING_ALLOWANCE_SECONDS", "STRATEGIES", "Plan", "Step", "Strategy",
           "check", "plan_update", "strategy_of"]

ONE_UPDATE_POLICY = "give one update policy only: BlueGreenUpdatePolicy or RollingUpdatePolicy"
SIZE_NOT_ALLOWED = "{field} goes only with Type {type}"
BLUE_GREEN_POLICY = "BlueGreenUpdatePolicy"


def blue_green_types() -> list[str]:
    """TrafficRoutingConfiguration.Type's values: the registry's blue/green strategies."""
    return [name for name, s in STRATEGIES.items() if s.policy == BLUE_GREEN_POLICY]


def strategy_of(deployment_config: dict | None) -> tuple[Strategy, dict]:
    """The strategy a DeploymentConfig asks for and its policy; neither policy means blue/green ALL_AT_ONCE,
    as SageMaker does. InputError for both policies or an unknown Type (listing the valid ones)."""
    config = deployment_config or {}
    policies = [s.policy for s in STRATEGIES.values() if s.policy in config]
    if len(set(policies)) > 1:
        raise InputError(f"DeploymentConfig: BlueGreenUpdatePolicy and RollingUpdatePolicy: only one of the two")
    if not policies:
        return STRATEGIES["ALL_AT_ONCE"], {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}
    policy = config[policies[0]]
    if policies[0] != BLUE_GREEN_POLICY:
        return next(s for s in STRATEGIES.values() if s.policy == policies[0]), policy
    kind = policy.get("TrafficRoutingConfiguration", {}).get("Type")
    if kind not in blue_green_types():
        raise InputError(f"{ROUTING}.Type: {kind!r}: unknown strategy (valid: {', '.join(blue_green_types())})")
    return STRATEGIES[kind], policy


def plan_update(deployment_config: dict | None, counts: dict[str, int]) -> Plan:
    """DeploymentConfig (UpdateEndpoint's shape) + instance count per variant -> the update's Plan."""
    strategy, policy = strategy_of(deployment_config)
    return strategy.plan(policy, counts)


def check(config: dict) -> list[str]:
    """A schema-valid stage config's DeploymentConfig against its strategy's rules, and no other's size field."""
    deployment = config["DeploymentConfig"]
    if sum(name in deployment for name in {s.policy for s in STRATEGIES.values()}) > 1:
        return [problem("DeploymentConfig", "(BlueGreenUpdatePolicy, RollingUpdatePolicy)", ONE_UPDATE_POLICY)]
    strategy, policy = strategy_of(deployment)
    problems = []
    if strategy.policy == BLUE_GREEN_POLICY:
        routing = policy.get("TrafficRoutingConfiguration", {})
        for other in STRATEGIES.values():
            if other.policy == BLUE_GREEN_POLICY and other is not strategy and other.size_field in routing:
                problems.append(problem(f"{ROUTING}.{other.size_field}", routing[other.size_field],
                                        SIZE_NOT_ALLOWED.format(field=other.size_field, type=other.name)))
    return problems + strategy.check(config, policy)
