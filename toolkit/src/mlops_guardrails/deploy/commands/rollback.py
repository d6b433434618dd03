"""Roll back through the registry: mark every Approved version newer than N Rejected, with a reason.

The deploy pipeline starts on Approved and Rejected events and always deploys the newest Approved
version, so afterwards it redeploys version N. Refuses (exit 2, nothing changed) unless N is Approved
and the audit file can be appended to.

Safe to interrupt and to rerun: the plan goes to the audit file before the first change and each
rejection after it succeeds; versions are rejected oldest first, so until the last call the newest
Approved version stays the one live now (each Rejected event redeploys what already runs) and after
it is N, never a third version. A rerun with the same --to-version and --audit-file finishes the
unfinished plan, and the audit records every version once.
"""
import datetime
import fcntl
import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from mlops_guardrails import aws_formats

from mlops_guardrails.deploy import registry
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.json_input import parse_json

EPILOG = """exit codes: 0 rolled back (or nothing newer to reject); 2 version N unknown or not Approved,
no group, or an audit file that cannot be read or appended to (nothing changed); 1 an AWS error (rerun
the same command once it is fixed: it finishes the plan the audit file records).

audit file (JSON lines, one event each): planned (the versions to reject, before any change),
rejected (one per version, after its change), interrupted (the error and what remains), resumed (a
rerun picks the plan up), done (the summary, also printed to stdout).

examples:
  python -m deploy rollback --to-version 7 --reason "v8 over-predicts large abalone"
  python -m deploy rollback --to-version 7 --group myproject-p-abc123 --dry-run"""
NO_GROUP = "--group: not given and MODEL_PACKAGE_GROUP_NAME is not set"
NOTHING_NEWER = "version {version} is already the newest Approved version of {group}: nothing to reject"
AUDIT_UNREADABLE = "--audit-file {path}: cannot read it ({reason}): give a readable JSON-lines file or a new path"
AUDIT_NOT_JSON = "--audit-file {path}: line {line}: not a JSON object: it is not a rollback audit file"
AUDIT_UNWRITABLE = "--audit-file {path}: cannot append to it ({reason}): nothing was changed"
AUDIT_LOCKED = ("--audit-file {path}: another rollback holds it (it is locked for a run's whole life): wait for it "
                "to end, then rerun to finish its plan; nothing was changed")
AUDIT_TORN = ("warning: --audit-file {path}: line {line}: an event cut off mid-write (power loss or a full disk): "
              "ignored; the rerun records what that event would have")
AUDIT_FIELD = ("--audit-file {path}: line {line}: a {event} event without {field} ({rule}): it was edited by hand; "
               "restore the line or give a new audit file")
# What each event must hold for a rerun to finish its plan: field -> (the JSON type, its rule).
EVENT_FIELDS = {
    "planned": {"plan": (str, "a plan id"), "group": (str, "a group name"), "to_version": (int, "a version number"),
                "note": (str, "the rejection note"), "reject": (list, "the versions to reject")},
    "rejected": {"plan": (str, "a plan id"), "version": (int, "a version number")},
    "done": {"plan": (str, "a plan id")},
}


def configure(parser) -> None:
    parser.add_argument("--to-version", type=int, required=True, metavar="N", help="the Approved version to return to")
    parser.add_argument("--group", default=os.environ.get("MODEL_PACKAGE_GROUP_NAME"),
                        help="model package group (default: $MODEL_PACKAGE_GROUP_NAME)")
    parser.add_argument("--reason", default="manual rollback", help="why; recorded on every rejected version")
    parser.add_argument("--audit-file", type=Path, default=Path("rollback-audit.jsonl"),
                        help="JSON-lines file the audit events are appended to")
    parser.add_argument("--dry-run", action="store_true", help="print what would be rejected, change nothing")


def caller(session_sts) -> str:
    """Who is rolling back, for the audit line; never a reason to fail."""
    try:
        return session_sts.get_caller_identity()["Arn"]
    except Exception:  # noqa: BLE001 - identity is informative only
        return os.environ.get("USER", "unknown")


@dataclass
class Plan:
    """One rollback as the audit file records it: what it rejects and what is already done."""

    plan_id: str
    note: str
    versions: list[int]
    rejected: list[int] = field(default_factory=list)
    header: dict = field(default_factory=dict)


