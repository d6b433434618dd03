"""The infrastructure part of an upgrade, before anything changes: the project stack's change (a CloudFormation
change set on the S3 path, a Service Catalog provisioned-product plan on the portfolio path) as a table of
resources added, modified, replaced and removed, and the refusal of any change that would replace or remove a
resource holding data or history unless that resource is explicitly allowed."""
import time
from dataclasses import dataclass

# Resources whose replacement or removal loses what a team cannot recreate: artifacts and data, the key that
# encrypts them, the registry's model versions, the repositories' history, the pipelines' execution history.
DATA_HOLDING = {
    "AWS::S3::Bucket": "its objects (model artifacts, data, pipeline outputs)",
    "AWS::KMS::Key": "every object encrypted with it",
    "AWS::SageMaker::ModelPackageGroup": "the registered model versions and their approvals",
    "AWS::CodeCommit::Repository": "the repository's history",
    "AWS::CodePipeline::Pipeline": "the pipeline's execution history",
    "AWS::SageMaker::Pipeline": "the pipeline's execution history",
    "AWS::ECR::Repository": "its images",
}
ALLOW_OPTION = "--allow-replace"
CATEGORIES = ("added", "modified", "replaced", "removed")
PLAN_POLL_SECONDS = 5


@dataclass(frozen=True)
class Change:
    """One resource's change, as CloudFormation's ResourceChange (and Service Catalog's plan) describe it."""

    logical_id: str
    resource_type: str
    action: str  # Add, Modify, Remove (Import, Dynamic: shown as modified)
    replacement: str = "False"  # True, False, Conditional: Conditional may replace, so it counts as replaced

    @property
    def category(self) -> str:
        if self.action == "Add":
            return "added"
        if self.action == "Remove":
            return "removed"
        return "replaced" if self.replacement in ("True", "Conditional") else "modified"

    @property
    def loses_data(self) -> bool:
        return self.resource_type in DATA_HOLDING and self.category in ("replaced", "removed")


def changes_from(resource_changes: list[dict]) -> list[Change]:
    """Changes from a change set's Changes[].ResourceChange or a plan's ResourceChanges (same field names)."""
    return [Change(logical_id=rc["LogicalResourceId"], resource_type=rc.get("ResourceType", "?"),
                   action=rc.get("Action", "Modify"), replacement=rc.get("Replacement") or "False")
            for rc in resource_changes]


def table(changes: list[Change]) -> list[str]:
    """The preview as text: one row per resource, grouped added, modified, replaced, removed."""
    if not changes:
        return ["no resource changes"]
    width = max(len(c.logical_id) for c in changes)
    rows = [f"{'change':<9} {'resource':<{width}} type"]
    for category in CATEGORIES:
        rows += [f"{category:<9} {c.logical_id:<{width}} {c.resource_type}"
                 + ("   <- holds data" if c.loses_data else "")
                 for c in sorted(changes, key=lambda c: c.logical_id) if c.category == category]
    return rows


def refusals(changes: list[Change], allowed: set[str]) -> list[str]:
    """One message per data-holding resource that would be replaced or removed and is not in `allowed`."""
    return [f"{c.logical_id} ({c.resource_type}) would be {c.category}, losing {DATA_HOLDING[c.resource_type]}: "
            f"pass {ALLOW_OPTION} {c.logical_id} to accept this"
            for c in changes if c.loses_data and c.logical_id not in allowed]


