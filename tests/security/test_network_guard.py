"""Nothing leaves the project's network or key: the requests the project roles' policies must refuse, each beside
the control that must be allowed (the SageMaker Pipeline, model and CloudFormation roles, with their boundary)."""
import pytest

from iam_policy import ALLOW, DENY, Principal, Request, role_principals
from resolved_project import ACCOUNT, BOUNDARY_ARN, PROJECT
from resolve import resolve_template

VPC = {"VpcId": "vpc-0123456789abcdef0", "SubnetIds": "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2",
       "SecurityGroupIds": "sg-0ccccccccccccccc3"}
TRAINING_JOB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/pipelines-abc-train"
ROLES = ("SageMakerPipeline", "ModelExecution", "CloudFormation", "CodeBuild")
MODEL = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/abalone-staging-model"


@pytest.fixture(scope="module")
def templates(synthesis):
    template = synthesis.template("sagemaker-project")
    return {"no-vpc": resolve_template(template, PROJECT), "vpc": resolve_template(template, {**PROJECT, **VPC})}


@pytest.fixture(scope="module")
def roles(templates, boundary_statements):
    """Per parameter set, the roles by their construct path's tail (SageMakerPipeline, ModelExecution, ...)."""
    found = {}
    for name, resolved in templates.items():
        principals = role_principals(resolved, {BOUNDARY_ARN: boundary_statements})
        found[name] = {tail: principal for lid, principal in principals.items() for tail in ROLES
                       if lid.startswith(f"Roles{tail}")}
    return found


@pytest.fixture(scope="module")
def key_arn(templates):
    (key_id,) = [lid for lid, r in templates["no-vpc"]["Resources"].items() if r["Type"] == "AWS::KMS::Key"]
    return f"<{key_id}.Arn>"


def training_context(key_arn: str, *, vpc: bool, **changes) -> dict:
    """CreateTrainingJob's condition keys as the pipeline's TrainAbaloneModel request sets them."""
    context = {"sagemaker:VolumeKmsKey": key_arn, "sagemaker:OutputKmsKey": key_arn,
               "sagemaker:NetworkIsolation": "true", "sagemaker:InterContainerTrafficEncryption": "true"}
    if vpc:
        context |= {"sagemaker:VpcSubnets": VPC["SubnetIds"].split(","),
                    "sagemaker:VpcSecurityGroupIds": [VPC["SecurityGroupIds"]]}
    context |= changes
    return {k: v for k, v in context.items() if v is not None}


@pytest.mark.parametrize("variant", ["no-vpc", "vpc"])
def test_training_job_with_everything_is_allowed(roles, key_arn, variant):
    pipeline = roles[variant]["SageMakerPipeline"]
    request = Request("sagemaker:CreateTrainingJob", TRAINING_JOB, training_context(key_arn, vpc=variant == "vpc"))
    assert pipeline.decide(request) == ALLOW


@pytest.mark.parametrize("variant", ["no-vpc", "vpc"])
@pytest.mark.parametrize("missing", ["sagemaker:VolumeKmsKey", "sagemaker:OutputKmsKey"])
def test_training_job_without_a_key_is_denied(roles, key_arn, variant, missing):
    pipeline = roles[variant]["SageMakerPipeline"]
    context = training_context(key_arn, vpc=variant == "vpc", **{missing: None})
    assert pipeline.decide(Request("sagemaker:CreateTrainingJob", TRAINING_JOB, context)) == DENY


@pytest.mark.parametrize("variant", ["no-vpc", "vpc"])
@pytest.mark.parametrize("key", ["sagemaker:NetworkIsolation", "sagemaker:InterContainerTrafficEncryption"])
def test_training_job_without_isolation_or_traffic_encryption_is_denied(roles, key_arn, variant, key):
    pipeline = roles[variant]["SageMakerPipeline"]
    context = training_context(key_arn, vpc=variant == "vpc", **{key: "false"})
    assert pipeline.decide(Request("sagemaker:CreateTrainingJob", TRAINING_JOB, context)) == DENY


