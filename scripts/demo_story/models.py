"""Steps 2, 4, 5: models trained by the build seed's local pipeline, and the faulty v3 made from a real artifact."""
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from demo_story import console
from demo_story.errors import StoryError
from demo_story.paths import SEED_BUILD

# Copied from the package being cloned; everything else describe_model_package returns is read-only.
_PACKAGE_FIELDS = ("InferenceSpecification", "ModelMetrics", "DriftCheckBaselines", "Domain", "Task",
                   "SamplePayloadUrl")


@dataclass(frozen=True)
class ModelVersion:
    """One registered model package."""

    version: int
    arn: str
    model_data_url: str
    mse: float | None
    work_dir: Path | None
    note: str

    @property
    def test_csv(self) -> Path:
        """The build's test split (label first, no header): the story's traffic and ground truth."""
        return self.work_dir / "PreprocessAbaloneData" / "opt" / "ml" / "processing" / "test" / "test.csv"


class Training:
    """`python -m pipelines.run_local` in the build seed, as a data scientist runs it, against the emulator;
    started now, its output shown and its model read by finish() (so it can run while the story goes on)."""

    def __init__(self, project, work_dir: Path, hyperparameters: dict[str, str]) -> None:
        env = {**os.environ, "SAGEMAKER_PROJECT_NAME": project.name, "SAGEMAKER_PROJECT_ID": project.project_id,
               "MODEL_PACKAGE_GROUP_NAME": project.group, "ARTIFACT_BUCKET": project.bucket}
        command = [sys.executable, "-m", "pipelines.run_local", "--work-dir", str(work_dir)]
        command += [arg for name, value in hyperparameters.items() for arg in ("--hyperparameter", f"{name}={value}")]
        self.project, self.work_dir, self.command = project, work_dir, command
        self.process = subprocess.Popen(command, cwd=SEED_BUILD, env=env, text=True, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)

    def __enter__(self) -> "Training":
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:  # the story stopped before it needed this model
            self.process.kill()
            self.process.communicate()

    def finish(self, note: str, session) -> ModelVersion:
        console.detail("$ " + " ".join(["python", *self.command[1:]]))
        try:
            stdout, stderr = self.process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise StoryError("the build seed's local pipeline did not finish within 300 s") from None
        for line in stdout.splitlines():
            console.detail(f"  {line}")
        if self.process.returncode != 0:
            raise StoryError(f"the build seed's local pipeline failed (exit {self.process.returncode}):\n{stderr}")
        return newest(session, self.project, self.work_dir, note)


def newest(session, project, work_dir: Path | None, note: str) -> ModelVersion:
    sm = session.client("sagemaker")
    summary = sm.list_model_packages(ModelPackageGroupName=project.group, SortBy="CreationTime",
                                     SortOrder="Descending", MaxResults=1)["ModelPackageSummaryList"][0]
    return describe(session, summary["ModelPackageArn"], work_dir, note)


def describe(session, arn: str, work_dir: Path | None, note: str) -> ModelVersion:
    package = session.client("sagemaker").describe_model_package(ModelPackageName=arn)
    return ModelVersion(version=int(package["ModelPackageVersion"]), arn=arn,
                        model_data_url=package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"],
                        mse=_mse(session, package), work_dir=work_dir, note=note)


def _mse(session, package: dict) -> float | None:
    uri = package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")
    if not uri:
        return None
    bucket, _, key = uri[len("s3://"):].partition("/")
    report = json.loads(session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    return float(report["regression_metrics"]["mse"]["value"])


def register_faulty(session, project, base: ModelVersion, behaviour: dict, scratch: Path) -> ModelVersion:
    """v3: the base version's real model.tar.gz plus the rehearsal's serving.json (which SageMaker ignores),
    uploaded and registered Pending with the base's metrics and baselines."""
    from mlops_guardrails.deploy.rehearsal import with_behaviour

    artifact = with_behaviour(base.model_data_url, scratch / "model.tar.gz", behaviour)
    key = f"{project.name}/faulty/{scratch.name}/model.tar.gz"
    session.client("s3").upload_file(str(artifact), project.bucket, key)
    sm = session.client("sagemaker")
    source = sm.describe_model_package(ModelPackageName=base.arn)
    request = {name: source[name] for name in _PACKAGE_FIELDS if name in source}
    request["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] = f"s3://{project.bucket}/{key}"
    arn = sm.create_model_package(ModelPackageGroupName=project.group, ModelApprovalStatus="PendingManualApproval",
                                  ModelPackageDescription=f"v{base.version}'s artifact with serving.json "
                                                          f"{json.dumps(behaviour)} (rehearsal-only fault)",
                                  **request)["ModelPackageArn"]
    note = f"v{base.version}'s model + serving.json {json.dumps(behaviour)}"
    return describe(session, arn, base.work_dir, note)
