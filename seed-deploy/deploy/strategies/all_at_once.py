"""Blue/green ALL_AT_ONCE: every variant's traffic moves to green in one step, then the termination wait."""
from deploy.strategies.base import BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS, Plan, Step, seconds


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    final = Step("all traffic on green", dict(counts), seconds(policy, "TerminationWaitInSeconds", BLUE_GREEN, 0), True)
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS)
    return Plan("ALL_AT_ONCE", (final,), timeout)
