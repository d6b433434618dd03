"""Read input files from a local path or an s3:// URI, the two places SageMaker's data lives."""
from pathlib import Path

from mlops_guardrails.errors import DeployError, InputError
from mlops_guardrails.deploy.json_input import parse_json_object


def is_s3(location: str) -> bool:
    return location.startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    """s3://bucket/key/prefix -> ("bucket", "key/prefix")."""
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket:
        raise InputError(f"{uri}: no bucket: an S3 location looks like s3://bucket/prefix")
    return bucket, key


def _s3():
    import boto3  # imported late: local analyses never need it

    return boto3.client("s3")


def _aws_error(location: str, error: Exception) -> DeployError:
    return DeployError(f"{location}: AWS refused the read: {error}")


def list_files(location: str, suffix: str) -> list[str]:
    """Every file under a folder or S3 prefix whose name ends with suffix, sorted."""
    if is_s3(location):
        return _list_s3(location, suffix)
    root = Path(location)
    if not root.exists():
        raise InputError(f"{location}: not found: give an existing folder or an s3:// prefix")
    if root.is_file():
        return [str(root)]
    return sorted(str(path) for path in root.rglob(f"*{suffix}") if path.is_file())


def _list_s3(location: str, suffix: str) -> list[str]:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = split_s3(location)
    keys = []
    try:
        for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(suffix)]
    except (BotoCoreError, ClientError) as error:
        raise _aws_error(location, error) from error
    return sorted(f"s3://{bucket}/{key}" for key in keys)


def read_text(location: str) -> str:
    """The whole text of one local file or S3 object."""
    if is_s3(location):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = split_s3(location)
        try:
            return _s3().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except (BotoCoreError, ClientError) as error:
            raise _aws_error(location, error) from error
        except UnicodeDecodeError as error:  # as for a local file: the object's bytes are not text
            raise InputError(f"{location}: not UTF-8 text: {error}") from error
    path = Path(location)
    if not path.is_file():
        raise InputError(f"{location}: not found: give an existing file or an s3:// URI")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{location}: not UTF-8 text: {error}") from error


def read_json_object(location: str, what: str) -> dict:
    """A JSON object from a local file or an S3 object."""
    return parse_json_object(read_text(location), location, what)
