"""What each stage serves now and how its last deployment went: read-only DescribeEndpoint and friends.

Per stage: the endpoint, its status and config, the model package version each variant serves, the last
deployment's fields (FailureReason, LastDeploymentConfig, PendingDeploymentSummary), the stage alarms'
states and recent state changes, data capture, and the last monitoring execution. A call that fails or
that the account does not allow is reported in place (`unavailable: ...`), never hidden."""
from mlops_guardrails.deploy import stage_names

NOT_DEPLOYED = "not deployed"
HISTORY_ITEMS = 5


def _unavailable(error) -> str:
    return f"unavailable: {error}"


def served_models(sm, config_name: str) -> list[dict]:
    """Per production variant: its model and the model package (ARN and version) the model was made from."""
    variants = sm.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    served = []
    for variant in variants:
        entry = {"variant": variant["VariantName"], "model": variant.get("ModelName")}
        if variant.get("ModelName"):
            container = sm.describe_model(ModelName=variant["ModelName"]).get("PrimaryContainer", {})
            arn = container.get("ModelPackageName")
            entry["model_package"] = arn
            entry["version"] = int(arn.rsplit("/", 1)[1]) if arn and arn.rsplit("/", 1)[-1].isdigit() else None
            entry["model_data"] = container.get("ModelDataUrl")
        served.append(entry)
    return served


def alarm_states(cw, names: list[str]) -> list[dict]:
    found = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]} if names else {}
    return [{"name": name, "state": found[name]["StateValue"], "reason": found[name].get("StateReason", "")}
            if name in found else {"name": name, "state": "not found"} for name in names]


def alarm_history(cw, name: str) -> list[dict] | str:
    """The alarm's latest state changes (DescribeAlarmHistory), newest first."""
    try:
        items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate", MaxRecords=HISTORY_ITEMS,
                                          ScanBy="TimestampDescending")["AlarmHistoryItems"]
    except Exception as error:  # noqa: BLE001 - reported in place: status shows what it could read
        return _unavailable(error)
    return [{"time": str(item["Timestamp"]), "summary": item["HistorySummary"]} for item in items]


def last_monitoring_execution(sm, endpoint: str) -> dict | str | None:
    """The newest monitoring execution of the endpoint with its status and, when it failed, why; None: none ran."""
    try:
        summaries = sm.list_monitoring_executions(EndpointName=endpoint, SortBy="CreationTime", SortOrder="Descending",
                                                  MaxResults=1)["MonitoringExecutionSummaries"]
    except Exception as error:  # noqa: BLE001 - reported in place
        return _unavailable(error)
    if not summaries:
        return None
    latest = summaries[0]
    return {"schedule": latest.get("MonitoringScheduleName"), "scheduled_time": str(latest.get("ScheduledTime")),
            "status": latest.get("MonitoringExecutionStatus"), "failure_reason": latest.get("FailureReason"),
            "processing_job": latest.get("ProcessingJobArn")}


def stage_status(sm, cw, project: str, stage: str) -> dict:
    """One stage's status; an endpoint that does not exist is `not deployed`."""
    endpoint = stage_names.endpoint_name(project, stage)
    try:
        described = sm.describe_endpoint(EndpointName=endpoint)
    except sm.exceptions.ClientError as error:
        if "Could not find" in str(error) or "not found" in str(error).lower():
            return {"stage": stage, "endpoint": endpoint, "status": NOT_DEPLOYED}
        raise
    deployment = described.get("LastDeploymentConfig") or {}
    listed = [a["AlarmName"] for a in deployment.get("AutoRollbackConfiguration", {}).get("Alarms", [])]
    names = list(dict.fromkeys(stage_names.alarm_names(endpoint) + listed))
    capture = described.get("DataCaptureConfig") or {}
    return {
        "stage": stage, "endpoint": endpoint, "status": described["EndpointStatus"],
        "endpoint_config": described["EndpointConfigName"],
        "serves": served_models(sm, described["EndpointConfigName"]),
        "last_deployment": {"failure_reason": described.get("FailureReason"),
                            "last_modified": str(described.get("LastModifiedTime")),
                            "deployment_config": deployment or None,
                            "pending": described.get("PendingDeploymentSummary")},
        "alarms": [{**alarm, "history": alarm_history(cw, alarm["name"])} for alarm in alarm_states(cw, names)],
        "data_capture": {"enabled": capture.get("EnableCapture", False),
                         "sampling_percentage": capture.get("CurrentSamplingPercentage"),
                         "destination": capture.get("DestinationS3Uri")} if capture else {"enabled": False},
        "last_monitoring_execution": last_monitoring_execution(sm, endpoint),
    }


def render(stages: list[dict]) -> str:
    """Plain text, one block per stage."""
    lines = []
    for entry in stages:
        lines.append(f"{entry['stage']}: endpoint {entry['endpoint']}: {entry['status']}")
        if entry["status"] == NOT_DEPLOYED:
            continue
        lines.append(f"  config {entry['endpoint_config']}")
        for served in entry["serves"]:
            lines.append(f"  variant {served['variant']}: model package version {served.get('version')} "
                         f"({served.get('model_package')})")
        if entry["last_deployment"]["failure_reason"]:
            lines.append(f"  last deployment failed: {entry['last_deployment']['failure_reason']}")
        for alarm in entry["alarms"]:
            history = alarm["history"]
            changes = history if isinstance(history, str) else "; ".join(
                f"{item['time']} {item['summary']}" for item in history) or "no state changes"
            lines.append(f"  alarm {alarm['name']}: {alarm['state']} ({changes})")
        capture = entry["data_capture"]
        lines.append(f"  data capture: {'on, ' + str(capture['sampling_percentage']) + '% to ' + str(capture['destination']) if capture['enabled'] else 'off'}")
        monitoring = entry["last_monitoring_execution"]
        if isinstance(monitoring, dict):
            monitoring = f"{monitoring['status']} at {monitoring['scheduled_time']}" + (
                f": {monitoring['failure_reason']}" if monitoring.get("failure_reason") else "")
        lines.append(f"  last monitoring execution: {monitoring or 'none yet'}")
    return "\n".join(lines)
