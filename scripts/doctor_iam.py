"""The IAM requests the doctor evaluates offline (iam_policy) against policies read from the account
(account_policies): what `make publish` calls, what a Studio role needs to create a project, and what the launch role
needs to create the project stack. Pure functions: requests in, missing requests and their fix out."""
import json
from dataclasses import dataclass

import s3_template
from iam_policy import ALLOW, PolicyError, Principal, Request
from mlops_guardrails import WHEEL_NAME  # publish uploads the toolkit's wheel beside the seeds

# The project tags a creation request carries (SageMaker passes both); the launch role names resources after them.
PROJECT_TAG = {"aws:RequestTag/sagemaker:project-id": "p-doctor000000",
               "aws:RequestTag/sagemaker:project-name": "doctor"}
GUARDRAILS_POLICY = "sagemaker-project-user-guardrails"  # issue 20: the customer managed policy for Studio users
# AWS managed policies that let a Studio user reach far beyond one project: the guardrails policy must sit beside them.
BROAD_POLICIES = ("AmazonSageMakerFullAccess", "AdministratorAccess", "PowerUserAccess")
TRUSTED_SERVICE = {False: "servicecatalog.amazonaws.com", True: "cloudformation.amazonaws.com"}


@dataclass(frozen=True)
class Place:
    """Where publish puts things and where the project lives: the ARNs the requests name."""

    account: str
    partition: str
    region: str
    bucket: str
    prefix: str
    s3_path: bool
    domain_id: str | None = None

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account if account else ''}:{resource}")

    def object(self, name: str) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}/{self.prefix}{name}"

    @property
    def template_key(self) -> str:
        return self.prefix + (s3_template.YAML_KEY if self.s3_path else "sagemaker-project.json")

    @property
    def boundary_arn(self) -> str:
        return self.arn("iam", "policy/sagemaker-project/sagemaker-project-role-boundary", region=False)


def publish_requests(place: Place, stack: str, created_types: list[str]) -> list[Request]:
    """What `make publish` asks of its caller: its own calls (tests/scripts/test_doctor.py records publish against
    the emulator and checks they are all here) and, since publish gives CloudFormation no role, the create
    handlers of the stack's resources (AWS's resource schemas; their resources are named by CloudFormation,
    so they are evaluated on "*")."""
    from permissions import handler_permissions

    bucket = f"arn:{place.partition}:s3:::{place.bucket}"
    stack_arn = place.arn("cloudformation", f"stack/{stack}/*")
    requests = [Request("sts:GetCallerIdentity", "*"), Request("s3:ListBucket", bucket)]
    requests += [Request("s3:PutObject", place.object(name)) for name in (
        "seed-build.zip", "seed-deploy.zip", WHEEL_NAME, "sagemaker-project.json", "sagemaker-project-target-account.json")]
    requests += [Request(f"cloudformation:{a}", stack_arn) for a in ("DescribeStacks", "CreateStack", "UpdateStack",
                                                                    "ListStackResources")]
    requests.append(Request("iam:GetPolicy", place.boundary_arn))
    if place.s3_path:
        # PutObject with a Tagging header also needs s3:PutObjectTagging (S3 API reference, PutObject: Permissions).
        requests += [Request("s3:PutObject", place.object(s3_template.YAML_KEY)),
                     Request("s3:PutObjectTagging", place.object(s3_template.YAML_KEY)),
                     Request("s3:GetBucketCORS", bucket), Request("s3:PutBucketCORS", bucket)]
        if place.domain_id:
            requests.append(Request("sagemaker:AddTags", place.arn("sagemaker", f"domain/{place.domain_id}")))
    actions = sorted({a for kind in created_types for a in handler_permissions(kind, ("create",))})
    return requests + [Request(action, "*") for action in actions]


def project_creation_requests(place: Place, project_name: str, launch_role_arn: str | None,
                              product_id: str | None) -> list[Request]:
    """What a Studio execution role needs to create a project on this path (CreateProject and its tags; the S3
    path reads the template object and its tags and passes the launch role; Service Catalog provisions the
    product). The S3 path's reads are those AWS's threads name as "commonly missing"."""
    project = place.arn("sagemaker", f"project/{project_name}")
    requests = [Request("sagemaker:CreateProject", project), Request("sagemaker:AddTags", project)]
    if place.s3_path:
        requests += [Request("s3:GetObject", place.object(s3_template.YAML_KEY)),
                     Request("s3:GetObjectTagging", place.object(s3_template.YAML_KEY))]
        if launch_role_arn:
            requests += [Request("iam:GetRole", launch_role_arn),
                         Request("iam:PassRole", launch_role_arn,
                                 {"iam:PassedToService": TRUSTED_SERVICE[True]})]
    else:
        requests.append(Request("servicecatalog:ProvisionProduct",
                                place.arn("catalog", f"product/{product_id or '*'}")))
    return requests


