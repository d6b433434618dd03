"""AWS's own formats for the names and ARNs the project passes around, checked before anything is written.

The model-build and model-deploy seeds carry this same module (a seed never imports the other); the
project template's repository tests that the two copies stay equal.
"""
import re

# kind -> (pattern, rule). Patterns and lengths from botocore's SageMaker service model (ProjectEntityName,
# ProjectId, EntityName, EndpointName, PipelineName, RoleArn; the same RoleArn pattern serves STS's AssumeRole) and S3's
# bucket naming rules (S3 User Guide, "General purpose bucket naming rules").
FORMATS = {
    "project name": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}", "1-32 letters, digits and hyphens, no hyphen first or last"),
    "project id": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}", "1-20 letters, digits and hyphens, no hyphen first or last"),
    "model package group": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "1-63 letters, digits and hyphens, no hyphen first or last"),
    "endpoint name": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "1-63 letters, digits and hyphens, no hyphen first or last"),
    "pipeline name": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}", "1-256 letters, digits and hyphens, no hyphen first or last"),
    "bucket": (r"(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
               "an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit first and last"),
    "role arn": (r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
                 "an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"),
}


def problem(field: str, value: str, kind: str) -> str | None:
    """`<field>: <value>: must be <rule>` when `value` breaks AWS's format for `kind`, else None."""
    pattern, rule = FORMATS[kind]
    if isinstance(value, str) and re.fullmatch(pattern, value):
        return None
    return f"{field}: {value!r}: must be {rule}"
