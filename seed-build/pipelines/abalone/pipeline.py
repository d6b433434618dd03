"""The abalone model-build pipeline: preprocess -> train -> baseline + evaluate -> condition -> register or fail.

    PreprocessAbaloneData -> TrainAbaloneModel -> DataQualityBaseline -----------------------.
                                               \\-> EvaluateAbaloneModel -> CheckMseAbaloneEvaluation
                                                                           |-> RegisterAbaloneModel
                                                                           '-> AbaloneMseFail

get_pipeline() builds it with the SageMaker Python SDK v3. It makes no AWS call: the processing scripts
are referenced by S3 URI (pipelines.code.upload_code puts them there first), so definition() runs
offline.

Network and keys (mlops_guardrails.build.network): every job runs in the project's subnets and security groups when it has
them, with inter-container traffic encryption, and its volume and output encrypted with the project's key. Every
step is network-isolated: preprocess, baseline and evaluate read their inputs from /opt/ml/processing and call no
AWS API or package index (SageMaker moves the data in and out), and the built-in XGBoost algorithm needs no
network. A step whose script must reach a service (an AWS API through a VPC endpoint) cannot be isolated: pass
isolated=False for it and say why here.
"""
from sagemaker.core import image_uris
from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.drift_check_baselines import DriftCheckBaselines
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
from sagemaker.core.workflow.conditions import ConditionLessThanOrEqualTo
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow import ConditionStep, FailStep, ModelStep, Pipeline, ProcessingStep, TrainingStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train.configs import Compute, InputData, OutputDataConfig
from sagemaker.train.model_trainer import ModelTrainer

from pipelines.code import script_uri
from mlops_guardrails.build.network import JobNetwork

XGBOOST_VERSION = "1.7-1"
SKLEARN_VERSION = "1.2-1"
PROCESSING_ROOT = "/opt/ml/processing"
# The model package's CustomerMetadataProperties key holding the S3 URI of the model's input signature.
SIGNATURE_PROPERTY = "FeatureSignatureS3Uri"

# The classic abalone settings of the first-party MLOps seed: 70/15/15 split, these hyperparameters, MSE <= 6.0
# (test-set MSE typically 4.0-5.8).
HYPERPARAMETERS = {
    "objective": "reg:squarederror",
    "num_round": 50,
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.7,
    "seed": 42,
}


