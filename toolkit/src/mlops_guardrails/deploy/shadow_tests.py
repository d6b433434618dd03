"""SageMaker's managed shadow tests (inference experiments of type ShadowMode) against a stage's endpoint.

Shapes and limits from botocore's sagemaker service model: CreateInferenceExperiment (Name
`[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}`, Type ShadowMode, RoleArn, EndpointName, ModelVariants 1-2 of
{ModelName, VariantName, InfrastructureConfig {InfrastructureType RealTimeInference, RealTimeInferenceConfig
{InstanceType, InstanceCount}}}, ShadowModeConfig {SourceModelVariantName, ShadowModelVariants: exactly 1 of
{ShadowModelVariantName, SamplingPercentage <= 100}}, Schedule {StartTime, EndTime}, DataStorageConfig
{Destination, ContentType}), StartInferenceExperiment, StopInferenceExperiment (ModelVariantActions Retain,
Remove or Promote; DesiredState Completed or Cancelled), DescribeInferenceExperiment (Status Creating, Created,
Updating, Running, Starting, Stopping, Completed, Cancelled). From the Developer Guide: shadow-tests-create
(one production and one shadow variant; a test runs up to 30 days, 7 by default; the endpoint returns to its
own config when the test ends) and shadow-tests-exclusions (no serverless, asynchronous, multi-model or
multi-container endpoints, nor Marketplace models).

Every call is safe to rerun: start creates the experiment only if it does not exist and starts it only if
it has not started; stop does nothing to an experiment that has already ended."""
import datetime as dt
import re
from dataclasses import dataclass

from mlops_guardrails import aws_formats
from mlops_guardrails.errors import DeployError, InputError

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$")
MAX_DAYS, DEFAULT_DAYS = 30, 7
ENDED = ("Completed", "Cancelled")
NOT_STARTED = ("Creating", "Created")

BAD_NAME = "--name: {name!r}: must match [a-zA-Z0-9](-*[a-zA-Z0-9]){{0,119}} (CreateInferenceExperiment)"
BAD_SAMPLING = "--sampling-percentage: {value}: must be 1-100 (the share of requests copied to the shadow)"
BAD_DURATION = f"--duration-days: {{value}}: must be 1-{MAX_DAYS} (a shadow test runs at most {MAX_DAYS} days)"
BAD_DESTINATION = ("--capture-destination: {value!r}: must be an s3://BUCKET/PREFIX URI naming a valid bucket, "
                   "at most 512 characters (DataStorageConfig.Destination)")
NOT_IN_SERVICE = "endpoint {endpoint}: {status}: a shadow test needs an InService endpoint"
EXCLUDED = "endpoint {endpoint}: {why}: shadow tests exclude {kind} endpoints (shadow-tests-exclusions)"
ONE_PRODUCTION = "endpoint {endpoint}: {count} production variants: a shadow test needs exactly one"
HAS_SHADOW = "endpoint {endpoint}: already has a shadow variant ({names}): remove it before a managed shadow test"
NO_GROUP = ("--model-package-group: missing: give the project's model package group (default "
            "$MODEL_PACKAGE_GROUP_NAME): a shadow test runs only an Approved model of it")
NOT_REGISTERED = ("--candidate-model: {model}: not made from a model package: a shadow test runs only an Approved "
                  "model package of group {group}")
NOT_APPROVED = ("--candidate-model: {model}: model package {package} is {status} in group {owner}: a shadow test "
                "runs only an Approved model package of group {group}")
OTHER_EXPERIMENT = ("shadow test {name}: exists for endpoint {existing} with shadow model {model}: pick another "
                    "--name, or stop and delete it first")


@dataclass(frozen=True)
class ShadowTest:
    """What `shadow-test start` asks for."""

    name: str
    endpoint: str
    candidate_model: str
    role_arn: str
    sampling_percentage: int = 100
    duration_days: int = DEFAULT_DAYS
    capture_destination: str | None = None
    shadow_variant: str = "shadow"
    kms_key: str | None = None  # the project's key: the hosts' storage volumes and the captures
    model_package_group: str = ""

    def check(self) -> None:
        """The API's rules on the request itself: InputError naming the option, the value and the rule."""
        if not self.model_package_group:
            raise InputError(NO_GROUP)
        check_name(self.name)
        if not 1 <= self.sampling_percentage <= 100:
            raise InputError(BAD_SAMPLING.format(value=self.sampling_percentage))
        if not 1 <= self.duration_days <= MAX_DAYS:
            raise InputError(BAD_DURATION.format(value=self.duration_days))
        if self.capture_destination is not None and not _capture_destination_ok(self.capture_destination):
            raise InputError(BAD_DESTINATION.format(value=self.capture_destination))


def check_name(name: str) -> None:
    """InferenceExperimentName: the pattern bounds its letters, the length (1-120) its hyphens too."""
    if len(name) > 120 or not NAME_PATTERN.match(name):
        raise InputError(BAD_NAME.format(name=name))


