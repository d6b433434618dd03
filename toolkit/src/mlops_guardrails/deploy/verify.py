"""Check that a stage's endpoint is InService on exactly the endpoint config its deploy created."""
from dataclasses import dataclass, field

from mlops_guardrails.errors import DeployError, InputError

IN_SERVICE = "InService"
STACK_NOT_FOUND = "stack {stack}: {error}"
STACK_OUTPUT_MISSING = "stack {stack}: output {output} missing: deploy the endpoint template (template-export.yml) first"
ENDPOINT_NOT_FOUND = "endpoint {endpoint}: not found: {error}"
ROLLED_BACK = (
    "endpoint {endpoint} is InService on {actual}, not on {expected}: the update was rolled back "
    "(SageMaker reports no error for a guardrail rollback); {alarms}"
)
NOT_IN_SERVICE = "endpoint {endpoint} is {status}, not InService{reason}"
ROLLBACK_FAILED = "endpoint {endpoint} is UpdateRollbackFailed: both the update and its rollback failed{reason}"
ALARMS_FIRING = "alarms in ALARM: {names}"
# After a guardrail rollback the refused version is still the newest Approved one: the next run deploys it
# again. What to do next (seed-deploy/README.md, "prod rolled back: what now").
NEXT_AFTER_ROLLBACK = ("next: reject the refused version so the newest Approved one is the version that stayed: "
                       "python -m deploy rollback --to-version {version} --reason \"rolled back by its alarms\"")
NO_ALARM_FIRING = "no alarm of the endpoint is in ALARM now (check its alarm history)"


@dataclass
class Verdict:
    """What verify found: passed, the endpoint's state and a one-line explanation."""

    passed: bool
    endpoint: str
    expected_config: str
    actual_config: str
    status: str
    message: str
    alarms_in_alarm: list[str] = field(default_factory=list)


def stack_outputs(cfn, stack: str) -> tuple[str, str]:
    """(EndpointName, EndpointConfigName) from the stage stack's outputs."""
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except cfn.exceptions.ClientError as error:
        raise InputError(STACK_NOT_FOUND.format(stack=stack, error=error)) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    for name in ("EndpointName", "EndpointConfigName"):
        if name not in outputs:
            raise DeployError(STACK_OUTPUT_MISSING.format(stack=stack, output=name))
    return outputs["EndpointName"], outputs["EndpointConfigName"]


def rollback_alarm_names(described: dict) -> list[str]:
    """Alarm names the endpoint's last deployment watched, when SageMaker reports them."""
    config = described.get("LastDeploymentConfig") or {}
    return [a["AlarmName"] for a in config.get("AutoRollbackConfiguration", {}).get("Alarms", [])]


def alarms_in_alarm(cw, endpoint: str, names: list[str]) -> list[str]:
    """Names of the stage's alarms (prefix `<endpoint>-`) and the deployment's listed alarms now in ALARM."""
    alarms = []
    pages = cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"{endpoint}-", StateValue="ALARM")
    alarms += [a for page in pages for a in page["MetricAlarms"]]
    for start in range(0, len(names), 100):
        alarms += cw.describe_alarms(AlarmNames=names[start:start + 100], StateValue="ALARM")["MetricAlarms"]
    # Check the state ourselves too: not every implementation applies StateValue with a name filter.
    return sorted({a["AlarmName"] for a in alarms if a["StateValue"] == "ALARM"})


def served_version(sm, config_name: str) -> int | None:
    """The model package version an endpoint config serves (every variant the same one), or None when it
    cannot be told (no package, several versions, or a describe call refused)."""
    try:
        variants = sm.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
        arns = {sm.describe_model(ModelName=v["ModelName"]).get("PrimaryContainer", {}).get("ModelPackageName")
                for v in variants if v.get("ModelName")}
    except sm.exceptions.ClientError:
        return None
    if len(arns) != 1 or not next(iter(arns)):
        return None
    version = next(iter(arns)).rsplit("/", 1)[-1]
    return int(version) if version.isdigit() else None


def describe_endpoint(sm, endpoint: str) -> dict:
    try:
        return sm.describe_endpoint(EndpointName=endpoint)
    except sm.exceptions.ClientError as error:
        raise DeployError(ENDPOINT_NOT_FOUND.format(endpoint=endpoint, error=error)) from error


def verify(sm, cw, endpoint: str, expected_config: str) -> Verdict:
    described = describe_endpoint(sm, endpoint)
    status, actual = described["EndpointStatus"], described["EndpointConfigName"]
    verdict = Verdict(status == IN_SERVICE and actual == expected_config, endpoint, expected_config, actual, status, "")
    if verdict.passed:
        verdict.message = f"endpoint {endpoint} is InService on {expected_config}"
        return verdict
    verdict.alarms_in_alarm = alarms_in_alarm(cw, endpoint, rollback_alarm_names(described))
    alarms = (ALARMS_FIRING.format(names=", ".join(verdict.alarms_in_alarm)) if verdict.alarms_in_alarm
              else NO_ALARM_FIRING)
    reason = f": {described['FailureReason']}" if described.get("FailureReason") else ""
    if status == IN_SERVICE:
        verdict.message = ROLLED_BACK.format(endpoint=endpoint, actual=actual, expected=expected_config, alarms=alarms)
        verdict.message += "; " + NEXT_AFTER_ROLLBACK.format(version=served_version(sm, actual) or "N")
    elif status == "UpdateRollbackFailed":
        verdict.message = ROLLBACK_FAILED.format(endpoint=endpoint, reason=reason) + f"; {alarms}"
    else:
        verdict.message = NOT_IN_SERVICE.format(endpoint=endpoint, status=status, reason=reason)
    return verdict
