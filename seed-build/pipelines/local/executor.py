"""Execute a pipeline definition (the JSON SageMaker receives) step by step on this machine."""
import json
import math
import re
import secrets
import string
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines.errors import InputError
from pipelines.local.container import StepFailed
from pipelines.local.expressions import Context, ExpressionError
from pipelines.local.steps import PipelineFailed, StepRun, runner_for


class ParameterError(InputError):
    """A --param is unknown or does not fit the parameter's type."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # float() takes "nan" and "inf"; SageMaker's parameters are numbers
        raise ValueError(text)
    return value


PARAMETER_TYPES: dict[str, Callable[[str], Any]] = {
    "String": str,
    "Integer": int,
    "Float": _finite_float,
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


def dependencies(step: dict) -> set[str]:
    return referenced_steps(step.get("Arguments")) | referenced_steps(step.get("PropertyFiles")) | set(step.get("DependsOn", []))


def new_execution_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))


def execute(
    definition: dict,
    parameters: dict[str, Any],
    work_dir: Path,
    pipeline_name: str,
    on_step: Callable[[StepRecord], None] = lambda record: None,
    max_parallel: int = 2,
) -> Execution:
    """Run each step once the steps it reads from are done, independent steps in parallel as SageMaker
    does; a condition adds its chosen branch; the first failure stops new steps from starting."""
    execution = Execution(execution_id=new_execution_id())
    context = _context(execution, parameters, pipeline_name)
    pending, done = list(definition["Steps"]), set()
    with ThreadPoolExecutor(max_workers=max_parallel) as pool:
        running: dict[Future, dict] = {}
        while running or (pending and execution.status == "Executing"):
            for step in [s for s in pending if dependencies(s) <= done] if execution.status == "Executing" else []:
                pending.remove(step)
                running[pool.submit(_run_step, step, context, work_dir, execution.execution_id)] = step
            if not running:
                execution.status = "Failed"
                execution.failure_reason = f"steps {[s['Name'] for s in pending]} wait on steps that never run"
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                step = running.pop(future)
                record, properties = future.result()
                execution.steps.append(record)
                on_step(record)
                if record.status == "Failed":
                    execution.status, execution.failure_reason = "Failed", record.failure_reason
                    continue
                done.add(step["Name"])
                execution.properties[step["Name"]] = properties
                if step["Type"] == "Condition":
                    pending += step["Arguments"]["IfSteps" if properties["Outcome"] else "ElseSteps"]
    if execution.status == "Executing":
        execution.status = "Succeeded"
    return execution


def _context(execution: Execution, parameters: dict[str, Any], pipeline_name: str) -> Context:
    now = datetime.now(timezone.utc).isoformat()
    return Context(
        parameters=parameters,
        execution={
            "PipelineExecutionId": execution.execution_id,
            "PipelineExecutionArn": f"arn:aws:sagemaker:local:000000000000:pipeline/{pipeline_name}/execution/{execution.execution_id}",
            "PipelineName": pipeline_name,
            "StartDateTime": now,
            "CurrentDateTime": now,
        },
        step_properties=execution.properties,
        property_files=execution.property_files,
    )


def _run_step(step: dict, context: Context, work_dir: Path, execution_id: str) -> tuple[StepRecord, dict]:
    """Run one step in its own job folder; failures become a Failed record, never an exception."""
    record = StepRecord(step["Name"], step["Type"], "Executing", 0.0)
    run = StepRun(step, context, work_dir / step["Name"], f"pipelines-{execution_id}-{step['Name']}"[:63])
    run.job_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    properties = {}
    try:
        properties = runner_for(step)(run)
        record.status = "Succeeded"
    except (StepFailed, ExpressionError, PipelineFailed) as error:
        record.status, record.failure_reason = "Failed", str(error)
    record.seconds = time.perf_counter() - start
    return record, properties
