"""The model registry: approved versions newest first, ModelVersion resolution and the rollback by rejection."""
from dataclasses import dataclass

from mlops_guardrails.errors import DeployError, InputError

APPROVED = "Approved"
REJECTED = "Rejected"
NO_APPROVED_MODEL = (
    "no Approved model package in group {group}: approve one in the model registry "
    "(Studio, or `aws sagemaker update-model-package --model-approval-status Approved`)"
)
NO_PREVIOUS_MODEL = "ModelVersion \"previous\": group {group} has only one Approved version ({version})"
UNKNOWN_VERSION = "ModelVersion {version}: {group} has no Approved version {version} (Approved: {approved})"
LIVE_NO_ENDPOINT = (
    "ModelVersion \"live\": endpoint {endpoint} does not exist yet, so nothing is live to compare with: "
    "deploy a config without \"live\" first"
)
LIVE_NO_PACKAGE = "ModelVersion \"live\": endpoint {endpoint} serves model {model}, which is not from a model package"
LIVE_NO_VARIANT = "ModelVersion \"live\": endpoint {endpoint} has no production variant to read (config {config})"


@dataclass(frozen=True)
class ModelPackage:
    """One registered model version."""

    arn: str
    version: int
    status: str


def _package(summary: dict) -> ModelPackage:
    return ModelPackage(
        arn=summary["ModelPackageArn"],
        version=int(summary.get("ModelPackageVersion") or summary["ModelPackageArn"].rsplit("/", 1)[1]),
        status=summary["ModelApprovalStatus"],
    )


def list_packages(sm, group: str, status: str | None = None, page_size: int = 100) -> list[ModelPackage]:
    """Every version in `group` (of `status` when given), newest first, across all pages."""
    query = {"ModelPackageGroupName": group, "SortBy": "CreationTime", "SortOrder": "Descending"}
    if status:
        query["ModelApprovalStatus"] = status
    pages = sm.get_paginator("list_model_packages").paginate(**query, PaginationConfig={"PageSize": page_size})
    packages = [_package(s) for page in pages for s in page["ModelPackageSummaryList"]]
    # Filter again on our side: the status filter is the whole point, never trust it blindly.
    chosen = [p for p in packages if status is None or p.status == status]
    return sorted(chosen, key=lambda p: p.version, reverse=True)


def approved_packages(sm, group: str, page_size: int = 100) -> list[ModelPackage]:
    """Approved versions, newest first; DeployError when there is none."""
    approved = list_packages(sm, group, APPROVED, page_size)
    if not approved:
        raise DeployError(NO_APPROVED_MODEL.format(group=group))
    return approved


def live_package_arn(sm, endpoint: str, variant_name: str) -> str:
    """The model package behind `variant_name` (or the only variant) of the endpoint as it runs now."""
    try:
        config_name = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    except sm.exceptions.ClientError as error:
        if "not found" in str(error).lower() or "could not find" in str(error).lower():
            raise DeployError(LIVE_NO_ENDPOINT.format(endpoint=endpoint)) from error
        raise
    variants = sm.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    named = [v for v in variants if v["VariantName"] == variant_name] or (variants if len(variants) == 1 else [])
    if not named:
        raise DeployError(LIVE_NO_VARIANT.format(endpoint=endpoint, config=config_name))
    model = sm.describe_model(ModelName=named[0]["ModelName"])
    containers = [model.get("PrimaryContainer", {})] + model.get("Containers", [])
    arns = [c["ModelPackageName"] for c in containers if c.get("ModelPackageName")]
    if not arns:
        raise DeployError(LIVE_NO_PACKAGE.format(endpoint=endpoint, model=named[0]["ModelName"]))
    return arns[0]


def resolve_version(approved: list[ModelPackage], spec, group: str) -> ModelPackage:
    """"latest", "previous" or a version number -> the Approved package it names ("live" is not handled here)."""
    if spec == "latest":
        return approved[0]
    if spec == "previous":
        if len(approved) < 2:
            raise DeployError(NO_PREVIOUS_MODEL.format(group=group, version=approved[0].version))
        return approved[1]
    matches = [p for p in approved if p.version == spec]
    if not matches:
        listed = ", ".join(str(p.version) for p in approved)
        raise InputError(UNKNOWN_VERSION.format(version=spec, group=group, approved=listed))
    return matches[0]


def describe(sm, arn: str) -> dict:
    return sm.describe_model_package(ModelPackageName=arn)


ROLLBACK_UNKNOWN = "--to-version {version}: group {group} has no version {version} (versions: {versions})"
ROLLBACK_NOT_APPROVED = (
    "--to-version {version}: version {version} of {group} is {status}, not Approved: "
    "roll back only to an Approved version (approve it first if you mean it)"
)


def rollback_plan(packages: list[ModelPackage], version: int, group: str) -> list[ModelPackage]:
    """The Approved versions newer than `version`, OLDEST first; InputError unless `version` is Approved.

    Rejecting in this order keeps the newest Approved version the live one (the newest) until the
    last call, and the target after it: an interruption never makes a third version the one to deploy.
    """
    target = [p for p in packages if p.version == version]
    if not target:
        versions = ", ".join(str(p.version) for p in packages) or "none"
        raise InputError(ROLLBACK_UNKNOWN.format(version=version, group=group, versions=versions))
    if target[0].status != APPROVED:
        raise InputError(ROLLBACK_NOT_APPROVED.format(version=version, group=group, status=target[0].status))
    return sorted((p for p in packages if p.version > version and p.status == APPROVED), key=lambda p: p.version)


def reject(sm, package: ModelPackage, reason: str) -> None:
    sm.update_model_package(
        ModelPackageArn=package.arn, ModelApprovalStatus=REJECTED, ApprovalDescription=reason[:1024]
    )
