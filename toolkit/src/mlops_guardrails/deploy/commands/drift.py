"""Check data capture against the model's data-quality baseline as Model Monitor's data-quality job does.

Reads data capture (CSV, JSON, JSON Lines or BASE64 payloads, by observedContentType and encoding) and
compares each captured record as the job does: the endpoint's output columns, then its input columns,
matched by position to the baseline's features (statistics.json). Per feature it computes the distance
from the baseline distribution (KS against the KLL sketch) and checks constraints.json: completeness, data
type, categorical domains, missing or extra columns, and baseline drift above
monitoring_config.distribution_constraints.comparison_threshold. --violations writes them in Model
Monitor's constraint_violations.json shape and names."""
from pathlib import Path

from mlops_guardrails.deploy import json_output
from mlops_guardrails.deploy.analysis import charts, drift
from mlops_guardrails.deploy.analysis.captures import load_captures
from mlops_guardrails.deploy.analysis.output import add_output_options, check_writable, emit
from mlops_guardrails.errors import InputError

EPILOG = """exit codes: 0 no violations, 1 violations found, 2 bad input.

examples:
  python -m deploy drift demo-output/captures/demo-prod --statistics statistics.json --constraints constraints.json
  python -m deploy drift s3://my-bucket/data-capture/demo-prod/ --variant AllTraffic \\
      --statistics s3://my-bucket/baseline/statistics.json --constraints s3://my-bucket/baseline/constraints.json \\
      --violations constraint_violations.json --report drift.md --png drift.png"""


def configure(parser) -> None:
    parser.add_argument("captures", metavar="CAPTURES", help="capture folder or s3:// prefix")
    parser.add_argument("--statistics", required=True, metavar="FILE", help="baseline statistics.json, local or s3://")
    parser.add_argument("--constraints", metavar="FILE", help="baseline constraints.json, local or s3://")
    parser.add_argument("--variant", help="only this variant's captures (default: all)")
    parser.add_argument("--violations", metavar="FILE", help="write constraint_violations.json to FILE")
    add_output_options(parser)


def run(args) -> int:
    check_writable(args.report, args.json, args.png, args.violations)
    statistics = drift.parse_json(_text(args.statistics), args.statistics)
    constraints = drift.parse_json(_text(args.constraints), args.constraints) if args.constraints else None
    captures = load_captures(args.captures)
    if args.variant:
        variants = sorted({c.variant for c in captures})
        if args.variant not in variants:
            raise InputError(f"--variant: {args.variant!r}: no captures for it (found: {', '.join(variants)})")
        captures = [c for c in captures if c.variant == args.variant]
    result = drift.analyze_drift(captures, statistics, constraints)
    emit(drift.build_report(result), args, {"verdict": result.verdict, **drift.to_violations(result)},
         lambda path: charts.drift_chart(result, path))
    if args.violations:
        Path(args.violations).write_text(json_output.dumps(drift.to_violations(result), indent=2) + "\n")
    return 1 if result.violations else 0


def _text(location: str) -> str:
    from mlops_guardrails.deploy.analysis.sources import read_text

    return read_text(location)
