"""Model registry: newest Approved selection across pages, version resolution, live model, rollback plan."""
import pytest

from mlops_guardrails.deploy import registry
from mlops_guardrails.errors import DeployError, InputError

STATUSES = ["Approved", "PendingManualApproval", "Rejected", "Approved", "Approved",
            "Rejected", "PendingManualApproval", "Approved", "Rejected", "PendingManualApproval",
            "Approved", "Rejected"]

def test_approved_packages_across_pages_with_mixed_statuses_are_newest_first(sm, register, unique):
    group = unique("select")
    register(sm, group, STATUSES)
    approved = registry.approved_packages(sm, group, page_size=3)
    assert [p.version for p in approved] == [11, 8, 5, 4, 1]
    assert {p.status for p in approved} == {"Approved"}


def test_list_packages_without_status_returns_every_version(sm, register, unique):
    group = unique("every")
    register(sm, group, STATUSES)
    assert [p.version for p in registry.list_packages(sm, group, page_size=5)] == list(range(12, 0, -1))


def test_approved_packages_none_approved_raises_naming_the_group(sm, register, unique):
    group = unique("none")
    register(sm, group, ["PendingManualApproval", "Rejected"])
    with pytest.raises(DeployError, match=f"no Approved model package in group {group}"):
        registry.approved_packages(sm, group)


def test_resolve_version_latest_previous_and_number(sm, register, unique):
    group = unique("resolve")
    arns = register(sm, group, ["Approved", "Rejected", "Approved", "Approved"])
    approved = registry.approved_packages(sm, group)
    assert registry.resolve_version(approved, "latest", group).arn == arns[3]
    assert registry.resolve_version(approved, "previous", group).arn == arns[2]
    assert registry.resolve_version(approved, 1, group).arn == arns[0]


def test_resolve_version_rejected_number_is_unknown(sm, register, unique):
    group = unique("unknown")
    register(sm, group, ["Approved", "Rejected"])
    approved = registry.approved_packages(sm, group)
    with pytest.raises(InputError, match=r"ModelVersion 2: .* has no Approved version 2 \(Approved: 1\)"):
        registry.resolve_version(approved, 2, group)


def test_resolve_version_previous_with_one_approved_raises(sm, register, unique):
    group = unique("previous")
    register(sm, group, ["Approved"])
    with pytest.raises(DeployError, match="has only one Approved version"):
        registry.resolve_version(registry.approved_packages(sm, group), "previous", group)


def test_live_package_arn_reads_endpoint_config_and_model(sm, register, unique, deploy_endpoint):
    group, endpoint = unique("live"), unique("live-ep")
    arns = register(sm, group, ["Approved", "Approved"])
    deploy_endpoint(sm, endpoint, arns[0])
    assert registry.live_package_arn(sm, endpoint, "AllTraffic") == arns[0]


def test_live_package_arn_without_endpoint_raises(sm, unique):
    endpoint = unique("absent")
    with pytest.raises(DeployError, match=f"endpoint {endpoint} does not exist yet"):
        registry.live_package_arn(sm, endpoint, "AllTraffic")


def test_rollback_plan_lists_newer_approved_versions_oldest_first():
    packages = [registry.ModelPackage(f"arn/{n}", n, s)
                for n, s in [(5, "Approved"), (4, "Rejected"), (3, "Approved"), (2, "Approved"), (1, "Approved")]]
    assert [p.version for p in registry.rollback_plan(packages, 2, "g")] == [3, 5]


def test_rollback_plan_order_keeps_the_live_or_the_target_the_newest_approved_at_every_step():
    packages = [registry.ModelPackage(f"arn/{n}", n, "Approved") for n in range(9, 0, -1)]
    plan = registry.rollback_plan(packages, 3, "g")
    approved = {p.version for p in packages}
    for package in plan:
        approved.discard(package.version)
        assert max(approved) in (9, 3)
    assert max(approved) == 3


def test_rollback_plan_to_rejected_version_refuses():
    packages = [registry.ModelPackage("arn/2", 2, "Approved"), registry.ModelPackage("arn/1", 1, "Rejected")]
    with pytest.raises(InputError, match="version 1 of g is Rejected, not Approved"):
        registry.rollback_plan(packages, 1, "g")


def test_rollback_plan_to_unknown_version_refuses():
    packages = [registry.ModelPackage("arn/1", 1, "Approved")]
    with pytest.raises(InputError, match=r"g has no version 7 \(versions: 1\)"):
        registry.rollback_plan(packages, 7, "g")
