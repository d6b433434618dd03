"""Training steps: the built-in XGBoost algorithm by image version, and script mode for framework images.

Container contract [SageMaker Developer Guide: your-algorithms-training-algo-running-container]:
channels in /opt/ml/input/data/<channel>, /opt/ml/input/config/{hyperparameters,inputdataconfig,
resourceconfig}.json (hyperparameter values are strings), /opt/ml/model tarred to
<S3OutputPath>/<job>/output/model.tar.gz, /opt/ml/output/data to .../output.tar.gz, and
/opt/ml/output/failure as the FailureReason.

Script mode follows the two contracts the SDKs write:
- SDK v2 estimators (SKLearn, XGBoost framework): the hyperparameters sagemaker_program and
  sagemaker_submit_directory (JSON-encoded); sagemaker-training-toolkit unpacks the directory into
  /opt/ml/code and runs `python <program> --<name> <value> ...` there with the SM_* variables.
- SDK v3 ModelTrainer(source_code=...): a "code" channel and an "sm_drivers" channel whose
  sourcecode.json names entry_script (run as `python <entry_script> --<name> <value> ...` in
  /opt/ml/input/data/code) or command; its sm_train.sh (bash reading /opt/ml) is not run: its work
  (environment, arguments) is done here.
The SM_* variables hold the mapped host folders (pipelines/local/opt_ml.py says why). requirements are
not installed: the script runs with the project's packages.
"""
import json
import os
import shlex
import sys
import tarfile
from pathlib import Path

from mlops_guardrails.local.container import (client, container_root, download, image_packages, local_command, run_process,
                                       split_s3_uri, unpack)
from mlops_guardrails.local.errors import StepFailed
from mlops_guardrails.local.expressions import resolve
from mlops_guardrails.local.jobs import StepRun

XGBOOST_ALGORITHM = Path(__file__).with_name("xgboost_algorithm.py")
FRAMEWORK_IMAGES = ("sagemaker-scikit-learn", "sagemaker-xgboost")


def xgboost_trainer(version: str) -> list[str] | None:
    """The command that trains as the built-in XGBoost algorithm of this image version does, or None.

    The narrow seam to pipelines/local/xgboost_algorithm.py: one entry per container version whose model
    file it reproduces. 1.0-1 and older pickle the Booster with their own xgboost; no local trainer writes
    that format, so those images are refused rather than trained as 1.7-1 (which writes
    Booster.save_model's format and would not load where a pickle is expected)."""
    trainers = {"1.7-1": [sys.executable, str(XGBOOST_ALGORITHM)]}
    return trainers.get(version)


def image_name_and_version(image: str) -> tuple[str, str]:
    """'<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3' -> ('sagemaker-scikit-learn', '1.2-1')."""
    name, _, tag = image.rsplit("/", 1)[-1].partition(":")
    version = "-".join(tag.split("-")[:2])
    return name, version


def check_training(step: dict) -> str | None:
    """Why this training step cannot run locally, or None."""
    args = step.get("Arguments", {})
    image = args.get("AlgorithmSpecification", {}).get("TrainingImage")
    if not isinstance(image, str):
        return f"step {step['Name']}: TrainingImage {image!r}: local runs need the image named in the definition"
    count = args.get("ResourceConfig", {}).get("InstanceCount", 1)
    if isinstance(count, int) and count != 1:
        return f"step {step['Name']}: Training on {count} instances: local runs train on one instance"
    name, version = image_name_and_version(image)
    if _script_mode(args):
        if name in FRAMEWORK_IMAGES:
            return None
        return f"step {step['Name']}: script mode on image {name}: local runs run scripts of {', '.join(FRAMEWORK_IMAGES)}"
    if name == "sagemaker-xgboost":
        if xgboost_trainer(version) is None:
            return (f"step {step['Name']}: built-in XGBoost {version}: local runs train the built-in algorithm of "
                    f"version 1.7-1 only (its model file format differs by version)")
        return None
    return (f"step {step['Name']}: training image {name}: local runs train the built-in XGBoost algorithm (1.7-1) "
            f"and scripts on {', '.join(FRAMEWORK_IMAGES)}")


def _script_mode(args: dict) -> str | None:
    if "sagemaker_program" in args.get("HyperParameters", {}):
        return "toolkit"
    if any(channel.get("ChannelName") == "sm_drivers" for channel in args.get("InputDataConfig", [])):
        return "model-trainer"
    return None


