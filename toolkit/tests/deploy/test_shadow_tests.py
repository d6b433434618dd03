"""`deploy shadow-test` against botocore's Stubber (moto has no inference experiments): every request is
validated against the sagemaker service model, every answer is in its response shape."""
import datetime as dt
import json
import re

import boto3
import pytest
from botocore.stub import Stubber

from mlops_guardrails.deploy import cli, shadow_tests
from mlops_guardrails.errors import InputError

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
ROLE = "arn:aws:iam::123456789012:role/model-execution"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:inference-experiment/abalone-v7"
GROUP = "myproject-p-abc123def456"
CANDIDATE_PACKAGE = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/7"
INFRA = {"InfrastructureType": "RealTimeInference",
         "RealTimeInferenceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 3}}


@pytest.fixture
def sm():
    client = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(client) as stubber:
        client.stubber = stubber
        yield client
        stubber.assert_no_pending_responses()


def shadow_request(**overrides) -> shadow_tests.ShadowTest:
    fields = {"name": "abalone-v7", "endpoint": "myproject-prod", "candidate_model": "myproject-v7", "role_arn": ROLE,
              "sampling_percentage": 50, "duration_days": 7, "capture_destination": "s3://bucket/shadow-tests",
              "model_package_group": GROUP}
    return shadow_tests.ShadowTest(**{**fields, **overrides})


def endpoint(sm, *, status="InService", config=None, model=None):
    sm.stubber.add_response("describe_endpoint", {
        "EndpointName": "myproject-prod", "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/myproject-prod",
        "EndpointConfigName": "EndpointConfig-abc", "EndpointStatus": status, "CreationTime": NOW,
        "LastModifiedTime": NOW,
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 3}]},
        {"EndpointName": "myproject-prod"})
    if status != "InService":
        return
    sm.stubber.add_response("describe_endpoint_config", config or {
        "EndpointConfigName": "EndpointConfig-abc",
        "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/endpointconfig-abc",
        "CreationTime": NOW,
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "ProdModel-v6",
                                "InstanceType": "ml.m5.large", "InitialInstanceCount": 3}]},
        {"EndpointConfigName": "EndpointConfig-abc"})
    if model is not False:
        sm.stubber.add_response("describe_model", model or {
            "ModelName": "ProdModel-v6", "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/prodmodel-v6",
            "CreationTime": NOW, "PrimaryContainer": {"ModelPackageName": "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/6"}},
            {"ModelName": "ProdModel-v6"})


def candidate(sm, *, status="Approved", group=GROUP):
    """The candidate model, made from a model package of `group` in `status`."""
    sm.stubber.add_response("describe_model", {
        "ModelName": "myproject-v7", "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/myproject-v7",
        "CreationTime": NOW, "PrimaryContainer": {"ModelPackageName": CANDIDATE_PACKAGE}}, {"ModelName": "myproject-v7"})
    sm.stubber.add_response("describe_model_package", {
        "ModelPackageName": group, "ModelPackageGroupName": group, "ModelPackageArn": CANDIDATE_PACKAGE,
        "CreationTime": NOW, "ModelPackageStatus": "Completed", "ModelApprovalStatus": status,
        "ModelPackageStatusDetails": {"ValidationStatuses": []}},
        {"ModelPackageName": CANDIDATE_PACKAGE})


def experiment(status: str, shadow_model="myproject-v7", endpoint_name="myproject-prod") -> dict:
    return {
        "Arn": ARN, "Name": "abalone-v7", "Type": "ShadowMode", "Status": status,
        "EndpointMetadata": {"EndpointName": endpoint_name},
        "ModelVariants": [
            {"ModelName": "ProdModel-v6", "VariantName": "AllTraffic", "InfrastructureConfig": INFRA, "Status": "InService"},
            {"ModelName": shadow_model, "VariantName": "shadow", "InfrastructureConfig": INFRA, "Status": "InService"}],
        "ShadowModeConfig": {"SourceModelVariantName": "AllTraffic",
                             "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": 50}]},
        "DataStorageConfig": {"Destination": "s3://bucket/shadow-tests"},
        "Schedule": {"StartTime": NOW, "EndTime": NOW + dt.timedelta(days=7)},
    }


def not_found(sm):
    sm.stubber.add_client_error("describe_inference_experiment", service_error_code="ResourceNotFound",
                                service_message="Experiment not found", expected_params={"Name": "abalone-v7"})