def _capture_destination_ok(value: str) -> bool:
    bucket = value.removeprefix("s3://").partition("/")[0]
    return value.startswith("s3://") and len(value) <= 512 and aws_formats.problem("bucket", bucket, "bucket") is None


def check_candidate(sm, test: ShadowTest) -> None:
    """The candidate must be an Approved model package of the project's group (issue #20: a shadow test's promote
    would otherwise put any model on the endpoint). Reads only: it runs before any call that changes anything."""
    model = sm.describe_model(ModelName=test.candidate_model)
    containers = [model.get("PrimaryContainer", {}), *model.get("Containers", [])]
    packages = [c["ModelPackageName"] for c in containers if c.get("ModelPackageName")]
    if not packages:
        raise InputError(NOT_REGISTERED.format(model=test.candidate_model, group=test.model_package_group))
    for package in packages:
        found = sm.describe_model_package(ModelPackageName=package)
        owner, status = found.get("ModelPackageGroupName", "(none)"), found.get("ModelApprovalStatus", "(none)")
        if owner != test.model_package_group or status != "Approved":
            raise InputError(NOT_APPROVED.format(model=test.candidate_model, package=package, status=status,
                                                 owner=owner, group=test.model_package_group))


def production_variant(sm, endpoint: str) -> dict:
    """The endpoint's one production variant, after the documented exclusions; InputError when it has none."""
    description = sm.describe_endpoint(EndpointName=endpoint)
    if description["EndpointStatus"] != "InService":
        raise InputError(NOT_IN_SERVICE.format(endpoint=endpoint, status=description["EndpointStatus"]))
    config = sm.describe_endpoint_config(EndpointConfigName=description["EndpointConfigName"])
    if config.get("AsyncInferenceConfig"):
        raise InputError(EXCLUDED.format(endpoint=endpoint, why="AsyncInferenceConfig", kind="asynchronous"))
    if config.get("ShadowProductionVariants"):
        names = ", ".join(v["VariantName"] for v in config["ShadowProductionVariants"])
        raise InputError(HAS_SHADOW.format(endpoint=endpoint, names=names))
    variants = config["ProductionVariants"]
    if len(variants) != 1:
        raise InputError(ONE_PRODUCTION.format(endpoint=endpoint, count=len(variants)))
    variant = variants[0]
    if "ServerlessConfig" in variant:
        raise InputError(EXCLUDED.format(endpoint=endpoint, why="ServerlessConfig", kind="serverless"))
    live = next(v for v in description.get("ProductionVariants", [variant]) if v["VariantName"] == variant["VariantName"])
    model = sm.describe_model(ModelName=variant["ModelName"])
    containers = model.get("Containers") or [model.get("PrimaryContainer", {})]
    if len(containers) > 1:
        raise InputError(EXCLUDED.format(endpoint=endpoint, why=f"model {variant['ModelName']} has {len(containers)} "
                                                                  "containers", kind="multi-container"))
    if containers[0].get("Mode") == "MultiModel":
        raise InputError(EXCLUDED.format(endpoint=endpoint, why=f"model {variant['ModelName']} is Mode MultiModel",
                                         kind="multi-model"))
    count = live.get("CurrentInstanceCount") or variant["InitialInstanceCount"]
    return {"VariantName": variant["VariantName"], "ModelName": variant["ModelName"],
            "InstanceType": variant["InstanceType"], "InstanceCount": count}


def create_request(test: ShadowTest, production: dict, now: dt.datetime) -> dict:
    """CreateInferenceExperiment's arguments: the live variant as it is, the candidate on the same infrastructure."""
    infrastructure = {"InfrastructureType": "RealTimeInference", "RealTimeInferenceConfig": {
        "InstanceType": production["InstanceType"], "InstanceCount": production["InstanceCount"]}}
    request = {
        "Name": test.name,
        "Type": "ShadowMode",
        "RoleArn": test.role_arn,
        "EndpointName": test.endpoint,
        "Description": f"shadow test of {test.candidate_model} beside {production['ModelName']}",
        "Schedule": {"StartTime": now, "EndTime": now + dt.timedelta(days=test.duration_days)},
        "ModelVariants": [
            {"ModelName": production["ModelName"], "VariantName": production["VariantName"],
             "InfrastructureConfig": infrastructure},
            {"ModelName": test.candidate_model, "VariantName": test.shadow_variant,
             "InfrastructureConfig": infrastructure},
        ],
        "ShadowModeConfig": {"SourceModelVariantName": production["VariantName"], "ShadowModelVariants": [
            {"ShadowModelVariantName": test.shadow_variant, "SamplingPercentage": test.sampling_percentage}]},
    }
    if test.capture_destination:
        request["DataStorageConfig"] = {"Destination": test.capture_destination,
                                        "ContentType": {"CsvContentTypes": ["text/csv"]}}
    if test.kms_key:
        request["KmsKey"] = test.kms_key
        if test.capture_destination:
            request["DataStorageConfig"]["KmsKey"] = test.kms_key
    return request


