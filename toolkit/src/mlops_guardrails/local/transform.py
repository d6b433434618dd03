"""Model (CreateModel) and Transform steps: the model is created in the registry at AWS_ENDPOINT_URL,
and batch transform runs its container as a step process (containers/transform_job.py)."""
import sys
from pathlib import Path

from mlops_guardrails.local.container import client, container_root, download, image_packages, run_process, unpack, upload
from mlops_guardrails.local.errors import StepFailed
from mlops_guardrails.local.expressions import resolve
from mlops_guardrails.local.jobs import StepRun
from mlops_guardrails.local.training import image_name_and_version

TRANSFORM_JOB = Path(__file__).resolve().parent.parent / "containers" / "transform_job.py"
TRANSFORM_IMAGES = ("sagemaker-xgboost", "sagemaker-scikit-learn")


def run_model(run: StepRun) -> dict:
    """CreateModel with the definition's arguments; the model's name is the step's job name."""
    args = resolve(run.step["Arguments"], run.context)
    name = run.job_name
    client("sagemaker").create_model(ModelName=name, **args)
    return {"ModelName": name, **args}


def run_transform(run: StepRun) -> dict:
    args = resolve(run.step["Arguments"], run.context)
    model = client("sagemaker").describe_model(ModelName=args["ModelName"])
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    image, _ = image_name_and_version(container.get("Image", ""))
    if image not in TRANSFORM_IMAGES:
        raise StepFailed(f"model {args['ModelName']}: image {image}: local batch transform serves {', '.join(TRANSFORM_IMAGES)}")
    root = container_root(run.job_dir)
    model_dir = root / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    download(container["ModelDataUrl"], run.job_dir / "artifact")
    unpack((run.job_dir / "artifact").rglob("*.tar.gz"), model_dir)
    env = {key: str(value) for key, value in {**container.get("Environment", {}), **args.get("Environment", {})}.items()}
    submit = env.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    if submit.startswith("s3://"):
        download(submit, run.job_dir / "code")
        unpack((run.job_dir / "code").rglob("*.tar.gz"), run.job_dir / "code")
        env["SM_LOCAL_CODE_DIR"] = str(run.job_dir / "code")
    source = args["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    input_dir, output_dir = run.job_dir / "input", run.job_dir / "output"
    download(source, input_dir)
    output_dir.mkdir(exist_ok=True)
    command = [sys.executable, str(TRANSFORM_JOB), str(input_dir), str(output_dir), image,
               args["TransformInput"].get("ContentType", ""), args["TransformInput"].get("SplitType", "None"),
               args.get("TransformOutput", {}).get("Accept", ""), args.get("TransformOutput", {}).get("AssembleWith", "None")]
    run_process(command, run.job_dir, run.job_dir / "job.log", env=env, timeout=run.timeout,
                packages=image_packages(container.get("Image")))
    upload(output_dir, args["TransformOutput"]["S3OutputPath"])
    return {"TransformJobName": run.job_name, "TransformJobStatus": "Completed", **args}
