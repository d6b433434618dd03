"""teardown: a project's stage stacks go, with everything in them; reruns are no-ops or finish the job; nothing
outside the project is touched; the dry run prices what would stop.

The stacks are the real endpoint template rendered from the shipped stage configs (as build.py renders it),
created in moto's CloudFormation. moto creates the Models, EndpointConfig and Endpoint and lists the alarms,
autoscaling and monitoring resources without creating them (shared toolchain notes), so what the tests see
go are the endpoints; that CloudFormation deletes a stack's other resources with it is AWS's DeleteStack
contract. moto has no DeleteProject: that call goes through botocore's Stubber."""
import json
from importlib import resources
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from mlops_guardrails.deploy import cli, teardown
from mlops_guardrails.deploy.accounts import stage_session
from mlops_guardrails.deploy.stage_config import load_stage_config
from mlops_guardrails.deploy.template_render import ResolvedStage, render, to_yaml

SEED = Path(__file__).resolve().parents[3] / "seed-deploy"  # the repository's deploy seed: the shipped configs
PRICES = json.loads(resources.files("mlops_guardrails.deploy.analysis").joinpath("prices.json").read_text())["prices"]
BASELINE = {"Statistics": "s3://bucket/statistics.json", "Constraints": "s3://bucket/constraints.json"}
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:moto.cloudformation.parsing")  # the types moto skips
OTHER_ACCOUNT_ROLE = "arn:aws:iam::222222222222:role/sagemaker-project/sagemaker-p-1-deploy-action"


@pytest.fixture(scope="module")
def endpoint_template() -> str:
    stages = {}
    for stage in ("staging", "prod"):
        config = load_stage_config(SEED / f"{stage}-config.json")
        variants = config["ProductionVariants"] + config.get("ShadowProductionVariants", [])
        packages = {v["VariantName"]: f"arn:aws:sagemaker:us-east-1:123456789012:model-package/group/{n}"
                    for n, v in enumerate(variants, start=1)}
        stages[stage] = ResolvedStage(stage, config, packages, BASELINE)
    return to_yaml(render(stages))


