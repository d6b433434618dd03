"""Execute a pipeline definition (the JSON SageMaker receives) step by step on this machine."""
import json
import math
import re
import secrets
import string
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlops_guardrails.local.container import STEP_TIMEOUT_SECONDS
from mlops_guardrails.local.errors import ParameterError, StepFailed, UnsupportedStepError
from mlops_guardrails.local.expressions import Context
from mlops_guardrails.local.jobs import StepRun
from mlops_guardrails.local.run_folder import make_step_folder
from mlops_guardrails.local.steps import STEP_RUNNERS, check_step


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
    log_path: str = ""
    log_tail: list[str] = field(default_factory=list)


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


# SageMaker's step names: letters, digits, "-" and "_" (CreatePipeline's StepName pattern), up to 64.
_STEP_REFERENCE = re.compile(r'"Steps\.([A-Za-z0-9_\-]+)')
_BRANCHES = ("IfSteps", "ElseSteps")


def referenced_steps(value: Any) -> set[str]:
    """Names of the steps an expression tree reads from ("Get": "Steps.<name>...")."""
    return set(_STEP_REFERENCE.findall(json.dumps(value)))


def dependencies(step: dict) -> set[str]:
    """The steps that must finish first: those its arguments read and its DependsOn. A Condition's
    branches are not its dependencies: they run after it, and may read each other and outside steps."""
    arguments = step.get("Arguments") or {}
    if step.get("Type") == "Condition":
        arguments = {key: value for key, value in arguments.items() if key not in _BRANCHES}
    return referenced_steps(arguments) | referenced_steps(step.get("PropertyFiles")) | set(step.get("DependsOn", []))


def all_steps(steps: list[dict]) -> list[dict]:
    """Every step of the definition, those inside condition branches (at any depth) included."""
    found = []
    for step in steps:
        found.append(step)
        if step.get("Type") == "Condition":
            for branch in _BRANCHES:
                found += all_steps(step.get("Arguments", {}).get(branch, []))
    return found


def check_definition(definition: dict, stubs: dict[str, dict]) -> None:
    """Refuse, before anything runs, a definition with a step local runs cannot execute and no --stub."""
    steps = all_steps(definition.get("Steps", []))
    names = {step["Name"] for step in steps}
    unknown = sorted(set(stubs) - names)
    if unknown:
        raise UnsupportedStepError(f"--stub {unknown[0]}: no such step; the definition's steps: {', '.join(sorted(names))}")
    problems = [problem for step in steps if step["Name"] not in stubs for problem in [check_step(step)] if problem]
    if problems:
        raise UnsupportedStepError("\n".join(problems) + "\n(nothing ran; to skip a step, give its properties: --stub STEP=outputs.json)")


class StepOrder:
    """Which steps may start, in time linear in steps and references: each step's dependencies are found
    once, and a finished step wakes only the steps that wait on it (rescanning every pending step after
    each finish made a 2,000-step chain take 43 s)."""

    def __init__(self) -> None:
        self.pending: dict[str, dict] = {}  # name -> step, added and not started
        self._done: set[str] = set()
        self._unmet: dict[str, int] = {}
        self._waiters: dict[str, list[str]] = {}
        self._ready: list[str] = []

    def add(self, steps: list[dict]) -> None:
        for step in steps:
            name = step["Name"]
            unmet = dependencies(step) - self._done
            self.pending[name], self._unmet[name] = step, len(unmet)
            for before in unmet:
                self._waiters.setdefault(before, []).append(name)
            if not unmet:
                self._ready.append(name)

    def take_ready(self) -> list[dict]:
        ready, self._ready = self._ready, []
        return [self.pending.pop(name) for name in ready]

    def finish(self, name: str) -> None:
        self._done.add(name)
        for waiter in self._waiters.pop(name, []):
            self._unmet[waiter] -= 1
            if self._unmet[waiter] == 0:
                self._ready.append(waiter)


def new_execution_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))


def execute(
    definition: dict,
    parameters: dict[str, Any],
    work_dir: Path,
    pipeline_name: str,
    on_step: Callable[[StepRecord], None] = lambda record: None,
    max_parallel: int = 2,
    stubs: dict[str, dict] | None = None,
    step_timeout: float = STEP_TIMEOUT_SECONDS,
) -> Execution:
    """Run each step once the steps it reads from are done, independent steps in parallel as SageMaker
    does; a condition adds its chosen branch; the first failure stops new steps from starting."""
    stubs = stubs or {}
    check_definition(definition, stubs)
    execution = Execution(execution_id=new_execution_id())
    context = _context(execution, parameters, pipeline_name)
    order = StepOrder()
    order.add(definition["Steps"])
    with ThreadPoolExecutor(max_workers=max_parallel) as pool:
        running: dict[Future, dict] = {}
        while running or (order.pending and execution.status == "Executing"):
            for step in order.take_ready() if execution.status == "Executing" else []:
                running[pool.submit(_run_step, step, context, work_dir, execution.execution_id, stubs, step_timeout)] = step
            if not running:
                execution.status = "Failed"
                execution.failure_reason = f"steps {list(order.pending)} wait on steps that never run"
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
                execution.properties[step["Name"]] = properties
                order.finish(step["Name"])
                if step["Type"] == "Condition" and step["Name"] not in stubs:
                    order.add(step["Arguments"].get("IfSteps" if properties["Outcome"] else "ElseSteps", []))
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
            "PipelineArn": f"arn:aws:sagemaker:local:000000000000:pipeline/{pipeline_name}",
            "StartDateTime": now,
            "CurrentDateTime": now,
        },
        step_properties=execution.properties,
        property_files=execution.property_files,
    )


def _run_step(step: dict, context: Context, work_dir: Path, execution_id: str, stubs: dict, timeout: float) -> tuple[StepRecord, dict]:
    """Run one step in its own job folder; failures become a Failed record, never an exception."""
    record = StepRecord(step["Name"], step["Type"], "Executing", 0.0)
    if step["Name"] in stubs:
        record.status = "Stubbed"
        return record, stubs[step["Name"]]
    job_name = f"pipelines-{execution_id}-{step['Name']}"[:63]
    # ExecutionVariables.TRAINING_JOB_NAME / PROCESSING_JOB_NAME name the job of the step that reads them.
    context = replace(context, execution={**context.execution, "TrainingJobName": job_name, "ProcessingJobName": job_name})
    run = StepRun(step, context, work_dir / step["Name"], job_name, timeout)
    make_step_folder(run.job_dir)
    start = time.perf_counter()
    properties = {}
    try:
        properties = STEP_RUNNERS[step["Type"]](run)
        record.status = "Succeeded"
    except StepFailed as error:
        record.status, record.failure_reason = "Failed", str(error)
        record.log_path, record.log_tail = str(error.log_path or ""), error.log_tail
    except Exception as error:  # noqa: BLE001 - an AWS error or a definition shape not foreseen: this step fails, not the run
        record.status, record.failure_reason = "Failed", f"{type(error).__name__}: {error}"
    record.seconds = time.perf_counter() - start
    return record, properties
