"""Run a SageMaker Pipeline on this machine, from its definition JSON, with no AWS account and no Docker.

By default the model-build repo's pipeline (its pipelines/run_local names it: RepoPipeline); with --definition, any pipeline's definition (pipeline.definition() or
DescribePipeline's output). It is executed step by step: processing and training scripts, the built-in
XGBoost algorithm and batch transform run as isolated local processes that see SageMaker's /opt/ml
(mapped into the work folder); S3 and the model registry are those at AWS_ENDPOINT_URL. With
AWS_ENDPOINT_URL unset, an embedded emulator (moto's server on 127.0.0.1) runs for the duration.
"""
import argparse
import contextlib
import hashlib
import importlib
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mlops_guardrails.build import sdk  # first: it sets the SDK's environment before the SDK is imported
from mlops_guardrails.build import network
from mlops_guardrails.errors import run_command
from mlops_guardrails.local import definition_cache
from mlops_guardrails.local.container import STEP_TIMEOUT_SECONDS, PROJECT_PRELOAD, forkserver_environment, step_environments
from mlops_guardrails.emulator import emulator_for_run
from mlops_guardrails.local.warm_start import WarmLauncher, warm_processes
from mlops_guardrails.local.definitions import check_maps, load_definition, prepare_resources, read_stubs, stage_maps
from mlops_guardrails.local.executor import Execution, StepRecord, all_steps, check_definition, execute, resolve_parameters
from mlops_guardrails.local.errors import ExpressionError, InputError
from mlops_guardrails.local.expressions import Context, resolve
from mlops_guardrails.local.run_folder import fresh_step_folders, locked
from mlops_guardrails.local.validation import validate_definition
from mlops_guardrails.build.project import LOCAL_DEFAULTS, Project, from_environment



@dataclass(frozen=True)
class RepoPipeline:
    """The model-build repo's pipeline, as run_local needs it: modules by name, imported only when the
    definition is built (the SDK takes seconds to import; a cached definition skips it)."""
    pipeline_module: str  # has get_pipeline(**kwargs)
    code_module: str  # has code_prefix(bucket, pipeline_name) and upload_code(prefix)
    package_dir: Path  # its .py files key the definition cache
    default_data: Path  # InputDataUrl's local file unless --param overrides it

EPILOG = """exit codes: 0 the pipeline succeeded; 2 invalid options, parameters, definition, input file or environment
(nothing run, nothing registered); 1 the pipeline failed (a step, or its Fail step) or an AWS error.
Errors are one line on stderr; --debug adds the traceback.

examples:
  python -m pipelines.run_local
  python -m pipelines.run_local --param MseThreshold=5.0 --work-dir /tmp/run1
  python -m pipelines.run_local --param InputDataUrl=data/abalone.csv --hyperparameter max_depth=6
  python -m pipelines.run_local --no-cache     # rebuild the definition even if the pipeline is unchanged
  AWS_ENDPOINT_URL=http://127.0.0.1:5000 python -m pipelines.run_local   # an emulator you started
  python -m pipelines.run_local --definition pipeline.json \\
      --map s3://my-bucket/code=./code --map s3://my-bucket/data/raw.csv=./raw.csv \\
      --stub NotifyTeam=notify-outputs.json --json report.json
"""


def parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    result = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InputError(f"{option} {pair!r}: expected NAME=VALUE")
        result[name] = value
    return result


def build_definition(repo: RepoPipeline, project: Project, hyperparameters: dict[str, str]) -> tuple[dict, str]:
    """The pipeline's definition JSON, exactly as run_pipeline would send it, and its code prefix."""
    get_pipeline = importlib.import_module(repo.pipeline_module).get_pipeline
    prefix = importlib.import_module(repo.code_module).code_prefix(project.artifact_bucket, project.pipeline_name)
    with sdk.quiet():
        pipeline = get_pipeline(
            region=sdk.region(),
            role=project.pipeline_role_arn,
            default_bucket=project.artifact_bucket,
            model_package_group_name=project.model_package_group_name,
            pipeline_name=project.pipeline_name,
            code_prefix=prefix,
            hyperparameters=hyperparameters,
            sagemaker_session=sdk.pipeline_session(project.artifact_bucket),
            **network.from_environment(local=True).kwargs(),
        )
        return json.loads(pipeline.definition()), prefix


