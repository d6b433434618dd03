"""Roll back through the registry: mark every Approved version newer than N Rejected, with a reason.

The deploy pipeline starts on Approved and Rejected events and always deploys the newest Approved
version, so afterwards it redeploys version N. Refuses (exit 2, nothing changed) unless N is Approved.
"""
import datetime
import json
import os
from pathlib import Path

import boto3

from deploy import registry
from deploy.errors import InputError

EPILOG = """exit codes: 0 rolled back (or nothing newer to reject); 2 version N unknown or not Approved,
or no group; 1 an AWS error. Every rejection carries the reason in its ApprovalDescription, and one
audit line (JSON) goes to stdout and to --audit-file.

examples:
  python -m deploy rollback --to-version 7 --reason "v8 over-predicts large abalone"
  python -m deploy rollback --to-version 7 --group myproject-p-abc123 --dry-run"""
NO_GROUP = "--group: not given and MODEL_PACKAGE_GROUP_NAME is not set"
NOTHING_NEWER = "version {version} is already the newest Approved version of {group}: nothing to reject"


def configure(parser) -> None:
    parser.add_argument("--to-version", type=int, required=True, metavar="N", help="the Approved version to return to")
    parser.add_argument("--group", default=os.environ.get("MODEL_PACKAGE_GROUP_NAME"),
                        help="model package group (default: $MODEL_PACKAGE_GROUP_NAME)")
    parser.add_argument("--reason", default="manual rollback", help="why; recorded on every rejected version")
    parser.add_argument("--audit-file", type=Path, default=Path("rollback-audit.jsonl"),
                        help="JSON-lines file the audit line is appended to")
    parser.add_argument("--dry-run", action="store_true", help="print what would be rejected, change nothing")


def caller(session_sts) -> str:
    """Who is rolling back, for the audit line; never a reason to fail."""
    try:
        return session_sts.get_caller_identity()["Arn"]
    except Exception:  # noqa: BLE001 - identity is informative only
        return os.environ.get("USER", "unknown")


def run(args) -> int:
    if not args.group:
        raise InputError(NO_GROUP)
    sm = boto3.client("sagemaker")
    newer = registry.rollback_plan(registry.list_packages(sm, args.group), args.to_version, args.group)
    if not newer:
        print(NOTHING_NEWER.format(version=args.to_version, group=args.group))
        return 0
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    who = caller(boto3.client("sts"))
    note = f"Rejected by rollback to version {args.to_version} at {now} by {who}: {args.reason}"
    audit = {"time": now, "action": "rollback", "group": args.group, "to_version": args.to_version,
             "rejected": [p.version for p in newer], "by": who, "reason": args.reason, "dry_run": args.dry_run}
    if not args.dry_run:
        for package in newer:
            registry.reject(sm, package, note)
        with args.audit_file.open("a") as audit_file:
            audit_file.write(json.dumps(audit) + "\n")
    print(json.dumps(audit))
    return 0
