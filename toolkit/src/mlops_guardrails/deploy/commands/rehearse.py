"""Rehearse a guarded endpoint update offline: blue and green models, live traffic, alarms, rollback.

Runs an embedded emulator (moto on 127.0.0.1) for CloudWatch, serves both model artifacts behind a
local InvokeEndpoint host, sends CSV rows throughout, and carries out the update under the stage
config's DeploymentConfig on a compressed clock. Prints each step, the outcome and the request counts,
and writes timeline.png, timeline.json and rehearsal.json to --out.

Fault injection is rehearsal-only: --fault fail/slow copies the green artifact with a serving.json
({"fail_ratio": 1.0} or {"extra_latency_ms": N}) that the local host honours and SageMaker ignores.
"""
import sys
import tempfile
from pathlib import Path

from mlops_guardrails import aws_formats

from mlops_guardrails.deploy import json_output
from mlops_guardrails.deploy.cloudwatch_timing import DEFAULT_INGESTION_DELAY_SECONDS
from mlops_guardrails.errors import InputError

EPILOG = """exit codes: 0 the outcome was the expected one (--expect, default succeeded); 1 it was not;
2 invalid input (config, artifact, option).

examples:
  # canary rollout of a new model under the shipped prod config, 1 simulated minute = 1 real second
  python -m deploy rehearse --config prod-config.json --blue v1/model.tar.gz --green v2/model.tar.gz

  # the same with a model that fails every request: expect the canary alarm and a rollback
  python -m deploy rehearse --config prod-config.json --blue v1/model.tar.gz --green v2/model.tar.gz \\
      --fault fail --expect rolled_back --out rehearsal-out

  # a slow model (500 ms a request) against the latency alarm, faster clock
  python -m deploy rehearse --config examples/linear.json --blue v1.tar.gz --green v2.tar.gz \\
      --fault slow --fault-latency-ms 500 --speed 120"""

FAULTS = {
    "none": None,
    "fail": lambda args: {"fail_ratio": 1.0},
    "slow": lambda args: {"extra_latency_ms": args.fault_latency_ms},
}
OUTCOMES = ("succeeded", "rolled_back", "timed_out")


def configure(parser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="stage config JSON (e.g. prod-config.json)")
    parser.add_argument("--blue", required=True, metavar="MODEL_TAR", help="model.tar.gz live now (path or s3://)")
    parser.add_argument("--green", required=True, metavar="MODEL_TAR", help="model.tar.gz to roll out")
    parser.add_argument("--fault", choices=sorted(FAULTS), default="none", help="make green fail or slow")
    parser.add_argument("--fault-latency-ms", type=float, default=500.0, help="latency added by --fault slow")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (60)")
    parser.add_argument("--metric-delay", type=float, default=DEFAULT_INGESTION_DELAY_SECONDS,
                        help="CloudWatch's ingestion delay before an alarm sees a period, simulated seconds "
                             f"(default {DEFAULT_INGESTION_DELAY_SECONDS}: deploy/cloudwatch_timing.py says why)")
    parser.add_argument("--out", type=Path, default=Path("rehearsal-output"), help="folder for the record")
    parser.add_argument("--rows", type=Path, help="CSV rows to send (no header, no label); default: "
                                                  "sample-data/sample-rows.csv if present, else random rows")
    parser.add_argument("--endpoint-name", default="rehearsal-endpoint", help="name of the rehearsed endpoint")
    parser.add_argument("--max-requests", type=int, default=3000, help="traffic bound (count)")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per real second (100)")
    parser.add_argument("--expect", choices=OUTCOMES, default="succeeded", help="outcome that means success")


def run(args) -> int:
    from mlops_guardrails.emulator import embedded_emulator

    from mlops_guardrails.deploy import inference_components
    from mlops_guardrails.deploy.rehearsal import read_stage_config
    from mlops_guardrails.deploy.stage_config import refuse

    _check_options(args)
    config = read_stage_config(args.config)  # the one validator: nothing starts for an invalid config
    # Components are named <endpoint>-<ComponentName>: with --endpoint-name, the build's check of that name.
    refuse(inference_components.check_names(config.components, args.endpoint_name), args.config)
    _check_local_artifacts(args)
    with embedded_emulator(), tempfile.TemporaryDirectory() as scratch:
        result = _rehearse(args, config, Path(scratch))
    return _report(args, result)


def _check_local_artifacts(args) -> None:
    """A missing or broken local model archive is refused before the output folder is made."""
    from mlops_guardrails.deploy.rehearsal import load_model

    for source in (args.blue, args.green):
        if not str(source).startswith("s3://"):
            load_model(source)


def _check_options(args) -> None:
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out}: exists and is not a folder: give a folder or a new path")
    if args.speed <= 0:
        raise InputError(f"--speed: {args.speed}: must be > 0")
    if not 0 <= args.metric_delay <= 3600:
        raise InputError(f"--metric-delay: {args.metric_delay:g}: must be 0-3600 seconds")
    if args.rate <= 0:
        raise InputError(f"--rate: {args.rate}: must be > 0")
    if args.max_requests < 1:
        raise InputError(f"--max-requests: {args.max_requests}: must be >= 1")
    if args.fault_latency_ms < 0:
        raise InputError(f"--fault-latency-ms: {args.fault_latency_ms}: must be >= 0")
    problem = aws_formats.problem("--endpoint-name", args.endpoint_name, "endpoint name")
    if problem:
        raise InputError(problem)


