"""`python -m deploy status`: what each stage serves and how its last deployment went, through the emulator."""
import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber

from mlops_guardrails.deploy import cli
from mlops_guardrails.deploy.status import alarm_history, last_monitoring_execution


@pytest.fixture
def cw(emulator):
    return boto3.client("cloudwatch")


def test_status_json_names_the_served_version_the_alarm_states_and_an_undeployed_stage(
        sm, cw, register, unique, deploy_endpoint, capsys):
    project = unique("st")
    arns = register(sm, unique("g"), ["Approved", "Approved"])
    config = deploy_endpoint(sm, f"{project}-staging", arns[1])
    cw.put_metric_alarm(AlarmName=f"{project}-staging-model-latency", Namespace="AWS/SageMaker",
                        MetricName="ModelLatency", Statistic="Average", Period=60, EvaluationPeriods=2,
                        Threshold=300000, ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName=f"{project}-staging-model-latency", StateValue="ALARM", StateReason="slow")
    assert cli.main(["status", "--project", project, "--json"]) == 0
    staging, prod = json.loads(capsys.readouterr().out)
    assert (staging["status"], staging["endpoint_config"]) == ("InService", config)
    assert [(s["variant"], s["version"], s["model_package"]) for s in staging["serves"]] == [("AllTraffic", 2, arns[1])]
    assert [(a["name"], a["state"]) for a in staging["alarms"]] == [
        (f"{project}-staging-invocation-5xx-errors", "not found"), (f"{project}-staging-model-latency", "ALARM")]
    assert prod == {"stage": "prod", "endpoint": f"{project}-prod", "status": "not deployed"}


def test_status_text_for_one_stage(sm, register, unique, deploy_endpoint, capsys):
    project = unique("tx")
    arns = register(sm, unique("g"), ["Approved"])
    deploy_endpoint(sm, f"{project}-prod", arns[0])
    assert cli.main(["status", "--project", project, "--stage", "prod"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"prod: endpoint {project}-prod: InService\n")
    assert f"variant AllTraffic: model package version 1 ({arns[0]})" in text
    assert "data capture: off" in text and "staging" not in text


def test_status_without_project_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("SAGEMAKER_PROJECT_NAME", raising=False)
    assert cli.main(["status"]) == 2
    assert "--project: not given and SAGEMAKER_PROJECT_NAME is not set" in capsys.readouterr().err


def test_alarm_history_and_monitoring_execution_in_the_service_models_shapes():
    # moto has neither call: botocore's Stubber checks the requests and answers against the service models.
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    sm = boto3.client("sagemaker", region_name="us-east-1")
    when = dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.timezone.utc)
    with Stubber(cw) as stub_cw, Stubber(sm) as stub_sm:
        stub_cw.add_response("describe_alarm_history", {"AlarmHistoryItems": [
            {"Timestamp": when, "HistorySummary": "Alarm updated from OK to ALARM"}]},
            {"AlarmName": "e-model-latency", "HistoryItemType": "StateUpdate", "MaxRecords": 5,
             "ScanBy": "TimestampDescending"})
        stub_sm.add_response("list_monitoring_executions", {"MonitoringExecutionSummaries": [
            {"MonitoringScheduleName": "e-data-quality", "ScheduledTime": when, "CreationTime": when,
             "LastModifiedTime": when, "MonitoringExecutionStatus": "CompletedWithViolations"}]},
            {"EndpointName": "e", "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 1})
        assert alarm_history(cw, "e-model-latency") == [
            {"time": "2026-12-08 01:00:00+00:00", "summary": "Alarm updated from OK to ALARM"}]
        execution = last_monitoring_execution(sm, "e")
    assert (execution["schedule"], execution["status"]) == ("e-data-quality", "CompletedWithViolations")
