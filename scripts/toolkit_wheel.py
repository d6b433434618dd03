"""The toolkit's wheel (toolkit/: mlops-guardrails), built offline: pip's wheel with --no-build-isolation uses
the setuptools pinned in constraints.txt and installed in .venv, and nothing from the package index."""
import subprocess
import sys
from pathlib import Path

from mlops_guardrails import WHEEL_NAME
from mlops_guardrails import __version__ as VERSION

ROOT = Path(__file__).resolve().parent.parent
TOOLKIT = ROOT / "toolkit"


def build_wheel(out_dir: Path) -> Path:
    """Build the wheel into out_dir (made if missing); its path. Raises CalledProcessError with pip's output."""
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--wheel-dir", str(out_dir), str(TOOLKIT)], check=True, capture_output=True, text=True)
    wheel = out_dir / WHEEL_NAME
    if not wheel.is_file():
        raise FileNotFoundError(f"{wheel}: pip wheel wrote no such file (the toolkit's version: {VERSION})")
    return wheel


def main() -> int:
    print(build_wheel(ROOT / "build" / "wheels"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
