"""Step sizes, rounding, waits and the registry of traffic-shifting strategies."""
import pytest

from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.strategies import STRATEGIES, plan_update


def blue_green(routing: dict, termination: int = 300, timeout: int | None = None) -> dict:
    policy = {"TrafficRoutingConfiguration": routing, "TerminationWaitInSeconds": termination}
    if timeout is not None:
        policy["MaximumExecutionTimeoutInSeconds"] = timeout
    return {"BlueGreenUpdatePolicy": policy}


def ramp(plan) -> list[dict]:
    return [step.green_instances for step in plan.steps]


def test_registry_holds_one_entry_per_strategy():
    assert sorted(STRATEGIES) == ["ALL_AT_ONCE", "CANARY", "INFERENCE_COMPONENT_ROLLING", "LINEAR", "ROLLING"]


def test_canary_instance_count_then_everything_with_waits():
    plan = plan_update(blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 600,
                                   "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}, 900), {"AllTraffic": 3})
    assert ramp(plan) == [{"AllTraffic": 1}, {"AllTraffic": 3}]
    assert [s.bake_seconds for s in plan.steps] == [600, 900]
    assert [s.final for s in plan.steps] == [False, True]
    assert plan.steps[0].shares({"AllTraffic": 3}) == {"AllTraffic": pytest.approx(1 / 3)}


@pytest.mark.parametrize(("count", "percent", "expected"), [(3, 25, 1), (10, 25, 3), (4, 50, 2), (1, 10, 1)])
def test_canary_capacity_percent_rounds_up_to_whole_instances(count, percent, expected):
    plan = plan_update(blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 60,
                                   "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": percent}}), {"A": count})
    assert plan.steps[0].green_instances == {"A": expected}


