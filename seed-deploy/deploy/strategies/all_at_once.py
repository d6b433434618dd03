"""Blue/green ALL_AT_ONCE: every variant's traffic moves to green in one step, then the termination wait."""
from deploy.strategies.base import DEFAULT_TIMEOUT_SECONDS, Plan, Step, seconds

FIELD = "DeploymentConfig.BlueGreenUpdatePolicy"


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    final = Step("all traffic on green", dict(counts), seconds(policy, "TerminationWaitInSeconds", FIELD, 0), True)
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", FIELD, DEFAULT_TIMEOUT_SECONDS)
    return Plan("ALL_AT_ONCE", (final,), timeout)
