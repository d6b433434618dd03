"""One runner per pipeline step type; STEP_RUNNERS maps the definition's "Type" to it."""
import json
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import BuildError
from pipelines.local.container import StepFailed, client, download, host_path, local_command, run_process, upload
from pipelines.local.expressions import Context, resolve


class PipelineFailed(BuildError):
    """A Fail step ran: the execution fails with its message."""


@dataclass
class StepRun:
    """What the executor needs to run one step."""

    step: dict
    context: Context
    job_dir: Path
    job_name: str


def run_processing(run: StepRun) -> dict:
    args = resolve(run.step["Arguments"], run.context)
    for item in args.get("ProcessingInputs", []):
        s3_input = item["S3Input"]
        download(s3_input["S3Uri"], host_path(run.job_dir, s3_input["LocalPath"]))
    outputs = args.get("ProcessingOutputConfig", {}).get("Outputs", [])
    for item in outputs:
        host_path(run.job_dir, item["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
    command = local_command(args["AppSpecification"]["ContainerEntrypoint"], run.job_dir)
    run_process(command + args["AppSpecification"].get("ContainerArguments", []), run.job_dir, run.job_dir / "job.log")
    for item in outputs:
        upload(host_path(run.job_dir, item["S3Output"]["LocalPath"]), item["S3Output"]["S3Uri"])
    _read_property_files(run, outputs)
    return {"ProcessingJobName": run.job_name, "ProcessingOutputConfig": args.get("ProcessingOutputConfig", {})}


def _read_property_files(run: StepRun, outputs: list[dict]) -> None:
    local_paths = {item["OutputName"]: item["S3Output"]["LocalPath"] for item in outputs}
    for spec in run.step.get("PropertyFiles", []):
        path = host_path(run.job_dir, local_paths[spec["OutputName"]]) / spec["FilePath"]
        if not path.is_file():
            raise StepFailed(f"property file {spec['PropertyFileName']}: {spec['FilePath']} was not written")
        run.context.property_files[(run.step["Name"], spec["PropertyFileName"])] = json.loads(path.read_text())


def run_training(run: StepRun) -> dict:
    """The built-in XGBoost algorithm's container contract, served by pipelines.local.xgboost_algorithm."""
    args = resolve(run.step["Arguments"], run.context)
    image = args["AlgorithmSpecification"]["TrainingImage"]
    if "sagemaker-xgboost" not in image:
        raise StepFailed(f"{image}: only the built-in XGBoost algorithm runs locally")
    ml_root = run.job_dir / "opt/ml"
    for channel in args.get("InputDataConfig", []):
        download(channel["DataSource"]["S3DataSource"]["S3Uri"], ml_root / "input/data" / channel["ChannelName"])
    config = ml_root / "input/config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(args.get("HyperParameters", {})))
    command = [sys.executable, str(Path(__file__).with_name("xgboost_algorithm.py"))]
    run_process(command, run.job_dir, run.job_dir / "job.log")
    artifact = run.job_dir / "model.tar.gz"
    with tarfile.open(artifact, "w:gz") as archive:
        for path in sorted((ml_root / "model").iterdir()):
            archive.add(path, arcname=path.name)
    model_uri = f"{args['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{run.job_name}/output/model.tar.gz"
    bucket, _, key = model_uri[len("s3://"):].partition("/")
    client("s3").upload_file(str(artifact), bucket, key)
    return {"TrainingJobName": run.job_name, "ModelArtifacts": {"S3ModelArtifacts": model_uri}}


def run_register_model(run: StepRun) -> dict:
    args = resolve(run.step["Arguments"], run.context)
    request = {key: value for key, value in args.items() if value not in ({}, None)}
    request["ModelMetrics"] = {k: v for k, v in request.get("ModelMetrics", {}).items() if v}
    sagemaker = client("sagemaker")
    arn = sagemaker.create_model_package(**request)["ModelPackageArn"]
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


def evaluate_condition(condition: dict, context: Context) -> bool:
    kind = condition["Type"]
    if kind in COMPARISONS:
        return COMPARISONS[kind](resolve(condition["LeftValue"], context), resolve(condition["RightValue"], context))
    if kind == "Not":
        return not evaluate_condition(condition["Condition"], context)
    if kind == "Or":
        return any(evaluate_condition(item, context) for item in condition["Conditions"])
    if kind == "In":
        return resolve(condition["QueryValue"], context) in resolve(condition["Values"], context)
    raise StepFailed(f"condition type {kind}: not supported locally; supported: {sorted([*COMPARISONS, 'Not', 'Or', 'In'])}")


STEP_RUNNERS: dict[str, Callable[[StepRun], dict]] = {
    "Processing": run_processing,
    "Training": run_training,
    "RegisterModel": run_register_model,
    "Condition": run_condition,
    "Fail": run_fail,
}


def runner_for(step: dict) -> Callable[[StepRun], dict]:
    try:
        return STEP_RUNNERS[step["Type"]]
    except KeyError:
        raise StepFailed(
            f"step {step['Name']}: type {step['Type']} does not run locally; supported: {', '.join(STEP_RUNNERS)}"
        ) from None

