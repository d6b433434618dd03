"""The toolkit's wheel (toolkit/: mlops-guardrails), built offline: pip's wheel with --no-build-isolation uses
the setuptools pinned in constraints.txt and installed in .venv, and nothing from the package index."""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mlops_guardrails
from mlops_guardrails import WHEEL_NAME

ROOT = Path(__file__).resolve().parent.parent
TOOLKIT = ROOT / "toolkit"
VERSION = mlops_guardrails.__version__


def build_wheel(out_dir: Path) -> Path:
    """Build the wheel into out_dir (made if missing); its path. Raises CalledProcessError with pip's output.
    It builds from a copy of the sources: setuptools writes build/ and *.egg-info beside what it builds, which
    must not land in toolkit/ (nor meet another build running at the same time)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="toolkit-wheel-") as tmp:
        source = Path(tmp) / "toolkit"
        shutil.copytree(TOOLKIT, source, ignore=_not_built)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "--no-index", "--wheel-dir", str(out_dir), str(source)], check=True, capture_output=True,
                       text=True)
    wheel = out_dir / WHEEL_NAME
    if not wheel.is_file():
        raise FileNotFoundError(f"{wheel}: pip wheel wrote no such file (the toolkit's version: {VERSION})")
    return wheel


def _not_built(folder: str, names: list[str]) -> set[str]:
    """What the copy leaves out: the tests and an earlier build at the top (mlops_guardrails/build/ is a package),
    caches and installation metadata anywhere."""
    top = {"tests", "build"} if Path(folder) == TOOLKIT else set()
    return {name for name in names if name in top or name in {"__pycache__", ".pytest_cache"}
            or name.endswith(".egg-info") or name.startswith(".venv")}


def main() -> int:
    print(build_wheel(ROOT / "build" / "wheels"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
