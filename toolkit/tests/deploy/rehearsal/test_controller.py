"""The guardrail controller per strategy: shifts, waits, termination wait, rollback on alarm, timeout."""
import boto3
import pytest
from rehearsal.rehearsal_fixtures import csv_rows, fleet

from mlops_guardrails.deploy.rehearsal.alarms import put_stage_alarms
from mlops_guardrails.deploy.rehearsal.clock import SteppedClock
from mlops_guardrails.deploy.rehearsal.controller import ROLLED_BACK, SUCCEEDED, TIMED_OUT, GuardrailController
from mlops_guardrails.deploy.rehearsal.endpoint_host import EndpointHost
from mlops_guardrails.deploy.rehearsal.traffic import TrafficClient

SPEED = 1200.0  # one simulated minute = 50 ms
ERRORS = {"Invocation5XXErrors": {"Threshold": 0, "Period": 60, "EvaluationPeriods": 1},
          "ModelLatency": {"ThresholdMicroseconds": 5_000_000, "Period": 60, "EvaluationPeriods": 1}}


def blue_green(routing: dict, termination: int, timeout: int = 28800) -> dict:
    return {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing, "TerminationWaitInSeconds": termination,
                                      "MaximumExecutionTimeoutInSeconds": timeout}}


def rollout(unique, artifacts, green_artifact, deployment_config, *, count=3, alarms=True):
    """Blue v1 serving, traffic flowing, update to green_artifact; returns (outcome, traffic, cloudwatch)."""
    clock = SteppedClock(SPEED)  # checks land on their due times however loaded the machine is
    cloudwatch = boto3.client("cloudwatch")
    with EndpointHost(clock=clock) as host:
        host.create_endpoint(unique, fleet(f"{unique}-blue", ("AllTraffic", artifacts["v1"], 1, count)))
        names = []
        if alarms:
            names = put_stage_alarms(cloudwatch, endpoint=unique, endpoint_config=f"{unique}-green",
                                     variants=["AllTraffic"], alarms=ERRORS)
        controller = GuardrailController(host, clock=clock, cloudwatch=cloudwatch, poll_seconds=10)
        traffic = TrafficClient(endpoint_name=unique, rows=csv_rows(10), blue_config=f"{unique}-blue",
                                green_config=f"{unique}-green", phase=lambda: controller.phase,
                                endpoint_url=host.url, max_requests=400, max_seconds=20, rate_per_second=250)
        traffic.start(warm_up=5)
        try:
            outcome = controller.run_update(unique, fleet(f"{unique}-green", ("AllTraffic", green_artifact, 1, count)),
                                            deployment_config, extra_alarms=names)
        finally:
            traffic.stop()
        assert host.serving_config(unique) == outcome.serving_config
    return outcome, traffic, cloudwatch


def shifts(outcome) -> list[float]:
    return [e.green_share for e in outcome.timeline.events if e.kind == "shift"]


def test_canary_with_a_healthy_model_succeeds_and_serves_the_new_config(emulator, artifacts, unique):
    config = blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 120,
                         "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}, 60)
    outcome, traffic, _ = rollout(unique, artifacts, artifacts["v2"], config)
    assert (outcome.status, outcome.serving_config) == (SUCCEEDED, f"{unique}-green")
    assert shifts(outcome) == [pytest.approx(1 / 3, abs=1e-3), 1.0]
    (canary_start, canary_end, canary), (final_start, final_end, final) = outcome.timeline.bakes
    assert (canary, final) == ("canary (bake)", "all traffic on green (termination wait)")
    # Each bake lasts its wait exactly: checked every 10 s, it ends at the check on its deadline.
    assert (canary_start, canary_end, final_start, final_end) == (0, 120, 120, 180)
    assert outcome.poll_lag_seconds == 0
    total = traffic.total()
    assert total.failed == 0 and total.lost == 0 and total.served_green > 0


