"""One runner per pipeline step type; STEP_RUNNERS maps the definition's "Type" to it, check_step says
before the run starts why a step cannot run locally."""
from collections.abc import Callable
from typing import Any

from mlops_guardrails.local.container import client
from mlops_guardrails.local.errors import PipelineFailed, StepFailed
from mlops_guardrails.local.expressions import Context, resolve
from mlops_guardrails.local.jobs import StepRun
from mlops_guardrails.local.processing import run_processing
from mlops_guardrails.local.training import check_training, run_training
from mlops_guardrails.local.transform import run_model, run_transform


def run_register_model(run: StepRun) -> dict:
    args = resolve(run.step["Arguments"], run.context)
    request = {key: value for key, value in args.items() if value not in ({}, None)}
    request["ModelMetrics"] = {k: v for k, v in request.get("ModelMetrics", {}).items() if v}
    if not request["ModelMetrics"]:
        request.pop("ModelMetrics")
    arn = client("sagemaker").create_model_package(**request)["ModelPackageArn"]
    return {"ModelPackageArn": arn}


def run_condition(run: StepRun) -> dict:
    outcome = all(evaluate_condition(condition, run.context) for condition in run.step["Arguments"]["Conditions"])
    return {"Outcome": outcome}


def run_fail(run: StepRun) -> dict:
    message = resolve(run.step["Arguments"].get("ErrorMessage", ""), run.context)
    raise PipelineFailed(str(message))


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda left, right: left == right,
    "GreaterThan": lambda left, right: left > right,
    "GreaterThanOrEqualTo": lambda left, right: left >= right,
    "LessThan": lambda left, right: left < right,
    "LessThanOrEqualTo": lambda left, right: left <= right,
}
CONDITION_TYPES = [*COMPARISONS, "Not", "Or", "In"]


def evaluate_condition(condition: dict, context: Context) -> bool:
    kind = condition["Type"]
    if kind in COMPARISONS:
        left, right = resolve(condition["LeftValue"], context), resolve(condition["RightValue"], context)
        try:
            return COMPARISONS[kind](left, right)
        except TypeError:
            raise StepFailed(f"condition {kind}: cannot compare {left!r} with {right!r}") from None
    if kind == "Not":
        return not evaluate_condition(condition["Condition"], context)
    if kind == "Or":
        return any(evaluate_condition(item, context) for item in condition["Conditions"])
    if kind == "In":
        return resolve(condition["QueryValue"], context) in resolve(condition["Values"], context)
    raise StepFailed(f"condition type {kind}: not supported locally; supported: {', '.join(CONDITION_TYPES)}")


def _condition_types(conditions: list[dict]) -> set[str]:
    found = set()
    for condition in conditions:
        found.add(condition.get("Type"))
        found |= _condition_types(condition.get("Conditions", []) + ([condition["Condition"]] if "Condition" in condition else []))
    return found


STEP_RUNNERS: dict[str, Callable[[StepRun], dict]] = {
    "Processing": run_processing,
    "Training": run_training,
    "Transform": run_transform,
    "Model": run_model,
    "RegisterModel": run_register_model,
    "Condition": run_condition,
    "Fail": run_fail,
}


def check_step(step: dict) -> str | None:
    """One line naming the step, its type and why it cannot run locally; None when it can."""
    kind = step.get("Type")
    if kind not in STEP_RUNNERS:
        return f"step {step['Name']}: type {kind} does not run locally; local runs support {', '.join(STEP_RUNNERS)}"
    if kind == "Training":
        return check_training(step)
    if kind == "Processing":
        return _check_processing(step)
    if kind == "Transform" and step.get("Arguments", {}).get("DataProcessing"):
        return f"step {step['Name']}: Transform with DataProcessing (InputFilter, JoinSource, OutputFilter): local batch transform does not apply it"
    if kind == "Condition":
        unknown = sorted(map(str, _condition_types(step["Arguments"].get("Conditions", [])) - set(CONDITION_TYPES)))
        if unknown:
            return f"step {step['Name']}: condition type {unknown[0]} is not one of {', '.join(CONDITION_TYPES)}"
    return None


def _check_processing(step: dict) -> str | None:
    args = step.get("Arguments", {})
    if not args.get("AppSpecification", {}).get("ContainerEntrypoint"):
        return (f"step {step['Name']}: Processing without AppSpecification.ContainerEntrypoint: local runs start "
                f"the entry point the definition names (an image's own entry point is not known here)")
    for item in args.get("ProcessingInputs", []):
        s3_input = item.get("S3Input")
        if s3_input is None:
            return f"step {step['Name']}: Processing input {item.get('InputName')}: local runs read S3Input only (not DatasetDefinition)"
        for field, supported in (("S3DataType", "S3Prefix"), ("S3InputMode", "File"), ("S3CompressionType", "None")):
            if s3_input.get(field, supported) != supported:
                return f"step {step['Name']}: Processing input {item.get('InputName')}: {field} {s3_input[field]}: local runs read {supported}"
    return None
