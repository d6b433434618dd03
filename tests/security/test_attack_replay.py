"""The adversarial review, replayed: every request an attacker makes to another project's or a higher-trust
resource is denied, for the project resolved for one account and for three (staging and prod apart), beside a
control request of each role's legitimate use, which is allowed.

Attackers (README: Security, threat model):
  studio   a data scientist whose Studio execution role has a broad policy (modelled as Allow *:*, more than
           AmazonSageMakerFullAccess) plus sagemaker-project-user-guardrails, tagged as a member of abalone;
  code     code running in abalone's CodeBuild projects or SageMaker Pipeline steps, as abalone's roles;
  launch   a template run by a launch role (Service Catalog's or the S3 path's) for project "other".
Victim: project "other" (id p-zzz999zzz999) in the same account, and abalone's own approval.
Roles are found by the id they carry in the template's Metadata (roles.ROLE_ID_METADATA), never by description.
"""
import pytest

from iam_policy import ALLOW, DENY, IMPLICIT_DENY, Principal, Request, role_principals
from resolved_project import ACCOUNT, BOUNDARY_ARN, PROJECT
from template.components.roles import ROLE_ID_METADATA
from resolve import resolve_template

STAGING, PROD = "111111111111", "222222222222"
ACCOUNT_SETS = {"one-account": PROJECT, "three-accounts": {**PROJECT, "StagingAccountId": STAGING,
                                                            "ProdAccountId": PROD}}
NAME, ID = PROJECT["SageMakerProjectName"], PROJECT["SageMakerProjectId"]
OTHER, OTHER_ID = "other", "p-zzz999zzz999"
REGION_ACCOUNT = f"us-east-1:{ACCOUNT}"
PUBLISHED_URL = "https://assets-bucket.s3.us-east-1.amazonaws.com/sagemaker-project/1.0.0/sagemaker-project.yaml"
S3_LAUNCH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project-launch/sagemaker-project-s3-launch-role"


def tags(kind: str, name: str, project_id: str) -> dict:
    return {f"aws:{kind}/sagemaker:project-id": project_id, f"aws:{kind}/sagemaker:project-name": name}


OWN, VICTIM = tags("ResourceTag", NAME, ID), tags("ResourceTag", OTHER, OTHER_ID)
ATTACKER_REQUEST = tags("RequestTag", OTHER, OTHER_ID)  # the launch role working for project "other"
STUDIO_MEMBER = {"aws:PrincipalTag/sagemaker:project-id": ID}


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION_ACCOUNT}:{resource}"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/{name}"


VICTIM_PACKAGE = arn("sagemaker", f"model-package/{OTHER}-{OTHER_ID}/1")
OWN_PACKAGE = arn("sagemaker", f"model-package/{NAME}-{ID}/1")
VICTIM_GROUP, OWN_GROUP = arn("sagemaker", f"model-package-group/{OTHER}-{OTHER_ID}"), arn(
    "sagemaker", f"model-package-group/{NAME}-{ID}")
VICTIM_DEPLOY = arn("codepipeline", f"sagemaker-{OTHER}-{OTHER_ID}-modeldeploy")
OWN_DEPLOY = arn("codepipeline", f"sagemaker-{NAME}-{ID}-modeldeploy")
VICTIM_REPO, OWN_REPO = (arn("codecommit", f"sagemaker-{OTHER}-{OTHER_ID}-modelbuild"),
                         arn("codecommit", f"sagemaker-{NAME}-{ID}-modelbuild"))
VICTIM_BUILD, OWN_BUILD = (arn("codebuild", f"project/sagemaker-{OTHER}-{OTHER_ID}-modelbuild"),
                           arn("codebuild", f"project/sagemaker-{NAME}-{ID}-deploy"))
VICTIM_PIPELINE = arn("sagemaker", f"pipeline/{OTHER}-{OTHER_ID}-build")
OWN_PIPELINE = arn("sagemaker", f"pipeline/{NAME}-{ID}-build")
VICTIM_ROLE = role_arn("SP-other-RolesCodeBuild-X")
SP_STACK, SC_STACK = arn("cloudformation", "stack/SP-other-stack/1"), arn("cloudformation", "stack/SC-1-pp-x/1")
APPROVED = {"sagemaker:ModelApprovalStatus": "Approved"}
TO_SAGEMAKER = {"iam:PassedToService": "sagemaker.amazonaws.com"}