def read_audit(path: Path) -> list[dict]:
    """Every event in the audit file (none when it does not exist yet); InputError naming the path otherwise."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(AUDIT_UNREADABLE.format(path=path, reason=getattr(error, "strerror", None) or error)) from error
    return parse_audit(text, path)[0]


def parse_audit(text: str, path: Path) -> tuple[list[dict], str]:
    """The events, and the torn last line ("" if none): a last line that starts as this command writes an
    event but is not JSON and has no newline is what a write cut off leaves; it is reported and ignored, so
    that the documented rerun can finish."""
    events, torn = [], ""
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = parse_json(line, f"{path}:{number}", "an audit event")
        except InputError:
            event = None
        if event is None and number == len(lines) and line.startswith('{"event": '):  # an event's start, no newline after it
            print(AUDIT_TORN.format(path=path, line=number), file=sys.stderr)
            torn = line
            continue
        if not isinstance(event, dict):
            raise InputError(AUDIT_NOT_JSON.format(path=path, line=number))
        check_event(event, path, number)
        events.append(event)
    return events, torn


def check_event(event: dict, path: Path, number: int) -> None:
    for field_name, (kind, rule) in EVENT_FIELDS.get(event.get("event"), {}).items():
        value = event.get(field_name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InputError(AUDIT_FIELD.format(path=path, line=number, event=event["event"], field=field_name, rule=rule))
    if event.get("event") == "planned" and not all(isinstance(v, int) and not isinstance(v, bool) for v in event["reject"]):
        raise InputError(AUDIT_FIELD.format(path=path, line=number, event="planned", field="reject", rule="version numbers"))


def unfinished_plan(events: list[dict], group: str, version: int) -> Plan | None:
    """The latest plan for this group and target that has no `done` event, with the versions it recorded."""
    plans: dict[str, Plan] = {}
    for event in events:
        plan_id = event.get("plan")
        if event.get("event") == "planned" and event.get("group") == group and event.get("to_version") == version:
            plans[plan_id] = Plan(plan_id, event["note"], list(event["reject"]), header=event)
        elif plan_id in plans and event.get("event") == "rejected":
            plans[plan_id].rejected.append(event["version"])
        elif plan_id in plans and event.get("event") == "done":
            del plans[plan_id]
    return list(plans.values())[-1] if plans else None


class AuditFile:
    """Appends one JSON event per line and flushes it to disk before the next AWS call; holds an exclusive
    lock on the file for the run's whole life (a second rollback at once is refused), and drops a torn
    last line, recording it, before the first append."""

    def __init__(self, path: Path):
        if path.is_dir():
            raise InputError(AUDIT_UNREADABLE.format(path=path, reason="Is a directory"))
        self.path, self.new = path, not path.exists()
        try:
            self._file = path.open("a+", encoding="utf-8")
        except OSError as error:
            raise InputError(AUDIT_UNWRITABLE.format(path=path, reason=error.strerror or error)) from error
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise InputError(AUDIT_LOCKED.format(path=path)) from None
        self.written = False
        self._torn = ""

    def events(self) -> list[dict]:
        """The events, read under the lock."""
        self._file.seek(0)
        try:
            text = self._file.read()
        except UnicodeDecodeError as error:
            raise InputError(AUDIT_UNREADABLE.format(path=self.path, reason=error)) from error
        events, self._torn = parse_audit(text, self.path)
        return events

    def append(self, event: dict) -> None:
        if self._torn:  # cut the torn line off, keeping its text in the record
            self._file.truncate(self._file.seek(0, os.SEEK_END) - len(self._torn.encode("utf-8")))
            torn, self._torn = self._torn, ""
            self.append({"event": "torn-line-dropped", "time": now(), "text": torn})
        self._file.write(json.dumps(event, allow_nan=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.written = True

    def close(self) -> None:
        if self.new and not self.written:  # a run refused or failed before its first event leaves no file
            self.path.unlink(missing_ok=True)
        self._file.close()


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def new_plan(args, pending: list[registry.ModelPackage]) -> Plan:
    time, who = now(), caller(boto3.client("sts"))
    plan_id = uuid.uuid4().hex[:12]
    note = f"Rejected by rollback {plan_id} to version {args.to_version} at {time} by {who}: {args.reason}"
    header = {"time": time, "action": "rollback", "group": args.group, "to_version": args.to_version,
              "by": who, "reason": args.reason}
    return Plan(plan_id, note, [p.version for p in pending], header=header)


def rejected_by_plan(sm, plan: Plan, packages: list[registry.ModelPackage]) -> list[int]:
    """Versions of the plan that are Rejected with its note but not recorded: the call that was cut off."""
    found = []
    for package in packages:
        if package.version in plan.versions and package.version not in plan.rejected and package.status == registry.REJECTED:
            if plan.plan_id in registry.describe(sm, package.arn).get("ApprovalDescription", ""):
                found.append(package.version)
    return found


def summary(plan: Plan, dry_run: bool) -> dict:
    header = {key: plan.header[key] for key in ("group", "to_version", "by", "reason") if key in plan.header}
    return {"event": "done", "time": now(), "plan": plan.plan_id, "action": "rollback", **header,
            "rejected": sorted(plan.rejected), "dry_run": dry_run}


def run(args) -> int:
    if not args.group:
        raise InputError(NO_GROUP)
    problem = aws_formats.problem("--group", args.group, "model package group")
    if problem:
        raise InputError(problem)
    if args.dry_run:
        return preview(args)
    audit = AuditFile(args.audit_file)  # locked before the registry is read: what it reads stays true
    try:
        sm = boto3.client("sagemaker")
        packages = registry.list_packages(sm, args.group)
        pending = registry.rollback_plan(packages, args.to_version, args.group)
        plan = unfinished_plan(audit.events(), args.group, args.to_version)
        if plan is None and not pending:
            print(NOTHING_NEWER.format(version=args.to_version, group=args.group))
            return 0
        execute(sm, audit, plan, args, packages, pending)
    finally:
        audit.close()
    return 0


def preview(args) -> int:
    """--dry-run: what a run would reject now; reads the audit file without locking or changing it."""
    sm = boto3.client("sagemaker")
    packages = registry.list_packages(sm, args.group)
    pending = registry.rollback_plan(packages, args.to_version, args.group)
    plan = unfinished_plan(read_audit(args.audit_file), args.group, args.to_version)
    if plan is None and not pending:
        print(NOTHING_NEWER.format(version=args.to_version, group=args.group))
        return 0
    preview_plan = plan or new_plan(args, pending)
    print(json.dumps({**summary(preview_plan, True), "event": "planned", "reject": [p.version for p in pending]}))
    return 0


def execute(sm, audit: AuditFile, plan: Plan | None, args, packages, pending) -> None:
    """Record the intent, reject oldest first recording each outcome, then the summary."""
    plan = record_intent(sm, audit, plan, args, packages, pending)
    for position, package in enumerate(pending):
        try:
            registry.reject(sm, package, plan.note)
        except BaseException as error:
            audit.append({"event": "interrupted", "time": now(), "plan": plan.plan_id,
                          "error": f"{type(error).__name__}: {error}",
                          "remaining": [p.version for p in pending[position:]]})
            raise
        audit.append({"event": "rejected", "time": now(), "plan": plan.plan_id, "version": package.version})
        plan.rejected.append(package.version)
    done = summary(plan, False)
    audit.append(done)
    print(json.dumps(done))


def record_intent(sm, audit: AuditFile, plan: Plan | None, args, packages, pending) -> Plan:
    """A new plan's `planned` event; or a rerun's `resumed` event, with the rejections the earlier run
    made but could not record."""
    if plan is None:
        plan = new_plan(args, pending)
        audit.append({"event": "planned", "plan": plan.plan_id, **plan.header, "note": plan.note,
                      "reject": plan.versions})
        return plan
    plan.versions = sorted(set(plan.versions) | {p.version for p in pending})
    audit.append({"event": "resumed", "time": now(), "plan": plan.plan_id, "reject": [p.version for p in pending]})
    for version in rejected_by_plan(sm, plan, packages):
        audit.append({"event": "rejected", "time": now(), "plan": plan.plan_id, "version": version,
                      "recorded": "on rerun: the earlier run changed it but stopped before recording"})
        plan.rejected.append(version)
    return plan
