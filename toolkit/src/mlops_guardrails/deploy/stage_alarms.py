"""The stage's two alarms over the NEW fleet, defined once: the endpoint template renders them, the rehearsal creates them.

endpoint-template.yml holds what never changes (names, comparison, missing data); this module builds
what the stage config decides (threshold, evaluation periods, one metric query per variant combined by
metric math). template_render fills the template with CloudFormation references; alarm_definitions gives
the same alarms with literal names for put_metric_alarm."""
import copy
from dataclasses import dataclass


@dataclass(frozen=True)
class StageAlarm:
    key: str        # the key under the stage config's Alarms, the metric's name, and the template's slot prefix
    threshold: str  # the field of Alarms.<key> that holds the threshold
    stat: str       # per-variant statistic
    combine: str    # metric math across variants: errors add up, latency is the worst variant's

    @property
    def logical_id(self) -> str:
        return f"{self.key}Alarm"


STAGE_ALARMS = (
    StageAlarm("Invocation5XXErrors", "Threshold", "Sum", "SUM"),
    StageAlarm("ModelLatency", "ThresholdMicroseconds", "Average", "MAX"),
)


def metric_queries(alarm: StageAlarm, period: int, variants: list[str], *, endpoint, endpoint_config) -> list[dict]:
    """One query per production variant of the new config, combined by a metric-math expression.

    `endpoint` and `endpoint_config` are names, or CloudFormation references to them. The dimension
    EndpointConfigName keeps the old fleet out: an alarm over the whole endpoint would trip on it too."""
    queries = []
    for index, variant in enumerate(variants, start=1):
        dimensions = [
            # Copies: a CloudFormation reference shared between places would be written as a YAML alias.
            {"Name": "EndpointName", "Value": copy.deepcopy(endpoint)},
            {"Name": "VariantName", "Value": variant},
            {"Name": "EndpointConfigName", "Value": copy.deepcopy(endpoint_config)},
        ]
        queries.append({
            "Id": f"v{index}",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": alarm.key, "Dimensions": dimensions},
                "Period": period,
                "Stat": alarm.stat,
            },
            "ReturnData": False,
        })
    ids = ", ".join(query["Id"] for query in queries)
    queries.append({"Id": "fleet", "Expression": f"{alarm.combine}([{ids}])", "Label": f"{alarm.key} of the new fleet",
                    "ReturnData": True})
    return queries


def component_queries(alarm: StageAlarm, period: int, components: list) -> list[dict]:
    """One query per inference component (dimension InferenceComponentName), combined by metric math.

    SageMaker publishes an inference component's invocation metrics (Invocations, Invocation5XXErrors,
    ModelLatency, ...) in AWS/SageMaker with the dimension InferenceComponentName (Developer Guide,
    monitoring-cloudwatch: "SageMaker AI inference component metrics"). A component's rolling update keeps
    its name, so its alarm watches old and new copies together; a bad batch still moves it."""
    queries = [{
        "Id": f"c{index}",
        "MetricStat": {
            "Metric": {"Namespace": "AWS/SageMaker", "MetricName": alarm.key,
                       "Dimensions": [{"Name": "InferenceComponentName", "Value": copy.deepcopy(name)}]},
            "Period": period,
            "Stat": alarm.stat,
        },
        "ReturnData": False,
    } for index, name in enumerate(components, start=1)]
    ids = ", ".join(query["Id"] for query in queries)
    queries.append({"Id": "fleet", "Expression": f"{alarm.combine}([{ids}])",
                    "Label": f"{alarm.key} of the inference components", "ReturnData": True})
    return queries


def slot_values(alarms: dict, variants: list[str], *, endpoint, endpoint_config, components: list | None = None) -> dict:
    """The template's `!FromStageConfig <key>.*` values for one stage's `Alarms`; with `components` (their
    InferenceComponentName values) the alarms watch the components instead of the new fleet's variants."""
    values = {}
    for alarm in STAGE_ALARMS:
        settings = alarms[alarm.key]
        values[f"{alarm.key}.{alarm.threshold}"] = settings[alarm.threshold]
        values[f"{alarm.key}.EvaluationPeriods"] = settings["EvaluationPeriods"]
        values[f"{alarm.key}.Metrics"] = (
            component_queries(alarm, settings["Period"], components) if components else
            metric_queries(alarm, settings["Period"], variants, endpoint=endpoint, endpoint_config=endpoint_config))
    return values