def _rehearse(args, config, scratch: Path):
    import boto3

    from mlops_guardrails.deploy.rehearsal import (EndpointHost, SteppedClock, fleet_spec, load_model, rehearse_rollout, sample_rows,
                                  with_behaviour)

    green_source = args.green
    if FAULTS[args.fault] is not None:
        green_source = str(with_behaviour(args.green, scratch / "faulty" / "model.tar.gz", FAULTS[args.fault](args)))
    rows_path = args.rows or _default_rows()
    rows = sample_rows(rows_path, load_model(args.blue).num_features)
    _check_row_widths(rows, str(rows_path or "random rows of the blue model's width"), args)
    args.out.mkdir(parents=True, exist_ok=True)  # only once every input was accepted
    clock = SteppedClock(args.speed)  # bakes and a fault's onset in the controller's own seconds: load-proof
    capture = str(args.out / "data-capture")
    blue = fleet_spec(config, f"{args.endpoint_name}-config-blue", args.blue, capture_destination=capture,
                      endpoint_name=args.endpoint_name)
    green = fleet_spec(config, f"{args.endpoint_name}-config-green", green_source, capture_destination=capture,
                       endpoint_name=args.endpoint_name)
    print(f"rehearsing {args.endpoint_name}: {blue.config_name} -> {green.config_name} "
          f"(fault: {args.fault}, {args.speed:g} simulated s per real s)")
    with EndpointHost(clock=clock) as host:
        return rehearse_rollout(host=host, clock=clock, cloudwatch=boto3.client("cloudwatch"),
                                endpoint_name=args.endpoint_name, blue=blue, green=green,
                                deployment_config=config.deployment_config, alarms=config.alarms, rows=rows,
                                max_requests=args.max_requests, rate_per_second=args.rate,
                                max_seconds=_max_real_seconds(config, args.speed), on_event=_print_event,
                                metric_delay_seconds=args.metric_delay)


def _check_row_widths(rows: list[str], rows_name: str, args) -> None:
    """Both fleets get the same traffic: a row narrower or wider than either model is refused before anything
    starts (XGBoost would read a short row as missing values and answer, so the rollout would pass)."""
    from mlops_guardrails.deploy.feature_signature import width_problems
    from mlops_guardrails.deploy.rehearsal import load_model

    for fleet, source in (("blue", args.blue), ("green", args.green)):
        problems = width_problems(rows, load_model(source).num_features, rows_name=rows_name,
                                  model=f"the {fleet} model ({source})")
        if problems:
            raise InputError(problems[0])


def _default_rows() -> Path | None:
    path = Path("sample-data/sample-rows.csv")
    return path if path.is_file() else None


def _max_real_seconds(config, speed: float) -> float:
    # Traffic must outlast the update: bound it by the longest the update may run, plus a margin.
    policy = config.deployment_config.get("BlueGreenUpdatePolicy") or config.deployment_config.get(
        "RollingUpdatePolicy") or {}
    return policy.get("MaximumExecutionTimeoutInSeconds", 28800) / speed + 30


def _print_event(event) -> None:
    print(f"  t={event.t / 60:7.2f} min  green {event.green_share:6.1%}  {event.kind:<12} {event.detail}")


def _report(args, result) -> int:
    outcome = result.outcome
    png = outcome.timeline.plot(args.out / "timeline.png",
                                f"{outcome.strategy} rollout {outcome.old_config} -> {outcome.new_config}: "
                                f"{outcome.status}")
    outcome.timeline.write_json(args.out / "timeline.json")
    (args.out / "rehearsal.json").write_text(json_output.dumps(result.as_dict(), indent=2) + "\n")
    print(f"outcome: {outcome.status}; endpoint serves {outcome.serving_config}"
          + (f"; alarms: {', '.join(outcome.alarms)}" if outcome.alarms else ""))
    if outcome.missing_alarms:
        print(f"warning: alarms not found in the emulator, not watched: {', '.join(outcome.missing_alarms)}",
              file=sys.stderr)
    print(f"{'phase':<24}{'sent':>6}{'blue':>6}{'green':>6}{'failed':>8}{'lost':>6}")
    for phase, tally in [*result.traffic.items(), ("total", result.total)]:
        print(f"{phase:<24}{tally.sent:>6}{tally.served_blue:>6}{tally.served_green:>6}{tally.failed:>8}"
              f"{tally.lost:>6}")
    print(f"timeline: {png}")
    total = result.total
    unanswered = total.failed + total.lost
    if outcome.status == "succeeded" and (total.sent == 0 or unanswered * 2 > total.sent):
        # The alarms decide the rollout; a rehearsal whose requests mostly failed did not succeed.
        print(f"error: the update completed but {unanswered} of {total.sent} requests failed or got no answer: "
              "the rehearsal did not succeed (and the alarms did not catch it: check their thresholds)",
              file=sys.stderr)
        return 1
    if outcome.status != args.expect:
        print(f"error: expected {args.expect}, got {outcome.status}: {outcome.reason}", file=sys.stderr)
        return 1
    return 0
