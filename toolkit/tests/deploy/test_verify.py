"""verify: InService on exactly the expected config passes; a silent rollback fails and names the alarms."""
import boto3
import pytest

from mlops_guardrails.deploy import cli
from mlops_guardrails.deploy.accounts import stage_session
from mlops_guardrails.deploy.build_stage import BuildEnvironment, build
from mlops_guardrails.errors import DeployError
from mlops_guardrails.deploy.verify import verify

SEED = __import__("pathlib").Path(__file__).resolve().parents[3] / "seed-deploy"


@pytest.fixture
def cw(emulator):
    return boto3.client("cloudwatch")


def put_alarm(cw, name: str, state: str) -> None:
    cw.put_metric_alarm(AlarmName=name, Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=0,
                        ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def test_verify_passes_on_the_expected_config(sm, cw, register, unique, deploy_endpoint, capsys):
    endpoint = unique("ok")
    arns = register(sm, unique("g"), ["Approved"])
    config = deploy_endpoint(sm, endpoint, arns[0])
    assert verify(sm, cw, endpoint, config).passed
    assert cli.main(["verify", "--endpoint-name", endpoint, "--expected-endpoint-config", config]) == 0
    assert capsys.readouterr().out.strip() == f"endpoint {endpoint} is InService on {config}"


def test_verify_silent_rollback_fails_naming_alarms_in_alarm(sm, cw, register, unique, deploy_endpoint, capsys):
    endpoint = unique("rolled")
    arns = register(sm, unique("g"), ["Approved", "Approved"])
    old = deploy_endpoint(sm, endpoint, arns[0])
    new = deploy_endpoint(sm, endpoint, arns[1], create=False)
    put_alarm(cw, f"{endpoint}-invocation-5xx-errors", "ALARM")
    put_alarm(cw, f"{endpoint}-model-latency", "OK")
    verdict = verify(sm, cw, endpoint, new)
    assert not verdict.passed
    assert verdict.actual_config == old
    assert verdict.alarms_in_alarm == [f"{endpoint}-invocation-5xx-errors"]
    assert cli.main(["verify", "--endpoint-name", endpoint, "--expected-endpoint-config", new]) == 1
    err = capsys.readouterr().err
    assert f"error: endpoint {endpoint} is InService on {old}, not on {new}: the update was rolled back" in err
    assert f"alarms in ALARM: {endpoint}-invocation-5xx-errors" in err
    # The error ends with the next command: reject the refused version, back to the one that stayed (version 1).
    assert err.rstrip().endswith('next: reject the refused version so the newest Approved one is the version that '
                                 'stayed: python -m deploy rollback --to-version 1 --reason "rolled back by its alarms"')


def test_verify_rollback_without_alarm_in_alarm_says_so(sm, cw, register, unique, deploy_endpoint):
    endpoint = unique("quiet")
    arns = register(sm, unique("g"), ["Approved"])
    deploy_endpoint(sm, endpoint, arns[0])
    with pytest.raises(DeployError, match="no alarm of the endpoint is in ALARM now"):
        from mlops_guardrails.deploy.commands.verify import run
        import argparse

        run(argparse.Namespace(stack_name=None, endpoint_name=endpoint, expected_endpoint_config="EndpointConfig-new",
                               target_role_arn=None))


def test_verify_a_stage_in_another_account_through_its_role(sm, register, unique, deploy_endpoint, monkeypatch,
                                                           capsys):
    role = "arn:aws:iam::222222222222:role/sagemaker-project/sagemaker-p1-stage-test"
    endpoint = unique("remote")
    # moto keeps one backend per account: the endpoint exists only in the role's account.
    config = deploy_endpoint(stage_session(role, "setup").client("sagemaker"), endpoint, register(sm, unique("g"), ["Approved"])[0])
    argv = ["verify", "--endpoint-name", endpoint, "--expected-endpoint-config", config]

    assert cli.main(argv) == 1  # this account has no such endpoint
    assert f"endpoint {endpoint}: not found" in capsys.readouterr().err
    monkeypatch.setenv("TARGET_ROLE_ARN", role)
    assert cli.main(argv) == 0
    assert f"endpoint {endpoint} is InService on {config}" in capsys.readouterr().out


def test_verify_missing_endpoint_exits_1(unique, emulator, capsys):
    endpoint = unique("missing")
    assert cli.main(["verify", "--endpoint-name", endpoint, "--expected-endpoint-config", "c"]) == 1
    assert f"error: endpoint {endpoint}: not found" in capsys.readouterr().err


def test_verify_endpoint_name_without_expected_config_exits_2(emulator, capsys):
    assert cli.main(["verify", "--endpoint-name", "e"]) == 2
    assert "--endpoint-name needs --expected-endpoint-config" in capsys.readouterr().err


def test_verify_unknown_stack_exits_2(emulator, unique, capsys):
    stack = unique("nostack")
    assert cli.main(["verify", "--stack-name", stack]) == 2
    assert f"error: stack {stack}:" in capsys.readouterr().err


def test_verify_reads_the_expected_config_from_the_stage_stack(sm, register, unique, tmp_path, monkeypatch, capsys):
    """The rendered template deployed by (moto's) CloudFormation, then verified through its outputs."""
    project = unique("stk")
    group = f"{project}-p1"
    register(sm, group, ["Approved"], baseline=True)
    env = BuildEnvironment(project=project, project_id="p1", group=group, bucket=f"{project}-bucket",
                           role="arn:aws:iam::123456789012:role/model-execution")
    result = build(env, {"staging": SEED / "staging-config.json", "prod": SEED / "staging-config.json"}, tmp_path)
    import json

    parameters = json.loads(result.files["staging-config-export.json"].read_text())["Parameters"]
    cfn = boto3.client("cloudformation")
    stack = f"sagemaker-{project}-deploy-staging"
    cfn.create_stack(StackName=stack, TemplateBody=result.files["template-export.yml"].read_text(),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    # moto's CloudFormation names the endpoint after the stack, ignoring EndpointName; AWS uses the parameter.
    assert sm.describe_endpoint(EndpointName=outputs["EndpointName"])["EndpointConfigName"] == outputs[
        "EndpointConfigName"]
    assert cli.main(["verify", "--stack-name", stack]) == 0
    assert capsys.readouterr().out.strip() == (
        f"endpoint {outputs['EndpointName']} is InService on {outputs['EndpointConfigName']}")
