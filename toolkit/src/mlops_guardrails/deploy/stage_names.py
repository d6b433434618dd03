"""Names a stage gets from the project (docs/contracts.md): endpoint, stack, alarms."""

STAGES = ("staging", "prod")
ALARM_SUFFIXES = ("invocation-5xx-errors", "model-latency")


def endpoint_name(project: str, stage: str) -> str:
    return f"{project}-{stage}"


def stack_name(project: str, stage: str) -> str:
    return f"sagemaker-{project}-deploy-{stage}"


def alarm_names(endpoint: str) -> list[str]:
    """The two alarms the endpoint template creates for a stage."""
    return [f"{endpoint}-{suffix}" for suffix in ALARM_SUFFIXES]
