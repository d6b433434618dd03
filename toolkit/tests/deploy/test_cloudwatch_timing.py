"""When a rollback alarm can fire (deploy/cloudwatch_timing.py): evaluation interval, soonest and latest alarm."""
from mlops_guardrails.deploy.cloudwatch_timing import earliest_alarm_seconds, evaluable_end, evaluation_interval, latest_alarm_seconds


def test_high_resolution_periods_are_evaluated_every_10_s_others_every_minute():
    assert [evaluation_interval(p) for p in (10, 20, 30, 60, 300)] == [10, 10, 10, 60, 60]


def test_soonest_alarm_is_the_window_then_the_delay():
    assert earliest_alarm_seconds(60, 3, 60) == 240
    assert earliest_alarm_seconds(10, 3, 0) == 30


def test_latest_alarm_adds_a_nearly_empty_first_period_and_one_evaluation():
    assert latest_alarm_seconds(60, 3, 60) == 60 * 4 + 60 + 60
    assert latest_alarm_seconds(10, 3, 60) == 10 * 4 + 60 + 10


def test_the_newest_judged_period_ends_a_delay_before_now():
    assert [evaluable_end(now, 60, 60) for now in (6119, 6120, 6179)] == [6000, 6060, 6060]
