"""rollback --to-version N: newer Approved versions become Rejected with a reason and an audit line."""
import json

from deploy import cli, registry


def statuses(sm, group):
    return {p.version: p.status for p in registry.list_packages(sm, group)}


def test_rollback_rejects_newer_approved_versions_with_reason_and_audit(sm, register, unique, tmp_path, capsys):
    group = unique("rb")
    arns = register(sm, group, ["Approved", "Approved", "PendingManualApproval", "Approved", "Rejected", "Approved"])
    audit = tmp_path / "audit.jsonl"
    code = cli.main(["rollback", "--to-version", "2", "--group", group, "--reason", "v6 drifts",
                     "--audit-file", str(audit)])
    assert code == 0
    assert statuses(sm, group) == {1: "Approved", 2: "Approved", 3: "PendingManualApproval", 4: "Rejected",
                                   5: "Rejected", 6: "Rejected"}
    description = sm.describe_model_package(ModelPackageName=arns[5])["ApprovalDescription"]
    assert description.startswith("Rejected by rollback to version 2 at ")
    assert description.endswith(": v6 drifts")
    line = json.loads(audit.read_text())
    assert (line["group"], line["to_version"], line["rejected"], line["reason"]) == (group, 2, [6, 4], "v6 drifts")
    assert json.loads(capsys.readouterr().out) == line
    assert registry.approved_packages(sm, group)[0].version == 2


def test_rollback_to_rejected_version_refuses_and_changes_nothing(sm, register, unique, tmp_path, capsys):
    group = unique("rbno")
    register(sm, group, ["Rejected", "Approved"])
    code = cli.main(["rollback", "--to-version", "1", "--group", group, "--audit-file", str(tmp_path / "a.jsonl")])
    assert code == 2
    assert f"error: --to-version 1: version 1 of {group} is Rejected, not Approved" in capsys.readouterr().err
    assert statuses(sm, group) == {1: "Rejected", 2: "Approved"}
    assert not (tmp_path / "a.jsonl").exists()


def test_rollback_to_unknown_version_exits_2(sm, register, unique, tmp_path, capsys):
    group = unique("rbunk")
    register(sm, group, ["Approved"])
    assert cli.main(["rollback", "--to-version", "9", "--group", group, "--audit-file", str(tmp_path / "a")]) == 2
    assert f"{group} has no version 9 (versions: 1)" in capsys.readouterr().err


def test_rollback_dry_run_changes_nothing(sm, register, unique, tmp_path, capsys):
    group = unique("rbdry")
    register(sm, group, ["Approved", "Approved"])
    assert cli.main(["rollback", "--to-version", "1", "--group", group, "--dry-run",
                     "--audit-file", str(tmp_path / "a")]) == 0
    assert json.loads(capsys.readouterr().out)["rejected"] == [2]
    assert statuses(sm, group) == {1: "Approved", 2: "Approved"}


def test_rollback_to_newest_has_nothing_to_reject(sm, register, unique, tmp_path, capsys):
    group = unique("rbnew")
    register(sm, group, ["Approved", "Approved"])
    assert cli.main(["rollback", "--to-version", "2", "--group", group, "--audit-file", str(tmp_path / "a")]) == 0
    assert "nothing to reject" in capsys.readouterr().out


def test_rollback_without_group_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("MODEL_PACKAGE_GROUP_NAME", raising=False)
    assert cli.main(["rollback", "--to-version", "1"]) == 2
    assert "MODEL_PACKAGE_GROUP_NAME is not set" in capsys.readouterr().err
