"""Guardrails that can trip: the rules that make a stage's auto-rollback alarms able to roll an update back.

Errors (the config is refused) where rollback cannot work; warnings (printed, exit 0) where SageMaker's
documentation allows the setting but it weakens or distorts the guardrail. Sources, each rule's own:
- An alarm needs EvaluationPeriods datapoints of Period seconds before it can go to ALARM (CloudWatch
  User Guide, "Evaluating an alarm"); SageMaker watches the alarms only during the bakes and rolls back
  if one is in ALARM there (deployment-guardrails-configuration, deployment-guardrails-blue-green).
  A bake shorter than Period x EvaluationPeriods cannot see its alarm fire: that bake is unguarded. The
  window's last datapoint reaches the alarm only after CloudWatch's ingestion delay, so the bake must
  also cover it (deploy/cloudwatch_timing.py: the delay's default and its sources).
- A model container must answer within 60 seconds (InvokeEndpoint, API reference): an average
  ModelLatency above 60 s cannot occur, so a higher threshold can never be crossed.
- deployment-guardrails-configuration shows two 5XX alarms: one over EndpointName + VariantName
  ("on both old and new fleets") and one adding EndpointConfigName ("on the new fleet"). Both are
  allowed; the first also counts the old fleet's errors, so it is a warning.
- Step sizes are shares of the instance count and instances are whole (deploy/capacity.py): a percent
  that rounds to a different share moves a different share of traffic than the config says: a warning.
"""
from dataclasses import dataclass

from mlops_guardrails.deploy import strategies
from mlops_guardrails.deploy.capacity import COMPONENT_TYPES, TYPES, instances
from mlops_guardrails.deploy.cloudwatch_timing import DEFAULT_INGESTION_DELAY_SECONDS, earliest_alarm_seconds
from mlops_guardrails.deploy.inference_components import uses_components
from mlops_guardrails.deploy.problems import problem
from mlops_guardrails.deploy.stage_alarms import STAGE_ALARMS

ALARM_OUTLASTS_BAKE = ("alarm {alarm} needs its window Period {period} s x EvaluationPeriods {periods} plus "
                       "CloudWatch's {delay} s ingestion delay = {needed} s to reach ALARM, longer than this {bake} s "
                       "bake ({step}) it must fit in: it cannot roll the update back there; bake at least {needed} s "
                       "or shorten the alarm's window")
INVOCATION_TIMEOUT_SECONDS = 60
LATENCY_NEVER_CROSSED = (f"an average ModelLatency cannot exceed the {INVOCATION_TIMEOUT_SECONDS} s a model has to "
                         f"answer (InvokeEndpoint): the alarm can never fire; use a threshold below "
                         f"{INVOCATION_TIMEOUT_SECONDS * 1_000_000} microseconds")
WINDOW_NEEDS_BOTH = "give Period and EvaluationPeriods together (the alarm's window), or neither"
WHOLE_ENDPOINT_5XX = ("watches the whole endpoint (dimensions {dimensions}): the old fleet's errors count too, so it "
                      "can roll back a good update and dilutes the new fleet's; add the dimension EndpointConfigName "
                      "to watch only the new fleet")
ROUNDED_SHARE = ("{percent}% of {variant}'s {count} {unit} rounds up to {rounded} {unit}: the {step} "
                 "takes {real:.0f}% of {variant}'s traffic, not {percent}%")
EXTRA_ALARMS = "DeploymentConfig.AutoRollbackConfiguration.Alarms"


@dataclass(frozen=True)
class WatchedAlarm:
    """An alarm auto-rollback relies on, with the window it needs to reach ALARM."""

    label: str
    period: int
    evaluation_periods: int

    @property
    def window(self) -> int:
        return self.period * self.evaluation_periods

    def needed(self, delay: float) -> float:
        """The shortest bake in which this alarm can reach ALARM: its window, then the ingestion delay."""
        return earliest_alarm_seconds(self.period, self.evaluation_periods, delay)


def extra_alarms(config: dict) -> list[dict]:
    """The extra auto-rollback alarms the stage config lists beside the stage's own (none if it lists none)."""
    return config["DeploymentConfig"].get("AutoRollbackConfiguration", {}).get("Alarms", [])


