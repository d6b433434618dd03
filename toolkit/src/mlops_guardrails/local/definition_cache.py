"""The pipeline's definition JSON, cached on disk: an unchanged pipeline skips the SDK import entirely.

Building the definition imports the SageMaker SDK and runs every step's constructor: seconds, while
the JSON only changes when the pipeline's code, the SDK or the build parameters change. The key is a
digest of exactly those: the content of every .py file of the repo's `pipelines` package (the pipeline,
its scripts, the helpers it uses), the installed SDK distributions' versions, and the parameters
get_pipeline is called with. Entries live in .cache/definitions inside the repo (git-ignored), or
in the folder $PIPELINE_DEFINITION_CACHE names (the repository's test runner points copies of the seed
at the original's); deleting the folder is always safe.
"""
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path

CACHE_VARIABLE = "PIPELINE_DEFINITION_CACHE"
SDK_DISTRIBUTIONS = ("sagemaker", "sagemaker-core", "sagemaker-mlops", "sagemaker-train", "sagemaker-serve")


def cache_key(parameters: dict, package_dir: Path) -> str:
    """sha256 of the pipeline code, the SDK's versions and the build parameters (JSON-serializable)."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir).as_posix()
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps(sdk_versions(), sort_keys=True).encode())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    return digest.hexdigest()


def sdk_versions() -> dict[str, str | None]:
    versions = {}
    for name in SDK_DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cache_dir(repo_root: Path) -> Path:
    return Path(os.environ.get(CACHE_VARIABLE) or repo_root / ".cache" / "definitions")


def load(key: str, folder: Path) -> dict | None:
    """The cached entry for key, or None (missing or unreadable: the caller rebuilds)."""
    try:
        return json.loads((folder / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None


def store(key: str, entry: dict, folder: Path) -> None:
    """Write atomically (temporary file, then rename): a reader never sees half an entry."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(entry, file)
        os.replace(temporary, folder / f"{key}.json")
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