def change_set_changes(cfn, stack: str, change_set: str, template_url: str, parameters: list[dict]) -> list[Change]:
    """Create a change set on the project stack, read its changes and delete it (a preview changes nothing)."""
    cfn.create_change_set(StackName=stack, ChangeSetName=change_set, ChangeSetType="UPDATE", TemplateURL=template_url,
                          Parameters=parameters, Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    try:
        described = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
        while described["Status"] in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
            cfn.get_waiter("change_set_create_complete").wait(StackName=stack, ChangeSetName=change_set,
                                                              WaiterConfig={"Delay": 5, "MaxAttempts": 120})
            described = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
        if described["Status"] == "FAILED":
            if "didn't contain changes" in described.get("StatusReason", ""):
                return []
            raise RuntimeError(f"change set {change_set} on {stack}: {described.get('StatusReason')}")
        return changes_from([c["ResourceChange"] for c in described.get("Changes", [])])
    finally:
        cfn.delete_change_set(StackName=stack, ChangeSetName=change_set)


def plan_changes(sc, *, plan_name: str, product_id: str, provisioned_product: str, artifact_id: str,
                 token: str, sleep=time.sleep) -> list[Change]:
    """A Service Catalog UPDATE plan of the provisioned product to `artifact_id`: its resource changes, then the
    plan is deleted (a preview changes nothing)."""
    plan_id = sc.create_provisioned_product_plan(
        PlanName=plan_name, PlanType="CLOUDFORMATION", ProductId=product_id, ProvisionedProductName=provisioned_product,
        ProvisioningArtifactId=artifact_id, IdempotencyToken=token)["PlanId"]
    try:
        described = sc.describe_provisioned_product_plan(PlanId=plan_id)
        while (status := described["ProvisionedProductPlanDetails"]["Status"]) == "CREATE_IN_PROGRESS":
            sleep(PLAN_POLL_SECONDS)
            described = sc.describe_provisioned_product_plan(PlanId=plan_id)
        if status != "CREATE_SUCCESS":
            raise RuntimeError(f"plan {plan_name}: {status}: "
                               f"{described['ProvisionedProductPlanDetails'].get('StatusMessage', '')}")
        return changes_from(described.get("ResourceChanges", []))
    finally:
        sc.delete_provisioned_product_plan(PlanId=plan_id)


def template_changes(old: dict, new: dict, region: str = "us-east-1") -> list[Change]:
    """The change between two templates without CloudFormation (the offline rehearsal, where the emulator cannot
    create the project stack): resources added, removed and modified by logical id; a modification replaces the
    resource when it changes a create-only property of the resource type's registry schema (the schemas cfn-lint
    ships: CloudFormation's own rule for "Update requires: Replacement")."""
    before, after = old.get("Resources", {}), new.get("Resources", {})
    changes = [Change(logical_id, after[logical_id]["Type"], "Add") for logical_id in after if logical_id not in before]
    changes += [Change(logical_id, before[logical_id]["Type"], "Remove") for logical_id in before
                if logical_id not in after]
    for logical_id in sorted(set(before) & set(after)):
        if before[logical_id] == after[logical_id]:
            continue
        if before[logical_id]["Type"] != after[logical_id]["Type"]:  # a new type under the same id: a new resource
            changes.append(Change(logical_id, after[logical_id]["Type"], "Modify", "True"))
            continue
        changed = {name for name in set(before[logical_id].get("Properties", {})) | set(after[logical_id].get(
            "Properties", {})) if before[logical_id].get("Properties", {}).get(name) != after[logical_id].get(
            "Properties", {}).get(name)}
        changes.append(Change(logical_id, after[logical_id]["Type"], "Modify",
                              replacement(after[logical_id]["Type"], changed, region)))
    return changes


def replacement(resource_type: str, changed: set[str], region: str) -> str:
    """True when a changed property is create-only, Conditional when one inside it is (or the type is unknown)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    from cfnlint.schema._exceptions import ResourceNotFoundError

    try:
        create_only = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema.get(
            "createOnlyProperties", [])
    except ResourceNotFoundError:  # a type the schemas do not know: it may be replaced
        return "Conditional"
    tops = {path.split("/")[2]: path.count("/") == 2 for path in create_only if path.startswith("/properties/")}
    if any(tops.get(name) is True for name in changed):
        return "True"
    return "Conditional" if any(name in tops for name in changed) else "False"
