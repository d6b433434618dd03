import json
import socket

import botocore.client
import pytest

from mlops_guardrails.build.project import LOCAL_DEFAULTS, from_environment
from mlops_guardrails.build.run_local import build_definition
from pipelines.run_local import REPO

PROJECT = from_environment(LOCAL_DEFAULTS)


@pytest.fixture(scope="module")
def definition():
    return build_definition(REPO, PROJECT, {})[0]


def steps_by_name(definition):
    found = {}
    for step in definition["Steps"]:
        found[step["Name"]] = step
        for branch in ("IfSteps", "ElseSteps"):
            for inner in step.get("Arguments", {}).get(branch, []):
                found[inner["Name"]] = inner
    return found


def test_definition_makes_no_aws_call_and_opens_no_socket(monkeypatch):
    calls = []

    def refuse_api_call(self, operation, params):
        calls.append(operation)
        raise AssertionError(f"AWS call {operation} during definition()")

    def refuse_connect(self, address):
        calls.append(address)
        raise AssertionError(f"socket connect to {address} during definition()")

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse_api_call)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)

    text = json.dumps(build_definition(REPO, PROJECT, {"max_depth": "4"})[0])

    assert calls == []
    assert json.loads(text)["Version"] == "2020-12-01"
    assert len(text) < 1_048_576


def test_definition_parameters_and_defaults(definition):
    params = {p["Name"]: (p["Type"], p.get("DefaultValue")) for p in definition["Parameters"]}
    assert params == {
        "ProcessingInstanceType": ("String", "ml.m5.xlarge"),
        "ProcessingInstanceCount": ("Integer", 1),
        "TrainingInstanceType": ("String", "ml.m5.xlarge"),
        "ModelApprovalStatus": ("String", "PendingManualApproval"),
        "InputDataUrl": ("String", f"s3://{PROJECT.artifact_bucket}/abalone/input/abalone.csv"),
        "MseThreshold": ("Float", 6.0),
    }


def test_definition_step_names_and_types(definition):
    assert {name: step["Type"] for name, step in steps_by_name(definition).items()} == {
        "PreprocessAbaloneData": "Processing",
        "DataQualityBaseline": "Processing",
        "TrainAbaloneModel": "Training",
        "EvaluateAbaloneModel": "Processing",
        "CheckMseAbaloneEvaluation": "Condition",
        "RegisterAbaloneModel": "RegisterModel",
        "AbaloneMseFail": "Fail",
    }


def test_definition_dependencies_follow_the_data(definition):
    steps = steps_by_name(definition)
    train_channels = steps["TrainAbaloneModel"]["Arguments"]["InputDataConfig"]
    assert [c["ChannelName"] for c in train_channels] == ["train", "validation"]
    assert train_channels[0]["DataSource"]["S3DataSource"]["S3Uri"] == {
        "Get": "Steps.PreprocessAbaloneData.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    }
    eval_inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in steps["EvaluateAbaloneModel"]["Arguments"]["ProcessingInputs"]}
    assert eval_inputs["model"] == {"Get": "Steps.TrainAbaloneModel.ModelArtifacts.S3ModelArtifacts"}
    # The data-quality baseline holds the model's predictions, so it reads the trained model too.
    baseline = steps["DataQualityBaseline"]["Arguments"]
    baseline_inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in baseline["ProcessingInputs"]}
    assert baseline_inputs["model"] == {"Get": "Steps.TrainAbaloneModel.ModelArtifacts.S3ModelArtifacts"}
    assert baseline_inputs["baseline"] == {
        "Get": "Steps.PreprocessAbaloneData.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"
    }
    assert baseline["AppSpecification"]["ImageUri"].endswith("/sagemaker-xgboost:1.7-1")
    assert steps["RegisterAbaloneModel"]["DependsOn"] == ["DataQualityBaseline"]


def test_definition_training_uses_builtin_xgboost_and_classic_hyperparameters(definition):
    args = steps_by_name(definition)["TrainAbaloneModel"]["Arguments"]
    assert args["AlgorithmSpecification"]["TrainingImage"].endswith("/sagemaker-xgboost:1.7-1")
    assert args["HyperParameters"]["num_round"] == "50"
    assert args["HyperParameters"]["max_depth"] == "5"


def test_definition_condition_reads_the_evaluation_property_files_mse(definition):
    step = steps_by_name(definition)["CheckMseAbaloneEvaluation"]
    (condition,) = step["Arguments"]["Conditions"]
    assert condition["Type"] == "LessThanOrEqualTo"
    assert condition["LeftValue"] == {
        "Std:JsonGet": {
            "PropertyFile": {"Get": "Steps.EvaluateAbaloneModel.PropertyFiles.EvaluationReport"},
            "Path": "regression_metrics.mse.value",
        }
    }
    assert condition["RightValue"] == {"Get": "Parameters.MseThreshold"}
    assert [s["Name"] for s in step["Arguments"]["IfSteps"]] == ["RegisterAbaloneModel"]
    assert [s["Name"] for s in step["Arguments"]["ElseSteps"]] == ["AbaloneMseFail"]
    property_file = steps_by_name(definition)["EvaluateAbaloneModel"]["PropertyFiles"][0]
    assert property_file == {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}


def test_definition_register_step_group_approval_and_metrics(definition):
    args = steps_by_name(definition)["RegisterAbaloneModel"]["Arguments"]
    assert args["ModelPackageGroupName"] == PROJECT.model_package_group_name
    assert args["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    assert args["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == {
        "Get": "Steps.TrainAbaloneModel.ModelArtifacts.S3ModelArtifacts"
    }
    metrics = args["ModelMetrics"]
    assert metrics["ModelQuality"]["Statistics"]["ContentType"] == "application/json"
    assert set(metrics["ModelDataQuality"]) == {"Statistics", "Constraints"}
    assert set(args["DriftCheckBaselines"]["ModelDataQuality"]) == {"Statistics", "Constraints"}


def test_definition_fail_message_carries_the_mse_and_the_threshold(definition):
    values = steps_by_name(definition)["AbaloneMseFail"]["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    assert {"Get": "Parameters.MseThreshold"} in values
    assert any("Std:JsonGet" in v for v in values if isinstance(v, dict))


def test_definition_code_is_referenced_by_s3_uri(definition):
    code = [
        i["S3Input"]["S3Uri"]
        for step in definition["Steps"] if step["Type"] == "Processing"
        for i in step["Arguments"]["ProcessingInputs"] if i["InputName"] == "code"
    ]
    assert [uri.rsplit("/", 1)[-1] for uri in code] == ["preprocess.py", "baseline.py", "evaluate.py"]
    assert all(uri.startswith(f"s3://{PROJECT.artifact_bucket}/{PROJECT.pipeline_name}/code/") for uri in code)


def test_definition_baseline_reads_and_register_step_records_the_input_signature(definition):
    steps = steps_by_name(definition)
    signature_uri = {"Get": "Steps.PreprocessAbaloneData.ProcessingOutputConfig.Outputs['signature'].S3Output.S3Uri"}
    baseline_inputs = {i["InputName"]: i["S3Input"] for i in steps["DataQualityBaseline"]["Arguments"]["ProcessingInputs"]}
    assert baseline_inputs["signature"]["S3Uri"] == signature_uri
    assert baseline_inputs["signature"]["LocalPath"] == "/opt/ml/processing/input/signature"
    recorded = steps["RegisterAbaloneModel"]["Arguments"]["CustomerMetadataProperties"]
    assert recorded == {"FeatureSignatureS3Uri": {"Std:Join": {"On": "/", "Values": [signature_uri, "signature.json"]}}}
