"""Evaluate CloudWatch alarm definitions against the host's metrics; moto stores alarms but never evaluates them.

Outcomes as CloudWatch names them: ALARM, OK, INSUFFICIENT_DATA. No data is never OK unless the alarm's
TreatMissingData says so. Supported: single-metric alarms (Statistic or pNN ExtendedStatistic) and
metric-math alarms whose MetricStat queries feed one expression of + - * /, SUM, MAX, MIN, AVG.
"""
import ast
import math
from dataclasses import dataclass

from mlops_guardrails.deploy.cloudwatch_timing import evaluable_end
from mlops_guardrails.deploy.rehearsal.metrics import MetricStore
from mlops_guardrails.deploy.template_render import stage_alarm_definitions

ALARM, OK, INSUFFICIENT = "ALARM", "OK", "INSUFFICIENT_DATA"
_COMPARE = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_FUNCTIONS = {"SUM": sum, "MAX": max, "MIN": min, "AVG": lambda xs: sum(xs) / len(xs)}


@dataclass(frozen=True)
class Evaluation:
    name: str
    state: str
    reason: str
    values: tuple[float | None, ...] = ()


def statistic(values: list[float], stat: str) -> float | None:
    """One period's statistic from raw values; None when the period has no data."""
    if not values:
        return None
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return float(sum(values) / len(values))
    if stat == "Maximum":
        return float(max(values))
    if stat == "Minimum":
        return float(min(values))
    if stat == "SampleCount":
        return float(len(values))
    if stat.startswith("p"):
        ordered = sorted(values)
        rank = max(0, math.ceil(float(stat[1:]) / 100 * len(ordered)) - 1)
        return float(ordered[rank])
    raise ValueError(f"statistic {stat!r} is not supported by the rehearsal")


def _dims(dimensions: list[dict]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((d["Name"], d["Value"]) for d in dimensions or ()))


def _metric_value(store: MetricStore, metric: dict, stat: str, start: float, end: float) -> float | None:
    if metric.get("Namespace") != "AWS/SageMaker":
        return None  # only the host's own metrics exist in the rehearsal
    return statistic(store.values(metric["MetricName"], _dims(metric.get("Dimensions")), start, end), stat)


def _evaluate_expression(expression: str, variables: dict[str, float | None]) -> float | None:
    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in variables:
            return variables[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            left, right = walk(node.left), walk(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Div):
                return None if right == 0 else left / right
            return {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}[type(node.op)]
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
                and len(node.args) == 1 and isinstance(node.args[0], ast.List)):
            present = [v for v in (walk(item) for item in node.args[0].elts) if v is not None]
            return _FUNCTIONS[node.func.id](present) if present else None
        raise ValueError(f"expression {expression!r}: {ast.dump(node)[:60]} is not supported by the rehearsal")

    return walk(ast.parse(expression, mode="eval"))


def _period_value(alarm: dict, store: MetricStore, start: float, end: float) -> float | None:
    if "Metrics" not in alarm or not alarm["Metrics"]:
        stat = alarm.get("ExtendedStatistic") or alarm.get("Statistic")
        metric = {k: alarm.get(k) for k in ("Namespace", "MetricName", "Dimensions")}
        return _metric_value(store, metric, stat, start, end)
    variables: dict[str, float | None] = {}
    result = None
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            variables[query["Id"]] = _metric_value(store, stat["Metric"], stat["Stat"], start, end)
    for query in alarm["Metrics"]:
        value = variables.get(query["Id"])
        if "Expression" in query:
            value = variables[query["Id"]] = _evaluate_expression(query["Expression"], variables)
        if query.get("ReturnData", True):
            result = value
    return result


def _period(alarm: dict) -> float:
    if alarm.get("Metrics"):
        return float(next(q["MetricStat"]["Period"] for q in alarm["Metrics"] if "MetricStat" in q))
    return float(alarm["Period"])


