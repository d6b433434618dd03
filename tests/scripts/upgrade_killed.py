"""The first run of the kill-and-rerun test, as its own process: upgrade_project.upgrade with the stubs of a
1.0.0 project, SIGKILLed by itself as soon as `kill_after` is printed (no cleanup, no exception handling runs).
Usage: upgrade_killed.py PUBLISHED_JSON KILL_AFTER"""
import json
import os
import signal
import sys
from pathlib import Path

import boto3
from botocore.stub import Stubber

import test_upgrade_project as case
import upgrade_project


def main() -> None:
    published = {key: Path(value) if key in ("changelog", "out") else value
                 for key, value in json.loads(sys.argv[1]).items()}
    kill_after = sys.argv[2]
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:
        sm.add_response("describe_project", case.described(published, "1.0.0"), {"ProjectName": "churn"})
        for seed in ("seed-build", "seed-deploy"):
            case.stub_head(cc, case.repo(seed), case.TEAM_HEAD)
        sm.add_response("update_project", {"ProjectArn": "arn:aws:sagemaker:us-east-1:123456789012:project/churn"})
        sm.add_response("describe_project", case.described(published, "2.0.0", "UpdateCompleted"),
                        {"ProjectName": "churn"})

        def progress(line: str) -> None:
            print(line, flush=True)
            if line == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

        upgrade_project.upgrade(case.options(published), upgrade_project.Clients(sagemaker=sagemaker,
                                                                                 codecommit=codecommit),
                                progress=progress, sleep=lambda _s: None)


if __name__ == "__main__":
    main()
