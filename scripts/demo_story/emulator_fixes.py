"""Two gaps of moto's SageMaker that the story needs closed, each the smallest change that closes it.

1. moto's CloudFormation names an AWS::SageMaker::Endpoint after the stack and ignores its EndpointName
   property; CloudFormation uses the property. The demo's moto server runs in this process, so the
   resource class is told which property holds the name (moto does this for other types).
2. moto has no UpdateEndpoint, and its CloudFormation replaces the endpoint record at once. After a
   guardrail rollback SageMaker leaves the endpoint InService on the OLD config; the record is put back
   through the API (the old config and its models recreated when moto deleted them, the endpoint
   recreated on the old config)."""
import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def endpoint_name_property() -> Iterator[None]:
    """While it runs, moto's CloudFormation names endpoints by their EndpointName property; restored after,
    since moto's state is per process and other users of it (tests) may expect its own behaviour."""
    from moto.sagemaker.models import FakeEndpoint

    original = FakeEndpoint.__dict__["cloudformation_name_type"]
    FakeEndpoint.cloudformation_name_type = staticmethod(lambda: "EndpointName")
    try:
        yield
    finally:
        FakeEndpoint.cloudformation_name_type = original


def snapshot_endpoint(sm, endpoint: str) -> dict | None:
    """DescribeEndpoint and DescribeEndpointConfig of what the endpoint serves now (None: no endpoint)."""
    try:
        described = sm.describe_endpoint(EndpointName=endpoint)
    except sm.exceptions.ClientError:
        return None
    config = sm.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    models = [sm.describe_model(ModelName=v["ModelName"]) for v in config["ProductionVariants"]]
    return {"endpoint": described, "config": config, "models": models}


def restore_endpoint(sm, endpoint: str, snapshot: dict) -> None:
    """Leave the endpoint record InService on the snapshot's config, as a rolled-back update does."""
    config = snapshot["config"]
    name = config["EndpointConfigName"]
    for model in snapshot["models"]:
        try:
            sm.describe_model(ModelName=model["ModelName"])
        except sm.exceptions.ClientError:
            sm.create_model(ModelName=model["ModelName"], ExecutionRoleArn=model["ExecutionRoleArn"],
                            PrimaryContainer=model["PrimaryContainer"])
    try:
        sm.describe_endpoint_config(EndpointConfigName=name)
    except sm.exceptions.ClientError:
        request = {"EndpointConfigName": name, "ProductionVariants": config["ProductionVariants"]}
        if config.get("DataCaptureConfig"):
            request["DataCaptureConfig"] = config["DataCaptureConfig"]
        sm.create_endpoint_config(**request)
    sm.delete_endpoint(EndpointName=endpoint)
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=name)
