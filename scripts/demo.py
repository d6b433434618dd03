"""`make demo`: the project's story played offline against an embedded emulator, through the template's real code.

This slice: start the emulator (moto's server on 127.0.0.1), run the build seed's pipeline locally as
a data scientist would (python -m pipelines.run_local), and show the registered model package.
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_BUILD = ROOT / "seed-build"
SEED_DEPLOY = ROOT / "seed-deploy"
sys.path.insert(0, str(SEED_DEPLOY))

from deploy.emulator import embedded_emulator  # noqa: E402

PROJECT = {"SAGEMAKER_PROJECT_NAME": "abalone-demo", "SAGEMAKER_PROJECT_ID": "p-demo0001"}
GROUP = f"{PROJECT['SAGEMAKER_PROJECT_NAME']}-{PROJECT['SAGEMAKER_PROJECT_ID']}"
BUCKET = "sagemaker-abalone-demo-artifacts"


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def build_model(work_dir: Path, *extra: str) -> None:
    """The build seed's own local run, pointed at the demo's emulator."""
    env = {**os.environ, **PROJECT, "MODEL_PACKAGE_GROUP_NAME": GROUP, "ARTIFACT_BUCKET": BUCKET}
    command = [sys.executable, "-m", "pipelines.run_local", "--work-dir", str(work_dir), *extra]
    subprocess.run(command, cwd=SEED_BUILD, env=env, check=True)


def show_packages() -> list[dict]:
    import json

    import boto3

    sagemaker, s3 = boto3.client("sagemaker"), boto3.client("s3")
    summaries = sagemaker.list_model_packages(ModelPackageGroupName=GROUP, SortBy="CreationTime", SortOrder="Ascending")
    rows = []
    for summary in summaries["ModelPackageSummaryList"]:
        package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        bucket, _, key = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"][5:].partition("/")
        report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        rows.append({
            "version": package["ModelPackageVersion"],
            "status": package["ModelApprovalStatus"],
            "mse": report["regression_metrics"]["mse"]["value"],
        })
    print(f"  {'version':<8} {'approval status':<24} test-set MSE")
    for row in rows:
        print(f"  {row['version']:<8} {row['status']:<24} {row['mse']:.4f}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work-dir", type=Path, help="where the run's files go (default: a temporary folder)")
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="mlops-demo-"))
    with embedded_emulator() as url:
        say(f"emulator (moto's server) listening on {url}")
        say("model v1: the build seed's SageMaker Pipeline, run locally from its definition")
        build_model(work_dir / "build-v1")
        say(f"model registry: group {GROUP}")
        show_packages()
    say(f"done; files in {work_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