def test_start_creates_then_starts_with_the_live_variant_and_the_candidate(sm):
    candidate(sm)
    not_found(sm)
    endpoint(sm)
    sm.stubber.add_response("create_inference_experiment", {"InferenceExperimentArn": ARN}, {
        "Name": "abalone-v7", "Type": "ShadowMode", "RoleArn": ROLE, "EndpointName": "myproject-prod",
        "Description": "shadow test of myproject-v7 beside ProdModel-v6",
        "Schedule": {"StartTime": NOW, "EndTime": NOW + dt.timedelta(days=7)},
        "ModelVariants": [
            {"ModelName": "ProdModel-v6", "VariantName": "AllTraffic", "InfrastructureConfig": INFRA},
            {"ModelName": "myproject-v7", "VariantName": "shadow", "InfrastructureConfig": INFRA}],
        "ShadowModeConfig": {"SourceModelVariantName": "AllTraffic",
                             "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": 50}]},
        "DataStorageConfig": {"Destination": "s3://bucket/shadow-tests", "ContentType": {"CsvContentTypes": ["text/csv"]}},
    })
    sm.stubber.add_response("describe_inference_experiment", experiment("Created"), {"Name": "abalone-v7"})
    sm.stubber.add_response("start_inference_experiment", {"InferenceExperimentArn": ARN}, {"Name": "abalone-v7"})
    assert shadow_tests.start(sm, shadow_request(), NOW) == [
        "created shadow test abalone-v7: 50% of myproject-prod's requests copied to myproject-v7 for 7 day(s)",
        "started shadow test abalone-v7"]


def test_start_again_while_running_does_nothing(sm):
    candidate(sm)
    sm.stubber.add_response("describe_inference_experiment", experiment("Running"), {"Name": "abalone-v7"})
    assert shadow_tests.start(sm, shadow_request(), NOW) == ["shadow test abalone-v7 is already Running: nothing to do"]


def test_start_again_after_an_interrupted_start_only_starts(sm):
    candidate(sm)
    sm.stubber.add_response("describe_inference_experiment", experiment("Created"), {"Name": "abalone-v7"})
    sm.stubber.add_response("start_inference_experiment", {"InferenceExperimentArn": ARN}, {"Name": "abalone-v7"})
    assert shadow_tests.start(sm, shadow_request(), NOW) == ["started shadow test abalone-v7"]


def test_start_refuses_a_name_taken_by_another_test(sm):
    candidate(sm)
    sm.stubber.add_response("describe_inference_experiment", experiment("Running", shadow_model="other-model"),
                            {"Name": "abalone-v7"})
    with pytest.raises(InputError, match="exists for endpoint myproject-prod with shadow model other-model"):
        shadow_tests.start(sm, shadow_request(), NOW)


@pytest.mark.parametrize(("status", "group", "message"), [
    ("PendingManualApproval", GROUP, f"model package {CANDIDATE_PACKAGE} is PendingManualApproval in group {GROUP}"),
    ("Rejected", GROUP, "is Rejected in group"),
    ("Approved", "other-p-zzz999zzz999", "is Approved in group other-p-zzz999zzz999: a shadow test runs only an "
                                         f"Approved model package of group {GROUP}"),
])
def test_start_refuses_a_candidate_that_is_not_an_approved_package_of_the_group(sm, status, group, message):
    candidate(sm, status=status, group=group)
    with pytest.raises(InputError, match=re.escape("--candidate-model: myproject-v7: ") + ".*" + re.escape(message)):
        shadow_tests.start(sm, shadow_request(), NOW)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": "bad_name"}, "--name: 'bad_name': must match"),
    ({"sampling_percentage": 0}, "--sampling-percentage: 0: must be 1-100"),
    ({"sampling_percentage": 101}, "--sampling-percentage: 101: must be 1-100"),
    ({"duration_days": 31}, "--duration-days: 31: must be 1-30 (a shadow test runs at most 30 days)"),
    ({"capture_destination": "bucket/prefix"}, "--capture-destination: 'bucket/prefix': must be an s3://BUCKET/PREFIX URI"),
    ({"model_package_group": ""}, "--model-package-group: missing"),
])
def test_start_refuses_what_the_api_refuses_before_any_call(sm, overrides, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        shadow_tests.start(sm, shadow_request(**overrides), NOW)


SERVERLESS = {"EndpointConfigName": "EndpointConfig-abc", "CreationTime": NOW,
              "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/endpointconfig-abc",
              "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "ProdModel-v6",
                                      "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}]}
ASYNC = {**SERVERLESS, "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "ProdModel-v6",
                                               "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
         "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://bucket/async"}}}
