"""Processing steps as SageMaker runs them: one process per instance, inputs in, outputs out, config files.

Container contract [SageMaker Developer Guide: build-your-own-processing-container]: inputs under
/opt/ml/processing/..., /opt/ml/config/processingjobconfig.json (the job's request) and
/opt/ml/config/resourceconfig.json ({"current_host": "algo-N", "hosts": [...]}) on every instance, the
job completes when every instance exits 0, and each instance's output folders are uploaded.
"""
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mlops_guardrails.local.container import (container_root, download, host_path, image_packages, list_input, local_command,
                                       run_process, upload)
from mlops_guardrails.local.errors import StepFailed
from mlops_guardrails.local.expressions import resolve
from mlops_guardrails.local.jobs import StepRun, read_property_files

MAX_INSTANCES = 16  # a local run is one machine; more processes than this help no one


def run_processing(run: StepRun) -> dict:
    args = resolve(run.step["Arguments"], run.context)
    count = int(args.get("ProcessingResources", {}).get("ClusterConfig", {}).get("InstanceCount", 1))
    if not 1 <= count <= MAX_INSTANCES:
        raise StepFailed(f"ProcessingResources.ClusterConfig.InstanceCount: {count}: local runs take 1 to {MAX_INSTANCES}")
    hosts = [f"algo-{index + 1}" for index in range(count)]
    inputs = [(item, list_input(item["S3Input"]["S3Uri"])) for item in args.get("ProcessingInputs", []) if "S3Input" in item]
    instance_dirs = [run.job_dir / host if count > 1 else run.job_dir for host in hosts]
    for index, job_dir in enumerate(instance_dirs):
        _prepare_instance(args, run.job_name, inputs, job_dir, hosts, index)
    with ThreadPoolExecutor(max_workers=count) as pool:
        failures = [error for error in pool.map(lambda d: _run_instance(args, d, run.time_limit(args)), instance_dirs) if error]
    if failures:
        host, error = failures[0]
        prefix = f"{host}: " if count > 1 else ""
        raise StepFailed(prefix + str(error), error.log_path, error.log_tail)
    outputs = args.get("ProcessingOutputConfig", {}).get("Outputs", [])
    for job_dir in instance_dirs:
        for item in outputs:
            if "S3Output" in item:
                upload(host_path(container_root(job_dir), item["S3Output"]["LocalPath"]), item["S3Output"]["S3Uri"])
    read_property_files(run, outputs, container_root(instance_dirs[0]))
    return {
        "ProcessingJobName": run.job_name,
        "ProcessingJobStatus": "Completed",
        "ProcessingOutputConfig": args.get("ProcessingOutputConfig", {}),
        "ProcessingInputs": args.get("ProcessingInputs", []),
        "AppSpecification": args.get("AppSpecification", {}),
    }


def shard(objects: list, index: int, count: int) -> list:
    """ShardedByS3Key: each object goes to exactly one instance. SageMaker does not document which; here
    the objects, in key order, are dealt round-robin (instance i gets objects i, i + n, ...)."""
    return objects[index::count]


def _prepare_instance(args: dict, job_name: str, inputs: list, job_dir: Path, hosts: list[str], index: int) -> None:
    root = container_root(job_dir)
    for item, objects in inputs:
        s3_input = item["S3Input"]
        if s3_input.get("S3DataDistributionType") == "ShardedByS3Key":
            objects = shard(objects, index, len(hosts))
        destination = host_path(root, s3_input["LocalPath"])
        destination.mkdir(parents=True, exist_ok=True)
        download(s3_input["S3Uri"], destination, objects)
    for item in args.get("ProcessingOutputConfig", {}).get("Outputs", []):
        if "S3Output" in item:
            host_path(root, item["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
    config = root / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "resourceconfig.json").write_text(json.dumps({"current_host": hosts[index], "hosts": hosts}))
    (config / "processingjobconfig.json").write_text(json.dumps({"ProcessingJobName": job_name, **args}, default=str))


def _run_instance(args: dict, job_dir: Path, timeout: float):
    app = args.get("AppSpecification", {})
    if not app.get("ContainerEntrypoint"):
        return job_dir.name, StepFailed(
            f"AppSpecification.ContainerEntrypoint: not set: local runs start the entry point the definition "
            f"names (the image {app.get('ImageUri')}'s own is not known here)"
        )
    command = local_command(app["ContainerEntrypoint"] + app.get("ContainerArguments", []), container_root(job_dir))
    try:
        run_process(command, job_dir, job_dir / "job.log", env={k: str(v) for k, v in args.get("Environment", {}).items()},
                    timeout=timeout, packages=image_packages(app.get("ImageUri")),
                    isolated=args.get("NetworkConfig", {}).get("EnableNetworkIsolation") is True)
    except StepFailed as error:
        return job_dir.name, error
    return None
