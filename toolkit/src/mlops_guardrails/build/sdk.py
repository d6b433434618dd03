"""Set up the SageMaker Python SDK v3 for this repo: region first, no role probing, no telemetry."""
import contextlib
import gc
import logging
import os
import sys
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


@contextlib.contextmanager
def building() -> Iterator[None]:
    """Garbage collection paused while the SDK is imported and builds a pipeline, then its objects frozen.

    The import and build allocate ~600k objects that nearly all live on: collections meanwhile only walk
    them again and again (a third of the build's time), and later ones need not walk them either."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def exit_promptly(code: int) -> None:
    """Exit without the interpreter's teardown: after a pipeline was built, the SDK's objects would take
    about a second of garbage collection to tear down, and nothing is left to release (a command calls
    this once its files are closed, its emulator stopped and its processes ended); only the output
    buffers still need flushing."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