# (attacker, role, action, resource, context): each must be denied.
STUDIO_ATTACKS = [
    ("approve another project's model", "sagemaker:UpdateModelPackage", VICTIM_PACKAGE, {**APPROVED, **VICTIM}),
    ("approve its own project's model", "sagemaker:UpdateModelPackage", OWN_PACKAGE, {**APPROVED, **OWN}),
    ("register a model as Approved", "sagemaker:CreateModelPackage", OWN_GROUP, {**APPROVED, **OWN}),
    ("answer another project's approval step", "codepipeline:PutApprovalResult",
     f"{VICTIM_DEPLOY}/ApproveDeployment/ApproveDeployment", VICTIM),
    ("answer its own project's approval step", "codepipeline:PutApprovalResult",
     f"{OWN_DEPLOY}/ApproveDeployment/ApproveDeployment", OWN),
    ("push to another project's repository", "codecommit:GitPush", VICTIM_REPO, VICTIM),
    ("merge into another project's repository", "codecommit:MergeBranchesByFastForward", VICTIM_REPO, VICTIM),
    ("run a buildspec override as another project's CodeBuild role", "codebuild:StartBuild", VICTIM_BUILD, VICTIM),
    ("run a buildspec override as its own deploy CodeBuild role", "codebuild:StartBuild", OWN_BUILD, OWN),
    ("rewrite a project's build", "codebuild:UpdateProject", OWN_BUILD, OWN),
    ("pass another project's role to a SageMaker job", "iam:PassRole", VICTIM_ROLE, {**TO_SAGEMAKER, **VICTIM}),
    ("start another project's SageMaker Pipeline", "sagemaker:StartPipelineExecution", VICTIM_PIPELINE, VICTIM),
    ("rewrite another project's SageMaker Pipeline", "sagemaker:UpdatePipeline", VICTIM_PIPELINE, VICTIM),
    ("register into another project's group", "sagemaker:CreateModelPackage", VICTIM_GROUP,
     {"sagemaker:ModelApprovalStatus": "PendingManualApproval", **VICTIM}),
    ("start another project's deploy pipeline", "codepipeline:StartPipelineExecution", VICTIM_DEPLOY, VICTIM),
    ("reuse a project stack's launch role by UpdateStack", "cloudformation:UpdateStack", SP_STACK,
     {"cloudformation:RoleArn": S3_LAUNCH_ROLE}),
    ("delete a Service Catalog project stack directly", "cloudformation:DeleteStack", SC_STACK, {}),
    ("change a provisioned product's parameters directly", "servicecatalog:UpdateProvisionedProduct",
     arn("servicecatalog", "stack/sagemaker/pp-abc"), {}),
    ("run its own template with the launch role", "cloudformation:CreateStack", SP_STACK,
     {"cloudformation:RoleArn": S3_LAUNCH_ROLE,
      "cloudformation:TemplateUrl": "https://attacker.s3.us-east-1.amazonaws.com/evil.yaml"}),
    ("create an S3-path stack with another role", "cloudformation:CreateStack", SP_STACK,
     {"cloudformation:RoleArn": f"arn:aws:iam::{ACCOUNT}:role/Admin", "cloudformation:TemplateUrl": PUBLISHED_URL}),
    ("update its own prod stack outside the pipeline", "cloudformation:UpdateStack",
     arn("cloudformation", f"stack/sagemaker-{NAME}-deploy-prod/1"), {}),
    ("replace its own staging stack outside the pipeline", "cloudformation:DeleteStack",
     arn("cloudformation", f"stack/sagemaker-{NAME}-deploy-staging/1"), {}),
    ("pass the launch role to another service", "iam:PassRole", S3_LAUNCH_ROLE,
     {"iam:PassedToService": "codebuild.amazonaws.com"}),
]
STUDIO_CONTROLS = [
    ("push to its own repository", "codecommit:GitPush", OWN_REPO, OWN),
    ("pass its own project's role to a SageMaker job", "iam:PassRole", role_arn("SC-1-RolesSageMakerPipeline-X"),
     {**TO_SAGEMAKER, **OWN}),
    ("create a project from the published template (S3 path)", "cloudformation:CreateStack", SP_STACK,
     {"cloudformation:RoleArn": S3_LAUNCH_ROLE, "cloudformation:TemplateUrl": PUBLISHED_URL}),
    ("update its project through SageMaker", "cloudformation:UpdateStack", SP_STACK,
     {"aws:CalledVia": ["sagemaker.amazonaws.com"]}),
]

