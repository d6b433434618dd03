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

    _validate_config_once()
    return PipelineSession(default_bucket=default_bucket, sagemaker_config=SDK_CONFIG)


def _validate_config_once() -> None:
    """Validate SDK_CONFIG once instead of on every lookup.

    sagemaker 3.27 re-validates the session's config against its JSON schema on every config lookup:
    65 times while this pipeline's definition is built, 4 of its 5 seconds. SDK_CONFIG never changes, so
    it is validated here once and its repeats are skipped; any other config is still validated."""
    from sagemaker.core.config.config_manager import SageMakerConfig

    validate = SageMakerConfig.validate_sagemaker_config
    if getattr(validate, "skips_sdk_config", False):
        return
    validate(SDK_CONFIG)

    def validate_unless_sdk_config(sagemaker_config=None):
        if sagemaker_config != SDK_CONFIG:
            validate(sagemaker_config)

    validate_unless_sdk_config.skips_sdk_config = True
    SageMakerConfig.validate_sagemaker_config = staticmethod(validate_unless_sdk_config)


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
