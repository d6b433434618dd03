"""Tear down what the deploy pipeline created for a project: its stage stacks, each in its stage's account.

The deploy pipeline creates exactly two CloudFormation stacks, sagemaker-<project>-deploy-staging and -prod
(docs/contracts.md), and every billed thing it deploys is a resource of one of them: the models, the
endpoint config, the endpoint, its alarms, autoscaling and monitoring schedule. So teardown deletes those two
stacks by their exact names and nothing else; DeleteStack is idempotent (a stack that is gone is a no-op),
so an interrupted teardown is finished by running it again. Whatever a stack could not delete is reported
as still running, with CloudFormation's reason."""
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mlops_guardrails.deploy import stage_names
from mlops_guardrails.errors import DeployError, InputError

# SageMaker's project names (ProjectEntityName in botocore's sagemaker model, CreateProject.ProjectName).
PROJECT_NAME = "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"
HOURS_PER_MONTH = 730  # the month AWS's pricing pages use (24 x 365 / 12)
WAIT_SECONDS, WAIT_ATTEMPTS = 10, 180  # at most 30 minutes per stack (an endpoint takes minutes to delete)
BUSY = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "REVIEW_IN_PROGRESS",
        "IMPORT_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS")
PER_USE = {  # resources billed per use, not per month: listed, not priced
    "AWS::SageMaker::MonitoringSchedule": "billed per monitoring job run (processing instance-seconds)",
    "AWS::SageMaker::DataQualityJobDefinition": "no charge by itself; its schedule's runs are billed",
    "AWS::CloudWatch::Alarm": "billed per alarm-month (CloudWatch pricing; not in the price table)",
}


@dataclass
class Item:
    """One resource of a stage stack, with what it costs per month when the price table knows."""

    logical_id: str
    resource_type: str
    physical_id: str
    status: str
    monthly_cost: float | None = None
    note: str = ""


@dataclass
class Stage:
    """A stage's stack as found: absent (status None), or its status and resources."""

    stage: str
    stack: str
    status: str | None
    items: list[Item] = field(default_factory=list)

    @property
    def monthly_cost(self) -> float:
        return sum(item.monthly_cost or 0.0 for item in self.items)


def stage_inventory(project: str, stage: str, session, prices: dict[str, float]) -> Stage:
    """The stage stack of `project` in `session`'s account: its status and resources, endpoints priced."""
    cfn = session.client("cloudformation")
    name = stage_names.stack_name(project, stage)
    status = stack_status(cfn, name)
    if status is None:
        return Stage(stage, name, None)
    items = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
        for summary in page["StackResourceSummaries"]:
            if not summary["LogicalResourceId"]:  # the emulator's empty rows for resource types it does not create
                continue
            item = Item(summary["LogicalResourceId"], summary["ResourceType"], summary.get("PhysicalResourceId", ""),
                        summary["ResourceStatus"], note=PER_USE.get(summary["ResourceType"], ""))
            if summary["ResourceType"] == "AWS::SageMaker::Endpoint" and item.physical_id:
                item.monthly_cost, item.note = endpoint_monthly_cost(session.client("sagemaker"),
                                                                     _endpoint_name(item.physical_id), prices)
            items.append(item)
    return Stage(stage, name, status, items)


def stack_status(cfn, name: str) -> str | None:
    """The stack's status, or None when no stack of that name exists (deleted stacks are not found by name)."""
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return stacks[0]["StackStatus"] if stacks else None


def _endpoint_name(physical_id: str) -> str:
    """AWS::SageMaker::Endpoint's physical id is its ARN (...:endpoint/<name>); the name is its last part."""
    return physical_id.rsplit("endpoint/", 1)[-1]


