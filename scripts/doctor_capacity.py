"""Capacity: the quotas a project and its stage configs need against what the account already uses.

Quota values come from Service Quotas (ListServiceQuotas) where it reports them, IAM's account summary for IAM,
and otherwise AWS's documented defaults (shared/reference/sagemaker-facts.md, "Quotas that bound projects"), named
as such on the line."""
import ast
import json
import re
from collections import Counter
from dataclasses import dataclass

from cdk_apps import ROOT

STAGE_CONFIGS = [ROOT / "seed-deploy" / f"{stage}-config.json" for stage in ("staging", "prod")]
BUILD_PIPELINE = ROOT / "seed-build" / "pipelines" / "abalone" / "pipeline.py"


@dataclass(frozen=True)
class ProjectQuota:
    """A resource one project creates: its CloudFormation type, the quota's Service Quotas service and name
    pattern, the documented default, and how current usage is counted."""

    what: str
    resource_type: str
    service_code: str
    quota_name: str
    default: int
    usage: str


PROJECT_QUOTAS = (
    ProjectQuota("IAM roles", "AWS::IAM::Role", "iam", r"roles per account", 1000, "iam:Roles"),
    ProjectQuota("customer managed policies", "AWS::IAM::ManagedPolicy", "iam", r"customer managed policies",
                 1500, "iam:Policies"),
    ProjectQuota("EventBridge rules", "AWS::Events::Rule", "events", r"rules per event bus", 300, "events"),
    ProjectQuota("CodePipeline pipelines", "AWS::CodePipeline::Pipeline", "codepipeline", r"pipelines per region",
                 1000, "codepipeline"),
    ProjectQuota("CodeBuild projects", "AWS::CodeBuild::Project", "codebuild", r"build projects", 5000, "codebuild"),
    ProjectQuota("S3 buckets", "AWS::S3::Bucket", "s3", r"general purpose buckets", 10000, "s3"),
    ProjectQuota("KMS keys", "AWS::KMS::Key", "kms", r"customer (master|managed) keys", 100000, "kms"),
)


def per_project(project_template: dict) -> dict[str, int]:
    """How many of each quota's resource one project creates, counted in the synthesized template (CodeCommit
    path, single account: the default parameters)."""
    from resolve import resolve_template

    resolved = resolve_template(project_template, {"SageMakerProjectName": "count", "SageMakerProjectId": "p-count0000000"})
    counts = Counter(r["Type"] for r in resolved["Resources"].values())
    return {q.what: counts[q.resource_type] for q in PROJECT_QUOTAS}


def service_quotas(client, service_code: str) -> list[dict]:
    return [q for page in client.get_paginator("list_service_quotas").paginate(ServiceCode=service_code)
            for q in page["Quotas"]]


def quota_value(quotas: list[dict], pattern: str) -> dict | None:
    return next((q for q in quotas if re.search(pattern, q["QuotaName"], re.IGNORECASE)), None)


def usage(clients, how: str) -> int:
    """Current count of a quota's resource in this account and region."""
    if how.startswith("iam:"):
        return clients.client("iam").get_account_summary()["SummaryMap"][how.split(":")[1]]
    listing = {"events": ("list_rules", "Rules", {}), "codepipeline": ("list_pipelines", "pipelines", {}),
               "codebuild": ("list_projects", "projects", {}), "kms": ("list_keys", "Keys", {})}
    if how == "s3":
        return len(clients.client("s3").list_buckets()["Buckets"])
    operation, key, kwargs = listing[how]
    client = clients.client(how)
    if client.can_paginate(operation):
        return sum(len(page[key]) for page in client.get_paginator(operation).paginate(**kwargs))
    return len(getattr(client, operation)(**kwargs)[key])


def endpoint_needs() -> dict[str, int]:
    """Instances per type the stage configs run: both stages, plus the largest stage again while a blue/green
    update runs the new fleet beside the old one."""
    per_stage = []
    for path in STAGE_CONFIGS:
        counts = Counter()
        for variant in json.loads(path.read_text()).get("ProductionVariants", []):
            if "InstanceType" in variant:
                counts[variant["InstanceType"]] += variant.get("InitialInstanceCount", 1)
        per_stage.append(counts)
    needs = Counter()
    for counts in per_stage:
        needs.update(counts)
    for kind in needs:
        needs[kind] += max(c[kind] for c in per_stage)
    return dict(needs)


def job_needs() -> dict[str, tuple[str, int]]:
    """The build pipeline's default instance type and count per job kind, read from its parameters' defaults."""
    defaults = {}
    for node in ast.walk(ast.parse(BUILD_PIPELINE.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("ParameterString", "ParameterInteger"):
            value = next((k.value for k in node.keywords if k.arg == "default_value"), None)
            if isinstance(value, ast.Constant):  # the instance parameters' defaults are literals
                defaults[node.args[0].value] = value.value
    return {"processing job": (defaults["ProcessingInstanceType"], defaults.get("ProcessingInstanceCount", 1)),
            "training job": (defaults["TrainingInstanceType"], 1)}


def endpoint_usage(sagemaker) -> Counter:
    """Instances per type of the account's endpoints (each variant's current count and its config's type)."""
    used = Counter()
    for page in sagemaker.get_paginator("list_endpoints").paginate():
        for summary in page["Endpoints"]:
            endpoint = sagemaker.describe_endpoint(EndpointName=summary["EndpointName"])
            config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
            types = {v["VariantName"]: v.get("InstanceType") for v in config["ProductionVariants"]}
            for variant in endpoint.get("ProductionVariants", []):
                if types.get(variant["VariantName"]):
                    used[types[variant["VariantName"]]] += variant.get("CurrentInstanceCount", 0)
    return used


def job_usage(sagemaker, kind: str) -> Counter:
    """Instances per type of the account's running processing or training jobs."""
    used = Counter()
    if kind == "processing job":
        for page in sagemaker.get_paginator("list_processing_jobs").paginate(StatusEquals="InProgress"):
            for job in page["ProcessingJobSummaries"]:
                cluster = sagemaker.describe_processing_job(ProcessingJobName=job["ProcessingJobName"])[
                    "ProcessingResources"]["ClusterConfig"]
                used[cluster["InstanceType"]] += cluster["InstanceCount"]
    else:
        for page in sagemaker.get_paginator("list_training_jobs").paginate(StatusEquals="InProgress"):
            for job in page["TrainingJobSummaries"]:
                config = sagemaker.describe_training_job(TrainingJobName=job["TrainingJobName"])["ResourceConfig"]
                used[config["InstanceType"]] += config["InstanceCount"]
    return used
