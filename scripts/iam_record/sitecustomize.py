"""Loaded by a child process whose PYTHONPATH starts here (scripts/iam_actions.child_environment): when
IAM_RECORD_FILE is set, every boto3 call of the process is appended there for the permissions test."""
import os
import sys

if os.environ.get("IAM_RECORD_FILE"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from iam_actions import record_child_process

    record_child_process()
