"""The rehearsal deploys the endpoint stack's VPC variant against the emulator: subnets and a security group made
in moto's EC2, the stage stack created by the demo's CloudFormation action with the project's network and key."""
import json

import boto3
import pytest

import lint
from demo_story.cloudformation import deploy_stack

KEY = "arn:aws:kms:us-east-1:123456789012:key/rehearsal-project-key"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-project/model"


@pytest.fixture
def network(emulator):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.24.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.24.{n}.0/24", AvailabilityZone=f"us-east-1{zone}")
               ["Subnet"]["SubnetId"] for n, zone in ((1, "a"), (2, "b"))]
    group = ec2.create_security_group(GroupName="rehearsal-endpoints", Description="endpoints", VpcId=vpc)["GroupId"]
    return {"SubnetIds": ",".join(subnets), "SecurityGroupIds": group, "KmsKeyArn": KEY}


def test_vpc_variant_deploys_isolated_models_in_the_subnets_with_the_key(network):
    text, _ = lint.rendered_endpoint_template()
    configuration = {"Parameters": {"StageName": "staging", "EndpointName": "rehearsal-vpc-staging",
                                    "ModelExecutionRoleArn": ROLE, "ArtifactBucket": "rehearsal-vpc-bucket",
                                    **network}}
    deploy = deploy_stack(boto3.Session(region_name="us-east-1"), stack="sagemaker-rehearsal-vpc-deploy-staging",
                          template_text=text, configuration=configuration)
    assert deploy.status == "CREATE_COMPLETE"
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    endpoint = sagemaker.describe_endpoint(EndpointName=deploy.outputs["EndpointName"])  # moto names it itself
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert config["KmsKeyId"] == KEY
    for variant in config["ProductionVariants"]:
        model = sagemaker.describe_model(ModelName=variant["ModelName"])
        assert model["VpcConfig"] == {"Subnets": network["SubnetIds"].split(","),
                                      "SecurityGroupIds": [network["SecurityGroupIds"]]}
    # moto's CloudFormation drops a Model's EnableNetworkIsolation (moto 5.2.5 sets it False): read what the stack
    # gave it instead.
    body = boto3.client("cloudformation", region_name="us-east-1").get_template(
        StackName="sagemaker-rehearsal-vpc-deploy-staging")["TemplateBody"]
    body = json.loads(body) if isinstance(body, str) else body
    models = [r["Properties"] for r in body["Resources"].values() if r["Type"] == "AWS::SageMaker::Model"]
    assert len(models) == len(config["ProductionVariants"])
    assert all(m["EnableNetworkIsolation"] is True for m in models)
