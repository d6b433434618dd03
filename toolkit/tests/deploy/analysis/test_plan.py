"""Rollout plans checked against hand computations for each strategy."""
import pytest

from mlops_guardrails.deploy.analysis.plan import capacity_instances, green_instance_steps, load_prices, plan_rollout
from mlops_guardrails.errors import InputError

PRICES, _ = load_prices()


def config(policy: dict, count: int, instance_type: str = "ml.m5.large", period: int = 60, evaluations: int = 2) -> dict:
    return {
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelVersion": "latest", "InstanceType": instance_type,
                                "InitialInstanceCount": count, "InitialVariantWeight": 1.0}],
        "DeploymentConfig": policy,
        "Alarms": {"Invocation5XXErrors": {"Threshold": 1, "Period": period, "EvaluationPeriods": evaluations},
                   "ModelLatency": {"ThresholdMicroseconds": 500000, "Period": 60, "EvaluationPeriods": 1}},
    }


def blue_green(routing: dict, termination_wait: int, timeout: int) -> dict:
    return {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing, "TerminationWaitInSeconds": termination_wait,
                                      "MaximumExecutionTimeoutInSeconds": timeout}}


@pytest.mark.parametrize("total,size,expected", [
    (3, {"Type": "CAPACITY_PERCENT", "Value": 50}, 2),   # 1.5 rounds up
    (3, {"Type": "CAPACITY_PERCENT", "Value": 10}, 1),   # 0.3 rounds up to the minimum of one
    (10, {"Type": "CAPACITY_PERCENT", "Value": 20}, 2),  # exact
    (4, {"Type": "INSTANCE_COUNT", "Value": 9}, 4),      # never more than the fleet
])
def test_capacity_instances_rounds_percent_up_within_fleet(total, size, expected):
    assert capacity_instances(size, total, "X") == expected


def test_capacity_instances_bad_type_names_field():
    with pytest.raises(InputError, match=r'X\.CanarySize\.Type: "PERCENT": must be one of "CAPACITY_PERCENT", "INSTANCE_COUNT"'):
        capacity_instances({"Type": "PERCENT", "Value": 5}, 4, "X.CanarySize")


def test_green_instance_steps_each_strategy():
    assert green_instance_steps(4, {}) == [4]
    assert green_instance_steps(10, blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 60, "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 15}}, 0, 900)) == [2, 10]
    assert green_instance_steps(5, blue_green({"Type": "LINEAR", "WaitIntervalInSeconds": 60, "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 2}}, 0, 900)) == [2, 4, 5]
    assert green_instance_steps(8, {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25}, "WaitIntervalInSeconds": 60}}) == [2, 4, 6, 8]


def test_plan_all_at_once_matches_hand_computation():
    # 2 x ml.m5.large, provisioning 600 s, then 100% and a 300 s final bake: 900 s with both fleets.
    plan = plan_rollout(config(blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, 300, 1200), 2), 10, PRICES, provisioning_s=600)
    assert [(s.start_s, s.green_share, s.bake_s) for s in plan.steps] == [(600, 1.0, 300)]
    assert plan.duration_s == 900
    assert plan.extra_instance_hours == {"ml.m5.large": pytest.approx(2 * 900 / 3600)}
    assert plan.extra_cost == pytest.approx(0.5 * 0.115)
    assert plan.exposures[0].requests_per_step == [(60 * 2 + 60) * 10 * 1.0]  # the window, then the 60 s delay
    assert plan.verdict == "pass"


def test_plan_counts_requests_served_before_rollback_with_the_delay_and_prices_pipeline_minutes():
    # ALL_AT_ONCE at 10 rps, 120 s final bake after 600 s provisioning; alarms of one 60 s period.
    plan = plan_rollout(config(blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, 120, 1200), 2,
                               evaluations=1), 10, PRICES, provisioning_s=600)
    errors = plan.exposures[0]
    # Soonest: window 60 s + 60 s delay = 120 s of all traffic; latest (a nearly empty first period, the window,
    # the delay, a 60 s evaluation interval = 240 s) comes after the 120 s bake: the update completes first.
    assert (errors.alarm, errors.before_rollback) == ("Invocation5XXErrors", (pytest.approx(1200), None))
    assert (plan.pipeline_minutes, plan.pipeline_cost) == (12, pytest.approx(12 * 0.002))  # 720 s -> 12 minutes
    # Without the delay the soonest rollback comes a minute earlier: 600 requests.
    assert plan_rollout(config(blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, 120, 1200), 2,
                               evaluations=1), 10, PRICES, provisioning_s=600, metric_delay_s=0).exposures[0] \
        .before_rollback == (pytest.approx(600), None)


