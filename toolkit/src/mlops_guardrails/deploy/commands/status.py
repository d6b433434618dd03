"""What each stage's endpoint serves now and how its last deployment went (read-only).

Per stage: endpoint status and config, the model package version each variant serves, the last
deployment (failure reason, DeploymentConfig), the stage alarms' states and recent changes, data capture,
and the last monitoring execution (CompletedWithViolations when it found violations)."""
import json
import os

from mlops_guardrails import aws_formats

from mlops_guardrails.deploy import stage_names
from mlops_guardrails.deploy.accounts import TARGET_ROLE_HELP, stage_session
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.status import render, stage_status

EPILOG = """exit codes: 0 the status was read; 1 an AWS call failed; 2 invalid arguments.

examples:
  SAGEMAKER_PROJECT_NAME=myproject python -m deploy status
  python -m deploy status --project myproject --stage prod --json"""
NO_PROJECT = "--project: not given and SAGEMAKER_PROJECT_NAME is not set: name the project"


def configure(parser) -> None:
    parser.add_argument("--project", default=os.environ.get("SAGEMAKER_PROJECT_NAME"),
                        help="project name (default $SAGEMAKER_PROJECT_NAME); endpoints are <project>-<stage>")
    parser.add_argument("--stage", choices=stage_names.STAGES, help="one stage (default: both)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--target-role-arn", default=os.environ.get("TARGET_ROLE_ARN"), help=TARGET_ROLE_HELP)


def run(args) -> int:
    if not args.project:
        raise InputError(NO_PROJECT)
    for stage in stage_names.STAGES:
        problem = aws_formats.problem("--project", stage_names.endpoint_name(args.project, stage), "endpoint name")
        if problem:
            raise InputError(problem)
    session = stage_session(args.target_role_arn, "status")
    sm, cw = session.client("sagemaker"), session.client("cloudwatch")
    stages = [stage_status(sm, cw, args.project, stage) for stage in ([args.stage] if args.stage else stage_names.STAGES)]
    print(json.dumps(stages, indent=2, default=str) if args.json else render(stages))
    return 0
