"""Start moto's server on 127.0.0.1 for offline runs and tests, with fake credentials only.

The model-build and model-deploy seeds carry this same module (a seed never imports the other); the
project template's repository tests that the two copies stay equal.
"""
import contextlib
import ipaddress
import logging
import os
import socket
from collections.abc import Iterator

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
}


@contextlib.contextmanager
def embedded_emulator() -> Iterator[str]:
    """Run moto's server on a free loopback port; point boto3 at it through AWS_ENDPOINT_URL meanwhile."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    saved = {key: os.environ.get(key) for key in [*FAKE_CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update(FAKE_CREDENTIALS, AWS_ENDPOINT_URL=url)
    try:
        yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


def is_loopback(host) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """Meanwhile, a lookup of or connection to any host but loopback fails loudly: offline means offline."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if not is_loopback(host):
            raise OSError(f"looked up {host}: offline runs and tests talk to 127.0.0.1 only")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if isinstance(address, tuple) and not is_loopback(address[0]):
            raise OSError(f"connected to {address}: offline runs and tests talk to 127.0.0.1 only")
        return real_connect(self, address)

    socket.getaddrinfo, socket.socket.connect = getaddrinfo, connect
    try:
        yield
    finally:
        socket.getaddrinfo, socket.socket.connect = real_getaddrinfo, real_connect