def watched_alarms(config: dict) -> list[WatchedAlarm]:
    """The stage's own alarms and every extra alarm whose window the config gives."""
    alarms = [WatchedAlarm(f"Alarms.{a.key}", config["Alarms"][a.key]["Period"],
                           config["Alarms"][a.key]["EvaluationPeriods"]) for a in STAGE_ALARMS]
    for i, extra in enumerate(extra_alarms(config)):
        if "Period" in extra and "EvaluationPeriods" in extra:
            alarms.append(WatchedAlarm(f"{EXTRA_ALARMS}[{i}] ({extra['AlarmName']})", extra["Period"],
                                       extra["EvaluationPeriods"]))
    return alarms


def check_bakes(config: dict, delay: float = DEFAULT_INGESTION_DELAY_SECONDS) -> list[str]:
    """Every bake of the update's schedule against every watched alarm's window plus the ingestion delay: one line
    per bake field and alarm (the steps that share a field, e.g. every rolling batch's WaitIntervalInSeconds,
    share the line)."""
    schedule = strategies.plan_for(config)
    by_field: dict[str, list] = {}
    for step in schedule.steps:
        by_field.setdefault(step.bake_field, []).append(step)
    problems = []
    for field, steps in by_field.items():
        bake = min(step.bake_seconds for step in steps)
        where = steps[0].label + (f" and {len(steps) - 1} more step(s) with this wait" if len(steps) > 1 else "")
        for alarm in watched_alarms(config):
            if alarm.needed(delay) > bake:
                problems.append(problem(field, round(bake), ALARM_OUTLASTS_BAKE.format(
                    alarm=alarm.label, period=alarm.period, periods=alarm.evaluation_periods, delay=round(delay),
                    needed=round(alarm.needed(delay)), bake=round(bake), step=where)))
    return problems


def check_thresholds(config: dict) -> list[str]:
    latency = config["Alarms"]["ModelLatency"]["ThresholdMicroseconds"]
    if latency >= INVOCATION_TIMEOUT_SECONDS * 1_000_000:
        return [problem("Alarms.ModelLatency.ThresholdMicroseconds", latency, LATENCY_NEVER_CROSSED)]
    return []


def check_extra_windows(config: dict) -> list[str]:
    problems = []
    for i, extra in enumerate(extra_alarms(config)):
        if ("Period" in extra) != ("EvaluationPeriods" in extra):
            given = "Period" if "Period" in extra else "EvaluationPeriods"
            problems.append(problem(f"{EXTRA_ALARMS}[{i}].{given}", extra[given], WINDOW_NEEDS_BOTH))
    return problems


def check(config: dict) -> list[str]:
    """Errors: a schema-valid config whose strategy rules hold, checked for alarms that cannot trip."""
    problems = check_thresholds(config) + check_extra_windows(config)
    return problems + (check_bakes(config) if not problems else [])


# -- warnings ---------------------------------------------------------------------------------------
def warn_rounded_shares(config: dict) -> list[str]:
    components = uses_components(config)
    strategy, policy = strategies.strategy_of(config["DeploymentConfig"], components)
    size = strategy.sizes(policy).get(strategy.size_field) if strategy.size_field else None
    if not size or size["Type"] != "CAPACITY_PERCENT":
        return []
    unit, types = ("copies", COMPONENT_TYPES) if components else ("instance(s)", TYPES)
    serverless = {v["VariantName"] for v in config["ProductionVariants"] if "ServerlessConfig" in v}
    warnings = []
    for name, count in strategies.unit_counts(config).items():
        if name in serverless or count == 0:
            continue
        percent = size["Value"]
        rounded = instances(size, count, strategy.size_path(), types)
        real = 100.0 * rounded / count
        if round(real) != percent:
            warnings.append(problem(f"{strategy.size_path()}.Value", percent, ROUNDED_SHARE.format(
                percent=percent, variant=name, count=count, rounded=rounded, step=strategy.step_name, real=real,
                unit=unit)))
    return warnings


def warn_whole_endpoint_alarms(config: dict) -> list[str]:
    warnings = []
    for i, extra in enumerate(extra_alarms(config)):
        dimensions = extra.get("Dimensions")
        if extra.get("MetricName") == "Invocation5XXErrors" and dimensions is not None \
                and "EndpointConfigName" not in dimensions:
            warnings.append(problem(f"{EXTRA_ALARMS}[{i}].Dimensions", dimensions,
                                    WHOLE_ENDPOINT_5XX.format(dimensions=" + ".join(dimensions) or "none")))
    return warnings


def warnings(config: dict) -> list[str]:
    """Warnings of a valid config: settings SageMaker accepts that weaken or distort its guardrails."""
    return warn_rounded_shares(config) + warn_whole_endpoint_alarms(config)
