"""Repository-level fixtures: scripts and CDK apps importable, one synthesis and one emulator per session."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "scripts", ROOT / "service-catalog"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import os  # noqa: E402

# The seeds' XGBoost container environment is built once, at the root (Makefile: xgboost-env).
os.environ.setdefault("XGBOOST_ENVS_DIR", str(ROOT))
# What renders or rehearses the deploy seed from here uses its endpoint template (the toolkit's default: the
# folder a command runs in).
os.environ.setdefault("ENDPOINT_TEMPLATE", str(ROOT / "seed-deploy" / "endpoint-template.yml"))

from cdk_apps import synthesize  # noqa: E402
from mlops_guardrails.emulator import FAKE_CREDENTIALS, embedded_emulator, loopback_only  # noqa: E402


@pytest.fixture(autouse=True)
def _loopback_only():
    """Tests never reach AWS or anything else: a lookup or connection to a non-loopback host fails loudly."""
    with loopback_only():
        yield


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory):
    """One synthesis per session (CDK synth costs seconds), under pytest's temporary folders (it keeps the
    last few sessions' and removes older ones); tests only read it."""
    return synthesize(tmp_path_factory.mktemp("templates"), progress=lambda _line: None)


@pytest.fixture(scope="session")
def emulator_url():
    """moto's server on 127.0.0.1 for the session; tests use unique resource names. Only tests that ask
    for `emulator` see AWS_ENDPOINT_URL: embedded_emulator() sets it process-wide while it runs."""
    with embedded_emulator() as url, pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_ENDPOINT_URL")
        yield url


@pytest.fixture
def emulator(emulator_url, monkeypatch):
    """Fake credentials and boto3 pointed at the session's emulator, for one test."""
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_url)
    return emulator_url