def launch_requests(place: Place) -> dict[str, list[Request]]:
    """Per resource type of the project stack, the creation requests its launch role must be allowed (names as
    CloudFormation gives them under the path's stack prefix, the project tag the template puts on each)."""
    stack = "SP" if place.s3_path else "SC"
    name = "sagemaker-doctor-p-doctor000000"
    role = place.arn("iam", f"role/sagemaker-project/{stack}-doctor-Role-1", region=False)
    boundary = {"iam:PermissionsBoundary": place.boundary_arn}
    bucket = f"arn:{place.partition}:s3:::{stack.lower()}-doctor-artifactbucket-1"
    return {
        "stack": [Request("cloudformation:CreateStack", place.arn("cloudformation", f"stack/{stack}-doctor/1"))],
        "AWS::IAM::Role": [Request("iam:CreateRole", role, boundary), Request("iam:TagRole", role, PROJECT_TAG),
                           Request("iam:PassRole", role, {"iam:PassedToService": "codebuild.amazonaws.com"})],
        "AWS::IAM::Policy": [Request("iam:PutRolePolicy", role, boundary)],
        "AWS::IAM::ManagedPolicy": [Request("iam:CreatePolicy", place.arn(
            "iam", f"policy/sagemaker-project-approvers/{stack}-doctor-ApproverPolicy-1", region=False))],
        "AWS::CodeCommit::Repository": [
            Request("codecommit:CreateRepository", place.arn("codecommit", f"{name}-modelbuild"), PROJECT_TAG),
            Request("s3:GetObject", place.object("seed-build.zip"))],
        "AWS::CodeBuild::Project": [
            Request("codebuild:CreateProject", place.arn("codebuild", f"project/{name}-modelbuild"), PROJECT_TAG)],
        "AWS::CodePipeline::Pipeline": [
            Request("codepipeline:CreatePipeline", place.arn("codepipeline", f"{name}-modelbuild"), PROJECT_TAG)],
        "AWS::Events::Rule": [Request("events:PutRule", place.arn("events", f"rule/{stack}-doctor-Rule-1")),
                              Request("events:PutTargets", place.arn("events", f"rule/{stack}-doctor-Rule-1"))],
        "AWS::KMS::Key": [Request("kms:CreateKey", "*", PROJECT_TAG)],
        "AWS::S3::Bucket": [Request("s3:CreateBucket", bucket), Request("s3:PutEncryptionConfiguration", bucket)],
        "AWS::S3::BucketPolicy": [Request("s3:PutBucketPolicy", bucket)],
        "AWS::SageMaker::ModelPackageGroup": [Request("sagemaker:CreateModelPackageGroup", place.arn(
            "sagemaker", "model-package-group/doctor-p-doctor000000"), PROJECT_TAG)],
        "AWS::CodeArtifact::Domain": [Request("codeartifact:CreateDomain", place.arn(
            "codeartifact", "domain/sagemaker-p-doctor000000"), PROJECT_TAG)],
        "AWS::CodeArtifact::Repository": [Request("codeartifact:CreateRepository", place.arn(
            "codeartifact", "repository/sagemaker-p-doctor000000/packages"), PROJECT_TAG)],
        "AWS::IAM::OIDCProvider": [Request("iam:CreateOpenIDConnectProvider", place.arn(
            "iam", "oidc-provider/token.actions.githubusercontent.com", region=False))],
        "AWS::Events::Connection": [
            Request("events:CreateConnection", place.arn("events", f"connection/{stack}-doctor-Connection-1/1")),
            Request("secretsmanager:CreateSecret", place.arn(
                "secretsmanager", f"secret:events!connection/{stack}-doctor-Connection-1-1")),
            Request("secretsmanager:GetSecretValue", place.arn("secretsmanager", "secret:sagemaker-ci/doctor-1"))],
        "AWS::Events::ApiDestination": [Request("events:CreateApiDestination", place.arn(
            "events", f"api-destination/{stack}-doctor-Destination-1/1"))],
    }


def refused(principal: Principal, requests: list[Request]) -> tuple[list[Request], str]:
    """The requests `principal` may not make, and (when a policy holds something the evaluator cannot judge)
    why the answer is not known."""
    missing = []
    for request in requests:
        try:
            if principal.decide(request) != ALLOW:
                missing.append(request)
        except PolicyError as error:
            return [], f"a policy uses what this check cannot evaluate offline ({error})"
    return missing, ""


def grant_policy(requests: list[Request]) -> str:
    """The policy document that grants exactly `requests` (one statement per resource), as compact JSON."""
    by_resource: dict[str, list[str]] = {}
    for request in requests:
        actions = by_resource.setdefault(request.resource, [])
        if request.action not in actions:
            actions.append(request.action)
    statements = []
    for resource, actions in by_resource.items():
        statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
        conditions = {k: v for r in requests if r.resource == resource for k, v in r.context.items()
                      if k.startswith("iam:")}
        if conditions:
            statement["Condition"] = {"StringEquals": conditions}
        statements.append(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def describe(requests: list[Request]) -> str:
    return ", ".join(f"{r.action} on {r.resource}" for r in requests)