@pytest.mark.parametrize("changes", [{"sagemaker:VpcSubnets": None}, {"sagemaker:VpcSecurityGroupIds": None},
                                     {"sagemaker:VpcSubnets": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0ddddddddddddddd9"]},
                                     {"sagemaker:VpcSecurityGroupIds": ["sg-0eeeeeeeeeeeeeee9"]}],
                         ids=["no-subnets", "no-security-groups", "another-subnet", "another-security-group"])
def test_with_a_vpc_a_job_outside_the_projects_network_is_denied(roles, key_arn, changes):
    pipeline = roles["vpc"]["SageMakerPipeline"]
    context = training_context(key_arn, vpc=True, **changes)
    assert pipeline.decide(Request("sagemaker:CreateTrainingJob", TRAINING_JOB, context)) == DENY


def test_without_a_vpc_a_job_without_one_is_allowed(roles, key_arn):
    pipeline = roles["no-vpc"]["SageMakerPipeline"]
    assert "sagemaker:VpcSubnets" not in training_context(key_arn, vpc=False)
    assert pipeline.decide(Request("sagemaker:CreateTrainingJob", TRAINING_JOB,
                                   training_context(key_arn, vpc=False))) == ALLOW


@pytest.mark.parametrize("variant", ["no-vpc", "vpc"])
def test_cloudformation_role_creates_isolated_models_only(roles, variant):
    deploy = roles[variant]["CloudFormation"]
    network = {"sagemaker:VpcSubnets": VPC["SubnetIds"].split(","),
               "sagemaker:VpcSecurityGroupIds": [VPC["SecurityGroupIds"]]} if variant == "vpc" else {}
    isolated = {"sagemaker:NetworkIsolation": "true", **network}
    assert deploy.decide(Request("sagemaker:CreateModel", MODEL, isolated)) == ALLOW
    assert deploy.decide(Request("sagemaker:CreateModel", MODEL, network)) == DENY
    assert deploy.decide(Request("sagemaker:CreateModel", MODEL, {**isolated,
                                                                  "sagemaker:NetworkIsolation": "false"})) == DENY


def test_with_a_vpc_a_model_outside_it_is_denied(roles):
    deploy = roles["vpc"]["CloudFormation"]
    assert deploy.decide(Request("sagemaker:CreateModel", MODEL, {"sagemaker:NetworkIsolation": "true"})) == DENY


@pytest.mark.parametrize("for_aws_resource, decision", [("true", ALLOW), ("false", DENY), (None, DENY)])
def test_key_grants_only_for_aws_resources(roles, key_arn, for_aws_resource, decision):
    deploy = roles["no-vpc"]["CloudFormation"]
    context = {} if for_aws_resource is None else {"kms:GrantIsForAWSResource": for_aws_resource}
    assert deploy.decide(Request("kms:CreateGrant", key_arn, context)) == decision


def test_key_grants_on_another_key_are_refused(roles):
    deploy = roles["no-vpc"]["CloudFormation"]
    other = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/other"
    assert deploy.decide(Request("kms:CreateGrant", other, {"kms:GrantIsForAWSResource": "true"})) != ALLOW


@pytest.mark.parametrize("tail", ["SageMakerPipeline", "ModelExecution", "CodeBuild"])
def test_network_interfaces_only_in_the_projects_vpc_and_only_with_one(roles, tail):
    interface = f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-interface/*"
    own = {"ec2:Vpc": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/{VPC['VpcId']}"}
    other = {"ec2:Vpc": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/vpc-0ffffffffffffffff"}
    assert roles["vpc"][tail].decide(Request("ec2:CreateNetworkInterface", interface, own)) == ALLOW
    assert roles["vpc"][tail].decide(Request("ec2:CreateNetworkInterface", interface, other)) != ALLOW
    assert roles["no-vpc"][tail].decide(Request("ec2:CreateNetworkInterface", interface, own)) != ALLOW


def test_boundary_lets_builds_log_in_to_codeartifact_only(boundary_statements):
    admin = Principal("escalated", [{"Effect": "Allow", "Action": "*", "Resource": "*"}], boundary_statements)
    token = "sts:GetServiceBearerToken"
    assert admin.decide(Request(token, "*", {"sts:AWSServiceName": "codeartifact.amazonaws.com"})) == ALLOW
    assert admin.decide(Request(token, "*", {"sts:AWSServiceName": "other.amazonaws.com"})) != ALLOW
    assert admin.decide(Request("codeartifact:PublishPackageVersion", "*")) != ALLOW


DOMAIN = "arn:aws:codeartifact:us-east-1:123456789012:domain/sagemaker-p-abc123def456"


def test_codebuild_role_reads_this_projects_package_repository_only(roles):
    codebuild = roles["no-vpc"]["CodeBuild"]
    assert codebuild.decide(Request("codeartifact:GetAuthorizationToken", DOMAIN)) == ALLOW
    assert codebuild.decide(Request("codeartifact:ReadFromRepository", f"{DOMAIN.replace(':domain/', ':repository/')}"
                                                                     "/packages")) == ALLOW
    other = "arn:aws:codeartifact:us-east-1:123456789012:domain/sagemaker-p-other"
    assert codebuild.decide(Request("codeartifact:GetAuthorizationToken", other)) != ALLOW
    assert codebuild.decide(Request("codeartifact:PublishPackageVersion",
                                    f"{DOMAIN.replace(':domain/', ':package/')}/packages/pypi//x")) != ALLOW
    token = Request("sts:GetServiceBearerToken", "*", {"sts:AWSServiceName": "codeartifact.amazonaws.com"})
    assert codebuild.decide(token) == ALLOW
