"""Set up the SageMaker Python SDK v3 for this repo: region first, no role probing, no telemetry."""
import contextlib
import logging
import os
import warnings
from collections.abc import Iterator

# The SDK builds clients at import time (it needs a region) and, unless told not to, probes IAM for
# every role it is handed and sends telemetry from a background thread (toolchain pitfalls 1-3).
os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
os.environ.setdefault("SAGEMAKER_VALIDATE_ROLE", "false")

SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


def region() -> str:
    return os.environ["AWS_DEFAULT_REGION"]


def pipeline_session(default_bucket: str):
    """A PipelineSession that records jobs into the definition instead of starting them."""
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    return PipelineSession(default_bucket=default_bucket, sagemaker_config=SDK_CONFIG)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the SDK while it builds a definition: it logs every default it applies, on the root logger."""
    logging.disable(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)
            logging.getLogger().setLevel(logging.WARNING)  # undo the SDK's basicConfig(level=INFO)