def cached_definition(repo: RepoPipeline, project: Project, hyperparameters: dict[str, str],
                      use_cache: bool) -> tuple[dict, str, str]:
    """This repo's definition and code prefix from the cache when nothing that shapes them changed, else
    built (and cached); the third value says which: "cached" or "built"."""
    key = definition_cache.cache_key({
        "region": sdk.region(), "project": vars(project), "hyperparameters": hyperparameters,
        "network": network.from_environment(local=True).kwargs(),
    }, repo.package_dir)
    folder = definition_cache.cache_dir(repo.package_dir.parent)
    entry = definition_cache.load(key, folder) if use_cache else None
    if entry:
        return entry["definition"], entry["code_prefix"], "cached"
    with sdk.building():
        definition, prefix = build_definition(repo, project, hyperparameters)
    definition_cache.store(key, {"definition": definition, "code_prefix": prefix}, folder)
    return definition, prefix, "built"


def local_input_file(parameters: dict, overridden: bool, default_data: Path) -> Path | None:
    """The local file to upload as InputDataUrl (the shipped sample by default); None for an s3:// URL."""
    url = parameters["InputDataUrl"]
    if overridden and url.startswith("s3://"):
        return None
    source = Path(url) if overridden else default_data
    if not source.is_file():
        raise InputError(f"InputDataUrl: {url}: no such file")
    try:
        with source.open("rb") as data:
            data.read(1)
    except OSError as error:
        raise InputError(f"InputDataUrl: {url}: cannot read it ({error.strerror})") from None
    return source


def work_folder(path: str | None) -> Path:
    """The --work-dir (made if missing), or a new temporary folder; InputError when it cannot be one."""
    if not path:
        return Path(tempfile.mkdtemp(prefix="pipeline-run-"))
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--work-dir {path}: exists and is not a folder: give a folder or a new path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"--work-dir {path}: cannot make the folder ({error.strerror})") from None
    return folder


def check_hyperparameters(hyperparameters: dict[str, str]) -> dict[str, str]:
    """Numbers must be finite: float() takes "nan" and "inf", which XGBoost would then train with."""
    for name, value in hyperparameters.items():
        try:
            number = float(value)
        except ValueError:
            continue
        if not math.isfinite(number):
            raise InputError(f"--hyperparameter {name}={value}: must be a finite number")
    return hyperparameters


def input_key(source: Path, pipeline_name: str) -> str:
    """Content-addressed: concurrent runs on different files never share an object, and a key's content
    never changes under a run that reads it (the same file maps to the same key and bytes)."""
    digest = hashlib.sha256()
    with source.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return f"{pipeline_name}/local-input/{digest.hexdigest()[:16]}/{source.name}"


def stage_input_data(parameters: dict, source: Path | None, project: Project) -> None:
    """Upload a local input file where the pipeline reads it and point InputDataUrl at it."""
    import boto3

    if source is None:
        return
    key = input_key(source, project.pipeline_name)
    boto3.client("s3").upload_file(str(source), project.artifact_bucket, key)
    parameters["InputDataUrl"] = f"s3://{project.artifact_bucket}/{key}"


def ensure_project_resources(project: Project) -> None:
    """The bucket and model package group the project template creates in AWS; made here if missing."""
    import boto3
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3")
    try:
        s3.head_bucket(Bucket=project.artifact_bucket)
    except ClientError:
        s3.create_bucket(Bucket=project.artifact_bucket)
    sagemaker = boto3.client("sagemaker")
    try:
        sagemaker.describe_model_package_group(ModelPackageGroupName=project.model_package_group_name)
    except ClientError:
        sagemaker.create_model_package_group(ModelPackageGroupName=project.model_package_group_name)


def step_images(definition: dict, parameters: dict) -> set[str]:
    """The images the definition's processing, training and model steps name (parameters resolved); an
    image known only once a step has run is left out."""
    images = set()
    for step in all_steps(definition["Steps"]):
        args = step.get("Arguments") or {}
        for image in (args.get("AppSpecification", {}).get("ImageUri"),
                      args.get("AlgorithmSpecification", {}).get("TrainingImage"),
                      args.get("PrimaryContainer", {}).get("Image")):
            try:
                image = resolve(image, Context(parameters, {}))
            except ExpressionError:
                continue
            if isinstance(image, str):
                images.add(image)
    return images