def test_plan_canary_matches_hand_computation_and_fails_short_timeout():
    # 10 x ml.c5.xlarge, canary 15% -> ceil(1.5) = 2 instances = 20% of traffic for 600 s, then 100%.
    routing = {"Type": "CANARY", "WaitIntervalInSeconds": 600, "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 15}}
    plan = plan_rollout(config(blue_green(routing, 240, 1150), 10, "ml.c5.xlarge", 60, 3), 100, PRICES, provisioning_s=600)
    assert [(s.start_s, s.green_share, s.bake_s) for s in plan.steps] == [(600, 0.2, 600), (1200, 1.0, 240)]
    assert plan.duration_s == 1440
    assert plan.extra_instance_hours["ml.c5.xlarge"] == pytest.approx(10 * 1440 / 3600)
    assert plan.extra_cost == pytest.approx(10 * 1440 / 3600 * 0.204)
    exposure = plan.exposures[0]
    assert exposure.requests_per_step == pytest.approx([240 * 100 * 0.2, 240 * 100 * 1.0])  # 180 s window + 60 s
    assert exposure.worst == (2, pytest.approx(24000))
    assert exposure.late_steps == []  # the validator refuses bakes shorter than an alarm's window plus the delay
    # A model failing from its first request is rolled back within the canary: 240 s (soonest) to 360 s (a
    # nearly empty first period, the window, the delay, one evaluation) of 20% of 100 rps.
    assert exposure.before_rollback == (pytest.approx(240 * 20), pytest.approx(360 * 20))
    assert (plan.pipeline_minutes, plan.pipeline_cost) == (24, pytest.approx(0.048))
    assert plan.verdict == "fail"
    assert "MaximumExecutionTimeoutInSeconds 1150 s does not exceed the 1440 s" in plan.reasons[0]
    # 15% of 10 instances rounds up to 2: the plan passes the validator's warning on.
    assert any(note.startswith("warning: ") and "takes 20% of AllTraffic's traffic, not 15%" in note for note in plan.notes)


def test_plan_linear_matches_hand_computation():
    routing = {"Type": "LINEAR", "WaitIntervalInSeconds": 120, "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 2}}
    plan = plan_rollout(config(blue_green(routing, 120, 661), 5, evaluations=1), 10, PRICES, provisioning_s=300)
    assert [(s.start_s, s.green_share, s.bake_s) for s in plan.steps] == [(300, 0.4, 120), (420, 0.8, 120), (540, 1.0, 120)]
    assert plan.duration_s == 660
    assert plan.extra_instance_hours["ml.m5.large"] == pytest.approx(5 * 660 / 3600)
    # Latest rollback: 60 + 60 + 60 s delay + 60 s evaluation = 240 s: 120 s at 40%, then 120 s at 80% of 10 rps.
    assert plan.exposures[0].before_rollback == (pytest.approx(120 * 4), pytest.approx(120 * 4 + 120 * 8))
    assert plan.verdict == "pass"  # 661 s exceeds the 660 s needed (660 s itself the validator rejects)


def test_plan_rolling_matches_hand_computation():
    # 8 instances, batches of 25% = 2: each batch provisions 600 s then bakes 300 s; 2 extra instances at a time.
    policy = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25}, "WaitIntervalInSeconds": 300,
                                      "MaximumExecutionTimeoutInSeconds": 3700}}
    plan = plan_rollout(config(policy, 8), 20, PRICES, provisioning_s=600)
    assert [(s.start_s, s.green_share) for s in plan.steps] == [(600, 0.25), (1500, 0.5), (2400, 0.75), (3300, 1.0)]
    assert plan.duration_s == 3600
    assert plan.extra_instance_hours["ml.m5.large"] == pytest.approx(4 * 2 * 900 / 3600)
    assert plan.exposures[0].requests_per_step == pytest.approx([180 * 20 * s for s in (0.25, 0.5, 0.75, 1.0)])
    assert plan.verdict == "pass"


def test_plan_without_deployment_config_is_input_error():
    bad = config({}, 2)
    del bad["DeploymentConfig"]
    with pytest.raises(InputError, match="DeploymentConfig: missing"):
        plan_rollout(bad, 10, PRICES)


def test_plan_unknown_instance_type_lists_known_ones():
    with pytest.raises(InputError, match=r"InstanceType: ml\.zz\.huge: no price known; add it with --prices FILE \(known: .*ml\.m5\.large"):
        plan_rollout(config(blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, 300, 1200), 2, "ml.zz.huge"),
                     10, PRICES)


def test_load_prices_override_merges_and_validates():
    prices, currency = load_prices({"currency": "EUR", "prices": {"ml.zz.huge": 9.5}})
    assert (prices["ml.zz.huge"], prices["ml.m5.large"], currency) == (9.5, 0.115, "EUR")
    with pytest.raises(InputError, match=r"prices\.ml\.m5\.large: 'cheap': must be a number"):
        load_prices({"ml.m5.large": "cheap"})


def test_plan_inference_component_rolling_update_and_scale_to_zero_from_the_shipped_example():
    import json
    from pathlib import Path

    example = json.loads((Path(__file__).resolve().parents[4] / "seed-deploy/examples/ic-scale-to-zero.json").read_text())
    plan = plan_rollout(example, 2, PRICES, provisioning_s=300)
    # 2 copies in batches of 1 copy: each batch provisions (300 s) then bakes 180 s; half the copies, then all.
    assert plan.strategy == "INFERENCE_COMPONENT_ROLLING"
    assert [(s.start_s, s.green_share, s.bake_s) for s in plan.steps] == [(300, 0.5, 180), (780, 1.0, 180)]
    assert plan.duration_s == 960
    # One copy (1 core, 1 GiB) per batch fits on one more ml.m5.large (2 vCPUs: 2 copies) for 480 s a batch.
    assert plan.extra_instance_hours == {"ml.m5.large": pytest.approx(2 * 480 / 3600)}
    assert plan.scale_to_zero == [{"variant": "AllTraffic", "instance_type": "ml.m5.large", "idle_cost_per_hour": 0.0,
                                   "one_instance_per_day": pytest.approx(0.115 * 24),
                                   "first_request_wait_seconds": 300}]
    assert plan.verdict == "pass"
