"""Synthesize every CDK stack (project, target account, portfolio) into build/templates/<stack>.json."""
import argparse
import json
import sys
from pathlib import Path

from cdk_apps import ROOT, TEMPLATES_DIR, synthesize
from script_errors import ScriptInputError, run_command

NAG_REPORT = ROOT / "build" / "cdk-nag-report.json"
EXAMPLES = """examples:
  scripts/synth.py
  scripts/synth.py --seed-bucket my-assets-bucket --seed-prefix sagemaker-project/1.0.0/
"""


def bucket_problem(bucket: str | None) -> str | None:
    """S3's bucket naming rules (the deploy seed's aws_formats), checked before anything is synthesized."""
    if bucket is None:
        return None
    from mlops_guardrails import aws_formats  # script_errors puts the deploy seed on the import path

    return aws_formats.problem("--seed-bucket", bucket, "bucket")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, default=TEMPLATES_DIR, help="where the templates go")
    parser.add_argument("--seed-bucket", help="default SeedBucket of the project template (publish sets it)")
    parser.add_argument("--seed-prefix", default="seeds/", help="key prefix of the seed zips (default: seeds/)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return run_command(lambda: synth(args), args.debug)


def synth(args) -> int:
    problem = bucket_problem(args.seed_bucket)
    if problem:
        raise ScriptInputError(problem)
    result = synthesize(args.out_dir, seed_bucket=args.seed_bucket, seed_prefix=args.seed_prefix)
    NAG_REPORT.parent.mkdir(parents=True, exist_ok=True)
    NAG_REPORT.write_text(json.dumps(result.nag_violations, indent=2) + "\n")
    if result.nag_violations:
        print(f"warning: cdk-nag: {len(result.nag_violations)} violation(s), see {NAG_REPORT}; make lint fails "
              "on them", file=sys.stderr)
    else:
        print("==> cdk-nag AwsSolutions: no violations (every acknowledgement carries its reason)")
    print(f"==> {len(result.templates)} template(s) in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
