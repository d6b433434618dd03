"""The calls `python -m deploy shadow-test start`, `status` and `stop` make, recorded as the operator makes them:
the seed's own command runs against botocore's Stubber (moto has no inference experiments), which validates
every request and every answer against the sagemaker service model. Answers are shaped as the API reference's
DescribeEndpoint, DescribeEndpointConfig, DescribeModel and DescribeInferenceExperiment responses."""
import contextlib
import datetime as dt
import io
from unittest import mock

from iam_actions import Call, recording
from script_errors import ScriptError

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
INFRASTRUCTURE = {"InfrastructureType": "RealTimeInference",
                  "RealTimeInferenceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}


def _arn(region: str, account: str, resource: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:{resource}"


def _experiment(name: str, endpoint: str, live_model: str, candidate: str, status: str, arn: str) -> dict:
    return {"Arn": arn, "Name": name, "Type": "ShadowMode", "Status": status,
            "EndpointMetadata": {"EndpointName": endpoint},
            "ModelVariants": [{"ModelName": live_model, "VariantName": "AllTraffic",
                               "InfrastructureConfig": INFRASTRUCTURE, "Status": "InService"},
                              {"ModelName": candidate, "VariantName": "shadow",
                               "InfrastructureConfig": INFRASTRUCTURE, "Status": "InService"}],
            "ShadowModeConfig": {"SourceModelVariantName": "AllTraffic", "ShadowModelVariants": [
                {"ShadowModelVariantName": "shadow", "SamplingPercentage": 20}]},
            "Schedule": {"StartTime": NOW, "EndTime": NOW + dt.timedelta(days=7)}}


def _answers(stubber, *, name: str, endpoint: str, candidate: str, group: str, region: str, account: str) -> None:
    """What SageMaker answers, in the order the command asks: start (the candidate's Approved package, not found,
    the endpoint's exclusion checks, create, describe, start), status (describe), stop (describe, stop)."""
    live_model, config = f"{endpoint}-model", f"{endpoint}-config"
    arn = _arn(region, account, f"inference-experiment/{name}")
    package = _arn(region, account, f"model-package/{group}/1")
    stubber.add_response("describe_model", {"ModelName": candidate, "CreationTime": NOW,
                                            "ModelArn": _arn(region, account, f"model/{candidate}"),
                                            "PrimaryContainer": {"ModelPackageName": package}})
    stubber.add_response("describe_model_package", {
        "ModelPackageName": group, "ModelPackageGroupName": group, "ModelPackageArn": package, "CreationTime": NOW,
        "ModelPackageStatus": "Completed", "ModelPackageStatusDetails": {"ValidationStatuses": []},
        "ModelApprovalStatus": "Approved"})
    stubber.add_client_error("describe_inference_experiment", service_error_code="ResourceNotFound",
                             service_message="not found", expected_params={"Name": name})
    stubber.add_response("describe_endpoint", {
        "EndpointName": endpoint, "EndpointArn": _arn(region, account, f"endpoint/{endpoint}"),
        "EndpointConfigName": config, "EndpointStatus": "InService", "CreationTime": NOW, "LastModifiedTime": NOW,
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1}]})
    stubber.add_response("describe_endpoint_config", {
        "EndpointConfigName": config, "EndpointConfigArn": _arn(region, account, f"endpoint-config/{config}"),
        "CreationTime": NOW, "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": live_model,
                                                     "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}]})
    stubber.add_response("describe_model", {"ModelName": live_model, "CreationTime": NOW,
                                            "ModelArn": _arn(region, account, f"model/{live_model}"),
                                            "PrimaryContainer": {"Image": "xgboost:1.7-1"}})
    stubber.add_response("create_inference_experiment", {"InferenceExperimentArn": arn})
    for status in ("Created", "Running", "Running"):
        stubber.add_response("describe_inference_experiment",
                             _experiment(name, endpoint, live_model, candidate, status, arn))
        if status == "Created":
            stubber.add_response("start_inference_experiment", {"InferenceExperimentArn": arn})
    stubber.add_response("stop_inference_experiment", {"InferenceExperimentArn": arn})


def record(*, role_arn: str, endpoint: str, candidate: str, group: str, capture_destination: str, region: str,
           account: str, actor: str, name: str = "candidate-shadow") -> list[Call]:
    """Run start, status and stop through the seed's CLI (seed-deploy on sys.path) and return their calls."""
    import boto3
    from botocore.stub import Stubber

    from mlops_guardrails.deploy import cli

    client = boto3.client("sagemaker", region_name=region, aws_access_key_id="testing",
                          aws_secret_access_key="testing")  # noqa: S106 - fake credentials: the Stubber answers every call
    commands = [["start", "--name", name, "--endpoint", endpoint, "--candidate-model", candidate,
                 "--role-arn", role_arn, "--model-package-group", group, "--sampling-percentage", "20",
                 "--capture-destination", capture_destination],
                ["status", "--name", name], ["stop", "--name", name]]
    with Stubber(client) as stubber, mock.patch("boto3.client", return_value=client), recording() as calls, \
            contextlib.redirect_stdout(io.StringIO()):
        _answers(stubber, name=name, endpoint=endpoint, candidate=candidate, group=group, region=region,
                 account=account)
        for command in commands:
            if cli.main(["shadow-test", *command]) != 0:
                raise ScriptError(f"permissions: deploy shadow-test {command[0]} failed against the Stubber: see its "
                                  "error above")
        stubber.assert_no_pending_responses()
    return [Call(**{**call.__dict__, "actor": actor}) for call in [*calls, *passed_roles(calls)]]


def passed_roles(calls: list[Call]) -> list[Call]:
    """The iam:PassRole that IAM checks for the caller of each SageMaker request naming a RoleArn (the IAM User
    Guide, "Granting a user permissions to pass a role to an AWS service"): authorized with the request."""
    return [Call("iam", "PassRole", {"RoleName": call.params["RoleArn"], "PassedToService": "sagemaker.amazonaws.com"},
                 call.region, caller=f"{call.caller} (RoleArn of {call.operation})")
            for call in calls if call.signing_name == "sagemaker" and "RoleArn" in call.params]
