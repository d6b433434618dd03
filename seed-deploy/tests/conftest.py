"""Shared fixtures: the emulator (moto's server on 127.0.0.1) and fake credentials; never real AWS."""
import os
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SEED))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from deploy.emulator import FAKE_CREDENTIALS, embedded_emulator  # noqa: E402


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch):
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def emulator_url():
    """One moto server for the session; tests that use it must use unique resource names."""
    with embedded_emulator() as url:
        yield url


@pytest.fixture
def emulator(emulator_url, monkeypatch):
    """Point boto3 at the session's emulator for one test."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_url)
    return emulator_url
