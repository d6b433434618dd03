"""Plan a rollout before pushing a stage config: timeline, duration, extra cost, blast radius, timeout.

For the config's DeploymentConfig (blue/green ALL_AT_ONCE, CANARY, LINEAR, or rolling) and an assumed
request rate: the traffic share on the new fleet per step and when, the total duration, the extra
instance-hours (and cost, from a price table you can override) while both fleets run, the requests a
bad model can serve before each alarm can fire at each step, and whether MaximumExecutionTimeoutInSeconds
covers the waits plus a provisioning allowance."""
from pathlib import Path

from mlops_guardrails.deploy.analysis import charts
from mlops_guardrails.deploy.analysis import plan as planner
from mlops_guardrails.deploy.analysis.output import add_output_options, check_writable, emit, read_json_file
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.stage_config import load_stage_config

EPILOG = """exit codes: 0 the plan fits the timeout, 1 it does not, 2 bad input.

price file: {"currency": "EUR", "prices": {"ml.m5.large": 0.13}} (per instance-hour; merged over the
shipped table deploy/analysis/prices.json).

examples:
  python -m deploy plan prod-config.json --rps 50
  python -m deploy plan prod-config.json --rps 200 --provisioning-seconds 900 --png plan.png --report plan.md
  python -m deploy plan staging-config.json --rps 5 --prices my-prices.json --json plan.json"""


def configure(parser) -> None:
    parser.add_argument("config", metavar="CONFIG", help="stage config JSON (staging-config.json, prod-config.json)")
    parser.add_argument("--rps", type=float, required=True, help="assumed requests per second to the endpoint")
    parser.add_argument("--prices", metavar="FILE", help="price table JSON merged over the shipped one")
    parser.add_argument("--provisioning-seconds", type=int, default=planner.DEFAULT_PROVISIONING_SECONDS,
                        help=f"allowance to provision a fleet or batch (default {planner.DEFAULT_PROVISIONING_SECONDS})")
    parser.add_argument("--metric-delay", type=float, default=planner.DEFAULT_INGESTION_DELAY_SECONDS,
                        help="CloudWatch's ingestion delay counted before an alarm sees a period, seconds (default "
                             f"{planner.DEFAULT_INGESTION_DELAY_SECONDS}: deploy/cloudwatch_timing.py says why)")
    add_output_options(parser)


def run(args) -> int:
    if args.provisioning_seconds < 0:
        raise InputError(f"--provisioning-seconds: {args.provisioning_seconds}: must be >= 0")
    if not 0 <= args.metric_delay <= 3600:
        raise InputError(f"--metric-delay: {args.metric_delay:g}: must be 0-3600 seconds")
    check_writable(args.report, args.json, args.png)
    config = load_stage_config(Path(args.config))
    prices, currency = planner.load_prices(read_json_file(args.prices, "price table") if args.prices else None)
    result = planner.plan_rollout(config, args.rps, prices, currency, args.provisioning_seconds, args.metric_delay)
    emit(planner.build_report(result), args, planner.to_json(result), lambda path: charts.plan_chart(result, path))
    return 0 if result.verdict == planner.PASS else 1
