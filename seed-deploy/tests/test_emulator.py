import socket

import boto3
import pytest

from deploy.emulator import loopback_only


def test_loopback_only_refuses_other_hosts_and_allows_loopback():
    with loopback_only():
        with pytest.raises(OSError, match="looked up example.com: offline runs and tests talk to 127.0.0.1 only"):
            socket.getaddrinfo("example.com", 443)
        with socket.socket() as raw, pytest.raises(OSError, match=r"connected to \('192.0.2.1', 443\)"):
            raw.connect(("192.0.2.1", 443))
        assert socket.getaddrinfo("127.0.0.1", 80)


def test_embedded_emulator_serves_boto3_on_loopback(emulator):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="emulator-smoke-test")
    assert "emulator-smoke-test" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert emulator.startswith("http://127.0.0.1:")
