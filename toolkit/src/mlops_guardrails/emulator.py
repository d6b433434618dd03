"""Start moto's server on 127.0.0.1 for offline runs and tests, with fake credentials only.

The model-build and model-deploy seeds carry this same module (a seed never imports the other); the
project template's repository tests that the two copies stay equal.
"""
import contextlib
import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Iterator

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
}


# How often the server's loop looks for a stop request. The standard library's default is half a
# second, which every stop would wait out on average by half; a short interval costs a few wake-ups.
STOP_POLL_SECONDS = 0.02


@contextlib.contextmanager
def embedded_emulator() -> Iterator[str]:
    """Run moto's server on a free loopback port; point boto3 at it through AWS_ENDPOINT_URL meanwhile.

    moto creates each service's backend on that service's first request, so a run starts only the
    services it calls. The server is moto's own (its dispatcher and request handler, as in
    moto.server.ThreadedMotoServer) in a loop that stops within STOP_POLL_SECONDS."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    _keep_model_package_metadata()
    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                         request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": STOP_POLL_SECONDS},
                              name="embedded-emulator", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
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
        server.shutdown()
        server.server_close()
        thread.join()


def _keep_model_package_metadata() -> None:
    """UpdateModelPackage as AWS does it: CustomerMetadataProperties not named in the request stay (AWS
    removes keys only through CustomerMetadataPropertiesToRemove). moto 5.2.5 replaces them with the
    request's, so approving a model erased what its pipeline registered with it (the feature signature)."""
    from moto.sagemaker.models import SageMakerModelBackend

    replaced = SageMakerModelBackend.update_model_package
    if getattr(replaced, "keeps_metadata", False):
        return

    def update_model_package(self, model_package_arn, *args, customer_metadata_properties=None, **kwargs):
        name = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
        package = self.model_packages.get(name)
        kept = dict(getattr(package, "customer_metadata_properties", None) or {})
        merged = {**kept, **(customer_metadata_properties or {})} or None
        return replaced(self, model_package_arn, *args, customer_metadata_properties=merged, **kwargs)

    update_model_package.keeps_metadata = True
    SageMakerModelBackend.update_model_package = update_model_package


@contextlib.contextmanager
def emulator_for_run() -> Iterator[tuple[str, bool]]:
    """The emulator already at AWS_ENDPOINT_URL, reused as it is, or an embedded one for this run;
    yields its URL and whether it was started here."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        yield os.environ["AWS_ENDPOINT_URL"], False
        return
    with embedded_emulator() as url:
        yield url, True


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
