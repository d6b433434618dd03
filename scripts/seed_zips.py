"""Zip seed-build/ and seed-deploy/ (their contents at the zip's root) for CodeCommit's initial commit."""
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ("seed-build", "seed-deploy")
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".cache", "build", "demo-output", ".git",
                  "wheels"}  # the toolkit wheel a buildspec or a developer fetched (README.md: "Install")
VENV_PREFIX = ".venv"  # .venv and the XGBoost container's .venv-xgboost-1.7 (built inside a seed when run alone)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # same bytes for the same files: uploads and versions stay reproducible


def seed_files(seed_dir: Path) -> list[Path]:
    """Files of a seed, sorted, without caches and build output."""
    return sorted(path for path in seed_dir.rglob("*") if path.is_file() and path.suffix != ".pyc"
                  and not any(excluded(part) for part in path.relative_to(seed_dir).parts))


def excluded(name: str) -> bool:
    """Whether a file or folder of this name stays out of a seed's copy (the zip, a test copy)."""
    return name in EXCLUDED_PARTS or name.startswith(VENV_PREFIX)


def zip_seed(seed_dir: Path, out_path: Path) -> Path:
    """Write `out_path`, a deterministic zip of `seed_dir`'s files relative to it."""
    if not seed_dir.is_dir():
        raise FileNotFoundError(f"seed: {seed_dir}: not a folder: the seed folders are seed-build/ and seed-deploy/")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in seed_files(seed_dir):
            info = zipfile.ZipInfo(path.relative_to(seed_dir).as_posix(), date_time=FIXED_TIME)
            info.external_attr = (0o755 if path.stat().st_mode & 0o100 else 0o644) << 16
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    return out_path


def zip_seeds(out_dir: Path, root: Path = ROOT) -> dict[str, Path]:
    """Both seeds zipped into out_dir/<seed>.zip."""
    return {seed: zip_seed(root / seed, out_dir / f"{seed}.zip") for seed in SEEDS}


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
