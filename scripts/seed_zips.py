"""Zip seed-build/ and seed-deploy/ (their contents at the zip's root) for CodeCommit's initial commit, each
stamped with its template version, source commit and a SHA-256 per file (the upgrade's merge base)."""
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ("seed-build", "seed-deploy")
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".cache", "build", "demo-output", ".git",
                  "wheels"}  # the toolkit wheel a buildspec or a developer fetched (README.md: "Install")
VENV_PREFIX = ".venv"  # .venv and the XGBoost container's .venv-xgboost-1.7 (built inside a seed when run alone)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # same bytes for the same files: uploads and versions stay reproducible
# In the zip and so in the repository's first commit: which version the repository started from.
STAMP_FILE = ".template-stamp.json"


def seed_files(seed_dir: Path) -> list[Path]:
    """Files of a seed, sorted, without caches and build output."""
    return sorted(path for path in seed_dir.rglob("*") if path.is_file() and path.suffix != ".pyc"
                  and not any(excluded(part) for part in path.relative_to(seed_dir).parts))


def excluded(name: str) -> bool:
    """Whether a file or folder of this name stays out of a seed's copy (the zip, a test copy)."""
    return name in EXCLUDED_PARTS or name.startswith(VENV_PREFIX)


def seed_stamp(seed_dir: Path, version: str, commit: str) -> dict:
    """The stamp of a seed at `version`: the seed's name, the version, the source commit, each file's SHA-256."""
    return {"seed": seed_dir.name, "template_version": version, "source_commit": commit,
            "files": {path.relative_to(seed_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
                      for path in seed_files(seed_dir) if path.name != STAMP_FILE}}


def read_stamp(text: str) -> dict:
    """A stamp's fields from the stamp file's text (ValueError naming the file when it is not one)."""
    try:
        stamp = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{STAMP_FILE}: not JSON: {error}") from error
    if not isinstance(stamp, dict) or not {"seed", "template_version", "files"} <= stamp.keys():
        raise ValueError(f"{STAMP_FILE}: must hold seed, template_version and files")
    return stamp


def source_commit(root: Path = ROOT) -> str:
    """The commit the seeds are published from; "-dirty" when the work tree differs from it, "unknown" outside git."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)

    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return "unknown"
    dirty = git("status", "--porcelain", "--", *SEEDS).stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def zip_seed(seed_dir: Path, out_path: Path, stamp: dict | None = None) -> Path:
    """Write `out_path`, a deterministic zip of `seed_dir`'s files relative to it (and `stamp` as STAMP_FILE)."""
    if not seed_dir.is_dir():
        raise FileNotFoundError(f"seed: {seed_dir}: not a folder: the seed folders are seed-build/ and seed-deploy/")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in seed_files(seed_dir):
            if stamp is not None and path.relative_to(seed_dir).as_posix() == STAMP_FILE:
                continue  # a seed unpacked from an older zip: the new stamp replaces its old one
            info = zipfile.ZipInfo(path.relative_to(seed_dir).as_posix(), date_time=FIXED_TIME)
            info.external_attr = (0o755 if path.stat().st_mode & 0o100 else 0o644) << 16
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
        if stamp is not None:
            info = zipfile.ZipInfo(STAMP_FILE, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, json.dumps(stamp, indent=2, sort_keys=True) + "\n",
                             compress_type=zipfile.ZIP_DEFLATED)
    return out_path


def zip_seeds(out_dir: Path, root: Path = ROOT, version: str | None = None,
              commit: str | None = None) -> dict[str, Path]:
    """Both seeds zipped into out_dir/<seed>.zip; stamped when `version` is given."""
    commit = commit or (source_commit(root) if version else None)
    return {seed: zip_seed(root / seed, out_dir / f"{seed}.zip",
                           seed_stamp(root / seed, version, commit) if version else None) for seed in SEEDS}


def main(argv: list[str] | None = None) -> int:
    from script_errors import run_command

    debug = "--debug" in (sys.argv[1:] if argv is None else argv)

    def zip_all() -> int:
        for name, zipped in zip_seeds(ROOT / "build" / "seeds").items():
            print(f"{name}: {zipped}")
        return 0

    return run_command(zip_all, debug)


if __name__ == "__main__":
    sys.exit(main())
