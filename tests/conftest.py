"""Repository-level fixtures: scripts and CDK apps importable, one synthesis and one emulator per session."""
import ipaddress
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "scripts", ROOT / "service-catalog", ROOT / "seed-deploy"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from cdk_apps import cached_synthesis  # noqa: E402
from deploy.emulator import FAKE_CREDENTIALS, embedded_emulator  # noqa: E402


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


@pytest.fixture(scope="session")
def synthesis():
    return cached_synthesis()


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
