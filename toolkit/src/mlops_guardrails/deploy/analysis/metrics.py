"""Per-variant CloudWatch metrics (AWS/SageMaker, EndpointName + VariantName) over a time window."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from mlops_guardrails.errors import DeployError

NAMESPACE = "AWS/SageMaker"
COUNTS = ("Invocations", "Invocation4XXErrors", "Invocation5XXErrors", "InvocationModelErrors")
LATENCY_PERCENTILES = ("p50", "p90", "p99")


@dataclass(frozen=True)
class VariantMetrics:
    """Sums of the count metrics and ModelLatency in milliseconds (CloudWatch reports microseconds)."""

    counts: dict[str, float]
    latency_ms: dict[str, float | None]

    @property
    def errors(self) -> float:
        return sum(self.counts.get(name, 0.0) for name in COUNTS[1:])


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime, int]:
    """Widen to whole minutes; one period covering the window gives whole-window percentiles
    (percentiles of per-minute percentiles would be wrong)."""
    start = start.replace(second=0, microsecond=0) - timedelta(minutes=1)
    end = end.replace(second=0, microsecond=0) + timedelta(minutes=2)
    period = int(math.ceil((end - start).total_seconds() / 60) * 60)
    return start, end, period


def fetch_variant_metrics(endpoint: str, variants: list[str], start: datetime, end: datetime, client=None) -> dict[str, VariantMetrics]:
    """Invocations and error sums, ModelLatency average and percentiles, for each variant."""
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        import boto3

        client = boto3.client("cloudwatch")
    start, end, period = _window(start, end)
    try:
        return {v: _variant(client, endpoint, v, start, end, period) for v in variants}
    except (BotoCoreError, ClientError) as error:
        raise DeployError(f"CloudWatch {NAMESPACE} for endpoint {endpoint}: {error}") from error


def _datapoints(client, endpoint, variant, name, start, end, period, **statistic) -> list[dict]:
    return client.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}],
        StartTime=start,
        EndTime=end,
        Period=period,
        **statistic,
    )["Datapoints"]


def _variant(client, endpoint, variant, start, end, period) -> VariantMetrics:
    counts = {name: sum(p.get("Sum", 0.0) for p in _datapoints(client, endpoint, variant, name, start, end, period, Statistics=["Sum"])) for name in COUNTS}
    averages = _datapoints(client, endpoint, variant, "ModelLatency", start, end, period, Statistics=["Average", "SampleCount"])
    samples = sum(p.get("SampleCount", 0.0) for p in averages)
    latency: dict[str, float | None] = {
        "avg": sum(p["Average"] * p["SampleCount"] for p in averages) / samples / 1000 if samples else None
    }
    extended = _datapoints(client, endpoint, variant, "ModelLatency", start, end, period, ExtendedStatistics=list(LATENCY_PERCENTILES))
    for name in LATENCY_PERCENTILES:
        # One period spans the window, so at most one datapoint carries each percentile.
        values = [p["ExtendedStatistics"][name] for p in extended if name in p.get("ExtendedStatistics", {})]
        latency[name] = values[0] / 1000 if len(values) == 1 else None
    return VariantMetrics(counts=counts, latency_ms=latency)


def parse_time(text: str) -> datetime:
    """An ISO 8601 inferenceTime such as 2024-05-01T12:00:00Z."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def metrics_for_captures(captures, variants: list[str], endpoint: str | None = None, client=None) -> dict[str, VariantMetrics]:
    """Metrics for the endpoint the captures came from, over the window their inferenceTimes span."""
    from mlops_guardrails.deploy.analysis.captures import capture_window
    from mlops_guardrails.errors import InputError

    endpoints = sorted({c.endpoint for c in captures})
    if endpoint is None:
        if len(endpoints) != 1:
            raise InputError(f"--endpoint: not given and the captures come from {len(endpoints)} endpoints ({', '.join(endpoints)}): name one")
        endpoint = endpoints[0]
    window = capture_window(captures)
    if window is None:
        raise InputError("--cloudwatch: the captures carry no eventMetadata.inferenceTime, so there is no time window to read")
    try:
        start, end = parse_time(window[0]), parse_time(window[1])
    except ValueError as error:
        raise InputError(f"eventMetadata.inferenceTime: {window[0]!r}: not ISO 8601: {error}") from error
    return fetch_variant_metrics(endpoint, variants, start, end, client)
