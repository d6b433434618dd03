"""The stage alarms are defined once: the rehearsal creates exactly what the rendered endpoint template declares."""
import re
from pathlib import Path

from mlops_guardrails.deploy import stage_names
from mlops_guardrails.deploy.rehearsal.alarms import put_stage_alarms
from mlops_guardrails.deploy.stage_config import load_stage_config
from mlops_guardrails.deploy.template_render import ResolvedStage, render, stage_alarm_definitions

SEED = Path(__file__).resolve().parents[3] / "seed-deploy"  # the repository's deploy seed: the shipped configs


def literal(node, endpoint: str, config: str):
    """A rendered template value with the endpoint's references replaced by names, as a deploy resolves them."""
    if node == {"Ref": "EndpointName"}:
        return endpoint
    if node == {"Fn::GetAtt": ["EndpointConfig", "EndpointConfigName"]}:
        return config
    if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
        return re.sub(r"\$\{EndpointName\}", endpoint, node["Fn::Sub"])
    if isinstance(node, dict):
        return {key: literal(value, endpoint, config) for key, value in node.items()}
    if isinstance(node, list):
        return [literal(value, endpoint, config) for value in node]
    return node


def test_rehearsal_definitions_equal_the_rendered_template_alarms():
    config = load_stage_config(SEED / "examples/ab-test.json")
    stage = ResolvedStage("prod", config, {v["VariantName"]: "arn" for v in config["ProductionVariants"]})
    template = render({"staging": stage, "prod": stage})
    rendered = [literal(template["Resources"][name]["Properties"], "ep", "ep-config-2")
                for name in ("Invocation5XXErrorsAlarm", "ModelLatencyAlarm")]
    variants = [v["VariantName"] for v in config["ProductionVariants"]]
    assert stage_alarm_definitions(config["Alarms"], variants, endpoint="ep", endpoint_config="ep-config-2") == rendered
    assert [d["AlarmName"] for d in rendered] == stage_names.alarm_names("ep")


def test_put_stage_alarms_creates_them_over_the_new_fleet(emulator, unique):
    import boto3

    endpoint, cloudwatch = unique("ep"), boto3.client("cloudwatch")
    alarms = load_stage_config(SEED / "prod-config.json")["Alarms"]
    names = put_stage_alarms(cloudwatch, endpoint=endpoint, endpoint_config=f"{endpoint}-green",
                             variants=["AllTraffic"], alarms=alarms)
    assert names == [f"{endpoint}-invocation-5xx-errors", f"{endpoint}-model-latency"]
    described = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    latency = described[f"{endpoint}-model-latency"]
    assert (latency["ComparisonOperator"], latency["Threshold"], latency["EvaluationPeriods"],
            latency["TreatMissingData"]) == ("GreaterThanThreshold", 300000.0, 3, "notBreaching")
    query, combined = latency["Metrics"]
    assert {"Name": "EndpointConfigName", "Value": f"{endpoint}-green"} in query["MetricStat"]["Metric"]["Dimensions"]
    assert (query["MetricStat"]["Stat"], combined["Expression"]) == ("Average", "MAX([v1])")