def print_step(record: StepRecord) -> None:
    print(f"  {record.name:<28} {record.type:<14} {record.status:<10} {record.seconds:6.2f}s", flush=True)
    if record.status == "Failed" and record.log_tail:
        print(f"    last lines of {record.log_path}:", flush=True)
        for line in record.log_tail:
            print(f"    | {line}", flush=True)


def check_report_path(path: str) -> None:
    """--json is checked before anything runs (a run that registered a model must not then fail on it)."""
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise InputError(f"--json {path}: is a folder: give a file path")
    if not folder.is_dir():
        raise InputError(f"--json {path}: {folder}: no such folder")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(f"--json {path}: not writable")


def write_report(path: str, execution: Execution, pipeline_name: str, seconds: float, work_dir: Path) -> None:
    """The run as JSON: what the summary table shows, plus each step's log and the property files."""
    report = {
        "pipeline": pipeline_name,
        "execution_id": execution.execution_id,
        "status": execution.status,
        "failure_reason": execution.failure_reason,
        "seconds": round(seconds, 3),
        "work_dir": str(work_dir),
        "steps": [
            {"name": r.name, "type": r.type, "status": r.status, "seconds": round(r.seconds, 3),
             "failure_reason": r.failure_reason, "log": r.log_path}
            for r in execution.steps
        ],
        "properties": execution.properties,
        "property_files": [{"step": step, "name": name, "content": content} for (step, name), content in execution.property_files.items()],
    }
    partial = Path(f"{path}.partial")  # renamed into place: a reader never sees half a report
    partial.write_text(json.dumps(report, indent=2, default=str))
    os.replace(partial, path)


def print_summary(execution: Execution) -> None:
    """The figures a reader looks for, found by shape and step type, never by step name (steps are the team's
    to rename): any property file holding regression_metrics.mse, any RegisterModel step's package."""
    for (step, _), report in execution.property_files.items():
        mse = report.get("regression_metrics", {}).get("mse") if isinstance(report, dict) else None
        if isinstance(mse, dict) and "value" in mse:
            spread = f" (standard deviation of errors {mse['standard_deviation']:.4f})" if "standard_deviation" in mse else ""
            print(f"test-set MSE: {mse['value']:.4f}{spread} [{step}]")
    for record in execution.steps:
        registered = execution.properties.get(record.name) if record.type == "RegisterModel" else None
        if registered and registered.get("ModelPackageArn"):
            print(f"registered: {registered['ModelPackageArn']}")


def run(args: argparse.Namespace, repo: RepoPipeline | None) -> int:
    # held: the work folder's lock, released after the step processes ended
    with contextlib.ExitStack() as held, warm_processes(PROJECT_PRELOAD, env=forkserver_environment()) as launcher:  # it imports the step libraries meanwhile
        return run_with(args, launcher, held, repo)