def endpoint_monthly_cost(sm, endpoint: str, prices: dict[str, float]) -> tuple[float | None, str]:
    """Instances running now x price per instance-hour x 730 hours, and what was priced."""
    from botocore.exceptions import ClientError

    try:
        described = sm.describe_endpoint(EndpointName=endpoint)
        config = sm.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    except ClientError as error:
        return None, f"endpoint {endpoint}: not readable ({error.response.get('Error', {}).get('Code', 'error')})"
    types = {v["VariantName"]: v.get("InstanceType") for v in
             config["ProductionVariants"] + config.get("ShadowProductionVariants", [])}
    total, parts = 0.0, []
    for variant in described.get("ProductionVariants", []) + described.get("ShadowProductionVariants", []):
        instance_type = types.get(variant["VariantName"])
        count = variant.get("CurrentInstanceCount", variant.get("DesiredInstanceCount", 0))
        if instance_type is None:
            parts.append(f"{variant['VariantName']}: serverless, billed per request")
        elif instance_type not in prices:
            return None, f"{endpoint}: {instance_type}: no price known (add it with --prices FILE)"
        else:
            total += count * prices[instance_type] * HOURS_PER_MONTH
            parts.append(f"{variant['VariantName']}: {count} x {instance_type}")
    return total, "; ".join(parts)


def delete_stage(stage: Stage, session, progress: Callable[[str], None], *, wait_seconds: float = WAIT_SECONDS,
                 attempts: int = WAIT_ATTEMPTS) -> list[str]:
    """Delete the stage's stack and wait until it is gone; returns what still runs (empty when all went)."""
    if stage.status is None:
        return []
    if stage.status in BUSY:
        return [f"{stage.stack}: {stage.status}: a deploy is running; let it finish (or stop the deploy pipeline), "
                "then run teardown again"]
    cfn = session.client("cloudformation")
    progress(f"    deleting stack {stage.stack} ({stage.status})")
    cfn.delete_stack(StackName=stage.stack)  # also retries a stack left DELETE_FAILED by an earlier run
    status = stack_status(cfn, stage.stack)
    for _ in range(attempts):
        if status in (None, "DELETE_COMPLETE", "DELETE_FAILED"):
            break
        time.sleep(wait_seconds)
        status = stack_status(cfn, stage.stack)
    if status in (None, "DELETE_COMPLETE"):
        progress(f"    deleted {stage.stack}")
        return []
    if status != "DELETE_FAILED":
        return [f"{stage.stack}: still {status} after {attempts * wait_seconds:.0f} s: run teardown again"]
    left = [f"{stage.stack}: {r['ResourceType']} {r.get('PhysicalResourceId', r['LogicalResourceId'])}: "
            f"{r.get('ResourceStatusReason', 'DELETE_FAILED')}"
            for r in cfn.list_stack_resources(StackName=stage.stack)["StackResourceSummaries"]
            if r["ResourceStatus"] != "DELETE_COMPLETE"]
    return left or [f"{stage.stack}: DELETE_FAILED: see its events in the CloudFormation console"]


def teardown(project: str, sessions: dict, prices: dict[str, float], *, dry_run: bool = False,
             progress: Callable[[str], None] = print, **wait) -> list[Stage]:
    """Inventory both stages, then (unless dry_run) delete their stacks. Raises DeployError naming what still
    runs when a stack could not be deleted; each stage is tried even when another fails."""
    stages = [stage_inventory(project, stage, sessions[stage], prices) for stage in stage_names.STAGES]
    if dry_run or not any(stage.status for stage in stages):
        return stages
    still_running = []
    for stage in stages:
        try:
            still_running += delete_stage(stage, sessions[stage.stage], progress, **wait)
        except Exception as error:  # noqa: BLE001 - an AWS error on one stage must not hide the others
            if not type(error).__module__.startswith("botocore"):
                raise
            still_running.append(f"{stage.stack}: {error}")
    if still_running:
        raise DeployError("teardown incomplete; still running: " + "; ".join(still_running)
                          + ". Fix the cause and run teardown again (it continues where it stopped)")
    return stages


def check_project_name(project: str) -> None:
    if not re.fullmatch(PROJECT_NAME, project or ""):
        raise InputError(f"--project: {project!r}: must match {PROJECT_NAME} (a SageMaker project name)")


def delete_project(sm, project: str) -> bool:
    """DeleteProject; False when the project is already gone (a rerun after a complete teardown)."""
    from botocore.exceptions import ClientError

    try:
        sm.delete_project(ProjectName=project)
    except ClientError as error:
        if "does not exist" in str(error) or error.response.get("Error", {}).get("Code") == "ResourceNotFound":
            return False
        raise DeployError(f"DeleteProject {project}: {error}") from error
    return True
