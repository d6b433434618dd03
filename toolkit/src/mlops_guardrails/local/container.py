"""SageMaker's container conventions on a local folder: /opt/ml mapped under a job folder, S3 in and out."""
import functools
import os
import site
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import threading
import venv
from pathlib import Path

import boto3

from mlops_guardrails import xgboost_env

from mlops_guardrails.local import isolation, warm_start
from mlops_guardrails.local.errors import StepFailed
from mlops_guardrails.local.opt_ml import CONTAINER_ROOT, ENV_VARIABLE as OPT_ML_VARIABLE, NATIVE_HINT

_CLIENT_LOCK = threading.Lock()


def client(service: str):
    """One client per service and endpoint for the whole run (clients are thread-safe; creating them
    from boto3's default session is not, and a new session per call costs a service-model load)."""
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"))


@functools.lru_cache(maxsize=None)
def _client(service: str, endpoint_url: str | None):
    with _CLIENT_LOCK:
        return boto3.session.Session().client(service)


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise StepFailed(f"{uri}: not an s3:// URI")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def host_path(root: Path, container_path: str) -> Path:
    """Where a /opt/ml/... path of the container lives on this machine (root is its /opt/ml)."""
    if container_path != CONTAINER_ROOT and not container_path.startswith(CONTAINER_ROOT + "/"):
        raise StepFailed(f"{container_path}: container paths must be under {CONTAINER_ROOT}")
    return root / container_path[len(CONTAINER_ROOT):].lstrip("/")


def container_root(job_dir: Path) -> Path:
    """The host folder that is /opt/ml for the process(es) of a job folder."""
    return job_dir / CONTAINER_ROOT.lstrip("/")


def list_input(uri: str) -> list[tuple[str, str]]:
    """An S3Prefix input's objects as (key, path relative to the input folder), in key order: the object
    itself, or every object under the folder."""
    bucket, prefix = split_s3_uri(uri)
    prefix = prefix.rstrip("/")
    found = []
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key == prefix:
                found.append((key, key.rsplit("/", 1)[-1]))
            elif key.startswith(prefix + "/"):
                found.append((key, key[len(prefix) + 1:]))
    if not found:
        raise StepFailed(f"{uri}: no such object or prefix in S3 (a local run: map it to a folder with --map {uri}=FOLDER)")
    return found


def download(uri: str, destination: Path, objects: list[tuple[str, str]] | None = None) -> int:
    """Copy an input's objects (default: all of them) into destination."""
    bucket, _ = split_s3_uri(uri)
    s3 = client("s3")
    objects = list_input(uri) if objects is None else objects
    for key, relative in objects:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
    return len(objects)


def upload(source: Path, uri: str) -> None:
    """Copy a local folder's files under an S3 prefix (the bucket's root for s3://BUCKET), keeping relative paths."""
    bucket, prefix = split_s3_uri(uri)
    s3 = client("s3")
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, f"{prefix.rstrip('/')}/{path.relative_to(source).as_posix()}".lstrip("/"))


def unpack(archives, destination: Path) -> None:
    """Extract each .tar.gz of archives into destination; the "data" filter refuses members that would
    land outside it (absolute paths, .., links out) or are devices."""
    for archive in archives:
        with tarfile.open(archive) as tar:
            tar.extractall(destination, filter="data")


STEP_TIMEOUT_SECONDS = 3600  # a step's limit when neither --step-timeout nor its StoppingCondition says less
LOG_TAIL_LINES = 15
BOOTSTRAP_DIR = Path(__file__).resolve().parent / "bootstrap"
_VENV_LOCK = threading.Lock()


def run_process(
    command: list[str],
    job_dir: Path,
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = STEP_TIMEOUT_SECONDS,
    cwd: Path | None = None,
    packages: list[str] | None = None,
    isolated: bool = False,
) -> None:
    """Run a container entry point as an isolated local process; the one place steps start processes.

    /opt/ml is job_dir/opt/ml for every Python process it starts
    (pipelines/local/opt_ml.py). Isolation: a throwaway virtual environment in the step folder that sees
    the project's packages (python, python3 and pip first on PATH; `pip install` lands in it, `pip
    uninstall` refuses packages outside it), HOME and PYTHONUSERBASE in the step folder, pip refusing
    any interpreter outside a virtual environment, the working folder job_dir, a time limit, and all
    output in log_path, whose tail a failure carries. cwd: default job_dir, the step's own folder. isolated: the
    definition enables network isolation, so no AWS credentials and no network but loopback (isolation.py)."""
    root = container_root(job_dir)
    root.mkdir(parents=True, exist_ok=True)  # a container always has /opt/ml
    bin_dir = step_interpreter(job_dir / "python-env", packages)
    command = [str(bin_dir / "python") if command and command[0] in ("python", "python3", sys.executable) else command[0], *command[1:]]
    process_env = _step_environment(job_dir, root, bin_dir, env or {})
    if isolated:
        process_env = isolation.environment(process_env, str(job_dir))
    with log_path.open("w") as log:
        try:  # warm-started from run_local's forkserver where it can be, else a plain process
            code = warm_start.call(command, cwd=cwd or job_dir, env=process_env, stdout=log, stderr=subprocess.STDOUT,
                                   timeout=timeout)
        except subprocess.TimeoutExpired:  # its process group is killed by then
            raise StepFailed(f"timed out after {timeout:g}s (the step's time limit)", log_path, _tail(log_path)) from None
    if code != 0:
        tail = _tail(log_path)
        reason = tail[-1] if tail else f"exited with code {code}"
        if CONTAINER_ROOT + "/" in reason and ("No such file" in reason or "not found" in reason.lower()):
            reason += f" ({NATIVE_HINT})"
        raise StepFailed(reason, log_path, tail)