def run_with(args: argparse.Namespace, launcher: WarmLauncher, held: contextlib.ExitStack,
             repo: RepoPipeline | None) -> int:
    if not math.isfinite(args.step_timeout) or args.step_timeout <= 0:
        raise InputError(f"--step-timeout: {args.step_timeout}: must be a finite number of seconds > 0")
    overrides = parse_pairs(args.param, "--param")
    stubs = read_stubs(parse_pairs(args.stub, "--stub"))
    maps = parse_pairs(args.map, "--map")
    check_maps(maps)
    hyperparameters = check_hyperparameters(parse_pairs(args.hyperparameter, "--hyperparameter"))
    if args.json:
        check_report_path(args.json)
    if args.definition:
        definition, pipeline_name = load_definition(Path(args.definition))
        if hyperparameters:
            raise InputError("--hyperparameter: only for this repo's pipeline; with --definition, pass --param")
        project = prefix = input_file = None
    elif repo is None:
        raise InputError("no pipeline of this repo to run: give --definition FILE")
    else:
        project = from_environment(LOCAL_DEFAULTS)
        definition, prefix, origin = cached_definition(repo, project, hyperparameters, use_cache=not args.no_cache)
        print(f"definition: {origin}")
        validate_definition(definition, "this repo's pipeline definition")
        pipeline_name = project.pipeline_name
    parameters = resolve_parameters(definition, overrides)
    check_definition(definition, stubs)
    if project:
        input_file = local_input_file(parameters, "InputDataUrl" in overrides, repo.default_data)
    work_dir = work_folder(args.work_dir)
    held.enter_context(locked(work_dir))  # until the run ends, however it ends
    fresh_step_folders(work_dir, [step["Name"] for step in all_steps(definition["Steps"])])
    # Only once the input is known good: a step's environment may first have to be built.
    launcher.start(step_environments(step_images(definition, parameters)))  # each imports meanwhile
    with emulator_for_run() as (url, started):
        print(f"{'started an embedded emulator' if started else 'using the emulator'} at {url}")
        prepare_resources(definition, maps)
        stage_maps(maps)
        if project:
            ensure_project_resources(project)
            stage_input_data(parameters, input_file, project)
            importlib.import_module(repo.code_module).upload_code(prefix)
        print(f"pipeline {pipeline_name}: running {len(definition['Steps'])} top-level steps locally")
        start = time.perf_counter()
        execution = execute(definition, parameters, work_dir, pipeline_name, on_step=print_step, stubs=stubs, step_timeout=args.step_timeout)
        seconds = time.perf_counter() - start
        print(f"steps done in {seconds:.1f}s (independent steps run in parallel)")
        print(f"step processes: {launcher.summary()}")
    print_summary(execution)
    print(f"work folder: {work_dir}")
    if args.json:
        write_report(args.json, execution, pipeline_name, seconds, work_dir)
        print(f"report: {args.json}")
    if execution.status != "Succeeded":
        print(f"error: {failure_line(execution)}", file=sys.stderr)
        return 1
    return 0


def failure_line(execution) -> str:
    """`pipeline failed at step NAME (its log): REASON`, the reason without a second `error:` prefix."""
    reason = execution.failure_reason.strip()
    while reason.lower().startswith("error:"):
        reason = reason[len("error:"):].strip()
    failed = next((step for step in execution.steps if step.status == "Failed"), None)
    if failed is None:
        return f"pipeline failed: {reason}"
    log = f" (log: {failed.log_path})" if failed.log_path else ""
    return f"pipeline failed at step {failed.name}{log}: {reason}"


def main(argv: list[str] | None = None, repo: RepoPipeline | None = None) -> int:
    """The command line; `repo` is the model-build repo's pipeline (without it, only --definition runs)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.run_local",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a pipeline parameter (repeatable)")
    parser.add_argument("--hyperparameter", action="append", default=[], metavar="NAME=VALUE", help="an XGBoost hyperparameter override of this repo's pipeline (repeatable)")
    parser.add_argument("--definition", metavar="FILE", help="run this definition JSON (pipeline.definition() or DescribePipeline's output) instead of this repo's pipeline")
    parser.add_argument("--map", action="append", default=[], metavar="S3URI=PATH", help="put a local file or folder at an s3:// URI the definition reads, before the run (repeatable)")
    parser.add_argument("--stub", action="append", default=[], metavar="STEP=FILE", help="don't run STEP; use the JSON object in FILE as its properties (repeatable)")
    parser.add_argument("--json", metavar="FILE", help="also write the run's report as JSON to FILE")
    parser.add_argument("--step-timeout", type=float, default=STEP_TIMEOUT_SECONDS, metavar="SECONDS", help=f"a step's time limit (default {STEP_TIMEOUT_SECONDS}; a shorter StoppingCondition wins)")
    parser.add_argument("--no-cache", action="store_true", help="build this repo's definition with the SDK even if a cached one matches")
    parser.add_argument("--work-dir", help="folder for the steps' container folders and logs (default: a new temporary folder)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return run_command(lambda: run(args, repo), args.debug)


if __name__ == "__main__":
    sdk.exit_promptly(main())  # --definition runs; files and the emulator are closed by now, the steps' processes ended
