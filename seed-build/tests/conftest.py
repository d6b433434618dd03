"""This repo's test fixtures: the pinned mlops_guardrails' (fake credentials, one emulator on 127.0.0.1 per
session, never real AWS), the sample data and a container's /opt/ml."""
import os
from pathlib import Path

import pytest

# XGBoost's OpenMP threads spin between parallel regions by default, burning CPU that the suite's other
# processes wait for on a shared machine; passive waiting computes the same. Set before anything loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
pytest_plugins = ["mlops_guardrails.testing"]

SEED = Path(__file__).resolve().parent.parent
DATA = SEED / "data" / "abalone.csv"


@pytest.fixture
def ml_root(tmp_path, monkeypatch):
    """A container's /opt/ml, mapped to a temporary folder as run_local maps it."""
    root = tmp_path / "opt" / "ml"
    monkeypatch.setenv("ML_ROOT", str(root))
    return root
