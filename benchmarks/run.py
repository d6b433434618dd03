"""`make bench`: run every benchmark module in this folder, one process each, and print its figures."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for path in sorted(HERE.glob("*.py")):
        if path.name == "run.py":
            continue
        print(f"==> {path.stem}", flush=True)
        if subprocess.call([sys.executable, str(path)]) != 0:
            failed.append(path.stem)
    if failed:
        print(f"error: benchmarks failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
