"""Shared fixtures: fake credentials, one emulator (moto's server on 127.0.0.1) per session; never real AWS."""
import os
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SEED))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# XGBoost's OpenMP threads spin between parallel regions by default, burning CPU that the suite's other
# processes (and the suites beside it) wait for on a shared machine; passive waiting computes the same.
# Set before anything loads OpenMP: this process's xgboost, and every step process inherits it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pipelines.local.emulator import FAKE_CREDENTIALS, embedded_emulator, loopback_only  # noqa: E402

DATA = SEED / "data" / "abalone.csv"


@pytest.fixture(autouse=True)
def _loopback_only():
    """Tests never reach AWS or anything else: a lookup or connection to a non-loopback host fails loudly."""
    with loopback_only():
        yield


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch):
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def emulator_url():
    with embedded_emulator() as url:
        yield url


@pytest.fixture
def emulator(emulator_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_url)
    return emulator_url


@pytest.fixture
def ml_root(tmp_path, monkeypatch):
    """A container's /opt/ml, mapped to a temporary folder as run_local maps it."""
    root = tmp_path / "opt" / "ml"
    monkeypatch.setenv("ML_ROOT", str(root))
    return root