def test_alarm_during_the_canary_bake_rolls_back_to_the_old_config(emulator, artifacts, unique):
    config = blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 600,
                         "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}, 600)
    outcome, traffic, cloudwatch = rollout(unique, artifacts, artifacts["failing"], config)
    assert (outcome.status, outcome.alarms) == (ROLLED_BACK, (f"{unique}-invocation-5xx-errors",))
    assert outcome.serving_config == f"{unique}-blue"
    assert shifts(outcome) == [pytest.approx(1 / 3, abs=1e-3)]  # never reached 100%
    assert "during canary" in outcome.reason
    assert outcome.timeline.events[-2].kind == "rollback" and outcome.timeline.events[-2].green_share == 0
    states = {a["AlarmName"]: a["StateValue"] for a in cloudwatch.describe_alarms(AlarmNamePrefix=unique)["MetricAlarms"]}
    assert states[f"{unique}-invocation-5xx-errors"] == "ALARM"
    total = traffic.total()
    assert total.failed_blue == 0 and total.lost == 0 and total.failed_other == 0  # only the canary failed
    assert total.failed_green > 0


def test_alarm_during_the_termination_wait_still_rolls_back(emulator, artifacts, unique):
    config = blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, 600)
    outcome, _, _ = rollout(unique, artifacts, artifacts["failing"], config)
    assert (outcome.status, outcome.serving_config) == (ROLLED_BACK, f"{unique}-blue")
    assert shifts(outcome) == [1.0]
    assert outcome.timeline.bakes[-1][2] == "all traffic on green (termination wait)"


def test_alarm_in_a_linear_bake_rolls_back(emulator, artifacts, unique):
    # Half of green's answers fail: the 5XX alarm trips in the first bake that holds a whole minute.
    config = blue_green({"Type": "LINEAR", "WaitIntervalInSeconds": 300,
                         "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 33}}, 300)
    outcome, _, _ = rollout(unique, artifacts, artifacts["half"], config)
    assert outcome.status == ROLLED_BACK
    assert outcome.serving_config == f"{unique}-blue"
    assert shifts(outcome) == [pytest.approx(1 / 3, abs=1e-3)]
    assert "during linear step 1/3" in outcome.reason


def test_linear_success_shifts_in_rounded_steps(emulator, artifacts, unique):
    config = blue_green({"Type": "LINEAR", "WaitIntervalInSeconds": 60,
                         "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25}}, 0)
    outcome, _, _ = rollout(unique, artifacts, artifacts["v2"], config, count=3)
    assert outcome.status == SUCCEEDED
    assert shifts(outcome) == [pytest.approx(1 / 3, abs=1e-3), pytest.approx(2 / 3, abs=1e-3), 1.0]


def test_without_alarms_a_failing_model_is_not_rolled_back(emulator, artifacts, unique):
    config = blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 120,
                         "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}, 0)
    outcome, _, _ = rollout(unique, artifacts, artifacts["failing"], config, alarms=False)
    assert (outcome.status, outcome.serving_config) == (SUCCEEDED, f"{unique}-green")


def test_maximum_execution_timeout_rolls_back(emulator, artifacts, unique):
    config = blue_green({"Type": "CANARY", "WaitIntervalInSeconds": 600,
                         "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}, 600, timeout=700)
    outcome, _, _ = rollout(unique, artifacts, artifacts["v2"], config)
    assert (outcome.status, outcome.serving_config) == (TIMED_OUT, f"{unique}-blue")
    assert "MaximumExecutionTimeoutInSeconds 700 exceeded during all traffic on green" in outcome.reason
    # Caught by the first check past 700 s: the canary's 600 s, then the termination wait's checks at 610 ... 710.
    assert outcome.timeline.bakes[-1][:2] == (600, 710)
    assert outcome.elapsed_seconds == 710


def test_rolling_rollback_returns_blue_in_batches(emulator, artifacts, unique):
    config = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 2},
                                      "WaitIntervalInSeconds": 300,
                                      "RollbackMaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1}}}
    outcome, _, _ = rollout(unique, artifacts, artifacts["failing"], config, count=4)
    assert outcome.status == ROLLED_BACK
    rollback = [e.green_share for e in outcome.timeline.events if e.kind == "rollback"]
    assert rollback == [0.25, 0.0, 0.0]  # 2 of 4 green at the alarm, one instance back per batch
