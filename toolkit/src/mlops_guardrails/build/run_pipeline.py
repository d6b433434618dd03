"""Upsert this repo's SageMaker Pipeline and start an execution (what CodeBuild runs on every push).

Like the first-party seed's run-pipeline: --module-name names a module with get_pipeline(**kwargs),
--kwargs is a JSON object passed to it, --tags a JSON list of {"Key", "Value"}. The processing scripts
are uploaded to the artifact bucket first (content-addressed), so the definition only holds s3:// URIs.
"""
import argparse
import importlib
import inspect
import math
import json
import sys
import time

from mlops_guardrails.build import network, sdk
from mlops_guardrails.errors import InputError, run_command
from mlops_guardrails.build.project import check_format

EPILOG = """exit codes: 0 upserted and started (with --wait: and the execution succeeded); 2 invalid options or
names (nothing upserted); 1 an AWS error, or (--wait) an execution that did not succeed.
Errors are one line on stderr; --debug adds the traceback.

examples:
  python -m pipelines.run_pipeline --module-name pipelines.abalone.pipeline \\
      --role-arn "$SAGEMAKER_PIPELINE_ROLE_ARN" \\
      --tags '[{"Key": "sagemaker:project-name", "Value": "'"$SAGEMAKER_PROJECT_NAME"'"}]' \\
      --kwargs '{"default_bucket": "'"$ARTIFACT_BUCKET"'", "model_package_group_name": "p-123", "pipeline_name": "p-123-build"}'
  python -m pipelines.run_pipeline ... --wait        # follow the steps until the execution ends
  python -m pipelines.run_pipeline ... --print-definition   # print the definition; nothing uploaded or upserted
SUBNET_IDS, SECURITY_GROUP_IDS and KMS_KEY_ARN (set by CodeBuild) reach get_pipeline as subnets,
security_group_ids and kms_key_arn unless --kwargs names them.
"""

FINISHED = {"Succeeded", "Failed", "Stopped"}


def parse_json(text: str, option: str, kind: type):
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise InputError(f"{option}: not valid JSON: {error}") from None
    except (ValueError, RecursionError) as error:
        raise InputError(f"{option}: {error}") from None
    if not isinstance(value, kind):
        raise InputError(f"{option}: {text}: expected a JSON {kind.__name__}")
    return value


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds >= 0 (float() alone takes "nan" and "inf")."""
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError(text)
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf
        _refuse_constant(text)
    return value


def check_arguments(role_arn: str, tags: list, kwargs: dict) -> None:
    """AWS's formats for the names and the role, checked before anything is uploaded or upserted."""
    check_format("--role-arn", role_arn, "role arn")
    if not all(isinstance(tag, dict) and set(tag) == {"Key", "Value"} for tag in tags):
        raise InputError(f"--tags: {json.dumps(tags)}: expected a JSON list of {{\"Key\": ..., \"Value\": ...}}")
    missing = [key for key in ("default_bucket", "pipeline_name") if key not in kwargs]
    if missing:
        raise InputError(f"--kwargs: missing {', '.join(missing)}")
    kinds = {"default_bucket": "bucket", "pipeline_name": "pipeline name",
             "model_package_group_name": "model package group", "role": "role arn"}
    for key, kind in kinds.items():
        if key in kwargs:
            check_format(f"--kwargs {key}", kwargs[key], kind)


def load_pipeline(module_name: str, kwargs: dict, *, upload: bool = True, code_module: str = "pipelines.code"):
    """Import the module, upload its scripts (code_module's upload_code, unless not `upload`), and call get_pipeline
    with the kwargs, the code prefix and the project's network and key (those get_pipeline takes)."""
    try:
        code = importlib.import_module(code_module)
    except ModuleNotFoundError as error:
        raise InputError(f"--code-module {code_module}: {error}") from None
    code_prefix, upload_code = code.code_prefix, code.upload_code
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise InputError(f"--module-name {module_name}: {error}") from None
    get_pipeline = getattr(module, "get_pipeline", None)
    if not callable(get_pipeline):
        raise InputError(f"--module-name {module_name}: has no get_pipeline(**kwargs)")
    kwargs.setdefault("region", sdk.region())
    kwargs.setdefault("code_prefix", code_prefix(kwargs["default_bucket"], kwargs["pipeline_name"]))
    accepted = inspect.signature(get_pipeline).parameters
    for key, value in network.from_environment().kwargs().items():
        if key in accepted:
            kwargs.setdefault(key, value)
    try:
        inspect.signature(get_pipeline).bind(**{"sagemaker_session": None, **kwargs})
    except TypeError as error:
        raise InputError(f"--kwargs: {module_name}.get_pipeline: {error}") from None
    if upload:
        upload_code(kwargs["code_prefix"])
    with sdk.quiet():
        kwargs.setdefault("sagemaker_session", sdk.pipeline_session(kwargs["default_bucket"]))
        return get_pipeline(**kwargs)


