"""Every name a project of a given name gets, checked against the rule of the API that creates it (botocore's service
models: length and pattern), and the names that must not exist yet (they carry no project id to keep them apart)."""
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cdk_apps import ROOT

# SageMaker's project ids are "p-" and 12 characters (e.g. p-abcd1234efgh): names are checked at that length.
SAMPLE_PROJECT_ID = "p-" + "x" * 12
# (resource type, property) of the project template -> (service, operation, member path) that creates it.
TEMPLATE_NAMES = {
    ("AWS::SageMaker::ModelPackageGroup", "ModelPackageGroupName"): ("sagemaker", "CreateModelPackageGroup",
                                                                     ("ModelPackageGroupName",)),
    ("AWS::CodeCommit::Repository", "RepositoryName"): ("codecommit", "CreateRepository", ("repositoryName",)),
    ("AWS::CodeBuild::Project", "Name"): ("codebuild", "CreateProject", ("name",)),
    ("AWS::CodePipeline::Pipeline", "Name"): ("codepipeline", "CreatePipeline", ("pipeline", "name")),
    ("AWS::Events::Rule", "Name"): ("events", "PutRule", ("Name",)),
    ("AWS::IAM::Role", "RoleName"): ("iam", "CreateRole", ("RoleName",)),
    ("AWS::S3::Bucket", "BucketName"): ("s3", "CreateBucket", ("Bucket",)),
}
EXAMPLES = ROOT / "seed-deploy" / "examples"


@dataclass(frozen=True)
class DerivedName:
    what: str
    name: str
    service: str
    operation: str
    member: tuple[str, ...]


@lru_cache(maxsize=None)
def _service_model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def member_rule(service: str, operation: str, member: tuple[str, ...]) -> tuple[int, int | None, str | None]:
    """(min length, max length, pattern) of a request member, from botocore's service model."""
    shape = _service_model(service).operation_model(operation).input_shape
    for name in member:
        shape = shape.members[name]
    meta = shape.metadata
    return meta.get("min", 1), meta.get("max"), meta.get("pattern")


def rule_problem(derived: DerivedName) -> str | None:
    low, high, pattern = member_rule(derived.service, derived.operation, derived.member)
    if len(derived.name) < low or (high is not None and len(derived.name) > high):
        return (f"{derived.what} {derived.name!r}: {len(derived.name)} characters, {derived.operation} allows "
                f"{low}-{high}")
    if pattern and not re.fullmatch(pattern.strip("^$"), derived.name):
        return f"{derived.what} {derived.name!r}: does not match {derived.operation}'s pattern {pattern}"
    return None


def derived_names(project_template: dict, project_name: str) -> list[DerivedName]:
    """The project stack's names (resolved for the project), then the deploy seed's and the build pipeline's."""
    from mlops_guardrails.deploy import stage_names
    from mlops_guardrails.deploy.inference_components import component_name
    from resolve import resolve_template

    resolved = resolve_template(project_template, {"SageMakerProjectName": project_name,
                                                   "SageMakerProjectId": SAMPLE_PROJECT_ID})
    found = []
    for resource in resolved["Resources"].values():
        for (kind, prop), (service, operation, member) in TEMPLATE_NAMES.items():
            value = resource.get("Properties", {}).get(prop)
            if resource["Type"] == kind and isinstance(value, str):
                found.append(DerivedName(f"{kind} {prop}", value, service, operation, member))
    found.append(DerivedName("build pipeline", f"{project_name}-{SAMPLE_PROJECT_ID}-build", "sagemaker",
                             "CreatePipeline", ("PipelineName",)))
    for stage in stage_names.STAGES:
        endpoint = stage_names.endpoint_name(project_name, stage)
        found.append(DerivedName(f"{stage} endpoint", endpoint, "sagemaker", "CreateEndpoint", ("EndpointName",)))
        found.append(DerivedName(f"{stage} stack", stage_names.stack_name(project_name, stage), "cloudformation",
                                 "CreateStack", ("StackName",)))
        found += [DerivedName(f"{stage} alarm", alarm, "cloudwatch", "PutMetricAlarm", ("AlarmName",))
                  for alarm in stage_names.alarm_names(endpoint)]
        for component in example_components():
            found.append(DerivedName(f"{stage} inference component", component_name(endpoint, component),
                                     "sagemaker", "CreateInferenceComponent", ("InferenceComponentName",)))
    return found


def example_components() -> list[dict]:
    """The inference components of the deploy seed's examples (one per distinct ComponentName)."""
    seen = {}
    for path in sorted(Path(EXAMPLES).glob("*.json")):
        for component in json.loads(path.read_text()).get("InferenceComponents", []):
            seen.setdefault(component["ComponentName"], component)
    return list(seen.values())