def run_training(run: StepRun) -> dict:
    args = resolve(run.step["Arguments"], run.context)
    count = int(args.get("ResourceConfig", {}).get("InstanceCount", 1))
    if count != 1:
        raise StepFailed(f"ResourceConfig.InstanceCount: {count}: local runs train on one instance")
    root = container_root(run.job_dir)
    channels = {}
    for channel in args.get("InputDataConfig", []):
        folder = root / "input/data" / channel["ChannelName"]
        folder.mkdir(parents=True, exist_ok=True)
        download(channel["DataSource"]["S3DataSource"]["S3Uri"], folder)
        channels[channel["ChannelName"]] = folder
    hyperparameters = {key: str(value) for key, value in args.get("HyperParameters", {}).items()}
    _write_config(root, args, hyperparameters)
    command, cwd_code, env = _command(args, root, channels, hyperparameters)
    for folder in ("model", "output/data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    try:
        environment = {**{k: str(v) for k, v in args.get("Environment", {}).items()}, **env, **_sm_environment(root, channels, hyperparameters, cwd_code)}
        run_process(command, run.job_dir, run.job_dir / "job.log", env=environment, timeout=run.time_limit(args), cwd=cwd_code,
                    packages=image_packages(args["AlgorithmSpecification"]["TrainingImage"]),
                    isolated=args.get("EnableNetworkIsolation") is True)
    except StepFailed as error:
        failure = root / "output/failure"
        if failure.is_file() and failure.read_text().strip():
            raise StepFailed(failure.read_text().strip()[:1024], error.log_path, error.log_tail) from None
        raise
    output = f"{args['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{run.job_name}/output"
    _upload_tar(root / "model", run.job_dir / "model.tar.gz", f"{output}/model.tar.gz")
    if any((root / "output/data").iterdir()):
        _upload_tar(root / "output/data", run.job_dir / "output.tar.gz", f"{output}/output.tar.gz")
    return {
        "TrainingJobName": run.job_name,
        "TrainingJobStatus": "Completed",
        "ModelArtifacts": {"S3ModelArtifacts": f"{output}/model.tar.gz"},
        "HyperParameters": hyperparameters,
        "AlgorithmSpecification": args["AlgorithmSpecification"],
        "OutputDataConfig": args["OutputDataConfig"],
    }


def _write_config(root: Path, args: dict, hyperparameters: dict) -> None:
    config = root / "input/config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    channels = {}
    for channel in args.get("InputDataConfig", []):
        channels[channel["ChannelName"]] = {
            "TrainingInputMode": channel.get("InputMode", "File"),
            "S3DistributionType": channel["DataSource"]["S3DataSource"].get("S3DataDistributionType", "FullyReplicated"),
            **({"ContentType": channel["ContentType"]} if "ContentType" in channel else {}),
        }
    (config / "inputdataconfig.json").write_text(json.dumps(channels))
    (config / "resourceconfig.json").write_text(json.dumps(
        {"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}
    ))


def _command(args: dict, root: Path, channels: dict, hyperparameters: dict) -> tuple[list[str], Path, dict]:
    """The process to start, the folder of the user's code, and extra environment."""
    mode = _script_mode(args)
    if mode == "toolkit":
        program = _decoded(hyperparameters["sagemaker_program"])
        code = root / "code"
        _unpack(_decoded(hyperparameters.get("sagemaker_submit_directory", '""')), code)
        command = ["python3", str(code / program), *_cli_args(_user_hyperparameters(hyperparameters))]
        return command, code, {"SM_USER_ENTRY_POINT": program}
    if mode == "model-trainer":
        source = json.loads((channels["sm_drivers"] / "sourcecode.json").read_text())
        code = channels.get("code", root / "input/data/code")
        unpack(list(code.glob("*.tar.gz")), code)
        if source.get("command"):
            return local_command(shlex.split(source["command"]) + [str(a) for a in source.get("args") or []], root), code, {}
        return ["python3", str(code / source["entry_script"]), *_cli_args(hyperparameters)], code, {"SM_ENTRY_SCRIPT": source["entry_script"]}
    _, version = image_name_and_version(args["AlgorithmSpecification"]["TrainingImage"])
    return xgboost_trainer(version), root, {}


def _decoded(value: str) -> str:
    """The SDK JSON-encodes sagemaker_* hyperparameters ('"train.py"')."""
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError:
        return value
    return decoded if isinstance(decoded, str) else value


def _user_hyperparameters(hyperparameters: dict) -> dict:
    """The user's own hyperparameters: without the sagemaker_* entries the SDK adds for the toolkit."""
    return {name: value for name, value in hyperparameters.items() if not name.startswith("sagemaker_")}


def _cli_args(hyperparameters: dict) -> list[str]:
    """`--name value` per hyperparameter, values as the SDK encoded them (the toolkits pass them on so)."""
    return [part for name, value in hyperparameters.items() for part in (f"--{name}", _decoded(value))]


def _unpack(uri: str, code: Path) -> None:
    code.mkdir(parents=True, exist_ok=True)
    if not uri:
        return
    if uri.startswith("s3://"):
        download(uri, code / "_submit")
        sources = list((code / "_submit").rglob("*"))
    else:
        sources = [Path(uri)]
    unpack([path for path in sources if path.name.endswith(".tar.gz")], code)


def _sm_environment(root: Path, channels: dict, hyperparameters: dict, code: Path) -> dict[str, str]:
    """The SM_* variables sagemaker-training-toolkit sets (environment.py of both SDKs' drivers)."""
    user = {k: _decoded(v) for k, v in _user_hyperparameters(hyperparameters).items()}
    env = {
        "SM_MODEL_DIR": str(root / "model"),
        "SM_INPUT_DIR": str(root / "input"),
        "SM_INPUT_DATA_DIR": str(root / "input/data"),
        "SM_INPUT_CONFIG_DIR": str(root / "input/config"),
        "SM_OUTPUT_DIR": str(root / "output"),
        "SM_OUTPUT_DATA_DIR": str(root / "output/data"),
        "SM_OUTPUT_FAILURE": str(root / "output/failure"),
        "SM_MODULE_DIR": str(code),
        "SM_SOURCE_DIR": str(code),
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": json.dumps(user),
        "SM_HOSTS": json.dumps(["algo-1"]),
        "SM_CURRENT_HOST": "algo-1",
        "SM_HOST_COUNT": "1",
        "SM_NUM_CPUS": str(os.cpu_count() or 1),
        "SM_NUM_GPUS": "0",
        "SM_USER_ARGS": json.dumps(_cli_args(_user_hyperparameters(hyperparameters))),
    }
    env.update({f"SM_CHANNEL_{name.upper()}": str(folder) for name, folder in channels.items()})
    env.update({f"SM_HP_{name.upper()}": str(value) for name, value in user.items()})
    return env


def _upload_tar(folder: Path, archive: Path, uri: str) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name)
    bucket, key = split_s3_uri(uri)
    client("s3").upload_file(str(archive), bucket, key)
