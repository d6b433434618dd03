"""Shared fixtures: fake credentials, one emulator (moto's server on 127.0.0.1) per session; never real AWS."""
import ipaddress
import os
import socket
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SEED))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from pipelines.local.emulator import FAKE_CREDENTIALS, embedded_emulator  # noqa: E402

DATA = SEED / "data" / "abalone.csv"


def _is_loopback(host) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Tests never reach AWS or anything else: a lookup or connection to a non-loopback host fails loudly."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            raise OSError(f"a test looked up {host}: tests talk to 127.0.0.1 only")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise OSError(f"a test connected to {address}: tests talk to 127.0.0.1 only")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)


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
