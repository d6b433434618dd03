import jsonschema
import pytest

from mlops_guardrails.build import sdk


def test_pipeline_session_carries_the_telemetry_opt_out():
    session = sdk.pipeline_session("some-bucket")
    assert session.sagemaker_config == sdk.SDK_CONFIG
    assert sdk.SDK_CONFIG["SageMaker"]["PythonSDK"]["Modules"]["TelemetryOptOut"] is True


def test_config_validation_still_rejects_any_other_invalid_config():
    from sagemaker.core.config.config_manager import SageMakerConfig

    sdk.pipeline_session("some-bucket")
    SageMakerConfig().validate_sagemaker_config(sdk.SDK_CONFIG)  # skipped: validated once already
    with pytest.raises(jsonschema.ValidationError):
        SageMakerConfig().validate_sagemaker_config({"SchemaVersion": "1.0", "SageMaker": {"NoSuchKey": 1}})
