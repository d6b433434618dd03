"""Every job of the pipeline in the project's VPC (when given), isolated, encrypted with the project's key."""
import json
import socket

import botocore.client
import pytest

from mlops_guardrails.build import network, run_pipeline
from mlops_guardrails.build.project import LOCAL_DEFAULTS, from_environment
from mlops_guardrails.build.run_local import build_definition
from mlops_guardrails.errors import InputError
from pipelines.run_local import REPO

PROJECT = from_environment(LOCAL_DEFAULTS)
SUBNETS = "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2"
GROUPS = "sg-0ccccccccccccccc3"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
JOB_STEPS = {"PreprocessAbaloneData", "DataQualityBaseline", "EvaluateAbaloneModel", "TrainAbaloneModel"}


def job_settings(step: dict) -> dict:
    """A processing or training step's network and key fields, in one shape."""
    args = step["Arguments"]
    if step["Type"] == "Processing":
        config = args["NetworkConfig"]
        return {"vpc": config.get("VpcConfig"), "isolated": config["EnableNetworkIsolation"],
                "encrypted_traffic": config["EnableInterContainerTrafficEncryption"],
                "volume_key": args["ProcessingResources"]["ClusterConfig"].get("VolumeKmsKeyId"),
                "output_key": args["ProcessingOutputConfig"].get("KmsKeyId")}
    return {"vpc": args.get("VpcConfig"), "isolated": args["EnableNetworkIsolation"],
            "encrypted_traffic": args["EnableInterContainerTrafficEncryption"],
            "volume_key": args["ResourceConfig"].get("VolumeKmsKeyId"),
            "output_key": args["OutputDataConfig"].get("KmsKeyId")}


def jobs(definition: dict) -> dict:
    return {s["Name"]: job_settings(s) for s in definition["Steps"] if s["Type"] in ("Processing", "Training")}


def test_with_the_three_variables_every_job_is_in_the_vpc_isolated_and_keyed(monkeypatch):
    for name, value in {"SUBNET_IDS": SUBNETS, "SECURITY_GROUP_IDS": GROUPS, "KMS_KEY_ARN": KEY}.items():
        monkeypatch.setenv(name, value)
    found = jobs(build_definition(REPO, PROJECT, {})[0])
    assert set(found) == JOB_STEPS
    expected = {"vpc": {"Subnets": SUBNETS.split(","), "SecurityGroupIds": [GROUPS]}, "isolated": True,
                "encrypted_traffic": True, "volume_key": KEY, "output_key": KEY}
    assert found == dict.fromkeys(JOB_STEPS, expected)


def test_without_a_vpc_jobs_are_still_isolated_and_keyed(monkeypatch):
    for name in ("SUBNET_IDS", "SECURITY_GROUP_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KMS_KEY_ARN", KEY)
    found = jobs(build_definition(REPO, PROJECT, {})[0])
    expected = {"vpc": None, "isolated": True, "encrypted_traffic": True, "volume_key": KEY, "output_key": KEY}
    assert found == dict.fromkeys(JOB_STEPS, expected)


def test_a_local_run_without_a_key_names_the_local_stand_in(monkeypatch):
    for name in network.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    found = jobs(build_definition(REPO, PROJECT, {})[0])
    assert {(j["volume_key"], j["output_key"]) for j in found.values()} == {(network.LOCAL_KEY_ARN,) * 2}


@pytest.mark.parametrize("environ, message", [
    ({"SUBNET_IDS": "subnet-0aaaaaaaaaaaaaaa1, subnet-0bbbbbbbbbbbbbbb2", "SECURITY_GROUP_IDS": GROUPS},
     "SUBNET_IDS: 'subnet-0aaaaaaaaaaaaaaa1, subnet-0bbbbbbbbbbbbbbb2': must be a comma-separated list of subnet ids"),
    ({"SUBNET_IDS": SUBNETS, "SECURITY_GROUP_IDS": "sg-1"},
     "SECURITY_GROUP_IDS: 'sg-1': must be a comma-separated list of security group ids"),
    ({"SUBNET_IDS": SUBNETS}, network.TOGETHER),
    ({"KMS_KEY_ARN": "alias/project"}, "KMS_KEY_ARN: 'alias/project': must be a KMS key ARN"),
])
def test_malformed_network_variables_are_refused_by_name(environ, message):
    with pytest.raises(InputError) as error:
        network.from_environment(environ)
    assert str(error.value).startswith(message)
    assert error.value.exit_code == 2


def test_print_definition_prints_what_upsert_would_send_without_any_aws_call(monkeypatch, capsys):
    for name, value in {"SUBNET_IDS": SUBNETS, "SECURITY_GROUP_IDS": GROUPS, "KMS_KEY_ARN": KEY}.items():
        monkeypatch.setenv(name, value)
    calls = []
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call",
                        lambda self, operation, params: calls.append(operation))
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: calls.append(address))
    code = run_pipeline.main([
        "--module-name", "pipelines.abalone.pipeline", "--role-arn", PROJECT.pipeline_role_arn, "--print-definition",
        "--kwargs", json.dumps({"default_bucket": PROJECT.artifact_bucket, "pipeline_name": "demo-build",
                                "model_package_group_name": "demo-group"})])
    assert (code, calls) == (0, [])
    printed = json.loads(capsys.readouterr().out)
    assert jobs(printed)["TrainAbaloneModel"] == {
        "vpc": {"Subnets": SUBNETS.split(","), "SecurityGroupIds": [GROUPS]}, "isolated": True,
        "encrypted_traffic": True, "volume_key": KEY, "output_key": KEY}


def test_bad_network_variable_stops_print_definition_with_exit_2(monkeypatch, capsys):
    monkeypatch.setenv("SUBNET_IDS", "subnet-zz")
    monkeypatch.setenv("SECURITY_GROUP_IDS", GROUPS)
    code = run_pipeline.main(["--module-name", "pipelines.abalone.pipeline", "--role-arn",
                              PROJECT.pipeline_role_arn, "--print-definition",
                              "--kwargs", json.dumps({"default_bucket": "b-bucket", "pipeline_name": "demo-build"})])
    assert code == 2
    assert capsys.readouterr().err.startswith("error: SUBNET_IDS: 'subnet-zz': must be")