@pytest.fixture
def deploy_stage(emulator, endpoint_template, monkeypatch):
    """deploy_stage(project, stage, session=None): the stage stack as the deploy pipeline creates it."""
    # moto's CloudFormation names endpoints after the stack; CloudFormation uses EndpointName. moto's server
    # runs in this process, so its resource class is told which property holds the name.
    from moto.sagemaker.models import FakeEndpoint

    monkeypatch.setattr(FakeEndpoint, "cloudformation_name_type", staticmethod(lambda: "EndpointName"))

    def deploy(project: str, stage: str, session=None) -> str:
        cfn = (session or boto3.session.Session()).client("cloudformation")
        parameters = {"StageName": stage, "EndpointName": f"{project}-{stage}", "ArtifactBucket": "artifacts",
                      "ModelExecutionRoleArn": "arn:aws:iam::123456789012:role/model-execution"}
        cfn.create_stack(StackName=f"sagemaker-{project}-deploy-{stage}", TemplateBody=endpoint_template,
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
        return f"{project}-{stage}"
    return deploy


def _endpoints(session=None) -> set[str]:
    sm = (session or boto3.session.Session()).client("sagemaker")
    return {e["EndpointName"] for e in sm.list_endpoints(MaxResults=100)["Endpoints"]}


def _stacks(session=None) -> set[str]:
    cfn = (session or boto3.session.Session()).client("cloudformation")
    return {s["StackName"] for s in cfn.describe_stacks()["Stacks"]}


def _monthly(stage: str) -> float:
    """What the stage's endpoint costs per month from its config and the shipped price table."""
    config = load_stage_config(SEED / f"{stage}-config.json")
    variants = config["ProductionVariants"] + config.get("ShadowProductionVariants", [])
    return sum(v["InitialInstanceCount"] * PRICES[v["InstanceType"]] * 730 for v in variants)


def test_teardown_deletes_both_stage_stacks_and_nothing_else(deploy_stage, unique, sm, deploy_endpoint, register,
                                                            capsys):
    project = unique("tp")
    for stage in ("staging", "prod"):
        deploy_stage(project, stage)
        deploy_stage(f"{project}-2", stage)  # another project whose name starts with this one's
    # An endpoint outside any stack whose name starts with the stage endpoint's name.
    deploy_endpoint(sm, f"{project}-staging-old", register(sm, unique("g"), ["Approved"])[0])
    assert {f"{project}-staging", f"{project}-prod"} <= _endpoints()

    assert cli.main(["teardown", "--project", project]) == 0

    out = capsys.readouterr().out
    assert f"staging: deleted stack sagemaker-{project}-deploy-staging (CREATE_COMPLETE), " in out
    assert f"prod: deleted stack sagemaker-{project}-deploy-prod (CREATE_COMPLETE), " in out
    assert not {f"sagemaker-{project}-deploy-staging", f"sagemaker-{project}-deploy-prod"} & _stacks()
    assert not {f"{project}-staging", f"{project}-prod"} & _endpoints()
    assert {f"sagemaker-{project}-2-deploy-staging", f"sagemaker-{project}-2-deploy-prod"} <= _stacks()
    assert {f"{project}-2-staging", f"{project}-2-prod", f"{project}-staging-old"} <= _endpoints()
    assert sm.describe_endpoint(EndpointName=f"{project}-2-prod")["EndpointStatus"] == "InService"


def test_second_run_is_a_no_op(deploy_stage, unique, capsys):
    project = unique("tp")
    deploy_stage(project, "staging")
    deploy_stage(project, "prod")
    assert cli.main(["teardown", "--project", project]) == 0
    before = (_stacks(), _endpoints())
    capsys.readouterr()

    assert cli.main(["teardown", "--project", project]) == 0

    assert "nothing to tear down: no stage stack exists (nothing changed)" in capsys.readouterr().out
    assert (_stacks(), _endpoints()) == before


def test_dry_run_lists_every_resource_with_its_monthly_cost_and_changes_nothing(deploy_stage, unique, capsys):
    project = unique("tp")
    deploy_stage(project, "staging")
    deploy_stage(project, "prod")

    stages = teardown.teardown(project, {"staging": boto3.session.Session(), "prod": boto3.session.Session()},
                               PRICES, dry_run=True, progress=lambda _l: None)

    for stage in stages:
        assert stage.monthly_cost == pytest.approx(_monthly(stage.stage))
        types = [item.resource_type for item in stage.items]
        assert {"AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"} <= set(types)
    assert {f"{project}-staging", f"{project}-prod"} <= _endpoints()
    assert cli.main(["teardown", "--project", project, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"prod: would delete stack sagemaker-{project}-deploy-prod (CREATE_COMPLETE), " in out
    assert f" resources, {_monthly('prod'):.2f} USD/month:" in out
    assert f":endpoint/{project}-prod: {_monthly('prod'):.2f} USD/month; AllTraffic: 3 x ml.m5.large" in out
    total = _monthly("staging") + _monthly("prod")
    assert f"total: {total:.2f} USD/month would stop" in out
    assert {f"sagemaker-{project}-deploy-staging", f"sagemaker-{project}-deploy-prod"} <= _stacks()


def test_a_teardown_failing_midway_names_what_still_runs_and_a_rerun_finishes(deploy_stage, unique):
    project = unique("tp")
    deploy_stage(project, "staging")
    deploy_stage(project, "prod")
    failing = boto3.session.Session()

    def refuse(**_kwargs):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "DeleteStack")

    failing.events.register("before-call.cloudformation.DeleteStack", refuse)

    with pytest.raises(teardown.DeployError) as error:
        teardown.teardown(project, {"staging": boto3.session.Session(), "prod": failing}, PRICES,
                          progress=lambda _l: None)

    assert str(error.value).startswith(f"teardown incomplete; still running: sagemaker-{project}-deploy-prod: ")
    assert "Rate exceeded" in str(error.value) and "run teardown again" in str(error.value)
    assert f"sagemaker-{project}-deploy-staging" not in _stacks()
    assert f"{project}-prod" in _endpoints()

    teardown.teardown(project, {"staging": boto3.session.Session(), "prod": boto3.session.Session()}, PRICES,
                      progress=lambda _l: None)
    assert not {f"sagemaker-{project}-deploy-staging", f"sagemaker-{project}-deploy-prod"} & _stacks()
    assert not {f"{project}-staging", f"{project}-prod"} & _endpoints()


def test_a_stage_in_another_account_is_torn_down_through_its_role(deploy_stage, unique, monkeypatch, capsys):
    project = unique("tp")
    remote = stage_session(OTHER_ACCOUNT_ROLE, "setup")
    deploy_stage(project, "staging")
    deploy_stage(project, "prod", session=remote)

    monkeypatch.setenv("PROD_TARGET_ROLE_ARN", OTHER_ACCOUNT_ROLE)
    assert cli.main(["teardown", "--project", project]) == 0

    assert f"sagemaker-{project}-deploy-prod" not in _stacks(remote)
    assert f"{project}-prod" not in _endpoints(remote)
    assert f"sagemaker-{project}-deploy-staging" not in _stacks()


def test_without_the_role_the_other_accounts_stage_is_not_found_and_left_alone(deploy_stage, unique, capsys):
    project = unique("tp")
    remote = stage_session(OTHER_ACCOUNT_ROLE, "setup")
    deploy_stage(project, "prod", session=remote)
    assert cli.main(["teardown", "--project", project, "--prod-role-arn", ""]) == 0
    assert "nothing to tear down" in capsys.readouterr().out
    assert f"{project}-prod" in _endpoints(remote)


def test_a_running_deploy_is_refused_without_any_call():
    stage = teardown.Stage("prod", "sagemaker-p-deploy-prod", "UPDATE_IN_PROGRESS")
    assert teardown.delete_stage(stage, session=None, progress=lambda _l: None) == [
        "sagemaker-p-deploy-prod: UPDATE_IN_PROGRESS: a deploy is running; let it finish (or stop the deploy "
        "pipeline), then run teardown again"]


def test_delete_project_runs_after_the_stacks_are_gone_and_not_when_they_are_not(deploy_stage, unique, monkeypatch,
                                                                                 capsys):
    project = unique("tp")
    deploy_stage(project, "prod")
    stubbed, real_client = boto3.client("sagemaker"), boto3.client
    monkeypatch.setattr(boto3, "client", lambda name, *a, **k: stubbed if name == "sagemaker" else real_client(name, *a, **k))
    with Stubber(stubbed) as stubber:
        # prod cannot be deleted: the project is not deleted either (no DeleteProject is queued: a call would fail).
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(teardown, "delete_stage", lambda stage, *a, **k: [f"{stage.stack}: stuck"] if stage.status else [])
            assert cli.main(["teardown", "--project", project, "--delete-project"]) == 1
        assert f"error: teardown incomplete; still running: sagemaker-{project}-deploy-prod: stuck" in capsys.readouterr().err

        stubber.add_response("delete_project", {}, {"ProjectName": project})
        assert cli.main(["teardown", "--project", project, "--delete-project"]) == 0
        stubber.assert_no_pending_responses()
    assert f"deleting SageMaker project {project}" in capsys.readouterr().out
    assert f"{project}-prod" not in _endpoints()


def test_a_stack_cloudformation_could_not_delete_is_reported_with_its_reasons():
    """DELETE_FAILED (a resource CloudFormation could not delete) in the shapes of botocore's model."""
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    stack = "sagemaker-p-deploy-prod"
    with Stubber(cfn) as stubber:
        stubber.add_response("delete_stack", {}, {"StackName": stack})
        stubber.add_response("describe_stacks", {"Stacks": [{
            "StackName": stack, "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "DELETE_FAILED"}]},
            {"StackName": stack})
        stubber.add_response("list_stack_resources", {"StackResourceSummaries": [
            {"LogicalResourceId": "Endpoint", "PhysicalResourceId": "arn:aws:sagemaker:us-east-1:1:endpoint/p-prod",
             "ResourceType": "AWS::SageMaker::Endpoint", "ResourceStatus": "DELETE_FAILED",
             "ResourceStatusReason": "AccessDenied: sagemaker:DeleteEndpoint", "LastUpdatedTimestamp": "2026-01-01T00:00:00Z"},
            {"LogicalResourceId": "ProdAllTrafficModel", "ResourceType": "AWS::SageMaker::Model",
             "ResourceStatus": "DELETE_COMPLETE", "LastUpdatedTimestamp": "2026-01-01T00:00:00Z"}]},
            {"StackName": stack})
        session = type("Session", (), {"client": lambda self, name: cfn})()
        left = teardown.delete_stage(teardown.Stage("prod", stack, "UPDATE_COMPLETE"), session, lambda _l: None)
    assert left == [f"{stack}: AWS::SageMaker::Endpoint arn:aws:sagemaker:us-east-1:1:endpoint/p-prod: "
                    "AccessDenied: sagemaker:DeleteEndpoint"]


def test_everything_the_deploy_bills_for_is_a_resource_of_the_stage_stack_deleted_before_the_endpoint(
        endpoint_template):
    """Why deleting the stage stacks is enough: the alarms, autoscaling and monitoring schedule are resources of
    the same stack, and each refers to the endpoint, so CloudFormation deletes them before it (reverse
    dependency order)."""
    import yaml

    resources = yaml.safe_load(endpoint_template)["Resources"]
    by_type = {}
    for logical_id, resource in resources.items():
        by_type.setdefault(resource["Type"], []).append(logical_id)
    assert {"AWS::SageMaker::Endpoint", "AWS::CloudWatch::Alarm", "AWS::ApplicationAutoScaling::ScalableTarget",
            "AWS::ApplicationAutoScaling::ScalingPolicy", "AWS::SageMaker::MonitoringSchedule"} <= set(by_type)

    def refers_to(node, target: str) -> bool:
        text = json.dumps(node)
        return f'"{target}"' in text or f"${{{target}." in text or f'"Ref": "{target}"' in text

    def depends_on_endpoint(logical_id: str, seen=()) -> bool:
        node = resources[logical_id]
        if refers_to(node.get("Properties", {}), "Endpoint"):
            return True
        return any(other not in seen and refers_to(node.get("Properties", {}), other)
                   and depends_on_endpoint(other, seen + (logical_id,)) for other in resources if other != logical_id)

    for kind in ("AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
                 "AWS::SageMaker::MonitoringSchedule", "AWS::SageMaker::DataQualityJobDefinition"):
        assert all(depends_on_endpoint(logical_id) for logical_id in by_type[kind]), kind


def test_a_bad_project_name_exits_2_naming_the_rule(capsys):
    assert cli.main(["teardown", "--project", "my_project"]) == 2
    assert capsys.readouterr().err == ("error: --project: 'my_project': must match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,31} "
                                       "(a SageMaker project name)\n")


def test_delete_project_of_a_project_already_gone_is_a_no_op():
    sm = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(sm) as stubber:
        stubber.add_client_error("delete_project", "ValidationException", "Project gone does not exist.")
        assert teardown.delete_project(sm, "gone") is False
        stubber.add_client_error("delete_project", "AccessDeniedException", "not allowed")
        with pytest.raises(teardown.DeployError, match="DeleteProject gone: .*AccessDeniedException"):
            teardown.delete_project(sm, "gone")
