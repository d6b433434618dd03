"""The project's network and key: VPC parameters, the key every job and model uses, and the policies that hold
every project role to them (nothing leaves the project's VPC or writes unencrypted, DESIGN: Trust boundaries)."""
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.conditional import conditional_policy
from template.components.nag import acknowledge_wildcards

# EC2's id formats (8 hex digits for old resources, 17 for new ones); a comma-separated list, or empty.
SUBNET_IDS_PATTERN = r"^(subnet-[0-9a-f]{8,17}(,subnet-[0-9a-f]{8,17})*)?$"
SECURITY_GROUP_IDS_PATTERN = r"^(sg-[0-9a-f]{8,17}(,sg-[0-9a-f]{8,17})*)?$"
VPC_ID_PATTERN = r"^(vpc-[0-9a-f]{8,17})?$"
# A key ARN, not an alias: the sagemaker:VolumeKmsKey / OutputKmsKey condition keys compare what the request names.
KMS_KEY_ARN_PATTERN = r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[a-zA-Z0-9-]+)?$"
NETWORK_TOGETHER = ("VpcId/SubnetIds/SecurityGroupIds: some set, some empty: give all three (a project in a VPC) "
                    "or none (no VPC)")
# Environment variables every CodeBuild project receives (docs/contracts.md).
SUBNET_IDS, SECURITY_GROUP_IDS, KMS_KEY_ARN = "SUBNET_IDS", "SECURITY_GROUP_IDS", "KMS_KEY_ARN"

# What creates compute, and which of SageMaker's condition keys each request carries (Service Authorization
# Reference, Amazon SageMaker: condition keys per action; shared/reference/sagemaker-facts.md "Network and keys").
JOB_ACTIONS = ["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob",
               "sagemaker:CreateHyperParameterTuningJob", "sagemaker:CreateDataQualityJobDefinition"]
KEYED_ACTIONS = [*JOB_ACTIONS, "sagemaker:CreateTransformJob"]  # VolumeKmsKey and OutputKmsKey
ISOLATED_ACTIONS = [*JOB_ACTIONS, "sagemaker:CreateModel"]  # NetworkIsolation
VPC_ACTIONS = [*JOB_ACTIONS, "sagemaker:CreateModel"]  # VpcSubnets, VpcSecurityGroupIds
ENI_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
               "ec2:DeleteNetworkInterfacePermission"]
ENI_RESOURCES = ["network-interface", "subnet", "security-group"]
ENI_READ_ACTIONS = ["ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
                    "ec2:DescribeNetworkInterfaces", "ec2:DescribeDhcpOptions"]
KEY_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]


@dataclass(frozen=True)
class NetworkParameters:
    """The VPC and key parameters (tokens) and the conditions derived from them."""

    vpc_id: str
    subnet_ids: str
    security_group_ids: str
    kms_key_arn: str
    in_vpc: cdk.CfnCondition
    names_key: cdk.CfnCondition

    def key_arn(self, project_key_arn: str) -> str:
        """The key everything is encrypted with: the admin's when KmsKeyArn is given, else the project's own."""
        return cdk.Token.as_string(cdk.Fn.condition_if(self.names_key.logical_id, self.kms_key_arn, project_key_arn))

    def environment(self, project_key_arn: str) -> dict[str, str]:
        """SUBNET_IDS, SECURITY_GROUP_IDS (comma-separated, empty without a VPC) and KMS_KEY_ARN for the builds."""
        return {SUBNET_IDS: self.subnet_ids, SECURITY_GROUP_IDS: self.security_group_ids,
                KMS_KEY_ARN: self.key_arn(project_key_arn)}

    def codebuild_vpc_config(self):
        """AWS::CodeBuild::Project VpcConfig in the project's VPC, absent without one."""
        return cdk.Fn.condition_if(self.in_vpc.logical_id, {
            "VpcId": self.vpc_id, "Subnets": cdk.Fn.split(",", self.subnet_ids),
            "SecurityGroupIds": cdk.Fn.split(",", self.security_group_ids)}, cdk.Aws.NO_VALUE)

    def vpc_arn(self) -> str:
        return f"arn:{cdk.Aws.PARTITION}:ec2:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:vpc/{self.vpc_id}"


def declare_network(scope: Construct) -> NetworkParameters:
    """The VpcId, SubnetIds, SecurityGroupIds and KmsKeyArn parameters, their conditions and their rule."""
    def string(name: str, description: str, pattern: str) -> str:
        return cdk.CfnParameter(scope, name, type="String", default="", allowed_pattern=pattern,
                                description=description).value_as_string

    vpc = string("VpcId", "VPC of SubnetIds (CodeBuild needs it); empty: no VPC.", VPC_ID_PATTERN)
    subnets = string("SubnetIds", "Comma-separated private subnets every build, job and model runs in; empty: no "
                     "VPC (then models are still network-isolated and everything still encrypted with the key).",
                     SUBNET_IDS_PATTERN)
    groups = string("SecurityGroupIds", "Comma-separated security groups of those builds, jobs and models.",
                    SECURITY_GROUP_IDS_PATTERN)
    key = string("KmsKeyArn", "KMS key ARN encrypting every volume and output; empty: the project's own key. A "
                 "named key's policy must let this account's IAM policies use it.", KMS_KEY_ARN_PATTERN)
    empties = [cdk.Fn.condition_equals(value, "") for value in (vpc, subnets, groups)]
    # All three, though the rule below keeps them together: cfn-lint then knows none is empty inside Fn::If.
    in_vpc = cdk.CfnCondition(scope, "ProjectInVpc", expression=cdk.Fn.condition_and(
        *(cdk.Fn.condition_not(e) for e in empties)))
    names_key = cdk.CfnCondition(scope, "AdminNamesKey", expression=cdk.Fn.condition_not(
        cdk.Fn.condition_equals(key, "")))
    cdk.CfnRule(scope, "NetworkTogether", assertions=[cdk.CfnRuleAssertion(
        assert_=cdk.Fn.condition_or(cdk.Fn.condition_and(*empties),
                                    cdk.Fn.condition_and(*(cdk.Fn.condition_not(e) for e in empties))),
        assert_description=NETWORK_TOGETHER)])
    return NetworkParameters(vpc_id=vpc, subnet_ids=subnets, security_group_ids=groups, kms_key_arn=key,
                             in_vpc=in_vpc, names_key=names_key)