LAUNCH_ATTACKS = [
    ("create a repository named for abalone", "codecommit:CreateRepository", OWN_REPO, ATTACKER_REQUEST),
    ("create a pipeline named for abalone (its CodePipeline role trusts it)", "codepipeline:CreatePipeline",
     arn("codepipeline", f"sagemaker-{NAME}-{ID}-x"), ATTACKER_REQUEST),
    ("create a CodeBuild project named for abalone", "codebuild:CreateProject",
     arn("codebuild", f"project/sagemaker-{NAME}-{ID}-x"), ATTACKER_REQUEST),
    ("create a model group named for abalone", "sagemaker:CreateModelPackageGroup", OWN_GROUP, ATTACKER_REQUEST),
    ("change a squatted pipeline named for abalone", "codepipeline:UpdatePipeline",
     arn("codepipeline", f"sagemaker-{NAME}-{ID}-modeldeploy"), tags("ResourceTag", OTHER, OTHER_ID)),
    ("create a role without the boundary", "iam:CreateRole", role_arn("evil"), ATTACKER_REQUEST),
    ("swap a project role's boundary", "iam:PutRolePermissionsBoundary", role_arn("SC-1-RolesCodeBuild-X"),
     {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"}),
    ("attach an admin policy to a project role", "iam:AttachRolePolicy", role_arn("SC-1-RolesCodeBuild-X"),
     {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess", "iam:PermissionsBoundary": BOUNDARY_ARN}),
    ("rewrite the boundary", "iam:CreatePolicyVersion", BOUNDARY_ARN, {}),
    ("rewrite the guardrails", "iam:CreatePolicyVersion",
     f"arn:aws:iam::{ACCOUNT}:policy/sagemaker-project-user-guardrails", {}),
    ("hand a connection to another service", "codeconnections:PassConnection",
     arn("codeconnections", "connection/abc"), {"codeconnections:PassedToService": "codebuild.amazonaws.com"}),
]
LAUNCH_CONTROLS = [
    ("hand the connection to its pipeline", "codeconnections:PassConnection", arn("codeconnections", "connection/abc"),
     {"codeconnections:PassedToService": "codepipeline.amazonaws.com"}),
    ("create its own project's repository", "codecommit:CreateRepository",
     arn("codecommit", f"sagemaker-{OTHER}-{OTHER_ID}-modelbuild"), ATTACKER_REQUEST),
]

CODE_ATTACKS = [
    ("CodeBuild", "rewrite another project's SageMaker Pipeline", "sagemaker:UpdatePipeline", VICTIM_PIPELINE, {}),
    ("CodeBuild", "approve its own model", "sagemaker:UpdateModelPackage", OWN_PACKAGE, APPROVED),
    ("CodeBuild", "answer the approval step", "codepipeline:PutApprovalResult",
     f"{OWN_DEPLOY}/ApproveDeployment/ApproveDeployment", {}),
    ("CodePipeline", "answer the approval step", "codepipeline:PutApprovalResult",
     f"{OWN_DEPLOY}/ApproveDeployment/ApproveDeployment", {}),
    ("SageMakerPipeline", "register into another project's group", "sagemaker:CreateModelPackage", VICTIM_GROUP,
     {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}),
    ("SageMakerPipeline", "register its model as Approved", "sagemaker:CreateModelPackage", OWN_GROUP, APPROVED),
    ("SageMakerPipeline", "pass another project's role", "iam:PassRole", VICTIM_ROLE, TO_SAGEMAKER),
    ("CodePipeline", "update the stage stack of project abalone-deploy-x",
     "cloudformation:UpdateStack", arn("cloudformation", f"stack/sagemaker-{NAME}-deploy-x-deploy-staging/1"), {}),
    ("CodeBuild", "open a Studio session as another user", "sagemaker:CreatePresignedDomainUrl",
     arn("sagemaker", "user-profile/d-abc/admin"), {}),
    ("CodeBuild", "create a Studio user profile", "sagemaker:CreateUserProfile",
     arn("sagemaker", "user-profile/d-abc/evil"), {}),
    ("CodeBuild", "turn off versioning of a bucket", "s3:PutBucketVersioning", "arn:aws:s3:::sc-1-pp-x-bucket", {}),
    ("CodeBuild", "replicate a bucket elsewhere", "s3:PutReplicationConfiguration", "arn:aws:s3:::sc-1-pp-x-bucket", {}),
    ("CodeBuild", "erase an object's history", "s3:DeleteObjectVersion", "arn:aws:s3:::sc-1-pp-x-bucket/k", {}),
    ("CodeBuild", "delete the logs of its tracks", "logs:DeleteLogGroup",
     arn("logs", "log-group:/aws/codebuild/x"), {}),
    ("CodeBuild", "pass its own role to EC2", "iam:PassRole", role_arn("SC-1-RolesCodeBuild-X"),
     {"iam:PassedToService": "ec2.amazonaws.com"}),
    ("Events", "start another project's deploy pipeline", "codepipeline:StartPipelineExecution", VICTIM_DEPLOY, {}),
    ("CloudFormation", "approve a model", "sagemaker:UpdateModelPackage", OWN_PACKAGE, APPROVED),
]
# What a template run by the launch role could grant a project role (Allow *:*) stays under the boundary: the
# ceiling itself denies these.
CEILING_ATTACKS = [
    ("approve a model", "sagemaker:UpdateModelPackage", OWN_PACKAGE, APPROVED),
    ("answer the approval step", "codepipeline:PutApprovalResult",
     f"{OWN_DEPLOY}/ApproveDeployment/ApproveDeployment", {}),
    ("open a Studio session as another user", "sagemaker:CreatePresignedDomainUrl",
     arn("sagemaker", "user-profile/d-abc/admin"), {}),
    ("create a Studio user profile", "sagemaker:CreateUserProfile", arn("sagemaker", "user-profile/d-abc/evil"), {}),
    ("change a Studio user's execution role", "sagemaker:UpdateUserProfile",
     arn("sagemaker", "user-profile/d-abc/admin"), {}),
    ("turn off versioning of a bucket", "s3:PutBucketVersioning", "arn:aws:s3:::sc-1-pp-x-bucket", {}),
    ("expire a bucket's history", "s3:PutLifecycleConfiguration", "arn:aws:s3:::sc-1-pp-x-bucket", {}),
    ("replicate a bucket elsewhere", "s3:PutReplicationConfiguration", "arn:aws:s3:::sc-1-pp-x-bucket", {}),
    ("erase an object's history", "s3:DeleteObjectVersion", "arn:aws:s3:::sc-1-pp-x-bucket/k", {}),
    ("delete the logs of its tracks", "logs:DeleteLogGroup", arn("logs", "log-group:/aws/codebuild/x"), {}),
    ("pass a project role to EC2", "iam:PassRole", role_arn("SC-1-RolesCodeBuild-X"),
     {"iam:PassedToService": "ec2.amazonaws.com"}),
    ("pass a project role to Lambda", "iam:PassRole", role_arn("SC-1-RolesCodeBuild-X"),
     {"iam:PassedToService": "lambda.amazonaws.com"}),
]
CEILING_CONTROLS = [
    ("pass a project role to SageMaker", "iam:PassRole", role_arn("SC-1-RolesSageMakerPipeline-X"), TO_SAGEMAKER),
    ("read a model package", "sagemaker:DescribeModelPackage", OWN_PACKAGE, {}),
]

CODE_CONTROLS = [
    ("CodeBuild", "update its own SageMaker Pipeline", "sagemaker:UpdatePipeline", OWN_PIPELINE, {}),
    ("SageMakerPipeline", "register its model pending approval", "sagemaker:CreateModelPackage", OWN_GROUP,
     {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}),
    ("CodePipeline", "update its own staging stack", "cloudformation:UpdateStack",
     arn("cloudformation", f"stack/sagemaker-{NAME}-deploy-staging/1"), {}),
    ("Events", "start its own deploy pipeline", "codepipeline:StartPipelineExecution", OWN_DEPLOY, {}),
    ("CloudFormation", "create its endpoint", "sagemaker:CreateEndpoint", arn("sagemaker", f"endpoint/{NAME}-staging"),
     {}),
]


def test_the_replay_has_at_least_forty_attacks():
    assert len(STUDIO_ATTACKS) + len(LAUNCH_ATTACKS) + len(CODE_ATTACKS) + len(CEILING_ATTACKS) >= 40


def roles_by_id(resolved: dict, boundaries: dict) -> dict[str, Principal]:
    """The template's roles by the id in their Metadata."""
    principals = role_principals(resolved, boundaries)
    return {resolved["Resources"][logical_id]["Metadata"][ROLE_ID_METADATA]: principal
            for logical_id, principal in principals.items()
            if ROLE_ID_METADATA in resolved["Resources"][logical_id].get("Metadata", {})}


@pytest.fixture(scope="module", params=sorted(ACCOUNT_SETS))
def code_roles(request, synthesis, boundary_statements) -> dict[str, Principal]:
    resolved = resolve_template(synthesis.template("sagemaker-project"), ACCOUNT_SETS[request.param])
    return roles_by_id(resolved, {BOUNDARY_ARN: boundary_statements})


@pytest.fixture(scope="module")
def guardrails(portfolio) -> list[dict]:
    (policy,) = [r["Properties"] for r in portfolio["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
                 and r["Properties"]["ManagedPolicyName"] == "sagemaker-project-user-guardrails"]
    assert all(statement["Effect"] == "Deny" for statement in policy["PolicyDocument"]["Statement"])
    return policy["PolicyDocument"]["Statement"]


@pytest.fixture(scope="module")
def studio_user(guardrails) -> Principal:
    return Principal("studio", [{"Effect": "Allow", "Action": "*", "Resource": "*"}, *guardrails])


@pytest.fixture(scope="module", params=["sagemaker-project-portfolio", "sagemaker-project-launch-role"])
def launch_role(request, synthesis) -> Principal:
    given = {"TemplateBucket": "assets-bucket"}
    if request.param == "sagemaker-project-portfolio":
        given = {**given, "TemplateKey": "sagemaker-project/1.0.0/sagemaker-project.json", "ProductVersion": "1.0.0",
                 "StudioExecutionRoleArns": [f"arn:aws:iam::{ACCOUNT}:role/studio"]}
    (principal,) = role_principals(resolve_template(synthesis.template(request.param), given)).values()
    return principal


@pytest.mark.parametrize("attack, action, resource, context", STUDIO_ATTACKS, ids=[a[0] for a in STUDIO_ATTACKS])
def test_studio_user_attack_is_denied(studio_user, attack, action, resource, context):
    assert studio_user.decide(Request(action, resource, {**STUDIO_MEMBER, **context})) == DENY


@pytest.mark.parametrize("use, action, resource, context", STUDIO_CONTROLS, ids=[c[0] for c in STUDIO_CONTROLS])
def test_studio_user_keeps_its_own_work(studio_user, use, action, resource, context):
    assert studio_user.decide(Request(action, resource, {**STUDIO_MEMBER, **context})) == ALLOW


@pytest.mark.parametrize("attack, action, resource, context", LAUNCH_ATTACKS, ids=[a[0] for a in LAUNCH_ATTACKS])
def test_launch_role_attack_is_denied(launch_role, attack, action, resource, context):
    assert launch_role.decide(Request(action, resource, context)) in (DENY, IMPLICIT_DENY)


@pytest.mark.parametrize("use, action, resource, context", LAUNCH_CONTROLS, ids=[c[0] for c in LAUNCH_CONTROLS])
def test_launch_role_builds_its_own_project(launch_role, use, action, resource, context):
    assert launch_role.decide(Request(action, resource, context)) == ALLOW


@pytest.mark.parametrize("role, attack, action, resource, context", CODE_ATTACKS, ids=[a[1] for a in CODE_ATTACKS])
def test_project_code_attack_is_denied(code_roles, role, attack, action, resource, context):
    assert code_roles[role].decide(Request(action, resource, context)) in (DENY, IMPLICIT_DENY)


@pytest.mark.parametrize("role, use, action, resource, context", CODE_CONTROLS, ids=[c[1] for c in CODE_CONTROLS])
def test_project_role_keeps_its_own_work(code_roles, role, use, action, resource, context):
    assert code_roles[role].decide(Request(action, resource, context)) == ALLOW


def test_every_project_role_has_an_exported_id(code_roles):
    assert sorted(code_roles) == ["CloudFormation", "CodeBuild", "CodePipeline", "Events", "ModelExecution",
                                  "SageMakerPipeline", "ShadowTest"]


@pytest.fixture(scope="module")
def unbounded_project_role(boundary_statements) -> Principal:
    return Principal("granted everything", [{"Effect": "Allow", "Action": "*", "Resource": "*"}], boundary_statements)


@pytest.mark.parametrize("attack, action, resource, context", CEILING_ATTACKS, ids=[a[0] for a in CEILING_ATTACKS])
def test_the_boundary_denies_it_whatever_a_role_is_granted(unbounded_project_role, attack, action, resource,
                                                           context):
    assert unbounded_project_role.decide(Request(action, resource, context)) in (DENY, IMPLICIT_DENY)


@pytest.mark.parametrize("use, action, resource, context", CEILING_CONTROLS, ids=[c[0] for c in CEILING_CONTROLS])
def test_the_boundary_leaves_the_projects_work(unbounded_project_role, use, action, resource, context):
    assert unbounded_project_role.decide(Request(action, resource, context)) == ALLOW
