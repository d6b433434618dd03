"""ruff (pinned in .venv-tools) with the repository's ruff.toml: the code is clean, and the rules are live."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUFF = ROOT / ".venv-tools" / "bin" / "ruff"


def ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUFF), "check", "--no-cache", "--config", str(ROOT / "ruff.toml"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_the_repository_is_clean_under_its_ruff_config():
    done = ruff(".")
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip() == "All checks passed!"


def test_a_blind_except_without_its_reason_is_flagged(tmp_path):
    (tmp_path / "edge.py").write_text("def f():\n    try:\n        return 1\n    except Exception:\n        return 2\n")
    done = ruff("--output-format", "concise", "edge.py", cwd=tmp_path)
    assert done.returncode == 1
    assert "edge.py:4:12: BLE001 Do not catch blind exception: `Exception`" in done.stdout
