"""Execute a pipeline definition (the JSON SageMaker receives) step by step on this machine."""
import json
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines.local.container import StepFailed
from pipelines.local.expressions import Context, ExpressionError
from pipelines.local.steps import PipelineFailed, StepRun, runner_for


class ParameterError(Exception):
    """A --param is unknown or does not fit the parameter's type."""


PARAMETER_TYPES: dict[str, Callable[[str], Any]] = {
    "String": str,
    "Integer": int,
    "Float": float,
    "Boolean": lambda text: {"true": True, "false": False}[text.lower()],
}


@dataclass
class StepRecord:
    name: str
    type: str
    status: str
    seconds: float
    failure_reason: str = ""


@dataclass
class Execution:
    execution_id: str
    status: str = "Executing"
    failure_reason: str = ""
    steps: list[StepRecord] = field(default_factory=list)
    properties: dict[str, dict] = field(default_factory=dict)
    property_files: dict[tuple[str, str], dict] = field(default_factory=dict)


def resolve_parameters(definition: dict, overrides: dict[str, str]) -> dict[str, Any]:
    """Defaults from the definition, overridden by NAME=VALUE strings converted to each parameter's type."""
    declared = {p["Name"]: p for p in definition.get("Parameters", [])}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise ParameterError(f"unknown parameter {', '.join(unknown)}: the pipeline takes {', '.join(declared)}")
    values = {name: spec.get("DefaultValue") for name, spec in declared.items()}
    for name, text in overrides.items():
        kind = declared[name]["Type"]
        try:
            values[name] = PARAMETER_TYPES[kind](text)
        except (ValueError, KeyError):
            raise ParameterError(f"parameter {name}: {text!r}: not a valid {kind}") from None
    missing = sorted(name for name, value in values.items() if value is None)
    if missing:
        raise ParameterError(f"parameter {', '.join(missing)}: no default value; pass --param NAME=VALUE")
    return values


def referenced_steps(value: Any) -> set[str]:
    """Names of the steps an expression tree reads from ("Get": "Steps.<name>...")."""
    text = json.dumps(value)
    return set(re.findall(r'"Steps\.([A-Za-z0-9\-]+)', text))


def in_dependency_order(steps: list[dict]) -> list[dict]:
    names = {step["Name"] for step in steps}
    needs = {s["Name"]: (referenced_steps(s.get("Arguments")) | set(s.get("DependsOn", []))) & names for s in steps}
    ordered, done = [], set()
    while len(ordered) < len(steps):
        ready = [s for s in steps if s["Name"] not in done and needs[s["Name"]] <= done]
        if not ready:
            raise StepFailed(f"steps {sorted(names - done)} depend on each other in a cycle")
        for step in ready:
            ordered.append(step)
            done.add(step["Name"])
    return ordered


def new_execution_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))


def execute(
    definition: dict,
    parameters: dict[str, Any],
    work_dir: Path,
    pipeline_name: str,
    on_step: Callable[[StepRecord], None] = lambda record: None,
) -> Execution:
    """Run every step whose turn comes, following condition branches; stop at the first failure."""
    execution = Execution(execution_id=new_execution_id())
    context = Context(
        parameters=parameters,
        execution={
            "PipelineExecutionId": execution.execution_id,
            "PipelineExecutionArn": f"arn:aws:sagemaker:local:000000000000:pipeline/{pipeline_name}/execution/{execution.execution_id}",
            "PipelineName": pipeline_name,
            "StartDateTime": datetime.now(timezone.utc).isoformat(),
            "CurrentDateTime": datetime.now(timezone.utc).isoformat(),
        },
        step_properties=execution.properties,
        property_files=execution.property_files,
    )
    queue = in_dependency_order(definition["Steps"])
    while queue:
        step = queue.pop(0)
        record = StepRecord(step["Name"], step["Type"], "Executing", 0.0)
        run = StepRun(step, context, work_dir / step["Name"], f"pipelines-{execution.execution_id}-{step['Name']}"[:63])
        run.job_dir.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        try:
            properties = runner_for(step)(run)
        except (StepFailed, ExpressionError, PipelineFailed) as error:
            record.seconds = time.perf_counter() - start
            record.status, record.failure_reason = "Failed", str(error)
            execution.steps.append(record)
            on_step(record)
            execution.status, execution.failure_reason = "Failed", str(error)
            return execution
        record.seconds = time.perf_counter() - start
        record.status = "Succeeded"
        execution.properties[step["Name"]] = properties
        execution.steps.append(record)
        on_step(record)
        if step["Type"] == "Condition":
            branch = step["Arguments"]["IfSteps" if properties["Outcome"] else "ElseSteps"]
            queue = in_dependency_order(branch) + queue
    execution.status = "Succeeded"
    return execution