def describe(sm, name: str) -> dict | None:
    """DescribeInferenceExperiment, or None when there is no such experiment."""
    try:
        return sm.describe_inference_experiment(Name=name)
    except sm.exceptions.ResourceNotFound:
        return None


def start(sm, test: ShadowTest, now: dt.datetime | None = None) -> list[str]:
    """Create (if absent) and start (if not started) the shadow test; returns what was done, one line each."""
    test.check()
    check_candidate(sm, test)
    done = []
    existing = describe(sm, test.name)
    if existing is None:
        production = production_variant(sm, test.endpoint)
        sm.create_inference_experiment(**create_request(test, production, now or dt.datetime.now(dt.timezone.utc)))
        done.append(f"created shadow test {test.name}: {test.sampling_percentage}% of {test.endpoint}'s requests "
                    f"copied to {test.candidate_model} for {test.duration_days} day(s)")
        existing = describe(sm, test.name)
    else:
        shadow_models = [v["ModelName"] for v in existing["ModelVariants"] if v["VariantName"] == test.shadow_variant]
        if existing["EndpointMetadata"]["EndpointName"] != test.endpoint or shadow_models != [test.candidate_model]:
            raise InputError(OTHER_EXPERIMENT.format(name=test.name, existing=existing["EndpointMetadata"]["EndpointName"],
                                                     model=", ".join(shadow_models) or "(none)"))
    # The API reference: SageMaker begins an experiment at its scheduled StartTime (now, here); one still
    # Creating/Created, e.g. after an interrupted start, is started explicitly.
    if existing["Status"] in NOT_STARTED:
        sm.start_inference_experiment(Name=test.name)
        done.append(f"started shadow test {test.name}")
    elif not done:
        done.append(f"shadow test {test.name} is already {existing['Status']}: nothing to do")
    return done


def stop(sm, name: str, *, promote: bool = False, cancel: bool = False, reason: str | None = None) -> list[str]:
    """Stop the shadow test: keep production and remove the shadow, or promote the shadow (--promote)."""
    check_name(name)
    existing = describe(sm, name)
    if existing is None:
        raise InputError(f"shadow test {name}: not found")
    if existing["Status"] in ENDED:
        return [f"shadow test {name} has already ended ({existing['Status']}): nothing to do"]
    source = existing["ShadowModeConfig"]["SourceModelVariantName"]
    shadow = existing["ShadowModeConfig"]["ShadowModelVariants"][0]["ShadowModelVariantName"]
    actions = {source: "Remove", shadow: "Promote"} if promote else {source: "Retain", shadow: "Remove"}
    request = {"Name": name, "ModelVariantActions": actions, "DesiredState": "Cancelled" if cancel else "Completed"}
    if reason:
        request["Reason"] = reason[:1024]
    sm.stop_inference_experiment(**request)
    kept = shadow if promote else source
    return [f"stopping shadow test {name}: {'promoting' if promote else 'keeping'} {kept}; the endpoint returns to "
            "serving one variant"]


def status(sm, name: str) -> dict:
    """What the command prints for `status`: the experiment's state, variants, schedule and capture place."""
    check_name(name)
    existing = describe(sm, name)
    if existing is None:
        raise InputError(f"shadow test {name}: not found")
    shadow = existing.get("ShadowModeConfig", {}).get("ShadowModelVariants", [{}])[0]
    return {
        "name": existing["Name"], "status": existing["Status"], "reason": existing.get("StatusReason"),
        "endpoint": existing["EndpointMetadata"]["EndpointName"],
        "variants": {v["VariantName"]: {"model": v["ModelName"], "status": v["Status"]} for v in existing["ModelVariants"]},
        "production": existing.get("ShadowModeConfig", {}).get("SourceModelVariantName"),
        "shadow": shadow.get("ShadowModelVariantName"), "sampling_percentage": shadow.get("SamplingPercentage"),
        "schedule": {k: str(v) for k, v in existing.get("Schedule", {}).items()},
        "captures": existing.get("DataStorageConfig", {}).get("Destination"),
    }


def experiment_captures(sm, name: str) -> tuple[str, str, str]:
    """The boundary compare-shadow reads through: (where the test's captures are, production variant, shadow
    variant). DeployError when the test stored no captures (it was created without a capture destination).
    DataStorageConfig is SageMaker's data capture (CreateInferenceExperiment: "see Capture data"), so the
    files are read as compare-shadow reads any capture: <Destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/."""
    info = status(sm, name)
    if not info["captures"]:
        raise DeployError(f"shadow test {name}: no DataStorageConfig: it captured nothing to compare; "
                          "start one with --capture-destination")
    return info["captures"], info["production"], info["shadow"]
