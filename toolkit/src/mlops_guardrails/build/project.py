"""The project's environment (set by CodeBuild, or by hand for a local run) and the names derived from it."""
import os
from dataclasses import dataclass

from mlops_guardrails import aws_formats
from mlops_guardrails.errors import InputError

LOCAL_DEFAULTS = {
    "SAGEMAKER_PROJECT_NAME": "abalone-local",
    "SAGEMAKER_PROJECT_ID": "p-local",
    "ARTIFACT_BUCKET": "sagemaker-project-artifacts-local",
    "SAGEMAKER_PIPELINE_ROLE_ARN": "arn:aws:iam::123456789012:role/SageMakerPipelineExecutionRole",
}
# The contract variables and the AWS format each must have.
FORMATS = {
    "SAGEMAKER_PROJECT_NAME": "project name",
    "SAGEMAKER_PROJECT_ID": "project id",
    "MODEL_PACKAGE_GROUP_NAME": "model package group",
    "ARTIFACT_BUCKET": "bucket",
    "SAGEMAKER_PIPELINE_ROLE_ARN": "role arn",
}


@dataclass(frozen=True)
class Project:
    name: str
    project_id: str
    model_package_group_name: str
    artifact_bucket: str
    pipeline_role_arn: str

    @property
    def pipeline_name(self) -> str:
        return f"{self.name}-{self.project_id}-build"


def check_format(field: str, value: str, kind: str) -> str:
    """`value` unless it breaks AWS's format for `kind`; InputError naming the field, value and rule."""
    found = aws_formats.problem(field, value, kind)
    if found:
        raise InputError(found)
    return value


def from_environment(defaults: dict[str, str] | None = None) -> Project:
    """Read the contract variables; `defaults` fills the ones a local run may leave unset."""
    values = {**(defaults or {}), **{k: v for k, v in os.environ.items() if v}}
    missing = [key for key in LOCAL_DEFAULTS if key not in values]
    if missing:
        raise InputError(f"environment variables not set: {', '.join(missing)} (CodeBuild sets them from the project)")
    name, project_id = values["SAGEMAKER_PROJECT_NAME"], values["SAGEMAKER_PROJECT_ID"]
    values.setdefault("MODEL_PACKAGE_GROUP_NAME", f"{name}-{project_id}")
    for field, kind in FORMATS.items():
        check_format(field, values[field], kind)
    return Project(
        name=name,
        project_id=project_id,
        model_package_group_name=values["MODEL_PACKAGE_GROUP_NAME"],
        artifact_bucket=values["ARTIFACT_BUCKET"],
        pipeline_role_arn=values["SAGEMAKER_PIPELINE_ROLE_ARN"],
    )
