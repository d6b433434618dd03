"""Run SageMaker's managed shadow test on a stage's endpoint: start, stop or show one (CreateInferenceExperiment).

A shadow test copies a share of the endpoint's live requests to a candidate model on its own instances; its
answers are captured, never returned. It runs until it is stopped or its duration ends, then the endpoint
returns to its own config. Shadow variants in a stage config (ShadowProductionVariants) remain the way to ship
a shadow with a deploy; this is the managed, time-boxed alternative. Compare the captures with
`python -m deploy compare-shadow --experiment NAME`."""
import json
import os

import boto3

from mlops_guardrails.deploy import shadow_tests
from mlops_guardrails.errors import InputError

EPILOG = """exit codes: 0 done (or nothing to do); 2 invalid options, an endpoint shadow tests exclude, or an unknown
test; 1 an AWS error.

examples:
  python -m deploy shadow-test start --name abalone-v7 --endpoint myproject-prod --candidate-model myproject-v7 \\
      --sampling-percentage 50 --duration-days 7 --capture-destination s3://my-bucket/shadow-tests
  python -m deploy shadow-test status --name abalone-v7
  python -m deploy shadow-test stop --name abalone-v7               # keep production, remove the shadow
  python -m deploy shadow-test stop --name abalone-v7 --promote     # the candidate takes over"""


def configure(parser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = actions.add_parser("start", help="create and start a shadow test (safe to rerun)")
    start.add_argument("--name", required=True, help="the shadow test's name (1-120: letters, digits, hyphens)")
    start.add_argument("--endpoint", required=True, help="the stage's endpoint (one instance-based production variant)")
    start.add_argument("--candidate-model", required=True, help="an existing SageMaker Model to run as the shadow")
    start.add_argument("--role-arn", default=os.environ.get("SHADOW_TEST_ROLE_ARN"),
                       help="role SageMaker runs the test as (default $SHADOW_TEST_ROLE_ARN; in a project from "
                            "this template, its ShadowTestRoleArn output)")
    start.add_argument("--model-package-group", default=os.environ.get("MODEL_PACKAGE_GROUP_NAME", ""),
                       help="the project's model package group; the candidate must be an Approved package of it "
                            "(default $MODEL_PACKAGE_GROUP_NAME)")
    start.add_argument("--sampling-percentage", type=int, default=100, help="share of requests copied (1-100)")
    start.add_argument("--duration-days", type=int, default=shadow_tests.DEFAULT_DAYS,
                       help=f"1-{shadow_tests.MAX_DAYS} (default {shadow_tests.DEFAULT_DAYS})")
    start.add_argument("--capture-destination", help="s3:// prefix for the captured requests and answers")
    start.add_argument("--kms-key", default=os.environ.get("KMS_KEY_ARN") or None,
                       help="key of the hosts' storage volumes and the captures (default: $KMS_KEY_ARN, the project's)")
    stop = actions.add_parser("stop", help="stop a shadow test: keep production, or --promote the candidate")
    stop.add_argument("--name", required=True)
    stop.add_argument("--promote", action="store_true", help="the shadow model replaces production")
    stop.add_argument("--cancel", action="store_true", help="end as Cancelled rather than Completed")
    stop.add_argument("--reason", help="why it was stopped (kept with the experiment)")
    status = actions.add_parser("status", help="print a shadow test's state as JSON")
    status.add_argument("--name", required=True)


def run(args) -> int:
    sm = boto3.client("sagemaker")
    if args.action == "status":
        print(json.dumps(shadow_tests.status(sm, args.name), indent=2))
        return 0
    if args.action == "stop":
        lines = shadow_tests.stop(sm, args.name, promote=args.promote, cancel=args.cancel, reason=args.reason)
    else:
        if not args.role_arn:
            raise InputError("--role-arn: missing: give it or set SHADOW_TEST_ROLE_ARN (the project's ShadowTestRoleArn output)")
        test = shadow_tests.ShadowTest(args.name, args.endpoint, args.candidate_model, args.role_arn,
                                       args.sampling_percentage, args.duration_days, args.capture_destination,
                                       kms_key=args.kms_key, model_package_group=args.model_package_group)
        lines = shadow_tests.start(sm, test)
    print("\n".join(lines))
    return 0
