"""The whole lifecycle, offline: a top-level function that reads like the story's table of contents."""
import functools
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from demo_story import paths  # noqa: F401  (import paths first: it puts the seed and template/ on sys.path)
from demo_story import console, emulator_fixes, events, models, provision, report, segments
from demo_story.endpoints import EndpointBridge, TrafficSettings
from demo_story.errors import StoryError
from demo_story.paths import DEFAULT_OUTPUT, SEED_DEPLOY
from demo_story.stage_runner import DeployPipeline, Execution

PROJECT_NAME, PROJECT_ID = "abalone-demo", "p-demo00000001"
BUCKET = f"sagemaker-{PROJECT_NAME}-artifacts"
V2_HYPERPARAMETERS = {"max_depth": "4"}
# v3 leaks: it answers 330 ms slower once its fleet has served 300 simulated seconds. Staging's own latency
# alarm (300 ms, like prod's) would catch a model slow from the start (seed-deploy's
# tests/rehearsal/test_stage_guardrails.py), but staging bakes 180 s and a leak needs prod's longer run:
# prod's canary bakes 600 s, so its latency alarm trips there (docs/demo.md, step 5).
V3_BEHAVIOUR = {"extra_latency_ms": 330, "slow_after_seconds": 300}
# The stage test's requests in flight at once: the same 50 requests, each timed, without waiting out a
# slow model's answers one after another (the host serves each connection on its own thread, as an endpoint does).
STAGE_TEST_CONCURRENCY = "10"
WARM_UP_MODULES = ("moto.cloudformation.parsing", "moto.cloudformation.responses", "xgboost")


@dataclass(frozen=True)
class Settings:
    out_dir: Path = DEFAULT_OUTPUT
    speed: float = 60.0
    traffic: TrafficSettings = TrafficSettings()
    ab_requests: int = 400
    targeted_requests: int = 40
    shadow_requests: int = 200
    work_dir: Path | None = None
    project_template: Path | None = None  # an already synthesized project template; None: synthesize now


@dataclass
class StoryResult:
    """Everything the report and the end-to-end test read."""

    settings: Settings
    models: dict[int, "models.ModelVersion"] = field(default_factory=dict)
    executions: list[Execution] = field(default_factory=list)
    unrelated_events: dict[str, int] = field(default_factory=dict)
    rollback_audit: dict = field(default_factory=dict)
    ab: segments.Segment | None = None
    shadow: segments.Segment | None = None
    serving: dict[str, dict[str, object]] = field(default_factory=dict)  # after each chapter: endpoint -> state
    report_path: Path | None = None
    timeline_path: Path | None = None


class _Session:
    """boto3's default session with one client per service (clients are thread-safe; creating them is not cheap)."""

    def __init__(self) -> None:
        import boto3

        self._session = boto3.Session()

    @functools.cache
    def client(self, name: str):
        return self._session.client(name)


def run_story(settings: Settings) -> StoryResult:
    """1 provision, 2 v1, 3 approve -> deploy, 4 v2 canary, 5 faulty v3 rolled back, 6 registry rollback,
    7 A/B and shadow; then the report."""
    from mlops_guardrails.emulator import embedded_emulator
    from mlops_guardrails.deploy.rehearsal import EndpointHost, SteppedClock

    result = StoryResult(settings)
    work = settings.work_dir or Path(tempfile.mkdtemp(prefix="mlops-demo-"))
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    clock = SteppedClock(settings.speed)  # a busy machine cannot move a bake's end or a fault's onset
    with embedded_emulator() as emulator_url, emulator_fixes.endpoint_name_property(), \
            EndpointHost(clock=clock) as host:
        session = _Session()
        console.step(f"emulator (moto's server) on {emulator_url}; endpoint host on {host.url}; "
                     f"clock {settings.speed:g} simulated s per real s")
        project = provision_project(session, settings)
        warm_up = warm_up_in_background()  # while v1 trains in its own process
        v1 = train_model(session, project, work, result, {}, "the seed's defaults")
        warm_up.join()
        # v2 trains in its own process while v1 deploys (v2 stays PendingManualApproval: no deploy reads it).
        with models.Training(project, work / "build-v2", V2_HYPERPARAMETERS) as v2_training:
            rows = segments.labelled_rows(v1.test_csv)
            bridge = EndpointBridge(session, host, clock, [f for _, f in rows], settings.traffic)
            pipeline = DeployPipeline(project, session, bridge, SEED_DEPLOY, work / "pipeline",
                                      {"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": host.url,
                                       "STAGE_TEST_CONCURRENCY": STAGE_TEST_CONCURRENCY})
            console.step("3. the approver approves v1; the event starts the deploy pipeline")
            result.unrelated_events = events.unrelated_events_pass(session, project)
            deploy_on_decision(session, project, pipeline, result, [v1], "Approved", "v1 meets the MSE bar")
            console.step(f"4. model v2 ({V2_HYPERPARAMETERS}): approved, canary to prod under live traffic")
            v2 = train_model(session, project, work, result, V2_HYPERPARAMETERS, f"hyperparameters {V2_HYPERPARAMETERS}",
                             v2_training)
        deploy_on_decision(session, project, pipeline, result, [v2], "Approved", "v2: better MSE")
        console.step(f"5. faulty v3 (v2's artifact answering {V3_BEHAVIOUR['extra_latency_ms']} ms slower once it has "
                     f"served {V3_BEHAVIOUR['slow_after_seconds']} s): approved; staging's 180 s bake cannot see it, "
                     "prod's canary latency alarm must roll it back")
        v3 = models.register_faulty(session, project, v2, V3_BEHAVIOUR, work / "faulty-v3")
        result.models[v3.version] = v3
        deploy_on_decision(session, project, pipeline, result, [v3], "Approved", "v3: same metrics as v2")
        console.step("6. registry rollback: `python -m deploy rollback --to-version 1` rejects v2, then v3")
        registry_rollback(session, project, pipeline, result, to_version=v1.version, out_dir=settings.out_dir)
        console.step("7. experiments: A/B (examples/ab-test.json) and shadow (examples/shadow.json)")
        run_experiments(session, bridge, project, result, v1, v2, settings)
        result.serving["end"] = serving_now(session, host, project)
    console.step("report")
    result.report_path, result.timeline_path = report.write(result, settings.out_dir)
    console.detail(f"report:   {result.report_path}")
    console.detail(f"timeline: {result.timeline_path}")
    console.step(f"done: everything is in {settings.out_dir}")
    return result


