"""Alarm evaluation from the host's metrics: whole periods, statistics, missing data, metric math."""
from mlops_guardrails.deploy.rehearsal.alarms import ALARM, INSUFFICIENT, OK, evaluate
from mlops_guardrails.deploy.rehearsal.metrics import MetricStore, dimensions

DIMS = [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "A"},
        {"Name": "EndpointConfigName", "Value": "green"}]


def alarm(**overrides) -> dict:
    base = {"AlarmName": "errors", "Namespace": "AWS/SageMaker", "MetricName": "Invocation5XXErrors",
            "Dimensions": DIMS, "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
            "Threshold": 0.0, "ComparisonOperator": "GreaterThanThreshold"}
    return {**base, **overrides}


def store_with(metric: str, points: list[tuple[float, float]], config: str = "green") -> MetricStore:
    store = MetricStore()
    for timestamp, value in points:
        store.put(metric, dimensions(EndpointName="ep", VariantName="A", EndpointConfigName=config), timestamp, value)
    return store


def test_sum_above_threshold_in_the_last_whole_period_is_alarm():
    result = evaluate(alarm(), store_with("Invocation5XXErrors", [(6010, 1), (6020, 1)]), now=6065)
    assert (result.state, result.values) == (ALARM, (2.0,))


def test_the_period_still_filling_is_not_evaluated():
    result = evaluate(alarm(TreatMissingData="notBreaching"), store_with("Invocation5XXErrors", [(6070, 1)]), 6090)
    assert (result.state, result.values) == (OK, (None,))


def test_a_period_counts_only_once_its_data_have_been_ingested():
    # Errors in the period 6000-6060: with CloudWatch's 60 s ingestion delay the alarm sees them from 6120 on.
    store = store_with("Invocation5XXErrors", [(6010, 1)])
    errors = alarm(TreatMissingData="notBreaching")
    assert evaluate(errors, store, now=6065).state == ALARM  # no delay: the period is judged once it ends
    assert [evaluate(errors, store, now, delay=60).state for now in (6065, 6119, 6120)] == [OK, OK, ALARM]


def test_no_data_is_insufficient_unless_treated_otherwise():
    store = MetricStore()
    assert evaluate(alarm(), store, 6000).state == INSUFFICIENT
    assert evaluate(alarm(TreatMissingData="notBreaching"), store, 6000).state == OK
    assert evaluate(alarm(TreatMissingData="breaching"), store, 6000).state == ALARM


def test_another_configs_errors_do_not_trip_a_new_fleet_alarm():
    result = evaluate(alarm(), store_with("Invocation5XXErrors", [(6010, 1)], config="blue"), now=6065)
    assert result.state == INSUFFICIENT


def test_average_latency_over_three_periods_needs_all_three_breaching():
    points = [(6000, 400_000), (6060, 100_000), (6120, 400_000)]
    latency = alarm(MetricName="ModelLatency", Statistic="Average", EvaluationPeriods=3, Threshold=300_000)
    assert evaluate(latency, store_with("ModelLatency", points), 6180).state == OK
    assert evaluate({**latency, "DatapointsToAlarm": 2}, store_with("ModelLatency", points), 6180).state == ALARM


def test_percentile_statistic():
    points = [(6000 + i, float(i)) for i in range(1, 11)]
    p90 = alarm(MetricName="ModelLatency", Statistic=None, ExtendedStatistic="p90", Threshold=8.5)
    result = evaluate(p90, store_with("ModelLatency", points), 6060)
    assert (result.state, result.values) == (ALARM, (9.0,))


def test_metric_math_sum_over_variants():
    store = store_with("Invocation5XXErrors", [(6010, 1)])
    math_alarm = alarm(Metrics=[
        {"Id": "m0", "ReturnData": False, "MetricStat": {"Metric": {
            "Namespace": "AWS/SageMaker", "MetricName": "Invocation5XXErrors", "Dimensions": DIMS},
            "Period": 60, "Stat": "Sum"}},
        {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {
            "Namespace": "AWS/SageMaker", "MetricName": "Invocation5XXErrors",
            "Dimensions": [*DIMS[:1], {"Name": "VariantName", "Value": "B"}, DIMS[2]]},
            "Period": 60, "Stat": "Sum"}},
        {"Id": "total", "Expression": "SUM([m0,m1])", "ReturnData": True}])
    result = evaluate(math_alarm, store, 6065)
    assert (result.state, result.values) == (ALARM, (1.0,))


def test_unsupported_expression_is_insufficient_data_with_the_reason():
    result = evaluate(alarm(Metrics=[{"Id": "e", "Expression": "ANOMALY_DETECTION_BAND(m1)", "ReturnData": True},
                                     {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {
                                         "Namespace": "AWS/SageMaker", "MetricName": "Invocations",
                                         "Dimensions": DIMS}, "Period": 60, "Stat": "Sum"}}]),
                      MetricStore(), 6065)
    assert result.state == INSUFFICIENT
    assert "not supported by the rehearsal" in result.reason
