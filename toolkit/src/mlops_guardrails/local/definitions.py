"""What run_local --definition needs around a definition: reading it, stubs, and the S3 data it names.

--map S3URI=PATH puts a local file (at that object key) or folder (under that prefix) into the S3 at
AWS_ENDPOINT_URL before the run, so every step reads its scripts and inputs by the URIs the
definition holds, unchanged.
"""
import re
from pathlib import Path

from mlops_guardrails import aws_formats
from mlops_guardrails.local.container import client, split_s3_uri, upload
from mlops_guardrails.local.errors import InputError
from mlops_guardrails.local.executor import all_steps
from mlops_guardrails.local.validation import check_step_name, strict_json, validate_definition

_BUCKET = re.compile(r"^s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(/|$)")


def load_definition(path: Path) -> tuple[dict, str]:
    """The definition in FILE (pipeline.definition()'s JSON, or DescribePipeline's response holding it as
    PipelineDefinition) and the pipeline's name (DescribePipeline's PipelineName, else the file's stem),
    checked whole (pipelines/local/validation.py) before anything runs."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"--definition {path}: {error.strerror}") from None
    document = strict_json(data, f"--definition {path}")
    name = path.stem
    if isinstance(document, dict) and "PipelineDefinition" in document:
        name = document.get("PipelineName", name)
        if not isinstance(document["PipelineDefinition"], str):
            raise InputError(f"--definition {path}: PipelineDefinition: expected the definition as a JSON string (DescribePipeline's output)")
        wrong = aws_formats.problem("PipelineName", name, "pipeline name")
        if wrong:
            raise InputError(f"--definition {path}: {wrong}")
        document = strict_json(document["PipelineDefinition"], f"--definition {path}: PipelineDefinition")
    validate_definition(document, f"--definition {path}")
    return document, name


def read_stubs(pairs: dict[str, str]) -> dict[str, dict]:
    """--stub STEP=FILE: each FILE holds a JSON object, the step's properties."""
    stubs = {}
    for step, file in pairs.items():
        check_step_name(step, "--stub")
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise InputError(f"--stub {step}={file}: {error.strerror}") from None
        value = strict_json(data, f"--stub {step}={file}")
        if not isinstance(value, dict):
            raise InputError(f"--stub {step}={file}: expected a JSON object (the step's properties)")
        stubs[step] = value
    return stubs


def check_maps(maps: dict[str, str]) -> None:
    for uri, local in maps.items():
        if not _BUCKET.match(uri):
            raise InputError(f"--map {uri}: expected s3://BUCKET/KEY=PATH")
        if not Path(local).exists():
            raise InputError(f"--map {uri}={local}: no such file or folder")


def stage_maps(maps: dict[str, str]) -> None:
    """Upload each mapped file to its key, each mapped folder's files under its prefix."""
    for uri, local in maps.items():
        source = Path(local)
        if source.is_file():
            client("s3").upload_file(str(source), *split_s3_uri(uri))
        else:
            upload(source, uri)


def prepare_resources(definition: dict, maps: dict[str, str]) -> None:
    """Make what the pipeline expects to exist in the account: its buckets and model package groups."""
    s3 = client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in sorted((_buckets(definition) | _buckets(list(maps))) - existing):
        s3.create_bucket(Bucket=bucket)
    sagemaker = client("sagemaker")
    for step in all_steps(definition["Steps"]):
        group = step.get("Arguments", {}).get("ModelPackageGroupName") if step.get("Type") == "RegisterModel" else None
        if isinstance(group, str):
            try:
                sagemaker.describe_model_package_group(ModelPackageGroupName=group)
            except sagemaker.exceptions.ClientError:
                sagemaker.create_model_package_group(ModelPackageGroupName=group)


def _buckets(value) -> set[str]:
    if isinstance(value, str):
        match = _BUCKET.match(value)
        return {match.group(1)} if match else set()
    if isinstance(value, dict):
        return set().union(*map(_buckets, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_buckets, value)) if value else set()
    return set()
