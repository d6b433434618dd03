"""Step 1: synthesize the project template and make the project in the emulator: bucket, group, approval rule."""
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from demo_story import console
from demo_story.errors import StoryError

ACCOUNT = "123456789012"  # moto's default account: the emulator's ARNs carry it
PROJECT_STACK = "sagemaker-project"
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9]+)(?:\.([A-Za-z0-9]+))?>")


class ProvisionError(StoryError):
    """The synthesized template lacks something the story needs (a rule, a pipeline, a project)."""


@dataclass
class Project:
    """The project as the synthesized template makes it, for one name and id, with emulator stand-ins."""

    name: str
    project_id: str
    bucket: str
    template: dict = field(repr=False)  # resolved for the parameters (resolve.py)
    rule_name: str = ""
    queue_url: str = ""

    @property
    def group(self) -> str:
        return self.resource_of_type("AWS::SageMaker::ModelPackageGroup")[1]["Properties"]["ModelPackageGroupName"]

    def resource_of_type(self, kind: str, test=lambda resource: True) -> tuple[str, dict]:
        found = [(lid, r) for lid, r in self.template["Resources"].items() if r["Type"] == kind and test(r)]
        if len(found) != 1:
            raise ProvisionError(f"project template: {len(found)} resources of type {kind} match; the story needs one")
        return found[0]

    def physical(self, value):
        """Replace `<LogicalId>` / `<LogicalId.Attr>` left by the resolver with the emulator's values."""
        if isinstance(value, dict):
            return {key: self.physical(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.physical(item) for item in value]
        if not isinstance(value, str):
            return value
        return _PLACEHOLDER.sub(lambda match: self._physical_id(match.group(1), match.group(2)), value)

    def _physical_id(self, logical_id: str, attribute: str | None) -> str:
        resource = self.template["Resources"].get(logical_id)
        if resource is None:
            raise ProvisionError(f"project template: {logical_id}: referenced but not created for these parameters")
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::S3::Bucket":
            return self.bucket
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:aws:iam::{ACCOUNT}:role/{self.name}-{logical_id}"
        if "Name" in properties and isinstance(properties["Name"], str):
            return properties["Name"]  # CodeBuild projects, pipelines: Ref gives the name
        if kind == "AWS::SageMaker::ModelPackageGroup":
            return properties["ModelPackageGroupName"]
        if kind == "AWS::KMS::Key" and attribute == "Arn":  # the builds' KMS_KEY_ARN; nothing offline encrypts
            return f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{self.name}-{logical_id}"
        raise ProvisionError(f"project template: {logical_id} ({kind}).{attribute}: no emulator stand-in")


def synthesize(out_dir: Path) -> Path:
    """The CDK app, synthesized in-process once per run (scripts/cdk_apps.py): the project template's path."""
    from cdk_apps import synthesize as synth_all

    result = synth_all(out_dir, progress=console.detail)
    if result.nag_violations:
        console.detail(f"warning: cdk-nag reported {len(result.nag_violations)} violation(s)")
    return result.templates[PROJECT_STACK]


def load_project(template_path: Path, name: str, project_id: str, bucket: str) -> Project:
    """The synthesized template resolved for SageMakerProjectName/SageMakerProjectId as SageMaker passes them."""
    from resolve import resolve_template

    template = json.loads(Path(template_path).read_text())
    resolved = resolve_template(template, {"SageMakerProjectName": name, "SageMakerProjectId": project_id})
    return Project(name=name, project_id=project_id, bucket=bucket, template=resolved)


def approval_rule(project: Project) -> tuple[str, dict]:
    """The rule that starts the deploy pipeline on registry decisions: its logical id and event pattern."""
    logical_id, rule = project.resource_of_type(
        "AWS::Events::Rule", lambda r: r["Properties"]["EventPattern"].get("source") == ["aws.sagemaker"])
    return logical_id, rule["Properties"]["EventPattern"]


def create_in_emulator(project: Project, session) -> None:
    """Bucket, model package group, and the approval rule with its synthesized pattern; an SQS queue stands in
    for the rule's CodePipeline target (the emulator's EventBridge cannot start a pipeline)."""
    session.client("s3").create_bucket(Bucket=project.bucket)
    console.detail(f"artifact bucket        s3://{project.bucket}")
    session.client("sagemaker").create_model_package_group(
        ModelPackageGroupName=project.group, ModelPackageGroupDescription=f"models of project {project.name}")
    console.detail(f"model package group    {project.group}")
    logical_id, pattern = approval_rule(project)
    sqs, events = session.client("sqs"), session.client("events")
    project.rule_name = f"sagemaker-{project.name}-{project.project_id}-model-approval"
    project.queue_url = sqs.create_queue(QueueName=f"{project.rule_name}-target")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=project.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=project.rule_name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=project.rule_name, Targets=[{"Id": "deploy-pipeline", "Arn": queue_arn}])
    console.detail(f"EventBridge rule       {project.rule_name} (from {logical_id}): {json.dumps(pattern)}")