def get_pipeline(
    *,
    region: str,
    role: str,
    default_bucket: str,
    model_package_group_name: str,
    pipeline_name: str,
    code_prefix: str,
    base_job_prefix: str = "abalone",
    hyperparameters: dict | None = None,
    sagemaker_session: PipelineSession | None = None,
    subnets: list[str] | None = None,
    security_group_ids: list[str] | None = None,
    kms_key_arn: str | None = None,
) -> Pipeline:
    """Build the pipeline; code_prefix is the s3:// folder holding this package's scripts; subnets,
    security_group_ids and kms_key_arn are the project's network and key (mlops_guardrails.build.network)."""
    session = sagemaker_session or PipelineSession(default_bucket=default_bucket)
    network = JobNetwork(subnets=tuple(subnets or ()), security_group_ids=tuple(security_group_ids or ()),
                         kms_key_arn=kms_key_arn)
    processing_instance_type = ParameterString("ProcessingInstanceType", default_value="ml.m5.xlarge")
    processing_instance_count = ParameterInteger("ProcessingInstanceCount", default_value=1)
    training_instance_type = ParameterString("TrainingInstanceType", default_value="ml.m5.xlarge")
    model_approval_status = ParameterString("ModelApprovalStatus", default_value="PendingManualApproval")
    input_data = ParameterString(
        "InputDataUrl", default_value=f"s3://{default_bucket}/{base_job_prefix}/input/abalone.csv"
    )
    mse_threshold = ParameterFloat("MseThreshold", default_value=6.0)

    sklearn_image = image_uris.retrieve("sklearn", region, version=SKLEARN_VERSION)
    xgboost_image = image_uris.retrieve("xgboost", region, version=XGBOOST_VERSION)
    # Every execution writes under its own id, so a registered package's metrics are never overwritten.
    outputs_uri = Join(on="/", values=[f"s3://{default_bucket}/{base_job_prefix}", ExecutionVariables.PIPELINE_EXECUTION_ID])

    def processor(image: str, job: str) -> ScriptProcessor:
        return ScriptProcessor(
            image_uri=image,
            command=["python3"],
            instance_type=processing_instance_type,
            instance_count=processing_instance_count,
            base_job_name=f"{base_job_prefix}-{job}",
            sagemaker_session=session,
            role=role,
            volume_kms_key=network.kms_key_arn,
            output_kms_key=network.kms_key_arn,
            network_config=network.processing(isolated=True),
        )

    step_process = ProcessingStep(
        name="PreprocessAbaloneData",
        step_args=processor(sklearn_image, "preprocess").run(
            code=script_uri(code_prefix, "preprocess.py"),
            inputs=[_input("input", input_data, "input/data")],
            outputs=[_output(name, _under(outputs_uri, name))
                     for name in ("train", "validation", "test", "baseline", "signature")],
        ),
    )

    trainer = ModelTrainer(
        training_image=xgboost_image,
        compute=Compute(instance_type=training_instance_type, instance_count=1, volume_kms_key_id=network.kms_key_arn),
        output_data_config=OutputDataConfig(
            s3_output_path=f"s3://{default_bucket}/{base_job_prefix}/model", kms_key_id=network.kms_key_arn
        ),
        networking=network.training(isolated=True),
        hyperparameters={**HYPERPARAMETERS, **(hyperparameters or {})},
        base_job_name=f"{base_job_prefix}-train",
        sagemaker_session=session,
        role=role,
    )
    step_train = TrainingStep(
        name="TrainAbaloneModel",
        step_args=trainer.train(
            input_data_config=[
                InputData(channel_name=name, data_source=_output_uri(step_process, name), content_type="text/csv")
                for name in ("train", "validation")
            ]
        ),
    )

    model_artifact = step_train.properties.ModelArtifacts.S3ModelArtifacts  # model.tar.gz, once trained

    # The baseline is the model's prediction then the features of each training row: the columns Model
    # Monitor's data-quality job compares for a CSV capture (output, then input). So it follows training.
    step_baseline = ProcessingStep(
        name="DataQualityBaseline",
        step_args=processor(xgboost_image, "baseline").run(
            code=script_uri(code_prefix, "baseline.py"),
            inputs=[
                _input("model", model_artifact, "model"),
                _input("baseline", _output_uri(step_process, "baseline"), "input/baseline"),
                _input("signature", _output_uri(step_process, "signature"), "input/signature"),
            ],
            outputs=[_output("monitoring", _under(outputs_uri, "monitoring"))],
        ),
    )

    evaluation_report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    step_eval = ProcessingStep(
        name="EvaluateAbaloneModel",
        step_args=processor(xgboost_image, "evaluate").run(
            code=script_uri(code_prefix, "evaluate.py"),
            inputs=[
                _input("model", model_artifact, "model"),
                _input("test", _output_uri(step_process, "test"), "test"),
            ],
            outputs=[_output("evaluation", _under(outputs_uri, "evaluation"))],
        ),
        property_files=[evaluation_report],
    )

    model_metrics, drift_baselines = _registered_metrics(step_eval, step_baseline)
    model = ModelBuilder(
        image_uri=xgboost_image,
        s3_model_data_url=model_artifact,
        role_arn=role,
        sagemaker_session=session,
        dependencies={},  # the default reaches s3:ListBuckets at definition time (toolchain pitfall 4)
    )
    step_register = ModelStep(
        name="RegisterAbaloneModel",
        step_args=model.register(
            model_package_group_name=model_package_group_name,
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=["ml.t2.medium", "ml.m5.large", "ml.m5.xlarge"],
            transform_instances=["ml.m5.large"],
            approval_status=model_approval_status,
            model_metrics=model_metrics,
            drift_check_baselines=drift_baselines,
            # The deploy repo reads what the model takes from here (README: "The feature contract").
            customer_metadata_properties={
                SIGNATURE_PROPERTY: Join(on="/", values=[_output_uri(step_process, "signature"), "signature.json"])
            },
        ),
        depends_on=[step_baseline],
    )

    measured_mse = JsonGet(step_name=step_eval.name, property_file=evaluation_report, json_path="regression_metrics.mse.value")
    step_fail = FailStep(
        name="AbaloneMseFail",
        error_message=Join(on=" ", values=["Test-set MSE", measured_mse, "is above the threshold", mse_threshold]),
    )
    step_condition = ConditionStep(
        name="CheckMseAbaloneEvaluation",
        conditions=[ConditionLessThanOrEqualTo(left=measured_mse, right=mse_threshold)],
        if_steps=[step_register],
        else_steps=[step_fail],
    )

    return Pipeline(
        name=pipeline_name,
        parameters=[
            processing_instance_type,
            processing_instance_count,
            training_instance_type,
            model_approval_status,
            input_data,
            mse_threshold,
        ],
        steps=[step_process, step_train, step_baseline, step_eval, step_condition],
        sagemaker_session=session,
    )


def _input(name: str, source, folder: str) -> ProcessingInput:
    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(
            s3_uri=source, local_path=f"{PROCESSING_ROOT}/{folder}", s3_data_type="S3Prefix", s3_input_mode="File"
        ),
    )


def _output(name: str, destination: str) -> ProcessingOutput:
    return ProcessingOutput(
        output_name=name,
        s3_output=ProcessingS3Output(
            s3_uri=destination, local_path=f"{PROCESSING_ROOT}/{name}", s3_upload_mode="EndOfJob"
        ),
    )


def _under(prefix: Join, name: str) -> Join:
    return Join(on="/", values=[prefix, name])


def _output_uri(step: ProcessingStep, name: str):
    return step.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri


def _registered_metrics(step_eval: ProcessingStep, step_baseline: ProcessingStep):
    """The evaluation as model quality; the baseline as data quality and as the drift-check baseline."""
    monitoring = _output_uri(step_baseline, "monitoring")
    statistics = MetricsSource(content_type="application/json", s3_uri=Join(on="/", values=[monitoring, "statistics.json"]))
    constraints = MetricsSource(content_type="application/json", s3_uri=Join(on="/", values=[monitoring, "constraints.json"]))
    evaluation = MetricsSource(
        content_type="application/json", s3_uri=Join(on="/", values=[_output_uri(step_eval, "evaluation"), "evaluation.json"])
    )
    metrics = ModelMetrics(model_statistics=evaluation, model_data_statistics=statistics, model_data_constraints=constraints)
    baselines = DriftCheckBaselines(model_data_statistics=statistics, model_data_constraints=constraints)
    return metrics, baselines
