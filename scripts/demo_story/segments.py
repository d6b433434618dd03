"""Step 7: an A/B segment and a shadow segment, each on its own experiment endpoint.

Guardrail updates must keep the endpoint's variant names, so an experiment with other variants starts as
a new endpoint: the shipped example config is rendered by the deploy seed's template code into a stack of
its own (StageName prod, EndpointName <project>-ab / <project>-shadow), deployed by the same
CloudFormation action, and served by the host. The story's analyses then read the data capture."""
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mlops_guardrails.deploy import registry
from mlops_guardrails.deploy.build_stage import BuildEnvironment, template_configuration
from mlops_guardrails.deploy.rehearsal import TrafficClient
from mlops_guardrails.deploy.stage_config import load_stage_config
from mlops_guardrails.deploy.template_render import ResolvedStage, render, to_yaml

from demo_story import console
from demo_story.cloudformation import deploy_stack
from demo_story.paths import SEED_DEPLOY


@dataclass
class Segment:
    """What an experiment endpoint answered, what it captured, and the analysis the seed wrote."""

    kind: str
    endpoint: str
    versions: dict[str, int]
    answered_by: Counter = field(default_factory=Counter)
    targeted: Counter = field(default_factory=Counter)
    captured: Counter = field(default_factory=Counter)
    failed: int = 0
    analysis_exit: int | None = None
    analysis_report: Path | None = None
    analysis_text: str = ""
    analysis_command: list[str] = field(default_factory=list)
    analysis_process: subprocess.Popen | None = field(default=None, repr=False)


def labelled_rows(test_csv: Path) -> list[tuple[str, str]]:
    """(label, features) per line of the build's test split (label first, no header)."""
    rows = []
    for line in test_csv.read_text().splitlines():
        if line.strip():
            label, _, features = line.strip().partition(",")
            rows.append((label, features))
    return rows


def deploy_experiment(session, bridge, project, kind: str, config_path: Path, packages: dict[str, str]):
    """Render the example config with the given model package per variant; deploy it as its own stack."""
    config = load_stage_config(config_path)
    stages = {stage: ResolvedStage(stage=stage, config=config, packages=packages) for stage in ("staging", "prod")}
    env = BuildEnvironment(project=project.name, project_id=project.project_id, group=project.group,
                           bucket=project.bucket, role=f"arn:aws:iam::123456789012:role/{project.name}-model-execution")
    configuration = template_configuration(env, "prod")
    endpoint = f"{project.name}-{kind}"
    configuration["Parameters"]["EndpointName"] = endpoint
    deploy = deploy_stack(session, stack=f"sagemaker-{project.name}-experiment-{kind}",
                          template_text=to_yaml(render(stages)), configuration=configuration)
    console.detail(f"stack {deploy.stack}: {deploy.status}; endpoint {deploy.endpoint_name} on "
                   f"{deploy.endpoint_config_name} ({config_path.relative_to(SEED_DEPLOY)})")
    rollout = bridge.apply("experiment", deploy, None)
    return deploy, rollout


def send(host, endpoint: str, config_name: str, rows: list[str], count: int) -> tuple[Counter, int]:
    """`count` requests with the traffic client (InferenceId req-<n>): answers per variant, failures."""
    client = TrafficClient(endpoint_name=endpoint, rows=rows, blue_config=config_name, green_config="-",
                           endpoint_url=host.url, max_requests=count, max_seconds=120)
    client.start()
    client.wait()
    total = client.total()
    return Counter(total.variants), total.failed + total.lost


def send_targeted(host, endpoint: str, variant: str, rows: list[str], count: int) -> Counter:
    """Requests with TargetVariant (InferenceId target-<n>): which variant answered each."""
    import boto3

    runtime = boto3.client("sagemaker-runtime", endpoint_url=host.url)
    answered = Counter()
    for number in range(count):
        reply = runtime.invoke_endpoint(EndpointName=endpoint, Body=rows[number % len(rows)], ContentType="text/csv",
                                        TargetVariant=variant, InferenceId=f"target-{number}")
        reply["Body"].read()
        answered[reply["InvokedProductionVariant"]] += 1
    return answered


def captured_records(session, bucket: str, endpoint: str) -> Counter:
    """Capture records per variant under s3://bucket/data-capture/<endpoint>/<variant>/..."""
    s3, counts = session.client("s3"), Counter()
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"data-capture/{endpoint}/")
    for page in pages:
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            counts[item["Key"].split("/")[2]] += sum(1 for line in body.splitlines() if line.strip())
    return counts