TWO_VARIANTS = {**SERVERLESS, "ProductionVariants": [
    {"VariantName": name, "ModelName": "ProdModel-v6", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    for name in ("A", "B")]}
ONE = {**SERVERLESS, "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "ProdModel-v6",
                                             "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}]}
MODEL = {"ModelName": "ProdModel-v6", "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/prodmodel-v6",
         "CreationTime": NOW}


@pytest.mark.parametrize(("config", "model", "message"), [
    (SERVERLESS, False, "ServerlessConfig: shadow tests exclude serverless endpoints"),
    (ASYNC, False, "AsyncInferenceConfig: shadow tests exclude asynchronous endpoints"),
    (TWO_VARIANTS, False, "2 production variants: a shadow test needs exactly one"),
    (ONE, {**MODEL, "PrimaryContainer": {"Image": "img", "Mode": "MultiModel"}},
     "model ProdModel-v6 is Mode MultiModel: shadow tests exclude multi-model endpoints"),
    (ONE, {**MODEL, "Containers": [{"Image": "a"}, {"Image": "b"}]},
     "model ProdModel-v6 has 2 containers: shadow tests exclude multi-container endpoints"),
], ids=["serverless", "async", "two-variants", "multi-model", "multi-container"])
def test_start_refuses_the_documented_exclusions_and_creates_nothing(sm, config, model, message):
    candidate(sm)
    not_found(sm)
    endpoint(sm, config=config, model=model)
    with pytest.raises(InputError, match=message):
        shadow_tests.start(sm, shadow_request(), NOW)


def test_start_refuses_an_endpoint_that_is_not_in_service(sm):
    candidate(sm)
    not_found(sm)
    endpoint(sm, status="Updating")
    with pytest.raises(InputError, match="endpoint myproject-prod: Updating: a shadow test needs an InService endpoint"):
        shadow_tests.start(sm, shadow_request(), NOW)


def test_stop_keeps_production_and_removes_the_shadow(sm):
    sm.stubber.add_response("describe_inference_experiment", experiment("Running"), {"Name": "abalone-v7"})
    sm.stubber.add_response("stop_inference_experiment", {"InferenceExperimentArn": ARN}, {
        "Name": "abalone-v7", "ModelVariantActions": {"AllTraffic": "Retain", "shadow": "Remove"},
        "DesiredState": "Completed", "Reason": "enough data"})
    assert shadow_tests.stop(sm, "abalone-v7", reason="enough data") == [
        "stopping shadow test abalone-v7: keeping AllTraffic; the endpoint returns to serving one variant"]


def test_stop_with_promote_promotes_the_shadow(sm):
    sm.stubber.add_response("describe_inference_experiment", experiment("Running"), {"Name": "abalone-v7"})
    sm.stubber.add_response("stop_inference_experiment", {"InferenceExperimentArn": ARN}, {
        "Name": "abalone-v7", "ModelVariantActions": {"AllTraffic": "Remove", "shadow": "Promote"},
        "DesiredState": "Completed"})
    assert "promoting shadow" in shadow_tests.stop(sm, "abalone-v7", promote=True)[0]


def test_stop_of_an_ended_test_does_nothing(sm):
    sm.stubber.add_response("describe_inference_experiment", experiment("Completed"), {"Name": "abalone-v7"})
    assert shadow_tests.stop(sm, "abalone-v7") == ["shadow test abalone-v7 has already ended (Completed): nothing to do"]


def test_status_and_the_capture_boundary_compare_shadow_reads(sm):
    sm.stubber.add_response("describe_inference_experiment", experiment("Running"), {"Name": "abalone-v7"})
    sm.stubber.add_response("describe_inference_experiment", experiment("Running"), {"Name": "abalone-v7"})
    info = shadow_tests.status(sm, "abalone-v7")
    assert (info["status"], info["production"], info["shadow"], info["sampling_percentage"], info["captures"]) == (
        "Running", "AllTraffic", "shadow", 50, "s3://bucket/shadow-tests")
    assert shadow_tests.experiment_captures(sm, "abalone-v7") == ("s3://bucket/shadow-tests", "AllTraffic", "shadow")


def test_cli_status_of_an_unknown_test_exits_2(monkeypatch, capsys):
    client = boto3.client("sagemaker", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_client_error("describe_inference_experiment", service_error_code="ResourceNotFound",
                             service_message="not found", expected_params={"Name": "nope"})
    monkeypatch.setattr("mlops_guardrails.deploy.commands.shadow_test.boto3.client", lambda *a, **k: client)
    with stubber:
        assert cli.main(["shadow-test", "status", "--name", "nope"]) == 2
    assert capsys.readouterr().err == "error: shadow test nope: not found\n"


def test_cli_start_without_a_role_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("SHADOW_TEST_ROLE_ARN", raising=False)
    monkeypatch.setattr("mlops_guardrails.deploy.commands.shadow_test.boto3.client", lambda *a, **k: None)
    assert cli.main(["shadow-test", "start", "--name", "x", "--endpoint", "e", "--candidate-model", "m"]) == 2
    assert "--role-arn: missing: give it or set SHADOW_TEST_ROLE_ARN" in capsys.readouterr().err


def test_compare_shadow_reads_a_shadow_tests_captures_by_its_name(emulator, tmp_path, monkeypatch, capsys):
    from analysis.capture_files import capture_record, write_variant

    records = [capture_record("1", f"{i % 17}.5", f"r{i}", "2026-12-01T12:00:00Z") for i in range(60)]
    write_variant(tmp_path / "c", "myproject-prod", "AllTraffic", records)
    write_variant(tmp_path / "c", "myproject-prod", "shadow", records)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="bucket")
    for path in (tmp_path / "c").rglob("*.jsonl"):
        s3.upload_file(str(path), "bucket", f"shadow-tests/{path.relative_to(tmp_path / 'c').as_posix()}")
    sm = boto3.client("sagemaker", region_name="us-east-1")
    stubber = Stubber(sm)
    stubber.add_response("describe_inference_experiment", experiment("Completed"), {"Name": "abalone-v7"})
    real_client = boto3.client
    monkeypatch.setattr(boto3, "client", lambda name, *a, **k: sm if name == "sagemaker" else real_client(name, *a, **k))
    with stubber:
        assert cli.main(["compare-shadow", "--experiment", "abalone-v7", "--json", str(tmp_path / "s.json")]) == 0
    assert "verdict: pass" in capsys.readouterr().out
    result = json.loads((tmp_path / "s.json").read_text())
    assert (result["production"], result["shadow"], result["joined"]) == ("AllTraffic", "shadow", 60)


def test_create_request_encrypts_the_hosts_volumes_and_captures_with_the_projects_key():
    key = "arn:aws:kms:us-east-1:123456789012:key/project"
    production = {"ModelName": "m1", "VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InstanceCount": 2}
    request = shadow_tests.create_request(shadow_request(kms_key=key), production, NOW)
    assert (request["KmsKey"], request["DataStorageConfig"]["KmsKey"]) == (key, key)
    assert "KmsKey" not in shadow_tests.create_request(shadow_request(), production, NOW)


@pytest.mark.parametrize("registered", [False, True], ids=["unregistered", "pending"])
def test_through_the_emulator_start_refuses_an_unapproved_candidate_before_any_change(emulator, monkeypatch, capsys,
                                                                                     registered):
    """moto has no inference experiments: the refusal comes before any experiment call, so none is needed."""
    sm = boto3.client("sagemaker", region_name="us-east-1")
    group, model = f"shadow-{'pending' if registered else 'raw'}-p-abc123def456", f"candidate-{registered}"
    sm.create_model_package_group(ModelPackageGroupName=group)
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    container = {"Image": image, "ModelDataUrl": "s3://bucket/model.tar.gz"}
    if registered:
        package = sm.create_model_package(
            ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={"Containers": [container], "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
        container = {"ModelPackageName": package}
    sm.create_model(ModelName=model, PrimaryContainer=container,
                    ExecutionRoleArn="arn:aws:iam::123456789012:role/model-execution")
    monkeypatch.setenv("MODEL_PACKAGE_GROUP_NAME", group)
    before = (sm.list_models()["Models"], sm.list_endpoint_configs()["EndpointConfigs"])
    assert cli.main(["shadow-test", "start", "--name", "t", "--endpoint", "e", "--candidate-model", model,
                     "--role-arn", ROLE]) == 2
    expected = (f"model package {package} is PendingManualApproval in group {group}" if registered
                else "not made from a model package")
    assert expected in capsys.readouterr().err
    assert (sm.list_models()["Models"], sm.list_endpoint_configs()["EndpointConfigs"]) == before
