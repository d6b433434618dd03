"""A stage that lives in another account (multi-account projects) is reached through its role there."""
import boto3

from mlops_guardrails import aws_formats
from mlops_guardrails.errors import InputError

# Per stage, the role to assume in that stage's account; empty or unset when the stage is in this account.
TARGET_ROLE_VARIABLES = {"staging": "STAGING_TARGET_ROLE_ARN", "prod": "PROD_TARGET_ROLE_ARN"}
TARGET_ROLE_HELP = "role to assume in the stage's account (multi-account projects; default: $TARGET_ROLE_ARN)"


def stage_session(role_arn: str | None, session_name: str) -> boto3.session.Session:
    """This account's session, or one with `role_arn`'s temporary credentials."""
    if not role_arn:
        return boto3.session.Session()
    problem = aws_formats.problem("target role", role_arn, "role arn")
    if problem:
        raise InputError(problem)
    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