def wait_for_captures(session, host, bucket: str, endpoint: str, variant: str, expected: int,
                      attempts: int = 50) -> Counter:
    """Mirrored shadow requests finish in the background: flush until `variant` has `expected` records (bounded)."""
    counts = Counter()
    for _ in range(attempts):
        host.flush_capture()
        counts = captured_records(session, bucket, endpoint)
        if counts[variant] >= expected:
            break
        time.sleep(0.1)
    return counts


def analyze(command: list[str], segment: Segment) -> None:
    """Start the seed's analysis command (python -m deploy ...) from the seed, as a person would run it;
    finish_analysis() waits for it and shows its output (the next segment runs meanwhile)."""
    segment.analysis_command = command
    segment.analysis_process = subprocess.Popen([sys.executable, "-m", "deploy", *command], cwd=SEED_DEPLOY,
                                                text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish_analysis(segment: Segment) -> None:
    console.detail("$ python -m deploy " + " ".join(segment.analysis_command))
    process = segment.analysis_process
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    segment.analysis_exit = process.returncode
    segment.analysis_text = stdout
    for line in (stdout + stderr).splitlines()[:25]:
        console.detail(f"  {line}")


def ab_segment(session, bridge, project, champion: str, challenger: str, rows: list[tuple[str, str]],
               requests: int, targeted: int, out_dir: Path) -> Segment:
    """examples/ab-test.json: Champion and Challenger by weight, then TargetVariant=Challenger requests."""
    deploy, rollout = deploy_experiment(session, bridge, project, "ab", SEED_DEPLOY / "examples" / "ab-test.json",
                                        {"Champion": champion, "Challenger": challenger})
    segment = Segment("ab", deploy.endpoint_name, rollout.versions)
    features = [f for _, f in rows]
    segment.answered_by, segment.failed = send(bridge.host, deploy.endpoint_name, deploy.endpoint_config_name,
                                               features, requests)
    console.detail(f"{requests} requests by weight: answered by {dict(segment.answered_by)}")
    segment.targeted = send_targeted(bridge.host, deploy.endpoint_name, "Challenger", features, targeted)
    console.detail(f"{targeted} requests with TargetVariant=Challenger: answered by {dict(segment.targeted)}")
    bridge.host.flush_capture()
    segment.captured = captured_records(session, project.bucket, deploy.endpoint_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = out_dir / "ab-truth.csv"
    lines = ["inference_id,label"]
    lines += [f"req-{n},{rows[n % len(rows)][0]}" for n in range(requests)]
    lines += [f"target-{n},{rows[n % len(rows)][0]}" for n in range(targeted)]
    truth.write_text("\n".join(lines) + "\n")
    segment.analysis_report = out_dir / "ab-report.md"
    analyze(["analyze-ab", f"s3://{project.bucket}/data-capture/{deploy.endpoint_name}/", "--truth", str(truth),
             "--control", "Champion", "--challenger", "Challenger", "--report", str(segment.analysis_report),
             "--json", str(out_dir / "ab-report.json"), "--png", str(out_dir / "ab-report.png")], segment)
    return segment


def shadow_segment(session, bridge, project, candidate: str, rows: list[tuple[str, str]], requests: int,
                   out_dir: Path) -> Segment:
    """examples/shadow.json: AllTraffic serves what prod serves now ("live"), Shadow gets the candidate."""
    sm = session.client("sagemaker")
    live = registry.live_package_arn(sm, f"{project.name}-prod", "AllTraffic")
    deploy, rollout = deploy_experiment(session, bridge, project, "shadow", SEED_DEPLOY / "examples" / "shadow.json",
                                        {"AllTraffic": live, "Shadow": candidate})
    segment = Segment("shadow", deploy.endpoint_name, rollout.versions)
    segment.answered_by, segment.failed = send(bridge.host, deploy.endpoint_name, deploy.endpoint_config_name,
                                               [f for _, f in rows], requests)
    console.detail(f"{requests} requests: answered by {dict(segment.answered_by)} (the shadow never answers)")
    segment.captured = wait_for_captures(session, bridge.host, project.bucket, deploy.endpoint_name, "Shadow",
                                         requests)
    console.detail(f"capture records per variant: {dict(segment.captured)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    segment.analysis_report = out_dir / "shadow-report.md"
    analyze(["compare-shadow", f"s3://{project.bucket}/data-capture/{deploy.endpoint_name}/",
             "--production", "AllTraffic", "--shadow", "Shadow", "--report", str(segment.analysis_report),
             "--json", str(out_dir / "shadow-report.json"), "--png", str(out_dir / "shadow-report.png")],
            segment)
    return segment
