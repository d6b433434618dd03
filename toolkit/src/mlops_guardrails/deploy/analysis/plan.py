"""Rollout plan: the timeline, cost, blast radius and timeout of a stage config's DeploymentConfig."""
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from mlops_guardrails.deploy import capacity, inference_components, strategies
from mlops_guardrails.deploy.analysis.report import Report, Table
from mlops_guardrails.deploy.cloudwatch_timing import DEFAULT_INGESTION_DELAY_SECONDS, earliest_alarm_seconds, latest_alarm_seconds
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.stage_config import check_stage_config, config_warnings

PRICES_FILE = Path(__file__).with_name("prices.json")
DEFAULT_PROVISIONING_SECONDS = strategies.PROVISIONING_ALLOWANCE_SECONDS  # the validator's allowance
PASS, FAIL = "pass", "fail"
BG, ROLLING = "BlueGreenUpdatePolicy", "RollingUpdatePolicy"


def capacity_instances(size: dict | None, total: int, field_path: str) -> int:
    """Instances in one step for a CapacitySize: the rule and its source are in deploy/capacity.py."""
    return capacity.instances(size, total, field_path)


def green_instance_steps(total_instances: int, policy: dict) -> list[int]:
    """Cumulative new-fleet instances taking traffic after each step, ending at total_instances.

    policy is a stage config's DeploymentConfig (as UpdateEndpoint takes it); the steps are the ones
    deploy/strategies schedules (ALL_AT_ONCE -> [total]; CANARY -> [canary, total]; LINEAR and rolling ->
    [s, 2s, ..., total])."""
    if total_instances < 1:
        raise InputError(f"InitialInstanceCount: {total_instances}: must be at least 1")
    return [step.green_instances["v"] for step in strategies.plan_update(policy, {"v": total_instances}).steps]


@dataclass
class Step:
    number: int
    start_s: float
    green_share: float
    bake_s: float
    note: str = ""


@dataclass
class Exposure:
    alarm: str
    window_s: int
    requests_per_step: list[float]
    late_steps: list[int]  # steps whose bake ends before the alarm can fire
    delay_s: float = 0.0  # CloudWatch's ingestion delay counted
    # Requests a model failing from its first request serves before rollback, over the whole schedule, when
    # the alarm fires soonest and latest (deploy/cloudwatch_timing.py); None: the update completes first.
    before_rollback: tuple[float | None, float | None] = (None, None)

    @property
    def worst(self) -> tuple[int, float]:
        index = max(range(len(self.requests_per_step)), key=lambda i: self.requests_per_step[i])
        return index + 1, self.requests_per_step[index]


@dataclass
class Plan:
    strategy: str
    rps: float
    provisioning_s: int
    steps: list[Step]
    duration_s: float
    extra_instance_hours: dict[str, float]
    extra_cost: float
    currency: str
    exposures: list[Exposure]
    timeout_s: int | None
    verdict: str = PASS
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    per_batch: bool = False  # rolling updates provision each batch
    scale_to_zero: list[dict] = field(default_factory=list)
    pipeline_minutes: int = 0  # CodePipeline V2 action minutes of the stage's deploy action
    pipeline_cost: float = 0.0


def load_prices(override: dict | None = None) -> tuple[dict[str, float], str]:
    shipped = json.loads(PRICES_FILE.read_text())
    prices = dict(shipped["prices"])
    if override is not None:
        extra = override.get("prices", override)
        if not isinstance(extra, dict):
            raise InputError(f"prices: {type(extra).__name__}: must be an object of instance type -> price per instance-hour")
        for name, value in extra.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise InputError(f"prices.{name}: {value!r}: must be a number >= 0 (price per instance-hour)")
        prices.update(extra)
    return prices, (override or {}).get("currency", shipped["currency"])


def _instance_variants(config: dict) -> list[dict]:
    """The production variants; the plan prices instances, so serverless ones are out of its scope."""
    for index, variant in enumerate(config["ProductionVariants"]):
        if "ServerlessConfig" in variant:
            raise InputError(f"ProductionVariants[{index}].ServerlessConfig: present: the plan covers instance-based variants only")
    return config["ProductionVariants"]


