"""A step whose definition enables network isolation runs without network (but loopback) and without AWS
credentials, and fails with a message saying SageMaker would refuse it too; other steps keep the network."""
import json
import socket
import threading

import pytest

from mlops_guardrails.local.container import container_root, run_process
from mlops_guardrails.local.errors import StepFailed
from mlops_guardrails.local.isolation import MESSAGE, is_loopback

PUBLIC_CONNECT = """
import socket
socket.create_connection(("203.0.113.7", 443), timeout=1)
"""
PACKAGE_INDEX = """
import urllib.request
urllib.request.urlopen("https://pypi.org/simple/xgboost/", timeout=1)
"""
AWS_CALL = """
import boto3
boto3.client("s3", region_name="us-east-1").list_buckets()
"""
LOOPBACK = """
import json, os, socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as sock:
    answer = sock.recv(2).decode()
os.makedirs("/opt/ml/output", exist_ok=True)
names = [k for k in os.environ if k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")]
json.dump({"answer": answer, "credentials": names}, open("/opt/ml/output/report.json", "w"))
"""


def run(tmp_path, source: str, *args: str, isolated: bool = True):
    script = tmp_path / "script.py"
    script.write_text(source)
    run_process(["python3", str(script), *args], tmp_path, tmp_path / "job.log", isolated=isolated)


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")


@pytest.mark.parametrize("source, what", [(PUBLIC_CONNECT, "connection to 203.0.113.7:443"),
                                          (PACKAGE_INDEX, "connection to pypi.org:443")])
def test_isolated_step_reaching_beyond_loopback_fails_like_sagemaker(tmp_path, credentials, source, what):
    with pytest.raises(StepFailed) as failure:
        run(tmp_path, source)
    assert MESSAGE.format(what=what) in str(failure.value)


def test_isolated_step_asking_for_aws_credentials_fails_like_sagemaker(tmp_path, credentials):
    with pytest.raises(StepFailed) as failure:
        run(tmp_path, AWS_CALL)
    assert str(failure.value) == MESSAGE.format(what="AWS credentials requested")
    assert any("NoCredentialsError" in line for line in failure.value.log_tail)


def test_isolated_step_reaches_loopback_without_credentials(tmp_path, credentials):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def answer():
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"ok")

        thread = threading.Thread(target=answer)
        thread.start()
        run(tmp_path, LOOPBACK, str(port))
        thread.join(timeout=10)
    report = json.loads((container_root(tmp_path) / "output" / "report.json").read_text())
    assert report == {"answer": "ok", "credentials": []}


def test_step_without_isolation_keeps_its_credentials(tmp_path, credentials):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        thread = threading.Thread(target=lambda: server.accept()[0].sendall(b"ok"))
        thread.start()
        run(tmp_path, LOOPBACK, str(port), isolated=False)
        thread.join(timeout=10)
    report = json.loads((container_root(tmp_path) / "output" / "report.json").read_text())
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(report["credentials"])


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                            ("localhost", True), ("10.0.0.1", False), ("pypi.org", False),
                                            ("169.254.169.254", False)])
def test_only_loopback_counts_as_loopback(host, loopback):
    assert is_loopback(host) is loopback