def follow(execution_arn: str, poll_seconds: float, max_polls: int) -> str:
    """Print each step's status as it changes, until the execution ends; returns its final status."""
    import boto3

    sagemaker = boto3.client("sagemaker")
    seen: dict[str, str] = {}
    for _ in range(max_polls):
        steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=execution_arn, SortOrder="Ascending")
        for step in steps.get("PipelineExecutionSteps", []):
            name, status = step["StepName"], step["StepStatus"]
            if seen.get(name) != status:
                seen[name] = status
                reason = f" ({step['FailureReason']})" if step.get("FailureReason") else ""
                print(f"  {name:<28} {status}{reason}", flush=True)
        status = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)["PipelineExecutionStatus"]
        if status in FINISHED:
            return status
        time.sleep(poll_seconds)
    return "Executing"


def failed_steps(execution_arn: str) -> str:
    """`step NAME: REASON` for each failed step of the execution (what a red build must say), or ``."""
    import boto3

    steps = boto3.client("sagemaker").list_pipeline_execution_steps(PipelineExecutionArn=execution_arn,
                                                                     SortOrder="Ascending")["PipelineExecutionSteps"]
    return "; ".join(f"step {step['StepName']}: {step.get('FailureReason') or 'no reason given'}"
                     for step in steps if step["StepStatus"] == "Failed")


def run(args: argparse.Namespace) -> int:
    kwargs = parse_json(args.kwargs, "--kwargs", dict)
    tags = parse_json(args.tags, "--tags", list)
    kwargs.setdefault("role", args.role_arn)  # the pipeline's steps run as the role the pipeline has
    check_arguments(args.role_arn, tags, kwargs)
    if args.print_definition:
        return print_definition(args.module_name, kwargs)
    with sdk.building():  # upsert builds the definition again
        pipeline = load_pipeline(args.module_name, kwargs, code_module=args.code_module)
        with sdk.quiet():
            response = pipeline.upsert(role_arn=args.role_arn, description=args.description, tags=tags)
    print(f"upserted pipeline: {response['PipelineArn']}")
    with sdk.quiet():
        execution = pipeline.start()
    arn = execution.arn if hasattr(execution, "arn") else execution.pipeline_execution_arn
    print(f"started execution: {arn}")
    if not args.wait:
        return 0
    status = follow(arn, args.poll_seconds, args.max_polls)
    print(f"execution {status}")
    if status == "Succeeded":
        return 0
    failed = failed_steps(arn) if status in FINISHED else ""
    print(f"error: pipeline execution {status}{': ' + failed if failed else ''} ({arn})", file=sys.stderr)
    return 1


def print_definition(module_name: str, kwargs: dict) -> int:
    """Print the definition upsert would send (every step's network and key settings), indented; no AWS call."""
    with sdk.building():
        pipeline = load_pipeline(module_name, kwargs, upload=False)
        with sdk.quiet():
            definition = json.loads(pipeline.definition())
    print(json.dumps(definition, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.run_pipeline",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--module-name", required=True, help="module with get_pipeline(**kwargs)")
    parser.add_argument("--code-module", default="pipelines.code",
                        help="module with code_prefix(bucket, pipeline) and upload_code(prefix) (default: pipelines.code)")
    parser.add_argument("--role-arn", required=True, help="the pipeline's execution role ARN")
    parser.add_argument("--tags", default="[]", help='JSON list of {"Key": ..., "Value": ...}')
    parser.add_argument("--kwargs", default="{}", help="JSON object passed to get_pipeline")
    parser.add_argument("--description", default="Model build pipeline of this SageMaker project")
    parser.add_argument("--print-definition", action="store_true",
                        help="print the definition it would upsert and stop (nothing uploaded, upserted or started)")
    parser.add_argument("--wait", action="store_true", help="follow the execution's steps until it ends")
    parser.add_argument("--poll-seconds", type=seconds, default=30.0, help="seconds between status polls (--wait)")
    parser.add_argument("--max-polls", type=int, default=480, help="give up following after this many polls")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return run_command(lambda: run(args), args.debug)


if __name__ == "__main__":
    sdk.exit_promptly(main())  # nothing is left open by now
