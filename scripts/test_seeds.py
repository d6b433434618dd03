"""Run each seed's own tests in a copy of the seed, alone, as they run once copied into a project repo."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from script_errors import ScriptInputError, run_command
from seed_zips import SEEDS, excluded

ROOT = Path(__file__).resolve().parent.parent


def ignored(folder: str, names: list[str]) -> list[str]:
    """What the copy leaves out: what a seed's zip leaves out (seed_zips), as a project repo gets it."""
    return [name for name in names if name.endswith(".pyc") or excluded(name)]


def run_seed_tests(seed: str, pytest_args: list[str]) -> int:
    """Copy ROOT/seed into a fresh temporary folder and run pytest there; returns pytest's exit code."""
    with tempfile.TemporaryDirectory(prefix=f"{seed}-") as tmp:
        copy = Path(tmp) / seed
        shutil.copytree(ROOT / seed, copy, ignore=ignored)
        print(f"==> {seed}: running its tests in {copy}", flush=True)
        # One XGBoost container environment for every copy (xgboost_env.py), not one per copy and run;
        # run_local's definition cache stays the original seed's (declared, git-ignored): its keys cover
        # everything that shapes a definition, so the copy's identical code hits the same entries.
        env = {"XGBOOST_ENVS_DIR": str(ROOT), **os.environ,
               "PIPELINE_DEFINITION_CACHE": str(ROOT / seed / ".cache" / "definitions")}
        return subprocess.call([sys.executable, "-m", "pytest", "-q", *pytest_args], cwd=copy, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("seeds", nargs="+", help="seed folders under the repository root")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[], help="passed on to pytest")
    args = parser.parse_args(argv)
    return run_command(lambda: run_all(args), args.debug)


def run_all(args) -> int:
    missing = [seed for seed in args.seeds if not (ROOT / seed).is_dir()]
    if missing:
        raise ScriptInputError(f"{', '.join(missing)}: not a seed folder under {ROOT} (the seeds: {', '.join(SEEDS)})")
    failed = [seed for seed in args.seeds if run_seed_tests(seed, args.pytest_args) != 0]
    if failed:
        print(f"error: tests failed in {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
