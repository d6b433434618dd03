"""Where the pipeline's processing scripts live in S3, and their upload (content-addressed, so reruns reuse)."""
import hashlib
from pathlib import Path

import boto3

SCRIPTS_DIR = Path(__file__).resolve().parent / "abalone"
SCRIPTS = ("preprocess.py", "baseline.py", "evaluate.py")


def code_prefix(bucket: str, pipeline_name: str) -> str:
    """s3:// folder for this exact version of the scripts: a changed script gets a new folder."""
    digest = hashlib.sha256()
    for name in SCRIPTS:
        digest.update((SCRIPTS_DIR / name).read_bytes())
    return f"s3://{bucket}/{pipeline_name}/code/{digest.hexdigest()[:12]}"


def script_uri(prefix: str, name: str) -> str:
    return f"{prefix}/{name}"


def upload_code(prefix: str) -> None:
    """Put the scripts under the s3:// prefix that get_pipeline() references."""
    bucket, _, key_prefix = prefix.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3")
    for name in SCRIPTS:
        s3.upload_file(str(SCRIPTS_DIR / name), bucket, f"{key_prefix}/{name}")
