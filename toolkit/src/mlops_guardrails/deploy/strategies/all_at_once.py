"""Blue/green ALL_AT_ONCE: every variant's traffic moves to green in one step, then the termination wait."""
from mlops_guardrails.deploy.strategies.base import (BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS, Plan, Strategy, seconds,
                                    termination_step)


def plan(policy: dict, counts: dict[str, int]) -> Plan:
    timeout = seconds(policy, "MaximumExecutionTimeoutInSeconds", BLUE_GREEN, DEFAULT_TIMEOUT_SECONDS)
    return Plan("ALL_AT_ONCE", (termination_step(policy, counts),), timeout)


def check(config: dict, policy: dict) -> list[str]:
    return []  # no size: the one step is the whole fleet


STRATEGY = Strategy("ALL_AT_ONCE", "BlueGreenUpdatePolicy", None, plan, check,
                    "all traffic to the new fleet in one step, then the termination wait")
