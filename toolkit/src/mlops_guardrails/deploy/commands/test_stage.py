"""Invoke a stage's endpoint with the sample rows and check it: numeric answers, variant shares, latency.

Talks to sagemaker-runtime through boto3, so AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME (or AWS_ENDPOINT_URL)
points it at another implementation. Writes a JSON report whether it passes or not.
"""
import argparse
import os
import sys
from pathlib import Path


from mlops_guardrails import aws_formats


from mlops_guardrails.deploy import feature_signature, json_output, stage_names
from mlops_guardrails.deploy.accounts import TARGET_ROLE_HELP, stage_session
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.stage_config import load_stage_config
from mlops_guardrails.deploy.stage_test import load_rows, run_stage_test

EPILOG = """exit codes: 0 every check passed; 1 a check failed (each problem on stderr, all in the report);
2 invalid arguments or config.

examples:
  STAGE=staging SAGEMAKER_PROJECT_NAME=myproject python -m deploy test-stage
  python -m deploy test-stage --endpoint-name myproject-staging --config examples/ab-test.json
  STAGE_TEST_CONCURRENCY=8 python -m deploy test-stage --stage staging   # 8 requests in flight
  python -m deploy test-stage --signature s3://BUCKET/PREFIX/signature/signature.json   # check row widths first"""
MAX_CONCURRENCY = 10
NO_ENDPOINT = "--endpoint-name: not given and SAGEMAKER_PROJECT_NAME is not set: name the endpoint"


def configure(parser) -> None:
    parser.add_argument("--stage", choices=stage_names.STAGES, default=os.environ.get("STAGE", "staging"),
                        help="stage to test (default: $STAGE, else staging)")
    parser.add_argument("--endpoint-name", help="default: $SAGEMAKER_PROJECT_NAME-<stage>")
    parser.add_argument("--config", type=Path, help="stage config (default: <stage>-config.json)")
    parser.add_argument("--rows", type=Path, default=Path("sample-data/sample-rows.csv"),
                        help="one request body (CSV row) per line")
    parser.add_argument("--report", type=Path, default=Path("stage-test-report.json"))
    parser.add_argument("--concurrency", type=concurrency, default=os.environ.get("STAGE_TEST_CONCURRENCY", "1"),
                        help="requests in flight at once, 1-10 (default: $STAGE_TEST_CONCURRENCY, else 1); "
                             "each is timed on its own")
    parser.add_argument("--target-role-arn", default=os.environ.get("TARGET_ROLE_ARN"), help=TARGET_ROLE_HELP)
    parser.add_argument("--signature", metavar="FILE_OR_S3_URI",
                        help="the model's feature signature (signature.json, local or s3://): every row is "
                             "checked against it before any request is sent (the build checks the registered one)")


def concurrency(text: str) -> int:
    """1-10: boto3 keeps 10 connections per client; more would queue and time the queue."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number from 1 to {MAX_CONCURRENCY}")
    return int(text)


def read_signature(where: str) -> feature_signature.Signature:
    import boto3

    return feature_signature.read(where, boto3.client("s3") if where.startswith("s3://") else None, "--signature")


def endpoint_for(args) -> str:
    if args.endpoint_name:
        return args.endpoint_name
    project = os.environ.get("SAGEMAKER_PROJECT_NAME")
    if not project:
        raise InputError(NO_ENDPOINT)
    problem = aws_formats.problem("SAGEMAKER_PROJECT_NAME", project, "project name")
    if problem:
        raise InputError(problem)
    return stage_names.endpoint_name(project, args.stage)


def run(args) -> int:
    if args.stage not in stage_names.STAGES:  # argparse checks choices on the command line, not a default from $STAGE
        raise InputError(f"STAGE: {args.stage!r}: must be one of {', '.join(stage_names.STAGES)}")
    config = load_stage_config(args.config or Path(f"{args.stage}-config.json"))
    rows = load_rows(args.rows)
    if args.signature:
        feature_signature.check_rows(rows, read_signature(args.signature), rows_name=str(args.rows),
                                     model="the model (--signature)")
    endpoint = endpoint_for(args)
    problem = aws_formats.problem("endpoint", endpoint, "endpoint name")
    if problem:
        raise InputError(problem)
    if args.report.is_dir():
        raise InputError(f"--report {args.report}: is a folder: give a file path")
    runtime = stage_session(args.target_role_arn, "stage-test").client("sagemaker-runtime")
    report = run_stage_test(runtime, endpoint, config, rows, concurrency=args.concurrency)
    args.report.write_text(json_output.dumps(report.to_json(), indent=2) + "\n")
    for problem in report.problems:
        print(f"{endpoint}: {problem}", file=sys.stderr)
    latency = report.latency_ms
    print(f"{endpoint}: {report.requests} requests, {latency['measure']} p95 {latency['p95']:.1f} ms "
          f"(budget {latency['budget']} ms), "
          f"{'passed' if report.passed else 'FAILED'}; report {args.report}")
    return 0 if report.passed else 1