def evaluate(alarm: dict, store: MetricStore, now: float, delay: float = 0.0) -> Evaluation:
    """An alarm definition (describe_alarms' MetricAlarms shape) over its last EvaluationPeriods whole periods
    whose data have arrived: a period counts once it has ended and `delay` seconds (CloudWatch's ingestion
    delay, deploy/cloudwatch_timing.py) have passed."""
    name = alarm["AlarmName"]
    try:
        period = _period(alarm)
        periods = int(alarm["EvaluationPeriods"])
        needed = int(alarm.get("DatapointsToAlarm") or periods)
        compare = _COMPARE[alarm["ComparisonOperator"]]
        last_end = evaluable_end(now, period, delay)  # whole, ingested periods: the current one is still filling
        values = tuple(_period_value(alarm, store, last_end - (i + 1) * period, last_end - i * period)
                       for i in reversed(range(periods)))
    except (KeyError, StopIteration, ValueError) as error:
        return Evaluation(name, INSUFFICIENT, f"cannot evaluate in the rehearsal: {error}")
    treat = alarm.get("TreatMissingData", "missing")
    present = [v for v in values if v is not None]
    breaching = sum(compare(v, alarm["Threshold"]) for v in present)
    if treat == "breaching":
        breaching += len(values) - len(present)
    elif not present and treat != "notBreaching":
        return Evaluation(name, INSUFFICIENT, f"no data in the last {periods} period(s) of {period:g} s", values)
    state = ALARM if breaching >= needed else OK
    reason = (f"{breaching} of {periods} period(s) of {period:g} s breached {alarm['ComparisonOperator']} "
              f"{alarm['Threshold']:g} (values {[None if v is None else round(v, 3) for v in values]})")
    return Evaluation(name, state, reason, values)


class AlarmWatcher:
    """The update's auto-rollback alarms: read from CloudWatch, evaluated locally, states written back."""

    def __init__(self, cloudwatch, names: list[str], store: MetricStore, delay: float = 0.0) -> None:
        self.cloudwatch = cloudwatch
        self.names = list(dict.fromkeys(names))
        self.store = store
        self.delay = delay  # ingestion delay (seconds) before a period's data reach the alarm
        self.definitions: dict[str, dict] = {}
        self.missing: list[str] = []
        self._states: dict[str, str] = {}

    def load(self) -> None:
        """describe_alarms for every name; names CloudWatch does not know are kept in `missing`."""
        self.definitions = {}
        for start in range(0, len(self.names), 100):
            page = self.cloudwatch.describe_alarms(AlarmNames=self.names[start:start + 100])
            for alarm in page.get("MetricAlarms", []):
                self.definitions[alarm["AlarmName"]] = alarm
        self.missing = [name for name in self.names if name not in self.definitions]
        self._states = {name: alarm.get("StateValue") for name, alarm in self.definitions.items()}

    def check(self, now: float) -> list[Evaluation]:
        """Evaluate every alarm; a changed state is written with set_alarm_state so describe_alarms shows it."""
        evaluations = [evaluate(alarm, self.store, now, self.delay) for alarm in self.definitions.values()]
        for evaluation in evaluations:
            if self._states.get(evaluation.name) != evaluation.state:
                self.cloudwatch.set_alarm_state(AlarmName=evaluation.name, StateValue=evaluation.state,
                                                StateReason=f"rehearsal: {evaluation.reason}"[:1023])
                self._states[evaluation.name] = evaluation.state
        return evaluations


def put_stage_alarms(cloudwatch, *, endpoint: str, endpoint_config: str, variants: list[str],
                     alarms: dict, components: list[str] | None = None) -> list[str]:
    """Create the stage's two alarms over the NEW fleet (EndpointConfigName) from a validated config's `Alarms`.

    The definitions are the endpoint template's own (template_render.stage_alarm_definitions: the
    template's alarm resources with this endpoint's literal names), so the rehearsal watches exactly what
    a deploy creates."""
    definitions = stage_alarm_definitions(alarms, list(variants), endpoint=endpoint, endpoint_config=endpoint_config,
                                          components=components)
    for definition in definitions:
        cloudwatch.put_metric_alarm(**definition)
    return [definition["AlarmName"] for definition in definitions]
