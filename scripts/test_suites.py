"""Run the test suites side by side: the toolkit's tests, each seed's own tests in a copy of the seed alone
beside the toolkit's wheel (installed by the command its buildspec runs, as in a project's CodeBuild), the
demo's story end to end (tests/demo) and the rest of the repository's tests.

Each suite is one pytest process. They start together, so the machine's cores stay busy: the demo story
spends much of its minute waiting on its compressed clock, while the others compute. Each suite's output
goes to its own log, printed whole when the suite ends, and a progress line names the suites still running.
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import yaml

from script_errors import ScriptInputError, run_command
from seed_zips import SEEDS, excluded
from toolkit_wheel import build_wheel

ROOT = Path(__file__).resolve().parent.parent
# The repository's own suites: what each runs of tests/ (`pytest tests` runs both, one after the other).
REPO_SUITES = {"demo": ["tests/demo"], "repo": ["tests", "--ignore", "tests/demo"]}
TOOLKIT_SUITE = "toolkit"  # toolkit/tests, in toolkit/ (its pyproject.toml holds the pytest settings)
SUITES = (TOOLKIT_SUITE, *SEEDS, *REPO_SUITES)
PROGRESS_SECONDS = 30.0
TIME_LIMIT_SECONDS = 30 * 60.0  # far above a whole run (about 5 minutes warm on 2 cores): only a hung suite meets it
POLL_SECONDS = 0.2


@dataclass
class Suite:
    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    started: float = 0.0
    ended: float | None = None


def ignored(folder: str, names: list[str]) -> list[str]:
    """What the copy leaves out: what a seed's zip leaves out (seed_zips), as a project repo gets it."""
    return [name for name in names if name.endswith(".pyc") or excluded(name)]


def install_command(seed_dir: Path) -> str:
    """The pip install line of the seed's buildspec.yml: what a project's CodeBuild installs the seed with."""
    commands = yaml.safe_load((seed_dir / "buildspec.yml").read_text())["phases"]["install"]["commands"]
    installs = [command for command in commands if command.startswith("pip install ")]
    if len(installs) != 1:
        raise ScriptInputError(f"{seed_dir.name}/buildspec.yml: install phase: expected one `pip install` command, "
                               f"found {len(installs)}")
    return installs[0]


def packages_without_toolkit(tmp: Path) -> Path:
    """This environment's packages minus the toolkit (links into .venv's site-packages): a seed's copy sees
    them as installed, so its install command adds only the toolkit, from its wheel."""
    base = tmp / "packages-without-toolkit"
    base.mkdir()
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        if "mlops_guardrails" not in entry.name:
            (base / entry.name).symlink_to(entry)
    return base


def seed_environment(folder: Path, packages: Path) -> Path:
    """A virtual environment at folder over `packages` (a .pth adds them, with their own .pth files); its bin
    folder, where `pip` runs the pip among those packages."""
    venv.EnvBuilder(symlinks=True, with_pip=False).create(folder)
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(folder), "platbase": str(folder)}))
    (site_packages / "base-packages.pth").write_text(f"import site; site.addsitedir({str(packages)!r})\n")
    bin_dir = folder / "bin"
    (bin_dir / "pip").write_text(f'#!/bin/sh\nexec "{bin_dir / "python"}" -m pip "$@"\n')
    (bin_dir / "pip").chmod(0o755)
    return bin_dir