def plan_rollout(config: dict, rps: float, prices: dict[str, float], currency: str = "USD",
                 provisioning_s: int = DEFAULT_PROVISIONING_SECONDS,
                 metric_delay_s: float = DEFAULT_INGESTION_DELAY_SECONDS) -> Plan:
    """Timeline, extra instance-hours and cost, alarm exposure per step, and the timeout check.

    The config must pass the stage-config validator (InputError with its messages otherwise), so the
    plan never draws a config that build, the rehearsal or SageMaker would refuse."""
    if not rps > 0:
        raise InputError(f"--rps: {rps}: must be > 0 requests per second")
    check_stage_config(config)
    policy, variants = config["DeploymentConfig"], _instance_variants(config)
    everything = variants + list(config.get("ShadowProductionVariants") or [])
    unknown = sorted({v["InstanceType"] for v in everything} - set(prices))
    if unknown:
        raise InputError(f"InstanceType: {', '.join(unknown)}: no price known; add it with --prices FILE (known: {', '.join(sorted(prices))})")
    rolling = ROLLING in policy
    counts = strategies.unit_counts(config)
    schedule = strategies.plan_for(config)
    if inference_components.uses_components(config):
        weights = {name: 1 / len(counts) for name in counts}  # each component's requests address it by name
        hours = _component_batch_hours(config, schedule, provisioning_s)
    else:
        weights, hours = _weights(variants), None
    plan = _timeline(schedule, weights, counts, everything, rps, provisioning_s)
    if hours is not None:
        plan.extra_instance_hours = hours
    plan.scale_to_zero = _scale_to_zero(config, prices, provisioning_s)
    plan.timeout_s = (policy.get(ROLLING if rolling else BG) or {}).get("MaximumExecutionTimeoutInSeconds")
    plan.extra_cost = sum(hours * prices[name] for name, hours in plan.extra_instance_hours.items())
    plan.currency = currency
    plan.pipeline_minutes, plan.pipeline_cost = pipeline_minutes(plan.duration_s)
    plan.exposures = _exposures(config, plan, metric_delay_s)
    _decide(plan, config, policy)
    plan.notes += [f"warning: {line}" for line in config_warnings(config)]
    return plan


def _weights(variants: list[dict]) -> dict[str, float]:
    weights = {v["VariantName"]: float(v.get("InitialVariantWeight", 1.0)) for v in variants}
    total = sum(weights.values()) or len(weights)
    return {name: weight / total for name, weight in weights.items()}


def _timeline(schedule: strategies.Plan, weights: dict[str, float], counts: dict[str, int], everything: list[dict],
              rps: float, provisioning_s: int) -> Plan:
    """Steps with start times and the endpoint's share on green (each variant's green instances over its
    count, as traffic follows active capacity, weighted by InitialVariantWeight).

    Blue/green provisions the whole green fleet first and blue runs until the end; rolling provisions
    each batch, and only one batch of extra instances runs at a time."""
    rolling = schedule.provisions_each_step
    steps, t = [], 0.0 if rolling else float(provisioning_s)
    for number, step in enumerate(schedule.steps, start=1):
        t += provisioning_s if rolling else 0
        share = sum(weights[v] * s for v, s in step.shares(counts).items())
        note = ("bake, then the old batch is terminated" if rolling else
                "final bake (TerminationWaitInSeconds)" if step.final else "bake (WaitIntervalInSeconds)")
        steps.append(Step(number, t, share, step.bake_seconds, note))
        t += step.bake_seconds
    if rolling:
        # Each batch's new instances overlap the old ones for provisioning + bake, and the batches add up to
        # the whole fleet: extra instance-seconds = sum(batch) * (P + W) = count * (P + W).
        wait = schedule.steps[0].bake_seconds
        hours = _instance_hours(everything, lambda count: count * (provisioning_s + wait))
    else:
        hours = _instance_hours(everything, lambda count: count * t)
    return Plan(schedule.strategy, rps, provisioning_s, steps, t, hours, 0.0, "USD", [], None, per_batch=rolling)


