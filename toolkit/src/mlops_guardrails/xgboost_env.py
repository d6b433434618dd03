"""The Python of SageMaker's XGBoost container, locally: a venv built from the pinned file beside this module.

run_local trains with it and runs the processing steps that use the XGBoost image with it; the endpoint
host converts with it what xgboost 3 no longer reads (xgboost 1.x's binary model format), and the tests
run the container's serving path with it.
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

PINS_DIR = Path(__file__).resolve().parent
# Image version (the sagemaker-xgboost tag) -> the requirements file of that container's Python. Only
# versions listed here run locally: another tag is an error, never a silent stand-in.
IMAGE_VERSIONS = {"1.7-1": "requirements-xgboost-1.7.txt"}
# Where the environments live; default: the current folder (the repository a command runs in). A checkout holding several copies of the
# seed (the template's repository) points them all at one folder so that each is built once.
ENVS_DIR_VARIABLE = "XGBOOST_ENVS_DIR"
PIP_SECONDS = 600


class XGBoostEnvError(Exception):
    """The container's environment cannot be had: unsupported image version, or its install failed."""


def image_version(image_uri: str) -> str:
    """The version of a sagemaker-xgboost image URI (…/sagemaker-xgboost:1.7-1 or :1.0-1-cpu-py3 -> 1.7-1, 1.0-1)."""
    name, _, tag = image_uri.rpartition("/")[2].partition(":")
    if name != "sagemaker-xgboost" or not tag:
        raise XGBoostEnvError(f"{image_uri}: not a SageMaker XGBoost image (…/sagemaker-xgboost:<version>)")
    return "-".join(tag.split("-")[:2])


def requirements_for(version: str) -> Path:
    if version not in IMAGE_VERSIONS:
        raise XGBoostEnvError(
            f"sagemaker-xgboost:{version}: this image version has no local environment; supported: "
            f"{', '.join(sorted(IMAGE_VERSIONS))}. Use one of them in the pipeline, or add its container's pins "
            f"as requirements-xgboost-<minor>.txt and list it in IMAGE_VERSIONS ({Path(__file__).name})."
        )
    return PINS_DIR / IMAGE_VERSIONS[version]


def python_for(version: str) -> Path:
    """The interpreter of the environment for image `version`, built first if missing or out of date."""
    requirements = requirements_for(version)
    envs_dir = Path(os.environ.get(ENVS_DIR_VARIABLE) or Path.cwd())
    target = envs_dir / f".venv-{requirements.stem.removeprefix('requirements-')}"
    stamp = _stamp(requirements)
    if _stamp_of(target) == stamp:
        return target / "bin" / "python"
    envs_dir.mkdir(parents=True, exist_ok=True)
    with (envs_dir / f"{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it: wait, then reuse
        if _stamp_of(target) != stamp:
            _build(target, requirements, stamp)
    return target / "bin" / "python"


def site_packages(version: str) -> list[str]:
    """The environment's site-packages folder, for a process that runs over these packages (built first if need be)."""
    env = python_for(version).parent.parent
    return [sysconfig.get_path("purelib", vars={"base": str(env), "platbase": str(env)})]


def _stamp(requirements: Path) -> str:
    """What the environment was built from: the pins (comments aside, so both seeds' files agree) and this Python."""
    pins = [line.strip() for line in requirements.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return hashlib.sha256("\n".join([*pins, sys.version]).encode()).hexdigest()


def _stamp_of(target: Path) -> str | None:
    path = target / ".built-from"
    return path.read_text().strip() if path.is_file() and (target / "bin" / "python").exists() else None


def _build(target: Path, requirements: Path, stamp: str) -> None:
    """Build beside the target and rename at the end: an interrupted build leaves nothing half-made."""
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    print(f"==> building {target.name} from {requirements.name} (the SageMaker XGBoost container's "
          f"Python; about 30 s, once)", file=sys.stderr, flush=True)
    started = time.monotonic()
    _run([sys.executable, "-m", "venv", str(partial)], "python -m venv")
    _run([str(partial / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "--only-binary=:all:", "-r", str(requirements)], f"pip install -r {requirements.name}")
    (partial / ".built-from").write_text(stamp + "\n")
    shutil.rmtree(target, ignore_errors=True)
    os.rename(partial, target)
    print(f"==> {target.name} ready ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)


def _run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise XGBoostEnvError(f"{what}: no result after {PIP_SECONDS} s; check the package index, then rerun") from error
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise XGBoostEnvError(f"{what} failed (exit {result.returncode}); check the package index, then rerun:\n{tail}")


def main(argv: list[str]) -> int:
    """python -m <this module> [VERSION ...]: build (or find) each version's environment and print its interpreter."""
    try:
        for version in argv or sorted(IMAGE_VERSIONS):
            print(python_for(version))
    except XGBoostEnvError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