def test_canary_rounds_each_variant_against_its_own_count():
    plan = plan_update(blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 60,
                                   "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20}}), {"A": 10, "B": 3})
    assert ramp(plan) == [{"A": 2, "B": 1}, {"A": 10, "B": 3}]


def test_linear_steps_until_full_and_last_step_is_the_termination_wait():
    plan = plan_update(blue_green({"Type": "LINEAR", "WaitIntervalInSeconds": 120,
                                   "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 30}}, 45), {"A": 4})
    assert ramp(plan) == [{"A": 2}, {"A": 4}]
    assert [(s.bake_seconds, s.final) for s in plan.steps] == [(120, False), (45, True)]


def test_linear_instance_count_with_uneven_last_step():
    plan = plan_update(blue_green({"Type": "LINEAR", "WaitIntervalInSeconds": 60,
                                   "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 2}}), {"A": 5})
    assert ramp(plan) == [{"A": 2}, {"A": 4}, {"A": 5}]
    assert [s.label for s in plan.steps] == ["linear step 1/3", "linear step 2/3", "linear step 3/3"]


def test_all_at_once_is_one_step_with_the_termination_wait():
    plan = plan_update(blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, 240, 900), {"A": 2})
    assert ramp(plan) == [{"A": 2}]
    assert (plan.steps[0].bake_seconds, plan.steps[0].final, plan.timeout_seconds) == (240, True, 900)


def test_no_policy_means_blue_green_all_at_once_without_bake():
    plan = plan_update({}, {"A": 2})
    assert (plan.strategy, ramp(plan), plan.steps[0].bake_seconds) == ("ALL_AT_ONCE", [{"A": 2}], 0)


def test_rolling_batches_each_bake_the_wait_and_rollback_batch_is_kept():
    plan = plan_update({"RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 2}, "WaitIntervalInSeconds": 300,
        "RollbackMaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 40},
        "MaximumExecutionTimeoutInSeconds": 3600}}, {"A": 5})
    assert ramp(plan) == [{"A": 2}, {"A": 4}, {"A": 5}]
    assert {s.bake_seconds for s in plan.steps} == {300}
    assert plan.rollback_batch == {"A": 2}  # ceil(5 * 40%) = 2
    assert plan.timeout_seconds == 3600


def test_rolling_rollback_batch_of_the_whole_fleet_means_all_at_once():
    plan = plan_update({"RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1}, "WaitIntervalInSeconds": 0,
        "RollbackMaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 100}}}, {"A": 2})
    assert plan.rollback_batch is None


def test_unknown_routing_type_lists_the_valid_ones():
    with pytest.raises(InputError) as error:
        plan_update(blue_green({"Type": "GRADUAL", "WaitIntervalInSeconds": 0}), {"A": 1})
    assert str(error.value) == ("DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type: "
                                "'GRADUAL': unknown strategy (valid: ALL_AT_ONCE, CANARY, LINEAR)")


def test_both_policies_are_refused():
    with pytest.raises(InputError, match="only one of the two"):
        plan_update({"BlueGreenUpdatePolicy": {}, "RollingUpdatePolicy": {}}, {"A": 1})


def test_rolling_refuses_several_variants():
    with pytest.raises(InputError, match="rolling updates exclude multi-variant endpoints"):
        plan_update({"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                                             "WaitIntervalInSeconds": 0}}, {"A": 2, "B": 2})


def test_bad_capacity_type_names_the_field():
    with pytest.raises(InputError) as error:
        plan_update(blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 0,
                                "CanarySize": {"Type": "PERCENT", "Value": 10}}), {"A": 4})
    assert str(error.value).startswith(
        'DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Type: "PERCENT"')


def test_missing_wait_interval_is_an_error():
    with pytest.raises(InputError, match=r"TrafficRoutingConfiguration.WaitIntervalInSeconds: missing"):
        plan_update(blue_green({"Type": "CANARY", "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}), {"A": 3})


def test_schedule_totals_bake_between_steps_and_the_termination_wait_last():
    linear = plan_update(blue_green({"Type": "LINEAR", "WaitIntervalInSeconds": 300,
                                     "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 1}}, 200), {"A": 4})
    assert (linear.waits, linear.provisioning_rounds, linear.needed_seconds()) == (3 * 300 + 200, 1, 1100 + 300)
    canary = plan_update(blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 600,
                                     "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}, 600), {"A": 3})
    assert (canary.waits, canary.needed_seconds(provisioning=0)) == (1200, 1200)
    at_once = plan_update(blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 120}, 60), {"A": 1})
    assert at_once.waits == 60  # one step: its bake is the termination wait


def test_schedule_rolling_provisions_and_bakes_every_batch():
    rolling = plan_update({"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                                                   "WaitIntervalInSeconds": 120}}, {"A": 8})
    assert (rolling.waits, rolling.provisioning_rounds, rolling.needed_seconds(100)) == (4 * 120, 4, 480 + 400)


def test_schema_type_enum_lists_exactly_the_registrys_blue_green_strategies():
    from mlops_guardrails.deploy.stage_config import schema
    from mlops_guardrails.deploy.strategies import blue_green_types

    deployment = schema()["properties"]["DeploymentConfig"]["properties"]
    routing = deployment["BlueGreenUpdatePolicy"]["properties"]["TrafficRoutingConfiguration"]
    assert routing["properties"]["Type"]["enum"] == blue_green_types()
    # Every strategy's policy is a DeploymentConfig field the schema knows, and its size field one of the policy's.
    for strategy in STRATEGIES.values():
        assert strategy.policy in deployment, strategy.name
        policy = deployment[strategy.policy]["properties"]
        fields = routing["properties"] if strategy.policy == "BlueGreenUpdatePolicy" else policy
        assert strategy.size_field is None or strategy.size_field in fields, strategy.name


def test_every_strategy_module_holds_its_plan_checks_and_size_field():
    for name, strategy in STRATEGIES.items():
        assert strategy.name == name and callable(strategy.plan) and callable(strategy.check)
        assert strategy.description


def test_rehearsal_strategies_shim_is_gone():
    import importlib.util

    assert importlib.util.find_spec("mlops_guardrails.deploy.rehearsal.strategies") is None