def seed_suite(seed: str, tmp: Path, pytest_args: list[str], wheel: Path, packages: Path) -> Suite:
    """ROOT/seed copied alone under tmp with only the toolkit's wheel beside it (wheels/); the suite runs the
    buildspec's install command there (no package index: everything else is already installed), then pytest."""
    copy = tmp / seed
    shutil.copytree(ROOT / seed, copy, ignore=ignored)
    (copy / "wheels").mkdir()
    shutil.copy2(wheel, copy / "wheels" / wheel.name)
    bin_dir = seed_environment(copy / ".venv", packages)
    # One XGBoost container environment for every copy (xgboost_env.py), not one per copy and run;
    # run_local's definition cache stays the original seed's (declared, git-ignored): its keys cover
    # everything that shapes a definition, so the copy's identical code hits the same entries.
    env = {"XGBOOST_ENVS_DIR": str(ROOT), **os.environ,
           "PIPELINE_DEFINITION_CACHE": str(ROOT / seed / ".cache" / "definitions"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}", "PIP_NO_INDEX": "1"}
    env.pop("PYTHONPATH", None)
    script = f"{install_command(copy)} && exec python -m pytest -q {shlex.join(pytest_args)}".rstrip()
    return Suite(seed, ["bash", "-c", script], copy, env, tmp / f"{seed}.log")


def toolkit_suite(tmp: Path, pytest_args: list[str]) -> Suite:
    argv = [sys.executable, "-m", "pytest", "-q", *pytest_args]
    return Suite(TOOLKIT_SUITE, argv, ROOT / "toolkit", dict(os.environ), tmp / f"{TOOLKIT_SUITE}.log")


def repo_suite(name: str, tmp: Path, pytest_args: list[str]) -> Suite:
    argv = [sys.executable, "-m", "pytest", "-q", *REPO_SUITES[name], *pytest_args]
    return Suite(name, argv, ROOT, dict(os.environ), tmp / f"{name}.log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suites", nargs="*", default=list(SUITES), help=f"any of {', '.join(SUITES)} (default: all)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[], help="passed on to every pytest")
    args = parser.parse_args(argv)
    return run_command(lambda: run_all(args.suites, args.pytest_args), args.debug)


def run_all(names: list[str], pytest_args: list[str]) -> int:
    unknown = [name for name in names if name not in SUITES]
    if unknown:
        raise ScriptInputError(f"{', '.join(unknown)}: not a test suite (the suites: {', '.join(SUITES)})")
    with tempfile.TemporaryDirectory(prefix="test-suites-") as tmp:
        failed = run_side_by_side(make_suites(list(dict.fromkeys(names)), Path(tmp), pytest_args))
    if failed:
        print(f"error: tests failed in {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def make_suites(names: list[str], tmp: Path, pytest_args: list[str]) -> list[Suite]:
    """The named suites; the seeds' share one build of the toolkit's wheel and one view of the packages."""
    suites, wheel, packages = [], None, None
    for name in names:
        if name in REPO_SUITES:
            suites.append(repo_suite(name, tmp, pytest_args))
        elif name == TOOLKIT_SUITE:
            suites.append(toolkit_suite(tmp, pytest_args))
        else:
            wheel = wheel or build_wheel(tmp / "wheel")
            packages = packages or packages_without_toolkit(tmp)
            suites.append(seed_suite(name, tmp, pytest_args, wheel, packages))
    return suites


def run_side_by_side(suites: list[Suite]) -> list[str]:
    """Start every suite, print each one's log as it ends; returns the names of the suites that failed."""
    began = time.monotonic()
    try:
        for suite in suites:
            start(suite)
        return wait_all(suites, began)
    finally:
        for suite in suites:  # interrupted (Ctrl-C) or over the time limit: no pytest outlives the run
            if suite.process and suite.process.poll() is None:
                suite.process.kill()
                suite.process.wait()


def start(suite: Suite) -> None:
    print(f"==> {suite.name}: {shlex.join(suite.argv[1:])} (in {suite.cwd})", flush=True)
    with suite.log.open("wb") as log:  # the child keeps its own descriptor
        suite.process = subprocess.Popen(suite.argv, cwd=suite.cwd, env=suite.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    suite.started = time.monotonic()


def wait_all(suites: list[Suite], began: float) -> list[str]:
    failed, next_progress = [], began + PROGRESS_SECONDS
    while any(s.ended is None for s in suites):
        now = time.monotonic()
        if now - began > TIME_LIMIT_SECONDS:
            hung = [s.name for s in suites if s.ended is None]
            raise TimeoutError(f"{', '.join(hung)}: still running after {TIME_LIMIT_SECONDS:g} s: stopped")
        for suite in suites:
            if suite.ended is None and suite.process.poll() is not None:
                suite.ended = now
                report(suite)
                if suite.process.returncode != 0:
                    failed.append(suite.name)
        if now >= next_progress:
            running = ", ".join(s.name for s in suites if s.ended is None)
            print(f"... {now - began:.0f} s: still running: {running}", flush=True)
            next_progress += PROGRESS_SECONDS
        time.sleep(POLL_SECONDS)
    return failed


def report(suite: Suite) -> None:
    status = "passed" if suite.process.returncode == 0 else f"FAILED (exit {suite.process.returncode})"
    print(f"\n==> {suite.name}: {status} in {suite.ended - suite.started:.0f} s", flush=True)
    sys.stdout.write(suite.log.read_text(errors="replace"))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
