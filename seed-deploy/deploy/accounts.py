"""Clients for a stage that lives in another account (multi-account projects): assume the stage's role first."""
import boto3

# The deploy pipeline passes, per stage, the role to assume in that stage's account (empty in one account).
TARGET_ROLE_VARIABLES = {"staging": "STAGING_TARGET_ROLE_ARN", "prod": "PROD_TARGET_ROLE_ARN"}


def stage_client(service: str, role_arn: str | None, session_name: str, default):
    """`default` when the stage is in this account; else a client with the role's temporary credentials."""
    if not role_arn:
        return default
    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.client(
        service,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
