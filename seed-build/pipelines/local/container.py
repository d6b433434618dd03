"""SageMaker's container conventions on a local folder: /opt/ml mapped under a job folder, S3 in and out."""
import functools
import os
import subprocess
import threading
import sys
from pathlib import Path

import boto3

from pipelines.errors import BuildError

CONTAINER_ROOT = "/opt/ml"
_CLIENT_LOCK = threading.Lock()


class StepFailed(BuildError):
    """A step's job failed; the message is its FailureReason."""


def client(service: str):
    """One client per service and endpoint for the whole run (clients are thread-safe; creating them
    from boto3's default session is not, and a new session per call costs a service-model load)."""
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"))


@functools.lru_cache(maxsize=None)
def _client(service: str, endpoint_url: str | None):
    with _CLIENT_LOCK:
        return boto3.session.Session().client(service)


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise StepFailed(f"{uri}: not an s3:// URI")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def host_path(job_dir: Path, container_path: str) -> Path:
    """Where a /opt/ml/... path of the container lives on this machine."""
    if not container_path.startswith(CONTAINER_ROOT):
        raise StepFailed(f"{container_path}: container paths must be under {CONTAINER_ROOT}")
    return job_dir / container_path.lstrip("/")


def download(uri: str, destination: Path) -> int:
    """Copy an S3Prefix input as SageMaker does: the object itself, or every object under the folder."""
    bucket, prefix = split_s3_uri(uri)
    prefix = prefix.rstrip("/")
    s3 = client("s3")
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key == prefix:
                relative = key.rsplit("/", 1)[-1]
            elif key.startswith(prefix + "/"):
                relative = key[len(prefix) + 1:]
            else:
                continue
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
            count += 1
    if count == 0:
        raise StepFailed(f"{uri}: no such object or prefix in S3")
    return count


def upload(source: Path, uri: str) -> None:
    """Copy a local output folder to its S3 destination, keeping relative paths."""
    bucket, prefix = split_s3_uri(uri)
    s3 = client("s3")
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, f"{prefix.rstrip('/')}/{path.relative_to(source).as_posix()}")


def run_process(command: list[str], job_dir: Path, log_path: Path) -> None:
    """Run a container entry point as a local process with /opt/ml mapped through ML_ROOT."""
    env = {**os.environ, "ML_ROOT": str(job_dir / CONTAINER_ROOT.lstrip("/"))}
    with log_path.open("w") as log:
        code = subprocess.call(command, cwd=job_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        lines = [line for line in log_path.read_text().splitlines() if line.strip()]
        raise StepFailed(lines[-1] if lines else f"exited with code {code}")


def local_command(entrypoint: list[str], job_dir: Path) -> list[str]:
    """python3 -> this interpreter; /opt/ml/... arguments -> their mapped paths."""
    mapped = [str(host_path(job_dir, arg)) if arg.startswith(CONTAINER_ROOT) else arg for arg in entrypoint]
    if mapped and mapped[0] in ("python", "python3"):
        mapped[0] = sys.executable
    return mapped