def forkserver_environment() -> dict[str, str]:
    """What run_local's warm-start forkserver starts with: the bootstrap that maps /opt/ml, loaded before
    it imports the step libraries as in a step's own process (each forked step then moves the mapping to
    its folder); the root here is a folder no step uses."""
    return {"PYTHONPATH": _bootstrap_first(os.environ.get("PYTHONPATH")),
            OPT_ML_VARIABLE: os.path.join(tempfile.gettempdir(), "opt-ml-of-no-step")}


def _bootstrap_first(pythonpath: str | None) -> str:
    """PYTHONPATH with the bootstrap folder first: its sitecustomize maps /opt/ml before anything else loads."""
    return os.pathsep.join(filter(None, [str(BOOTSTRAP_DIR), pythonpath]))


def _tail(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()][-LOG_TAIL_LINES:]


def _step_environment(job_dir: Path, root: Path, bin_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    home = job_dir / "home"
    home.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONHOME", "VIRTUAL_ENV", "PIP_TARGET", "PIP_PREFIX", "PIP_USER")}
    env.update(
        PATH=os.pathsep.join([str(bin_dir), env.get("PATH", os.defpath)]),
        PYTHONPATH=_bootstrap_first(env.get("PYTHONPATH")),
        VIRTUAL_ENV=str(bin_dir.parent),
        HOME=str(home),
        PYTHONUSERBASE=str(home / ".local"),
        PYTHONNOUSERSITE="1",
        PIP_REQUIRE_VIRTUALENV="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        PYTHONUNBUFFERED="1",
        **{OPT_ML_VARIABLE: str(root), "ML_ROOT": str(root)},  # ML_ROOT: an extra for scripts that read it
    )
    env.update(extra)
    return env


def image_packages(image: str | None) -> list[str] | None:
    """What a step in `image` runs over: for a SageMaker XGBoost image, that container's own Python
    (xgboost 1.7.4 for 1.7-1: pipelines/local/xgboost_env.py); for any other image, None: this repo's packages."""
    if not image or "/sagemaker-xgboost:" not in image:
        return None
    try:
        return xgboost_env.site_packages(xgboost_env.image_version(image))
    except xgboost_env.XGBoostEnvError as error:
        raise StepFailed(str(error)) from None


# What a warm-start forkserver imports before it forks a step (warm_start.py): the libraries the step's
# container ships and scripts import. The XGBoost container has xgboost; the project's environment stands
# in for every other image (scikit-learn's has no xgboost), where a script that imports xgboost anyway
# imports it itself (.venv's xgboost pulls in scipy: over a second of CPU, before the first step).
PROJECT_PRELOAD = ("numpy", "pandas")
XGBOOST_PRELOAD = ("numpy", "pandas", "xgboost")


def step_environments(images: set[str]) -> dict[str, tuple[str, ...]]:
    """The Python environments steps on these images run over, as interpreter -> the libraries its
    forkserver preloads: this one, and an XGBoost container's for its images. An image whose
    environment cannot be had is left out: its step reports why when it runs."""
    environments = {sys.executable: PROJECT_PRELOAD}
    for image in images:
        try:
            if image_packages(image):
                environments[str(xgboost_env.python_for(xgboost_env.image_version(image)))] = XGBOOST_PRELOAD
        except StepFailed:
            continue
    return environments


def step_interpreter(folder: Path, packages: list[str] | None = None) -> Path:
    """A virtual environment (made once per step folder, in milliseconds: no pip copied in) over the project's packages; its bin folder.

    Its site-packages holds a .pth that adds the project's site-packages (with their own .pth files), so
    the step imports what the project installed while pip's installs land in the throwaway folder."""
    bin_dir = folder / "bin"
    with _VENV_LOCK:
        if not (bin_dir / "python").exists():
            venv.EnvBuilder(symlinks=True, with_pip=False, clear=True).create(folder)
            site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(folder), "platbase": str(folder)}))
            project = packages or [p for p in site.getsitepackages() if Path(p).is_dir()]
            (site_packages / "project-packages.pth").write_text(
                "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in project) + "\n"
            )
            for name in ("pip", "pip3"):
                shim = bin_dir / name
                shim.write_text(f"#!{bin_dir / 'python'}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n")
                shim.chmod(0o755)
    return bin_dir


def local_command(entrypoint: list[str], root: Path) -> list[str]:
    """/opt/ml/... arguments -> their mapped paths (the interpreter opens its script natively); python
    and python3 stay, run_process gives them the step's interpreter."""
    return [str(host_path(root, arg)) if arg.startswith(CONTAINER_ROOT + "/") else arg for arg in entrypoint]
