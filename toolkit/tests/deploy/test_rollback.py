"""rollback --to-version N: newer Approved versions become Rejected with a reason and an audit line."""
import contextlib
import json
import re

import pytest

from mlops_guardrails.deploy import cli, registry
from mlops_guardrails.emulator import embedded_emulator


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
    assert re.match(r"Rejected by rollback [0-9a-f]{12} to version 2 at ", description)
    assert description.endswith(": v6 drifts")
    events = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [e["event"] for e in events] == ["planned", "rejected", "rejected", "done"]
    assert events[0]["reject"] == [4, 6]  # oldest first: the newest Approved stays v6 until its own turn
    assert [e["version"] for e in events[1:3]] == [4, 6]
    line = events[-1]
    assert (line["group"], line["to_version"], line["rejected"], line["reason"]) == (group, 2, [4, 6], "v6 drifts")
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
    assert json.loads(capsys.readouterr().out)["reject"] == [2]
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


def test_rollback_with_audit_file_in_missing_folder_exits_2_and_changes_nothing(sm, register, unique, tmp_path, capsys):
    group = unique("rbdir")
    register(sm, group, ["Approved", "Approved", "Approved"])
    audit = tmp_path / "missing" / "audit.jsonl"
    assert cli.main(["rollback", "--to-version", "1", "--group", group, "--audit-file", str(audit)]) == 2
    assert f"error: --audit-file {audit}: cannot append to it (No such file or directory)" in capsys.readouterr().err
    assert statuses(sm, group) == {1: "Approved", 2: "Approved", 3: "Approved"}
    assert not audit.parent.exists()


def test_rollback_with_audit_file_that_is_not_an_audit_exits_2_and_changes_nothing(sm, register, unique, tmp_path, capsys):
    group = unique("rbbad")
    register(sm, group, ["Approved", "Approved"])
    audit = tmp_path / "audit.jsonl"
    audit.write_text("not json\n")
    assert cli.main(["rollback", "--to-version", "1", "--group", group, "--audit-file", str(audit)]) == 2
    assert f"--audit-file {audit}: line 1: not a JSON object" in capsys.readouterr().err
    assert statuses(sm, group) == {1: "Approved", 2: "Approved"}
    assert audit.read_text() == "not json\n"


# The fault tests below use their own moto server so that they can stop it: the emulator "going away"
# after k of the n UpdateModelPackage calls is a real refused connection (botocore's
# EndpointConnectionError), not a stubbed exception. moto's state lives in this process, so a server
# started afterwards serves the same registry, as AWS would once it is reachable again.
LIVE, TARGET = 7, 2
STATUSES = ["Approved", "Approved", "Approved", "PendingManualApproval", "Approved", "Approved", "Approved"]
TO_REJECT = [3, 5, 6, 7]


class OwnServer:
    """A moto server of the test's own (mlops_guardrails.emulator's, which stops within its short poll, not moto's
    ThreadedMotoServer, which waits out a half-second poll on every stop), with AWS_ENDPOINT_URL on it."""

    def __init__(self, monkeypatch, after_test: contextlib.ExitStack):
        self._running = contextlib.ExitStack()
        after_test.callback(self._running.close)  # stopped at the latest when the test ends, even failing
        self.url = self._running.enter_context(embedded_emulator())
        self._monkeypatch = monkeypatch
        monkeypatch.setenv("AWS_ENDPOINT_URL", self.url)

    def stop(self) -> None:
        self._running.close()  # its port is closed: a request now gets a refused connection
        # embedded_emulator puts back the URL it found (the session's emulator, which serves the same moto
        # state): AWS being gone means every client, even one made after this, still talks to this URL.
        self._monkeypatch.setenv("AWS_ENDPOINT_URL", self.url)


@pytest.fixture
def own_server(monkeypatch):
    """own_server() -> a started OwnServer."""
    with contextlib.ExitStack() as after_test:
        yield lambda: OwnServer(monkeypatch, after_test)


