"""Network isolation for a local step whose definition enables it (EnableNetworkIsolation), as SageMaker runs one.

On SageMaker an isolated container has no network and no AWS credentials: SageMaker moves its inputs and outputs.
Locally the step's process gets no AWS credentials (environment() removes them) and, through sitecustomize
(pipelines/local/bootstrap/), an audit hook that refuses every connection and name lookup but loopback (the local
S3 stand-in); a script that downloads packages or calls AWS at run time fails here with MESSAGE, as it would there.
What it cannot cover: native code that opens sockets itself (not through Python's socket module).

Standard library only: it is loaded into every isolated step process before anything else.
"""
import ipaddress
import os
import socket
import sys

ENV_VARIABLE = "SAGEMAKER_LOCAL_NETWORK_ISOLATION"
MESSAGE = ("network isolation: {what}: this step's definition enables network isolation, so on SageMaker its "
           "container has no network and no AWS credentials and this fails there too (read inputs from /opt/ml, "
           "or turn isolation off for this step and say why)")
# Where boto3 and the AWS CLI find credentials (botocore's credential chain); the files point nowhere.
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def environment(env: dict[str, str], job_dir: str) -> dict[str, str]:
    """A step's environment without AWS credentials, with the isolation hook switched on."""
    isolated = {key: value for key, value in env.items() if key not in CREDENTIAL_VARIABLES}
    nowhere = os.path.join(job_dir, "no-aws-credentials")
    isolated.update({"AWS_SHARED_CREDENTIALS_FILE": nowhere, "AWS_CONFIG_FILE": nowhere,
                     "AWS_EC2_METADATA_DISABLED": "true", ENV_VARIABLE: "1"})
    return isolated


def is_loopback(host) -> bool:
    host = _text(host)
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _text(host) -> str:
    return host.decode(errors="replace") if isinstance(host, bytes) else str(host)


def _audit(event: str, args) -> None:
    if event == "socket.connect":
        sock, address = args
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise PermissionError(MESSAGE.format(what=f"connection to {address[0]}:{address[1]}"))
    elif event == "socket.getaddrinfo" and args[0] is not None and not is_loopback(args[0]):
        raise PermissionError(MESSAGE.format(what=f"connection to {_text(args[0])}:{args[1]}"))


def _excepthook(kind, value, traceback) -> None:
    """The usual report; a missing-credentials error (boto3's NoCredentialsError) then gets MESSAGE as its last
    line, the one a failed step's reason carries."""
    sys.__excepthook__(kind, value, traceback)
    if kind.__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        print(MESSAGE.format(what="AWS credentials requested"), file=sys.stderr)


def install() -> None:
    sys.addaudithook(_audit)
    sys.excepthook = _excepthook
