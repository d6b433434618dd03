"""The guardrail controller: carries out an endpoint update under its DeploymentConfig on a compressed clock.

Follows shared/reference/sagemaker-facts.md: an alarm in ALARM during any bake (the termination wait
included) sends all traffic back to blue, and the endpoint stays InService on the OLD config with no
error; exceeding MaximumExecutionTimeoutInSeconds rolls back too. The caller reads the Outcome and
updates whatever endpoint record it keeps (the emulator's DescribeEndpoint, for the demo).
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from mlops_guardrails.deploy.cloudwatch_timing import DEFAULT_INGESTION_DELAY_SECONDS
from mlops_guardrails.deploy.rehearsal.alarms import ALARM, AlarmWatcher, Evaluation
from mlops_guardrails.deploy.rehearsal.clock import CompressedClock
from mlops_guardrails.deploy.rehearsal.endpoint_host import EndpointHost
from mlops_guardrails.deploy.rehearsal.fleets import FleetSpec
from mlops_guardrails.deploy.strategies import Plan, Step, plan_update
from mlops_guardrails.deploy.rehearsal.timeline import Event, Timeline

SUCCEEDED, ROLLED_BACK, TIMED_OUT = "succeeded", "rolled_back", "timed_out"


@dataclass(frozen=True)
class Outcome:
    """How an update ended. The endpoint serves `serving_config` afterwards (old config unless succeeded)."""

    status: str
    endpoint_name: str
    old_config: str
    new_config: str
    serving_config: str
    strategy: str
    alarms: tuple[str, ...]
    reason: str
    elapsed_seconds: float
    timeline: Timeline = field(repr=False)
    missing_alarms: tuple[str, ...] = ()
    # The longest a bake's check came after it was due (simulated seconds): the controller's poll
    # granularity on this machine (alarm reads, thread switches, load), so a bake ends within it of its deadline.
    poll_lag_seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


@dataclass
class _Run:
    name: str
    fleet: FleetSpec
    plan: Plan
    watcher: AlarmWatcher | None
    started: float
    weights: dict[str, float]
    counts: dict[str, int]
    old_config: str = ""
    timeline: Timeline = field(default_factory=Timeline)
    green: dict[str, int] = field(default_factory=dict)
    poll_lag: float = 0.0


class _Stop(Exception):
    """A bake ended early: an alarm fired or the execution timeout passed."""

    def __init__(self, status: str, reason: str, alarms: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.status, self.reason, self.alarms = status, reason, alarms


class GuardrailController:
    """Runs updates on `host`; reads alarms through `cloudwatch` (boto3 client) and publishes metrics to it."""

    def __init__(self, host: EndpointHost, *, clock: CompressedClock, cloudwatch=None, poll_seconds: float = 10.0,
                 provision_seconds: float = 0.0, on_event: Callable[[Event], None] | None = None,
                 metric_delay_seconds: float = DEFAULT_INGESTION_DELAY_SECONDS) -> None:
        self.host, self.clock, self.cloudwatch = host, clock, cloudwatch
        self.poll_seconds, self.provision_seconds = poll_seconds, provision_seconds
        # CloudWatch's ingestion delay: an alarm judges a period only once its data have arrived.
        self.metric_delay_seconds = metric_delay_seconds
        self.on_event = on_event
        self.phase = "before update"

    def run_update(self, endpoint_name: str, new_fleet: FleetSpec, deployment_config: dict | None,
                   *, extra_alarms: list[str] = ()) -> Outcome:
        """UpdateEndpoint(EndpointName, new config, DeploymentConfig): shift, bake, watch, finish or roll back."""
        plan = plan_update(deployment_config, new_fleet.instance_counts(), components=new_fleet.components)
        run = self._start(endpoint_name, new_fleet, plan, _alarm_names(deployment_config, extra_alarms))
        try:
            self._provision(run)
            for step in plan.steps:
                self._shift(run, step)
                self._bake(run, step)
        except _Stop as stop:
            return self._roll_back(run, stop)
        return self._complete(run)

    # -- the steps of an update ------------------------------------------------------------------
    def _start(self, name: str, fleet: FleetSpec, plan: Plan, alarm_names: list[str]) -> _Run:
        watcher = None
        if alarm_names and self.cloudwatch is not None:
            watcher = AlarmWatcher(self.cloudwatch, alarm_names, self.host.metrics, self.metric_delay_seconds)
            watcher.load()
        weights = {v.name: v.weight for v in fleet.variants}
        run = _Run(name, fleet, plan, watcher, self.clock.elapsed(), weights, fleet.instance_counts(),
                   old_config=self.host.serving_config(name))
        self.host.begin_update(name, fleet)
        run.green = dict.fromkeys(run.counts, 0)
        self._event(run, "start", f"{plan.strategy} update {run.old_config} -> {fleet.config_name}")
        if watcher and watcher.missing:
            self._event(run, "warning", f"alarms not found, not watched: {', '.join(watcher.missing)}")
        return run

    def _provision(self, run: _Run) -> None:
        self.phase = "provisioning"
        deadline = run.started + self.provision_seconds
        while self.clock.elapsed() < deadline:
            self._check_timeout(run)
            self.clock.sleep(min(self.poll_seconds, deadline - self.clock.elapsed()))
        self._check_timeout(run)
        self._event(run, "provisioned", f"green fleet {run.fleet.config_name} ready, no traffic yet")

    def _shift(self, run: _Run, step: Step) -> None:
        run.green = dict(step.green_instances)
        self.host.set_green_share(run.name, step.shares(run.counts))
        self.phase = step.label
        self._event(run, "shift", f"{step.label}: green instances {run.green}")

    def _bake(self, run: _Run, step: Step) -> None:
        """Wait the step's bake, checking alarms and the timeout every poll; raises _Stop to end early."""
        kind = "termination wait" if step.final else "bake"
        began = due = self.clock.elapsed()
        deadline = began + step.bake_seconds
        checked = None  # when the last check's alarms were read: the bake ends then, unless an alarm fired
        try:
            while True:
                checked = None
                self._check_alarms(run)
                checked = self.clock.elapsed()
                run.poll_lag = max(run.poll_lag, checked - due)
                self._check_timeout(run, checked)
                if checked >= deadline:
                    return
                due = checked + min(self.poll_seconds, deadline - checked)
                self.clock.sleep(due - checked)
        finally:
            end = self.clock.elapsed() if checked is None else checked
            run.timeline.add_bake(began - run.started, end - run.started, f"{step.label} ({kind})")

    def _roll_back(self, run: _Run, stop: _Stop) -> Outcome:
        self._event(run, "alarm" if stop.status == ROLLED_BACK else "timeout", stop.reason)
        self.phase = "rollback"
        if run.plan.rollback_batch:
            # RollbackMaximumBatchSize: blue returns in batches; a poll interval stands in for each batch's
            # provisioning, so the timeline shows the steps.
            while any(run.green.values()):
                run.green = {v: max(0, n - run.plan.rollback_batch[v]) for v, n in run.green.items()}
                self.host.set_green_share(run.name, {v: n / run.counts[v] for v, n in run.green.items()})
                self._event(run, "rollback", f"rollback batch: green instances {run.green}")
                self.clock.sleep(self.poll_seconds)
        run.green = dict.fromkeys(run.counts, 0)
        self.host.abort_update(run.name)
        self._event(run, "rollback", f"all traffic back on blue; endpoint InService on {run.old_config}")
        return self._finish(run, stop.status, stop.reason, stop.alarms)

    def _complete(self, run: _Run) -> Outcome:
        self.host.finish_update(run.name)
        return self._finish(run, SUCCEEDED, f"all traffic on {run.fleet.config_name}; blue fleet terminated", ())

    def _finish(self, run: _Run, status: str, reason: str, alarms: tuple[str, ...]) -> Outcome:
        self.phase = "after update"
        self._event(run, status, reason)
        self._publish(final=True)
        return Outcome(status=status, endpoint_name=run.name, old_config=run.old_config,
                       new_config=run.fleet.config_name, serving_config=self.host.serving_config(run.name),
                       strategy=run.plan.strategy, alarms=alarms, reason=reason,
                       elapsed_seconds=round(self._now(run), 3), timeline=run.timeline,
                       missing_alarms=tuple(run.watcher.missing) if run.watcher else (),
                       poll_lag_seconds=round(run.poll_lag, 3))

    # -- checks ----------------------------------------------------------------------------------
    def _check_alarms(self, run: _Run) -> list[Evaluation]:
        self._publish()
        if run.watcher is None:
            return []
        evaluations = run.watcher.check(self.clock.now())
        firing = tuple(e.name for e in evaluations if e.state == ALARM)
        if firing:
            reasons = "; ".join(f"{e.name}: {e.reason}" for e in evaluations if e.state == ALARM)
            raise _Stop(ROLLED_BACK, f"alarm in ALARM during {self.phase}: {reasons}", firing)
        return evaluations

    def _check_timeout(self, run: _Run, elapsed: float | None = None) -> None:
        """elapsed: the clock's reading to judge (default: now)."""
        if (self.clock.elapsed() if elapsed is None else elapsed) - run.started > run.plan.timeout_seconds:
            raise _Stop(TIMED_OUT, f"MaximumExecutionTimeoutInSeconds {run.plan.timeout_seconds:g} exceeded "
                                   f"during {self.phase}")

    def _publish(self, final: bool = False) -> None:
        if self.cloudwatch is not None:
            # Whole minutes only while running; at the end the current minute too.
            self.host.metrics.publish(self.cloudwatch, self.clock.now() + (60 if final else 0))

    def _now(self, run: _Run) -> float:
        return self.clock.elapsed() - run.started

    def _event(self, run: _Run, kind: str, detail: str) -> None:
        total = sum(run.weights.values()) or 1.0
        share = sum(run.weights[v] / total * run.green.get(v, 0) / run.counts[v] for v in run.counts)
        event = run.timeline.add(self._now(run), kind, detail, share)
        if self.on_event is not None:
            self.on_event(event)


def _alarm_names(deployment_config: dict | None, extra: list[str]) -> list[str]:
    listed = (deployment_config or {}).get("AutoRollbackConfiguration", {}).get("Alarms", [])
    return list(dict.fromkeys([a["AlarmName"] for a in listed] + list(extra)))
