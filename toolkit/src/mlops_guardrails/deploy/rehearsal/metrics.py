"""Per-variant endpoint metrics as SageMaker emits them, kept in memory and published to CloudWatch by minute."""
import datetime as dt
import math
import threading
from collections import defaultdict

NAMESPACE = "AWS/SageMaker"
MINUTE = 60
UNITS = {
    "Invocations": "None",
    "Invocation4XXErrors": "None",
    "Invocation5XXErrors": "None",
    "InvocationModelErrors": "None",
    "ModelLatency": "Microseconds",
    "OverheadLatency": "Microseconds",
}
# put_metric_data takes at most 1000 datums a call; stay well below it.
_BATCH = 20

Dimensions = tuple[tuple[str, str], ...]


def dimensions(**pairs: str) -> Dimensions:
    """Dimension set as a sorted tuple: CloudWatch identifies a metric by its exact set of dimensions."""
    return tuple(sorted(pairs.items()))


class MetricStore:
    """Raw datapoints by (metric, dimensions); the alarms read statistics from here, CloudWatch gets minutes."""

    def __init__(self) -> None:
        self._points: dict[tuple[str, Dimensions], list[tuple[float, float]]] = defaultdict(list)
        self._lock = threading.Lock()
        self._published_until = 0.0

    def put(self, metric: str, dims: Dimensions, timestamp: float, value: float) -> None:
        with self._lock:
            self._points[(metric, dims)].append((timestamp, value))

    def record_invocation(
        self,
        *,
        endpoint: str,
        variant: str,
        endpoint_config: str,
        timestamp: float,
        model_latency_us: float | None,
        overhead_latency_us: float,
        error_4xx: bool = False,
        error_5xx: bool = False,
        model_error: bool = False,
        inference_component: str | None = None,
    ) -> None:
        """One InvokeEndpoint request, under both dimension sets SageMaker publishes during an update:
        (EndpointName, VariantName) and, to watch one fleet, (EndpointName, VariantName, EndpointConfigName)."""
        values = {
            "Invocations": 1.0,
            "Invocation4XXErrors": float(error_4xx),
            "Invocation5XXErrors": float(error_5xx),
            "InvocationModelErrors": float(model_error),
            "OverheadLatency": overhead_latency_us,
        }
        if model_latency_us is not None:
            values["ModelLatency"] = model_latency_us
        sets = [dimensions(EndpointName=endpoint, VariantName=variant),
                dimensions(EndpointName=endpoint, VariantName=variant, EndpointConfigName=endpoint_config)]
        if inference_component:  # an inference component's own metrics (monitoring-cloudwatch)
            sets.append(dimensions(InferenceComponentName=inference_component))
        for dims in sets:
            for metric, value in values.items():
                self.put(metric, dims, timestamp, value)

    def values(self, metric: str, dims: Dimensions, start: float, end: float) -> list[float]:
        """Raw values with start <= timestamp < end."""
        with self._lock:
            points = list(self._points.get((metric, dims), ()))
        return [value for timestamp, value in points if start <= timestamp < end]

    def publish(self, cloudwatch, until: float) -> int:
        """Send every whole minute before `until` not yet sent, as StatisticValues; returns datums sent."""
        until = math.floor(until / MINUTE) * MINUTE
        with self._lock:
            since, self._published_until = self._published_until, max(self._published_until, until)
            snapshot = {key: list(points) for key, points in self._points.items()}
        datums = [
            datum
            for (metric, dims), points in sorted(snapshot.items())
            for datum in _minute_datums(metric, dims, points, since, until)
        ]
        for start in range(0, len(datums), _BATCH):
            cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=datums[start : start + _BATCH])
        return len(datums)


def _minute_datums(metric: str, dims: Dimensions, points, since: float, until: float) -> list[dict]:
    minutes: dict[int, list[float]] = defaultdict(list)
    for timestamp, value in points:
        if since <= timestamp < until:
            minutes[int(timestamp // MINUTE) * MINUTE].append(value)
    return [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dims],
            "Timestamp": dt.datetime.fromtimestamp(minute, tz=dt.timezone.utc),
            "StatisticValues": {
                "SampleCount": float(len(values)),
                "Sum": float(sum(values)),
                "Minimum": float(min(values)),
                "Maximum": float(max(values)),
            },
            "Unit": UNITS.get(metric, "None"),
        }
        for minute, values in sorted(minutes.items())
    ]
