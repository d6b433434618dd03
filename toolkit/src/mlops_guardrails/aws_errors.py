"""AWS and SDK errors as one line for the command line: the call, the resource and what to check.

The model-build and model-deploy seeds carry this same module (a seed never imports the other); the
project template's repository tests that the two copies stay equal.
"""
import re
import types

# Request parameters that name what a call acts on, most specific first.
RESOURCE_PARAMS = (
    "ModelPackageArn", "ModelPackageName", "ModelPackageGroupName", "EndpointName", "EndpointConfigName",
    "ModelName", "PipelineExecutionArn", "PipelineName", "StackName", "AlarmName", "AlarmNames", "QueueUrl",
    "RoleArn", "Name",
)
# Error code -> what to check. Codes from the services' documented errors (botocore's service models).
HINTS = {
    "AccessDenied": "check that the role or user may make this call on this resource (IAM policy)",
    "AccessDeniedException": "check that the role or user may make this call on this resource (IAM policy)",
    "UnauthorizedOperation": "check that the role or user may make this call on this resource (IAM policy)",
    "ExpiredToken": "the credentials have expired: refresh them (aws sso login, or new session keys)",
    "ExpiredTokenException": "the credentials have expired: refresh them (aws sso login, or new session keys)",
    "InvalidClientTokenId": "check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID): AWS does not know them",
    "UnrecognizedClientException": "check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID): AWS does not know them",
    "SignatureDoesNotMatch": "check the secret key of the credentials in use",
    "NoSuchBucket": "check the bucket name, and that it exists in this account",
    "NoSuchKey": "check the S3 key: no object there",
    "404": "check the name: it does not exist in this account and region",
    "NotFound": "check the name: it does not exist in this account and region",
    "ResourceNotFound": "check the name: it does not exist in this account and region",
    "ValidationException": "check the value the message names (and the region: a name from another region is unknown here)",
    "ValidationError": "check the value the message names",
    "ThrottlingException": "AWS is throttling: retry in a minute",
    "Throttling": "AWS is throttling: retry in a minute",
    "ResourceLimitExceeded": "a service quota is reached: free some, or ask for more in Service Quotas",
    "ConflictException": "another change is in progress on the resource: retry when it ends",
}
DEFAULT_HINT = "check the resource name, the region (AWS_DEFAULT_REGION) and the role's permissions"


def _failed_call(error: BaseException) -> tuple[str, str]:
    """(service:Operation, resource) of the boto3 call the error came out of, read from its traceback."""
    call, resource = "", ""
    tb: types.TracebackType | None = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "_make_api_call" and "operation_name" in frame.f_locals:
            client, params = frame.f_locals.get("self"), frame.f_locals.get("api_params") or {}
            service = getattr(getattr(getattr(client, "meta", None), "service_model", None), "service_name", "")
            call = f"{service}:{frame.f_locals['operation_name']}" if service else frame.f_locals["operation_name"]
            resource = _resource(params)
        tb = tb.tb_next
    return call, resource


def _resource(params: dict) -> str:
    if "Bucket" in params:
        return f"s3://{params['Bucket']}/{params.get('Key', params.get('Prefix', ''))}"
    for name in RESOURCE_PARAMS:
        if params.get(name):
            return str(params[name])
    return ""


def explain(error: BaseException) -> str | None:
    """One line for an AWS or SDK error; None for any other exception (a bug: let it show its traceback)."""
    module = type(error).__module__
    if not module.startswith(("botocore", "boto3", "s3transfer")):
        return None
    from botocore import exceptions

    call, resource = _failed_call(error)
    if isinstance(error, exceptions.ClientError):
        call = call or error.operation_name
    where = " ".join(part for part in ("AWS call", call, f"on {resource}" if resource else "") if part) + " failed"
    if isinstance(error, exceptions.ClientError):
        details = error.response.get("Error", {})
        code, message = details.get("Code", "?"), " ".join(str(details.get("Message") or "").split())
        if message.startswith("<"):  # an HTML page, not AWS's error document
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
            message = (f"the endpoint answered HTTP {status} with an HTML page, not an AWS error "
                       "(an emulator that lacks this API, or a proxy in the way)")
        return f"{where}: {code}{': ' + message if message else ''}: {HINTS.get(code, DEFAULT_HINT)}"
    if isinstance(error, exceptions.NoRegionError):
        return f"{where}: no AWS region set: set AWS_DEFAULT_REGION or a profile's region (boto3 does not read AWS_REGION)"
    if isinstance(error, (exceptions.NoCredentialsError, exceptions.PartialCredentialsError,
                          exceptions.ProfileNotFound)):
        return f"{where}: {error}: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role is attached"
    if isinstance(error, exceptions.ParamValidationError):
        return f"{where}: AWS would refuse the request: {' '.join(str(error).split())}"
    if isinstance(error, (exceptions.ConnectionError, exceptions.HTTPClientError)):
        return (f"{where}: {error}: check the network, the region (AWS_DEFAULT_REGION) and AWS_ENDPOINT_URL "
                "(an emulator that is not running?)")
    # boto3's S3 transfers (upload_file, download_file) wrap the service's error in their own message.
    wrapped = re.search(r"\((\w+)\) when calling the (\w+) operation", str(error))
    if wrapped and not call:
        where = f"AWS call s3:{wrapped.group(2)} failed"
    hint = HINTS.get(wrapped.group(1), DEFAULT_HINT) if wrapped else DEFAULT_HINT
    return f"{where}: {' '.join(str(error).split())}: {hint}"
