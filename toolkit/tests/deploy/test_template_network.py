"""The endpoint stack in the project's network and key: isolated models (in the VPC when given), the endpoint
config's and data capture's key, the monitoring job's network and keys; the parameters build.py passes."""
import copy
from pathlib import Path

import pytest

from mlops_guardrails.deploy.build_stage import BuildEnvironment, template_configuration
from mlops_guardrails.deploy.stage_config import load_stage_config
from mlops_guardrails.deploy.template_render import ResolvedStage, cfn_volume_key, load_base, render

SEED = Path(__file__).resolve().parents[3] / "seed-deploy"  # the repository's deploy seed: the shipped configs
BASELINE = {"Statistics": "s3://b/statistics.json", "Constraints": "s3://b/constraints.json"}
PROJECT_KEY = {"Fn::If": ["HasKey", {"Ref": "KmsKeyArn"}, {"Ref": "AWS::NoValue"}]}
PROJECT_VPC = {"Fn::If": ["InVpc", {"Subnets": {"Fn::Split": [",", {"Ref": "SubnetIds"}]},
                                    "SecurityGroupIds": {"Fn::Split": [",", {"Ref": "SecurityGroupIds"}]}},
                          {"Ref": "AWS::NoValue"}]}
ROLE = "arn:aws:iam::123456789012:role/model"


def resolved(stage: str, config: dict) -> ResolvedStage:
    variants = config["ProductionVariants"] + config.get("ShadowProductionVariants", [])
    packages = {v["VariantName"]: f"arn:aws:sagemaker:us-east-1:123456789012:model-package/g/{n}"
                for n, v in enumerate(variants, start=1)}
    return ResolvedStage(stage, config, packages, BASELINE)


def rendered(staging: dict, prod: dict) -> dict:
    return render({"staging": resolved("staging", staging), "prod": resolved("prod", prod)})


def shipped(name: str) -> dict:
    return load_stage_config(SEED / name)


def of_type(template: dict, kind: str) -> dict:
    return {lid: r["Properties"] for lid, r in template["Resources"].items() if r["Type"] == kind}


@pytest.mark.parametrize("staging", ["staging-config.json", "examples/ab-test.json", "examples/shadow.json"])
def test_every_model_is_network_isolated_and_in_the_vpc_when_given(staging):
    models = of_type(rendered(shipped(staging), shipped("prod-config.json")), "AWS::SageMaker::Model")
    assert len(models) >= 2
    assert {lid: (m["EnableNetworkIsolation"], m["VpcConfig"]) for lid, m in models.items()} == dict.fromkeys(
        models, (True, PROJECT_VPC))


def test_endpoint_config_volume_and_data_capture_use_the_projects_key():
    prod = shipped("prod-config.json")
    assert "KmsKeyId" not in prod["DataCapture"]
    (config,) = of_type(rendered(prod, prod), "AWS::SageMaker::EndpointConfig").values()
    assert config["KmsKeyId"] == PROJECT_KEY
    assert config["DataCaptureConfig"]["KmsKeyId"] == PROJECT_KEY


def test_a_data_capture_key_the_config_names_wins():
    config = shipped("prod-config.json")
    config["DataCapture"] = {**config.get("DataCapture", {"InitialSamplingPercentage": 10}),
                             "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/capture"}
    (endpoint_config,) = of_type(rendered(config, config), "AWS::SageMaker::EndpointConfig").values()
    assert endpoint_config["DataCaptureConfig"]["KmsKeyId"] == "arn:aws:kms:us-east-1:123456789012:key/capture"


@pytest.mark.parametrize("variant, keyed", [
    ({"InstanceType": "ml.m5.large", "InitialInstanceCount": 1}, True),
    ({"InstanceType": "ml.c7i.xlarge", "InitialInstanceCount": 1}, True),
    ({"InstanceType": "ml.m5d.large", "InitialInstanceCount": 1}, False),
    ({"InstanceType": "ml.g4dn.xlarge", "InitialInstanceCount": 1}, False),
    ({"InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1}, False),
    ({"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}, False),
])
def test_endpoint_config_key_is_left_out_where_sagemaker_refuses_one(variant, keyed):
    config = {"ProductionVariants": [{"VariantName": "AllTraffic", "ModelVersion": "latest", **variant}]}
    assert cfn_volume_key(config) == (PROJECT_KEY if keyed else None)


def test_monitoring_job_is_isolated_encrypted_and_keyed():
    prod = shipped("prod-config.json")
    jobs = of_type(rendered(prod, copy.deepcopy(prod)), "AWS::SageMaker::DataQualityJobDefinition")
    assert len(jobs) == 2  # one per stage
    for job in jobs.values():
        assert job["NetworkConfig"] == {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True,
                                        "VpcConfig": PROJECT_VPC}
        assert job["DataQualityJobOutputConfig"]["KmsKeyId"] == PROJECT_KEY
        assert job["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == PROJECT_KEY


def test_build_passes_the_projects_network_and_key_as_stack_parameters():
    environ = {"SAGEMAKER_PROJECT_NAME": "p", "SAGEMAKER_PROJECT_ID": "i", "MODEL_PACKAGE_GROUP_NAME": "p-i",
               "ARTIFACT_BUCKET": "artifacts-b", "MODEL_EXECUTION_ROLE_ARN": ROLE,
               "SUBNET_IDS": "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2", "SECURITY_GROUP_IDS": "sg-0ccccccccccccccc3",
               "KMS_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/k"}
    parameters = template_configuration(BuildEnvironment.from_environ(environ), "staging")["Parameters"]
    assert {k: parameters[k] for k in ("SubnetIds", "SecurityGroupIds", "KmsKeyArn")} == {
        "SubnetIds": "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2", "SecurityGroupIds": "sg-0ccccccccccccccc3",
        "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"}


def test_build_without_the_variables_leaves_the_parameters_to_their_defaults():
    environ = {"SAGEMAKER_PROJECT_NAME": "p", "SAGEMAKER_PROJECT_ID": "i", "MODEL_PACKAGE_GROUP_NAME": "p-i",
               "ARTIFACT_BUCKET": "artifacts-b", "MODEL_EXECUTION_ROLE_ARN": ROLE}
    parameters = template_configuration(BuildEnvironment.from_environ(environ), "prod")["Parameters"]
    assert set(parameters) == {"StageName", "EndpointName", "ModelExecutionRoleArn", "ArtifactBucket"}
    base = load_base()["Parameters"]
    assert [base[name]["Default"] for name in ("SubnetIds", "SecurityGroupIds", "KmsKeyArn")] == ["", "", ""]
