"""The project's environment (set by CodeBuild, or by hand for a local run) and the names derived from it."""
import os
from dataclasses import dataclass

LOCAL_DEFAULTS = {
    "SAGEMAKER_PROJECT_NAME": "abalone-local",
    "SAGEMAKER_PROJECT_ID": "p-local",
    "ARTIFACT_BUCKET": "sagemaker-project-artifacts-local",
    "SAGEMAKER_PIPELINE_ROLE_ARN": "arn:aws:iam::123456789012:role/SageMakerPipelineExecutionRole",
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


def from_environment(defaults: dict[str, str] | None = None) -> Project:
    """Read the contract variables; `defaults` fills the ones a local run may leave unset."""
    values = {**(defaults or {}), **{k: v for k, v in os.environ.items() if v}}
    missing = [key for key in LOCAL_DEFAULTS if key not in values]
    if missing:
        raise KeyError(f"environment variables not set: {', '.join(missing)}")
    name, project_id = values["SAGEMAKER_PROJECT_NAME"], values["SAGEMAKER_PROJECT_ID"]
    return Project(
        name=name,
        project_id=project_id,
        model_package_group_name=values.get("MODEL_PACKAGE_GROUP_NAME", f"{name}-{project_id}"),
        artifact_bucket=values["ARTIFACT_BUCKET"],
        pipeline_role_arn=values["SAGEMAKER_PIPELINE_ROLE_ARN"],
    )