def _component_batch_hours(config: dict, schedule: strategies.Plan, provisioning_s: int) -> dict[str, float]:
    """Extra instance-hours of an inference-component rolling update: each batch's new copies need room beside
    the old ones, at worst ceil(batch copies / copies per instance) more instances for provisioning + bake."""
    variants = {v["VariantName"]: v for v in config["ProductionVariants"]}
    table = inference_components.instance_types()
    hours: dict[str, float] = {}
    previous = dict.fromkeys(strategies.unit_counts(config), 0)
    for step in schedule.steps:
        for component in config["InferenceComponents"]:
            name = component["ComponentName"]
            batch = step.green_instances.get(name, 0) - previous.get(name, 0)
            instance_type = variants[component["VariantName"]]["InstanceType"]
            per_instance, _ = inference_components.copies_per_instance(component, table[instance_type])
            extra = -(-batch // per_instance)  # ceil
            hours[instance_type] = hours.get(instance_type, 0.0) + extra * (provisioning_s + step.bake_seconds) / 3600
        previous = dict(step.green_instances)
    return hours


def _scale_to_zero(config: dict, prices: dict[str, float], provisioning_s: int) -> list[dict]:
    """What scaling to zero saves and costs, per variant that may: idle, it runs (and bills) no instance; the
    first request then waits for an instance and a copy, which the Developer Guide puts at "several minutes"
    (endpoint-auto-scaling-zero-instances; the plan uses its provisioning allowance), and invocations fail
    (NoCapacityInvocationFailures) until a copy is up."""
    rows = []
    for variant in config["ProductionVariants"]:
        if not inference_components.scales_to_zero(variant):
            continue
        price = prices[variant["InstanceType"]]
        rows.append({"variant": variant["VariantName"], "instance_type": variant["InstanceType"],
                     "idle_cost_per_hour": 0.0, "one_instance_per_day": price * 24,
                     "first_request_wait_seconds": provisioning_s})
    return rows


def _instance_hours(variants: list[dict], seconds_for) -> dict[str, float]:
    hours: dict[str, float] = {}
    for v in variants:
        count = v.get("InitialInstanceCount", 0)
        hours[v["InstanceType"]] = hours.get(v["InstanceType"], 0.0) + seconds_for(count) / 3600
    return hours


def pipeline_minutes(duration_s: float) -> tuple[int, float]:
    """CodePipeline V2 action minutes of the stage's deploy action and their price. The CloudFormation deploy
    action runs until the stack update ends, which waits for the endpoint update (bakes included). V2 bills
    each action's run rounded up to the minute, manual approvals and custom actions excepted; 100 minutes a
    month are free per account (aws.amazon.com/codepipeline/pricing)."""
    minutes = math.ceil(duration_s / 60)
    return minutes, minutes * json.loads(PRICES_FILE.read_text())["codepipeline_v2_per_action_minute"]


def served_until(plan: Plan, seconds: float) -> float | None:
    """Requests the new fleet serves in the first `seconds` after the first shift (traffic follows each step's
    share until the next step starts); None when the update completes before then (nothing rolls it back)."""
    start, end = plan.steps[0].start_s, plan.duration_s
    if start + seconds > end:
        return None
    served = 0.0
    for step, following in zip(plan.steps, plan.steps[1:] + [None]):
        until = min(start + seconds, following.start_s if following else end)
        served += max(0.0, until - step.start_s) * plan.rps * step.green_share
    return served


def _exposures(config: dict, plan: Plan, delay: float) -> list[Exposure]:
    """Requests the new fleet serves in the time its alarm needs to fire: (Period * EvaluationPeriods + the
    ingestion delay) * rps * share; and, over the schedule, what a model failing from its first request
    serves before rollback. A step whose bake is shorter than the alarm needs moves on before it can fire."""
    exposures = []
    for name, alarm in sorted(config["Alarms"].items()):
        window = alarm["Period"] * alarm["EvaluationPeriods"]
        soonest = earliest_alarm_seconds(alarm["Period"], alarm["EvaluationPeriods"], delay)
        latest = latest_alarm_seconds(alarm["Period"], alarm["EvaluationPeriods"], delay)
        exposures.append(Exposure(name, window, [soonest * plan.rps * s.green_share for s in plan.steps],
                                  [s.number for s in plan.steps if s.bake_s < soonest], delay,
                                  (served_until(plan, soonest), served_until(plan, latest))))
    return exposures


def _decide(plan: Plan, config: dict, policy: dict) -> None:
    needed = plan.duration_s
    if plan.timeout_s is None:
        plan.notes.append("MaximumExecutionTimeoutInSeconds not set: SageMaker's default applies; nothing to check")
    elif plan.timeout_s > needed:  # the API: the timeout must be larger than the waiting time, as the validator checks
        plan.reasons.append(f"ok: MaximumExecutionTimeoutInSeconds {plan.timeout_s} s exceeds the {needed:.0f} s the rollout needs "
                            f"(waits plus {plan.provisioning_s} s provisioning allowance{' per batch' if plan.per_batch else ''})")
    else:
        plan.verdict = FAIL
        plan.reasons.append(f"FAIL: MaximumExecutionTimeoutInSeconds {plan.timeout_s} s does not exceed the {needed:.0f} s the rollout needs "
                            f"(waits plus {plan.provisioning_s} s provisioning allowance): the update would time out")
    if not (policy.get("AutoRollbackConfiguration") or {}).get("Alarms"):
        plan.notes.append("DeploymentConfig.AutoRollbackConfiguration lists no extra alarms; the stage's own alarms are added by the endpoint template")
    for exposure in plan.exposures:
        if exposure.late_steps:
            plan.notes.append(f"{exposure.alarm}: needs {exposure.window_s} s to fire but steps {exposure.late_steps} bake for less: "
                              "traffic moves on (or blue is terminated) before it can roll back")


def build_report(plan: Plan) -> Report:
    report = Report(f"Rollout plan: {plan.strategy} at {plan.rps:g} requests/s", plan.verdict, list(plan.reasons), notes=list(plan.notes))
    report.tables.append(Table(
        "Timeline",
        ["step", "starts at (s)", "starts at (min)", "green share", "lasts (s)", "what"],
        [[0, 0, 0.0, 0.0, plan.provisioning_s if not plan.per_batch else 0, "provision the new fleet (allowance)" if not plan.per_batch else "start"]]
        + [[s.number, s.start_s, s.start_s / 60, s.green_share, s.bake_s, s.note] for s in plan.steps],
        note=f"Total duration {plan.duration_s:.0f} s ({plan.duration_s / 60:.1f} min), provisioning allowance {plan.provisioning_s} s"
             f"{' per batch' if plan.per_batch else ''}.",
    ))
    report.tables.append(Table(
        "Extra instances while both fleets run",
        ["instance type", "extra instance-hours"],
        [[name, hours] for name, hours in sorted(plan.extra_instance_hours.items())] + [["total cost", f"{plan.extra_cost:.2f} {plan.currency}"]],
    ))
    if plan.scale_to_zero:
        report.tables.append(Table(
            "Scale to zero when idle",
            ["variant", "instance type", f"idle cost ({plan.currency}/h)", f"one instance all day ({plan.currency})",
             "first request after idle waits (s)"],
            [[r["variant"], r["instance_type"], r["idle_cost_per_hour"], r["one_instance_per_day"],
              r["first_request_wait_seconds"]] for r in plan.scale_to_zero],
            note="Idle, no instance runs or bills. The first request after idle waits for an instance and a copy "
                 "(several minutes, the provisioning allowance here); requests fail until then "
                 "(NoCapacityInvocationFailures), and that metric's alarm starts the scale-out.",
        ))
    report.tables.append(Table(
        "Deploy pipeline minutes (CodePipeline V2)",
        ["action", "action minutes", f"cost ({plan.currency})"],
        [["deploy this stage (the stack waits for the endpoint update)", plan.pipeline_minutes, f"{plan.pipeline_cost:.3f}"]],
        note="V2 bills each action's run rounded up to the minute (manual approval excepted); 100 free minutes a "
             "month per account; the build, test and verify actions add their own minutes.",
    ))
    if plan.exposures:
        report.tables.append(Table(
            "Requests a bad model can serve before its alarm can fire",
            ["alarm", "window (s)", "ingestion delay (s)"] + [f"step {s.number}" for s in plan.steps]
            + ["worst step", "worst requests", "served before rollback (soonest)", "served before rollback (latest)"],
            [[e.alarm, e.window_s, e.delay_s, *e.requests_per_step, e.worst[0], e.worst[1],
              _rollback_cell(e.before_rollback[0]), _rollback_cell(e.before_rollback[1])] for e in plan.exposures],
            note="step: (window + ingestion delay) x rps x green share at the step. Served before rollback: by a model "
                 "failing from its first request, over the schedule, when the alarm fires soonest (window + delay) "
                 "and latest (a nearly empty first period, then the window, the delay and one evaluation interval; "
                 "deploy/cloudwatch_timing.py).",
        ))
    return report


def _rollback_cell(requests: float | None) -> object:
    return "not rolled back: the update completes first" if requests is None else requests


def to_json(plan: Plan) -> dict:
    return {
        "verdict": plan.verdict, "reasons": plan.reasons, "notes": plan.notes, "strategy": plan.strategy, "rps": plan.rps,
        "provisioning_seconds": plan.provisioning_s, "duration_seconds": plan.duration_s,
        "steps": [s.__dict__ for s in plan.steps], "extra_instance_hours": plan.extra_instance_hours,
        "extra_cost": plan.extra_cost, "currency": plan.currency, "timeout_seconds": plan.timeout_s,
        "scale_to_zero": plan.scale_to_zero,
        "pipeline_action_minutes": plan.pipeline_minutes, "pipeline_cost": plan.pipeline_cost,
        "exposures": [{"alarm": e.alarm, "window_seconds": e.window_s, "requests_per_step": e.requests_per_step,
                       "worst_step": e.worst[0], "worst_requests": e.worst[1], "late_steps": e.late_steps,
                       "ingestion_delay_seconds": e.delay_s, "served_before_rollback": {
                           "soonest": e.before_rollback[0], "latest": e.before_rollback[1]}} for e in plan.exposures],
    }
