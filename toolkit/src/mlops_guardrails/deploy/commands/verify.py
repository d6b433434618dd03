"""Fail unless the stage's endpoint is InService on exactly the endpoint config this deploy created.

A guardrail rollback leaves the endpoint InService on the OLD config with no error: verify reports
that as a failure and names the stage's alarms in ALARM state.
"""
import os

from mlops_guardrails import aws_formats
from mlops_guardrails.deploy.accounts import TARGET_ROLE_HELP, stage_session
from mlops_guardrails.errors import DeployError, InputError
from mlops_guardrails.deploy.verify import stack_outputs, verify

EPILOG = """exit codes: 0 InService on the expected config; 1 anything else (rolled back, updating, failed,
missing); 2 invalid arguments or an unknown stack.

examples:
  python -m deploy verify --stack-name sagemaker-myproject-deploy-prod
  python -m deploy verify --endpoint-name myproject-prod --expected-endpoint-config EndpointConfig-AbC123"""


def configure(parser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack-name", help="read EndpointName and EndpointConfigName from this stack's outputs")
    source.add_argument("--endpoint-name", help="the endpoint to check (with --expected-endpoint-config)")
    parser.add_argument("--expected-endpoint-config", help="the endpoint config this deploy created")
    parser.add_argument("--target-role-arn", default=os.environ.get("TARGET_ROLE_ARN"), help=TARGET_ROLE_HELP)


def run(args) -> int:
    if args.endpoint_name and not args.expected_endpoint_config:
        raise InputError("--endpoint-name needs --expected-endpoint-config")
    if args.stack_name and args.expected_endpoint_config:
        raise InputError("--stack-name reads the expected config from the stack: drop --expected-endpoint-config")
    problem = args.endpoint_name and aws_formats.problem("--endpoint-name", args.endpoint_name, "endpoint name")
    if problem:
        raise InputError(problem)
    session = stage_session(args.target_role_arn, "verify")
    if args.stack_name:
        endpoint, expected = stack_outputs(session.client("cloudformation"), args.stack_name)
    else:
        endpoint, expected = args.endpoint_name, args.expected_endpoint_config
    verdict = verify(session.client("sagemaker"), session.client("cloudwatch"), endpoint, expected)
    if not verdict.passed:
        raise DeployError(verdict.message)
    print(verdict.message)
    return 0