def newest_approved(sm, group):
    return registry.approved_packages(sm, group)[0].version


def hooked_session(monkeypatch, event: str, handler):
    """boto3's default session with `handler` on `event`: the clients rollback makes get it."""
    import boto3

    session = boto3.session.Session()
    session.events.register(event, handler)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)


def audit_events(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def assert_finished_once(sm, group, audit):
    assert statuses(sm, group) == {1: "Approved", 2: "Approved", 3: "Rejected", 4: "PendingManualApproval",
                                   5: "Rejected", 6: "Rejected", 7: "Rejected"}
    events = audit_events(audit)
    assert len({e["plan"] for e in events}) == 1
    assert sorted(e["version"] for e in events if e["event"] == "rejected") == TO_REJECT
    assert events[-1]["event"] == "done" and events[-1]["rejected"] == TO_REJECT


@pytest.mark.parametrize("k", range(len(TO_REJECT)))
def test_rollback_emulator_gone_after_k_updates_keeps_live_or_target_newest_and_rerun_finishes(
        k, register, unique, tmp_path, monkeypatch, capsys, own_server):
    import boto3

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # one refused connection is the failure, no retry loop
    server = own_server()
    sm = boto3.client("sagemaker")
    group = unique("rbk")
    register(sm, group, STATUSES)
    seen, calls = [], []

    def before_update(**_):
        seen.append(newest_approved(sm, group))  # the version the deploy pipeline would deploy right now
        if len(calls) == k:
            server.stop()
        calls.append(1)

    hooked_session(monkeypatch, "before-call.sagemaker.UpdateModelPackage", before_update)
    audit = tmp_path / "audit.jsonl"
    command = ["rollback", "--to-version", str(TARGET), "--group", group, "--audit-file", str(audit)]
    assert cli.main(command) == 1
    err = capsys.readouterr().err
    assert f"error: AWS call sagemaker:UpdateModelPackage on arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/{TO_REJECT[k]} failed: Could not connect to the endpoint URL" in err
    assert "Traceback" not in err
    events = audit_events(audit)
    assert [e["event"] for e in events] == ["planned"] + ["rejected"] * k + ["interrupted"]
    assert events[0]["reject"] == TO_REJECT and events[-1]["remaining"] == TO_REJECT[k:]

    server = own_server()  # AWS is back
    try:
        sm = boto3.client("sagemaker")
        assert newest_approved(sm, group) == LIVE  # the interruption left the live version the one to deploy
        hooked_session(monkeypatch, "before-call.sagemaker.UpdateModelPackage",
                       lambda **_: seen.append(newest_approved(sm, group)))
        assert cli.main(command) == 0
        seen.append(newest_approved(sm, group))
        assert set(seen) == {LIVE, TARGET} and seen[-1] == TARGET and seen.count(TARGET) == 1
        assert_finished_once(sm, group, audit)
        assert [e["event"] for e in audit_events(audit)][k + 2:] == ["resumed"] + ["rejected"] * (4 - k) + ["done"]
    finally:
        server.stop()


def cut_off_after_two_updates(group: str, audit, monkeypatch) -> tuple:
    """Run the rollback to TARGET and stop it (Ctrl-C) right after AWS answered its second update, before
    that update is recorded; the audit file and the command, for the rerun."""
    calls = []

    def after_update(**_):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    hooked_session(monkeypatch, "after-call.sagemaker.UpdateModelPackage", after_update)
    command = ["rollback", "--to-version", str(TARGET), "--group", group, "--audit-file", str(audit)]
    with pytest.raises(KeyboardInterrupt):
        cli.main(command)
    return audit, command


def test_rollback_cut_off_after_an_update_before_its_record_is_recorded_once_on_rerun(
        register, unique, tmp_path, monkeypatch, capsys, own_server):
    """The process stops between AWS's answer and the audit line (Ctrl-C): the rerun records that version."""
    import boto3

    server = own_server()
    try:
        sm = boto3.client("sagemaker")
        group = unique("rbcut")
        register(sm, group, STATUSES)
        audit, command = cut_off_after_two_updates(group, tmp_path / "audit.jsonl", monkeypatch)
        assert statuses(sm, group)[5] == "Rejected"
        assert [e["event"] for e in audit_events(audit)] == ["planned", "rejected", "interrupted"]

        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        assert cli.main(command) == 0
        assert_finished_once(sm, group, audit)
        recorded = [e for e in audit_events(audit) if e.get("version") == 5]
        assert recorded[0]["recorded"].startswith("on rerun")
    finally:
        server.stop()


def test_rollback_after_a_torn_last_audit_line_reports_it_and_the_rerun_finishes_once(
        register, unique, tmp_path, monkeypatch, capsys, own_server):
    """Power loss mid-write: the audit ends in half an event. The rerun warns, drops it (keeping its text in
    the record) and finishes the plan, every version recorded once."""
    import boto3

    server = own_server()
    try:
        sm = boto3.client("sagemaker")
        group = unique("rbtorn")
        register(sm, group, STATUSES)
        audit, command = cut_off_after_two_updates(group, tmp_path / "audit.jsonl", monkeypatch)
        with audit.open("a") as file:
            file.write('{"event": "rejected", "time": "2026-')  # the rest never reached the disk
        capsys.readouterr()
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        assert cli.main(command) == 0
        err = capsys.readouterr().err
        assert f"warning: --audit-file {audit}: line 4: an event cut off mid-write" in err
        dropped = [e for e in audit_events(audit) if e["event"] == "torn-line-dropped"]
        assert [e["text"] for e in dropped] == ['{"event": "rejected", "time": "2026-']
        events = [e for e in audit_events(audit) if e["event"] != "torn-line-dropped"]
        audit.write_text("".join(json.dumps(e) + "\n" for e in events))
        assert_finished_once(sm, group, audit)
    finally:
        server.stop()


def test_two_rollbacks_at_once_the_second_is_refused_and_changes_nothing(sm, register, unique, tmp_path, capsys):
    """A second process holds the audit file as a running rollback does; this one is refused at once."""
    import subprocess
    import sys

    group = unique("rblock")
    register(sm, group, ["Approved", "Approved", "Approved"])
    audit = tmp_path / "audit.jsonl"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); "
                               "print('held', flush=True); sys.stdin.read()", str(audit)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        command = ["rollback", "--to-version", "1", "--group", group, "--audit-file", str(audit)]
        assert cli.main(command) == 2
        assert (f"error: --audit-file {audit}: another rollback holds it (it is locked for a run's whole life)"
                in capsys.readouterr().err)
        assert statuses(sm, group) == {1: "Approved", 2: "Approved", 3: "Approved"}
        assert audit.read_text() == ""
    finally:
        holder.communicate("")
    assert cli.main(command) == 0  # the lock ends with its holder
    assert [e["event"] for e in audit_events(audit)] == ["planned", "rejected", "rejected", "done"]


def test_hand_edited_audit_event_without_a_field_is_a_named_error(sm, register, unique, tmp_path, capsys):
    group = unique("rbedit")
    register(sm, group, ["Approved", "Approved"])
    audit = tmp_path / "audit.jsonl"
    audit.write_text(json.dumps({"event": "planned", "plan": "abc", "group": group, "to_version": 1, "reject": [2]}) + "\n")
    assert cli.main(["rollback", "--to-version", "1", "--group", group, "--audit-file", str(audit)]) == 2
    assert (f"error: --audit-file {audit}: line 1: a planned event without note (the rejection note): it was edited "
            f"by hand; restore the line or give a new audit file\n") == capsys.readouterr().err
    assert statuses(sm, group) == {1: "Approved", 2: "Approved"}