def _deny(sid: str, actions: list[str], conditions: dict) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, effect=iam.Effect.DENY, actions=actions, resources=["*"],
                               conditions=conditions)


def key_and_isolation_guard() -> list[iam.PolicyStatement]:
    """Always: no job without both keys and inter-container encryption, no job or model without isolation."""
    return [
        _deny("NoJobWithoutVolumeKey", KEYED_ACTIONS, {"Null": {"sagemaker:VolumeKmsKey": "true"}}),
        _deny("NoJobWithoutOutputKey", KEYED_ACTIONS, {"Null": {"sagemaker:OutputKmsKey": "true"}}),
        _deny("NoJobWithoutTrafficEncryption", JOB_ACTIONS,
              {"BoolIfExists": {"sagemaker:InterContainerTrafficEncryption": "false"}}),
        _deny("NoUnisolatedJobOrModel", ISOLATED_ACTIONS, {"BoolIfExists": {"sagemaker:NetworkIsolation": "false"}}),
    ]


def vpc_guard(network: NetworkParameters) -> list[iam.PolicyStatement]:
    """With a VPC: no job or model outside the project's subnets and security groups."""
    return [
        _deny("NoJobOrModelOutsideVpc", VPC_ACTIONS, {"Null": {"sagemaker:VpcSubnets": "true"}}),
        _deny("NoJobOrModelWithoutSecurityGroups", VPC_ACTIONS, {"Null": {"sagemaker:VpcSecurityGroupIds": "true"}}),
        _deny("NoOtherSubnets", VPC_ACTIONS, {"ForAnyValue:StringNotEquals": {
            "sagemaker:VpcSubnets": cdk.Fn.split(",", network.subnet_ids)}}),
        _deny("NoOtherSecurityGroups", VPC_ACTIONS, {"ForAnyValue:StringNotEquals": {
            "sagemaker:VpcSecurityGroupIds": cdk.Fn.split(",", network.security_group_ids)}}),
    ]


def network_interface_statements(network: NetworkParameters) -> list[iam.PolicyStatement]:
    """What SageMaker and CodeBuild do as a role to put a job, model or build in the VPC (train-vpc, process-vpc;
    CodeBuild User Guide, vpc-support): network interfaces in the project's VPC only (ec2:Vpc; CloudFormation
    cannot turn the subnet list into ARNs, and the VPC condition holds the interfaces to the same network)."""
    ec2 = f"arn:{cdk.Aws.PARTITION}:ec2:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
    return [
        iam.PolicyStatement(actions=ENI_ACTIONS, resources=[f"{ec2}:{kind}/*" for kind in ENI_RESOURCES],
                            conditions={"ArnEquals": {"ec2:Vpc": network.vpc_arn()}}),
        # EC2's Describe actions have no resource-level permissions.
        iam.PolicyStatement(actions=ENI_READ_ACTIONS, resources=["*"]),
    ]


def key_use_statements(key_arn: str) -> list[iam.PolicyStatement]:
    """Use the project's key; grants only for AWS resources (SageMaker's volumes, CreateEndpoint with KmsKeyId)."""
    return [
        iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[key_arn]),
        iam.PolicyStatement(actions=["kms:CreateGrant"], resources=[key_arn],
                            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}}),
    ]


class NetworkGuard(Construct):
    """The guard policies on every project role, and what SageMaker and CodeBuild need from EC2 and the key."""

    def __init__(self, scope: Construct, construct_id: str, *, network: NetworkParameters, key_arn: str,
                 roles: list[iam.IRole], key_users: list[iam.IRole]) -> None:
        super().__init__(scope, construct_id)
        iam.Policy(self, "KeyAndIsolation", statements=key_and_isolation_guard(), roles=roles)
        iam.Policy(self, "KeyUse", statements=key_use_statements(key_arn), roles=key_users)
        vpc = conditional_policy(self, "Vpc", role=roles[0], condition=network.in_vpc,
                                 statements=[*vpc_guard(network), *network_interface_statements(network)])
        for role in roles[1:]:
            vpc.attach_to_role(role)
        acknowledge_wildcards(vpc, {
            f"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:{kind}/*":
                "Held to the project's VPC by the ec2:Vpc condition; SageMaker and CodeBuild create the interfaces "
                "at run time, and CloudFormation cannot map the subnet list to ARNs." for kind in ENI_RESOURCES})
