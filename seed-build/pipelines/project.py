"""The project's environment (set by CodeBuild, or by hand for a local run) and the names derived from it."""
import os
import re
from dataclasses import dataclass

from pipelines.errors import InputError

LOCAL_DEFAULTS = {
    "SAGEMAKER_PROJECT_NAME": "abalone-local",
    "SAGEMAKER_PROJECT_ID": "p-local",
    "ARTIFACT_BUCKET": "sagemaker-project-artifacts-local",
    "SAGEMAKER_PIPELINE_ROLE_ARN": "arn:aws:iam::123456789012:role/SageMakerPipelineExecutionRole",
}
# AWS's own formats: the patterns and lengths of botocore's SageMaker model (ProjectEntityName,
# ProjectId, EntityName, PipelineName, RoleArn) and S3's bucket naming rules (S3 User Guide,
# "General purpose bucket naming rules").
FORMATS = {
    "SAGEMAKER_PROJECT_NAME": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}", "1-32 letters, digits and hyphens, no hyphen first or last"),
    "SAGEMAKER_PROJECT_ID": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}", "1-20 letters, digits and hyphens, no hyphen first or last"),
    "MODEL_PACKAGE_GROUP_NAME": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "1-63 letters, digits and hyphens, no hyphen first or last"),
    "ARTIFACT_BUCKET": (r"(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
                        "an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit first and last"),
    "SAGEMAKER_PIPELINE_ROLE_ARN": (r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
                                    "an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>"),
}
PIPELINE_NAME = (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}", "1-256 letters, digits and hyphens")


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


def check_format(field: str, value: str, fmt: tuple[str, str] | None = None) -> str:
    """`value` unless it breaks AWS's format for `field`; InputError naming the field, value and rule."""
    pattern, rule = fmt or FORMATS[field]
    if not re.fullmatch(pattern, value):
        raise InputError(f"{field}: {value!r}: must be {rule}")
    return value


def from_environment(defaults: dict[str, str] | None = None) -> Project:
    """Read the contract variables; `defaults` fills the ones a local run may leave unset."""
    values = {**(defaults or {}), **{k: v for k, v in os.environ.items() if v}}
    missing = [key for key in LOCAL_DEFAULTS if key not in values]
    if missing:
        raise InputError(f"environment variables not set: {', '.join(missing)} (CodeBuild sets them from the project)")
    name, project_id = values["SAGEMAKER_PROJECT_NAME"], values["SAGEMAKER_PROJECT_ID"]
    values.setdefault("MODEL_PACKAGE_GROUP_NAME", f"{name}-{project_id}")
    for field in FORMATS:
        check_format(field, values[field])
    return Project(
        name=name,
        project_id=project_id,
        model_package_group_name=values["MODEL_PACKAGE_GROUP_NAME"],
        artifact_bucket=values["ARTIFACT_BUCKET"],
        pipeline_role_arn=values["SAGEMAKER_PIPELINE_ROLE_ARN"],
    )