# -- the chapters ------------------------------------------------------------------------------------
def provision_project(session, settings: Settings):
    console.step("1. provision: synthesize the project template, make the project in the emulator")
    template = settings.project_template or provision.synthesize(settings.out_dir / "templates")
    console.detail(f"project template: {template}")
    project = provision.load_project(template, PROJECT_NAME, PROJECT_ID, BUCKET)
    provision.create_in_emulator(project, session)
    return project


def train_model(session, project, work: Path, result: StoryResult, hyperparameters: dict, note: str,
                training: "models.Training | None" = None):
    number = len(result.models) + 1
    console.step(f"{'2. ' if number == 1 else ''}model v{number}: the build seed's SageMaker Pipeline, run locally")
    training = training or models.Training(project, work / f"build-v{number}", hyperparameters)
    model = training.finish(note, session)
    result.models[model.version] = model
    console.detail(f"registered v{model.version} PendingManualApproval, test-set MSE {model.mse:.4f}")
    return model


def warm_up_in_background() -> threading.Thread:
    """Import what the first stack deploy (moto's CloudFormation) and the first endpoint (xgboost) load on
    first use, seconds each, in a thread while the main one waits on a subprocess."""
    def run() -> None:
        for name in WARM_UP_MODULES:
            importlib.import_module(name)

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread


def deploy_on_decision(session, project, pipeline, result: StoryResult, decided: list, status: str,
                       reason: str | None) -> Execution:
    """Registry decision -> events -> the project's rule -> one pipeline execution (CodePipeline V2's
    SUPERSEDED mode runs the newest of several queued triggers once)."""
    deliveries = events.status_changes(session, project, [(m.arn, m.version) for m in decided], status, reason)
    if not deliveries:
        raise StoryError(f"the rule passed none of the {status} events: the deploy pipeline would not start")
    execution = pipeline.run(", ".join(f"v{d.version} {d.status}" for d in deliveries))
    result.executions.append(execution)
    return execution


def registry_rollback(session, project, pipeline, result: StoryResult, *, to_version: int, out_dir: Path) -> None:
    """The seed's rollback command rejects every newer Approved version; their events redeploy to_version."""
    command = [sys.executable, "-m", "deploy", "rollback", "--to-version", str(to_version), "--group",
               project.group, "--reason", "v3 failed its prod canary; v2 pulled until reviewed",
               "--audit-file", str(out_dir / "rollback-audit.jsonl")]
    console.detail("$ python -m deploy " + " ".join(command[3:]))
    completed = subprocess.run(command, cwd=SEED_DEPLOY, text=True, capture_output=True, timeout=60)
    if completed.returncode != 0:
        raise StoryError(f"rollback failed (exit {completed.returncode}): {completed.stderr.strip()}")
    result.rollback_audit = json.loads(completed.stdout.strip().splitlines()[-1])
    console.detail(f"audit: {completed.stdout.strip()}")
    rejected = [result.models[v] for v in result.rollback_audit["rejected"]]
    deploy_on_decision(session, project, pipeline, result, rejected, "Rejected", None)


def run_experiments(session, bridge, project, result: StoryResult, champion, challenger, settings: Settings) -> None:
    out = settings.out_dir / "experiments"
    shutil.rmtree(out, ignore_errors=True)
    result.ab = segments.ab_segment(session, bridge, project, champion.arn, challenger.arn, segments.labelled_rows(
        champion.test_csv), settings.ab_requests, settings.targeted_requests, out)
    try:  # the A/B analysis runs while the shadow segment does
        result.shadow = segments.shadow_segment(session, bridge, project, challenger.arn,
                                                segments.labelled_rows(champion.test_csv), settings.shadow_requests, out)
    finally:
        segments.finish_analysis(result.ab)
    segments.finish_analysis(result.shadow)


def serving_now(session, host, project) -> dict[str, dict[str, object]]:
    """Per stage endpoint: the emulator's record (what verify reads) and what the host serves."""
    sm = session.client("sagemaker")
    state = {}
    for stage in ("staging", "prod"):
        name = f"{project.name}-{stage}"
        state[stage] = {"record": sm.describe_endpoint(EndpointName=name)["EndpointConfigName"],
                        "host": host.serving_config(name)}
    return state
