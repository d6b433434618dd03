"""Update strategies, one module each (plan, checks and messages, size field); STRATEGIES is the one registry.

A new strategy is one module with a STRATEGY (deploy/strategies/base.py: Strategy) added to STRATEGIES;
config.schema.json's TrafficRoutingConfiguration.Type enum must list the blue/green ones (a test checks).

The schedule they share: WaitIntervalInSeconds bakes between traffic steps, TerminationWaitInSeconds is the
final bake once green takes all traffic, and ALL_AT_ONCE bakes only that final one. Source: the SageMaker
Developer Guide's examples (deployment-guardrails-blue-green-canary: a 600 s canary bake and a 600 s
termination wait under a 1800 s timeout, which fits only if the final bake is the termination wait;
deployment-guardrails-blue-green-all-at-once sets no WaitIntervalInSeconds)."""
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.inference_components import copy_counts, uses_components
from mlops_guardrails.deploy.problems import problem
from mlops_guardrails.deploy.strategies import all_at_once, canary, component_rolling, linear, rolling
from mlops_guardrails.deploy.strategies.base import (DEFAULT_TIMEOUT_SECONDS, PROVISIONING_ALLOWANCE_SECONDS, ROUTING, Plan, Step,
                                    Strategy)

STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    all_at_once.STRATEGY, canary.STRATEGY, linear.STRATEGY, rolling.STRATEGY, component_rolling.STRATEGY,
)}

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "PROVISIONING_ALLOWANCE_SECONDS", "STRATEGIES", "Plan", "Step", "Strategy",
           "check", "plan_for", "plan_update", "strategy_of", "unit_counts"]

ONE_UPDATE_POLICY = "give one update policy only: BlueGreenUpdatePolicy or RollingUpdatePolicy"
SIZE_NOT_ALLOWED = "{field} goes only with Type {type}"
COPY_COUNT_NEEDS_COMPONENTS = "COPY_COUNT sizes count inference-component copies: use INSTANCE_COUNT or CAPACITY_PERCENT"
BLUE_GREEN_POLICY = "BlueGreenUpdatePolicy"
POLICIES = ("BlueGreenUpdatePolicy", "RollingUpdatePolicy")


def blue_green_types() -> list[str]:
    """TrafficRoutingConfiguration.Type's values: the registry's blue/green strategies."""
    return [name for name, s in STRATEGIES.items() if s.policy == BLUE_GREEN_POLICY]


def strategy_of(deployment_config: dict | None, components: bool = False) -> tuple[Strategy, dict]:
    """The strategy a DeploymentConfig asks for and its policy. For an endpoint, neither policy means blue/green
    ALL_AT_ONCE, as SageMaker does; inference components roll by RollingUpdatePolicy only.
    InputError for both policies, an unknown Type (listing the valid ones) or a policy components cannot use."""
    config = deployment_config or {}
    given = [name for name in POLICIES if name in config]
    if len(given) > 1:
        raise InputError("DeploymentConfig: BlueGreenUpdatePolicy and RollingUpdatePolicy: only one of the two")
    candidates = [s for s in STRATEGIES.values() if s.for_components == components]
    if components:
        if given != ["RollingUpdatePolicy"]:
            raise InputError(f"DeploymentConfig.RollingUpdatePolicy: {given or '(missing)'}: "
                             f"{component_rolling.ROLLING_REQUIRED}")
        return candidates[0], config["RollingUpdatePolicy"]
    if not given:
        return STRATEGIES["ALL_AT_ONCE"], {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}
    policy = config[given[0]]
    if given[0] != BLUE_GREEN_POLICY:
        return next(s for s in candidates if s.policy == given[0]), policy
    kind = policy.get("TrafficRoutingConfiguration", {}).get("Type")
    if kind not in blue_green_types():
        raise InputError(f"{ROUTING}.Type: {kind!r}: unknown strategy (valid: {', '.join(blue_green_types())})")
    return STRATEGIES[kind], policy


def plan_update(deployment_config: dict | None, counts: dict[str, int], components: bool = False) -> Plan:
    """DeploymentConfig + units per variant (instances) or per component (copies) -> the update's Plan."""
    strategy, policy = strategy_of(deployment_config, components)
    return strategy.plan(policy, counts)


def unit_counts(config: dict) -> dict[str, int]:
    """What an update of this stage config moves: copies per component, else instances per production variant
    (a serverless variant is one unit of capacity)."""
    if uses_components(config):
        return copy_counts(config)
    return {v["VariantName"]: v.get("InitialInstanceCount", 1) for v in config["ProductionVariants"]}


def plan_for(config: dict) -> Plan:
    """The update schedule of a stage config."""
    return plan_update(config["DeploymentConfig"], unit_counts(config), uses_components(config))


def check(config: dict) -> list[str]:
    """A schema-valid stage config's DeploymentConfig against its strategy's rules, and no other's size field."""
    deployment = config["DeploymentConfig"]
    if all(name in deployment for name in POLICIES):
        return [problem("DeploymentConfig", "(BlueGreenUpdatePolicy, RollingUpdatePolicy)", ONE_UPDATE_POLICY)]
    if uses_components(config):
        if BLUE_GREEN_POLICY in deployment:
            return [problem(f"DeploymentConfig.{BLUE_GREEN_POLICY}", "(present)", component_rolling.ROLLING_ONLY)]
        if "RollingUpdatePolicy" not in deployment:
            return [problem("DeploymentConfig.RollingUpdatePolicy", "(missing)", component_rolling.ROLLING_REQUIRED)]
    strategy, policy = strategy_of(deployment, uses_components(config))
    problems = []
    if not strategy.for_components:
        problems += [problem(f"{strategy.sizes_path()}.{field}.Type", "COPY_COUNT", COPY_COUNT_NEEDS_COMPONENTS)
                     for field, size in strategy.sizes(policy).items()
                     if isinstance(size, dict) and size.get("Type") == "COPY_COUNT"]
        if problems:
            return problems
    if strategy.policy == BLUE_GREEN_POLICY:
        routing = policy.get("TrafficRoutingConfiguration", {})
        for other in STRATEGIES.values():
            if other.policy == BLUE_GREEN_POLICY and other is not strategy and other.size_field in routing:
                problems.append(problem(f"{ROUTING}.{other.size_field}", routing[other.size_field],
                                        SIZE_NOT_ALLOWED.format(field=other.size_field, type=other.name)))
    return problems + strategy.check(config, policy)
