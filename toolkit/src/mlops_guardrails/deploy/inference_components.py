"""Inference components in a stage config: names, the shipped instance-type table, and the rules they must meet.

Sources: botocore's sagemaker service model (CreateInferenceComponent, InferenceComponentComputeResourceRequirements,
InferenceComponentRuntimeConfig.CopyCount >= 0, ProductionVariantManagedInstanceScaling), the SageMaker Developer
Guide's realtime-endpoints-deploy-models (components run on instance-based variants whose production variant
names no model; CreateEndpointConfig then needs an ExecutionRoleArn) and endpoint-auto-scaling-zero-instances
(an endpoint scales to and from zero instances only if it hosts inference components and its variant's
ManagedInstanceScaling.MinInstanceCount is 0; the component's copies scale to 0 through Application Auto
Scaling with MinCapacity 0; provisioning an instance again "takes several minutes" and invocations fail meanwhile).
Name limits, botocore's sagemaker model: InferenceComponentName and EndpointName at most 63 characters;
ProjectEntityName (the project name in every endpoint name, mlops_guardrails.deploy.stage_names) at least 1.
"""
import json
import math
from pathlib import Path

from mlops_guardrails.deploy import stage_names
from mlops_guardrails.deploy.problems import problem

INSTANCE_TYPES_FILE = Path(__file__).with_name("instance_types.json")

VARIANT_NAMES_A_MODEL = "its inference components carry the model: a variant that hosts them names no model"
COMPONENTS_NEED_INSTANCES = "inference components run on instance-based variants only; {variant} is serverless"
UNKNOWN_VARIANT = "names no production variant (known: {known})"
DUPLICATE_COMPONENT = "component names must be unique"
NAME_TOO_LONG = ("InferenceComponentName <endpoint>-<ComponentName> would be {length} characters with {which} "
                 "{endpoint}, over SageMaker's limit of {limit}: keep ComponentName to at most {room} characters")
STAGE_ENDPOINT = "the stage's endpoint name"
ANY_ENDPOINT = "even the shortest endpoint name a project gets,"
UNKNOWN_INSTANCE_TYPE = ("not in deploy/instance_types.json, so what one copy needs cannot be checked against it: add "
                         "the type with its vCPUs and memory (and their source)")
CORES_DO_NOT_FIT = "one copy needs more cores than a {instance_type} has ({vcpu} vCPUs)"
MEMORY_DOES_NOT_FIT = "one copy needs more memory than a {instance_type} has ({memory} MiB)"
MAX_BELOW_MIN_MEMORY = "must be >= MinMemoryRequiredInMb ({minimum})"
COPIES_DO_NOT_FIT = ("{copies} copies need {needed} instance(s) of {instance_type} ({per_instance} per instance, limited by "
                     "{limit}), more than the variant's {available}")
ZERO_COPIES_NEED_SCALE_TO_ZERO = ("0 copies only where the variant may scale to zero "
                                  "(ManagedInstanceScaling Status ENABLED, MinInstanceCount 0)")
SCALE_TO_ZERO_NEEDS_COMPONENTS = "scaling to zero instances needs InferenceComponents on the endpoint"
SCALING_RANGE = "must lie between ManagedInstanceScaling.MinInstanceCount and MaxInstanceCount ({low}-{high})"
SCALING_MAX_BELOW_MIN = "must be >= MinInstanceCount ({minimum})"
LIVE_NOT_FOR_COMPONENTS = ("live reads a production variant's model; for a component give latest, previous or a "
                           "version number")
NO_SHADOW_WITH_COMPONENTS = "this template does not render shadow variants beside inference components"


NAME_LIMIT = 63
# With no project at hand (validate), the shortest endpoint name any project's stage gets: a name longer than
# this allows can fit no project. The build checks the stage's real endpoint name (check_names).
SHORTEST_ENDPOINT = stage_names.endpoint_name("p", min(stage_names.STAGES, key=len))


def uses_components(config: dict) -> bool:
    return bool(config.get("InferenceComponents"))


def component_name(endpoint: str, component: dict) -> str:
    """The InferenceComponentName of a component of a stage's endpoint (the template writes the same with Fn::Sub)."""
    return f"{endpoint}-{component['ComponentName']}"


def copy_counts(config: dict) -> dict[str, int]:
    """Copies per component: what an inference-component rolling update moves in batches."""
    return {c["ComponentName"]: c["RuntimeConfig"]["CopyCount"] for c in config["InferenceComponents"]}


def instance_types() -> dict[str, dict]:
    return json.loads(INSTANCE_TYPES_FILE.read_text())["instance_types"]


def scales_to_zero(variant: dict) -> bool:
    scaling = variant.get("ManagedInstanceScaling") or {}
    return scaling.get("Status") == "ENABLED" and scaling.get("MinInstanceCount") == 0


def max_instances(variant: dict) -> tuple[int, str]:
    """The most instances the variant may run, and the field that sets it."""
    scaling = variant.get("ManagedInstanceScaling") or {}
    if scaling.get("Status") == "ENABLED":
        return scaling["MaxInstanceCount"], "ManagedInstanceScaling.MaxInstanceCount"
    return variant["InitialInstanceCount"], "InitialInstanceCount"


def copies_per_instance(component: dict, instance: dict) -> tuple[int, str]:
    """How many copies of `component` one instance holds, and what limits it (cores or memory)."""
    needs = component["ComputeResourceRequirements"]
    by_memory = math.floor(instance["memory_gib"] * 1024 / needs["MinMemoryRequiredInMb"])
    cores = needs.get("NumberOfCpuCoresRequired")
    by_cores = math.floor(instance["vcpu"] / cores) if cores else by_memory
    return (by_cores, "cores") if by_cores < by_memory else (by_memory, "memory")


def check_variants(config: dict) -> list[str]:
    """A variant that hosts components names no model and has instances; scale to zero needs components."""
    problems = []
    for i, variant in enumerate(config["ProductionVariants"]):
        path = f"ProductionVariants[{i}]"
        if not uses_components(config):  # the schema requires ModelVersion then
            if scales_to_zero(variant):
                problems.append(problem(f"{path}.ManagedInstanceScaling.MinInstanceCount", 0,
                                        SCALE_TO_ZERO_NEEDS_COMPONENTS))
            continue
        if "ModelVersion" in variant:
            problems.append(problem(f"{path}.ModelVersion", variant["ModelVersion"], VARIANT_NAMES_A_MODEL))
        if "ServerlessConfig" in variant:
            problems.append(problem(f"{path}.ServerlessConfig", "(serverless)",
                                    COMPONENTS_NEED_INSTANCES.format(variant=path)))
    problems += check_scaling_ranges(config)
    if uses_components(config) and config.get("ShadowProductionVariants"):
        problems.append(problem("ShadowProductionVariants", f"({len(config['ShadowProductionVariants'])} item(s))",
                                NO_SHADOW_WITH_COMPONENTS))
    return problems


def check_scaling_ranges(config: dict) -> list[str]:
    problems = []
    for i, variant in enumerate(config["ProductionVariants"]):
        scaling, path = variant.get("ManagedInstanceScaling"), f"ProductionVariants[{i}]"
        if not scaling or "InitialInstanceCount" not in variant:
            continue
        low, high = scaling["MinInstanceCount"], scaling["MaxInstanceCount"]
        if high < low:
            problems.append(problem(f"{path}.ManagedInstanceScaling.MaxInstanceCount", high,
                                    SCALING_MAX_BELOW_MIN.format(minimum=low)))
        elif not low <= variant["InitialInstanceCount"] <= high:
            problems.append(problem(f"{path}.InitialInstanceCount", variant["InitialInstanceCount"],
                                    SCALING_RANGE.format(low=low, high=high)))
    return problems


def check_names(components, endpoint: str | None = None) -> list[str]:
    """Each component's <endpoint>-<ComponentName> within InferenceComponentName's 63 characters; with no
    endpoint name (validate), within what the shortest one leaves: a name over that fits no project."""
    which = STAGE_ENDPOINT if endpoint else ANY_ENDPOINT
    endpoint = endpoint or SHORTEST_ENDPOINT
    problems = []
    for i, component in enumerate(components):
        length = len(component_name(endpoint, component))
        if length > NAME_LIMIT:
            problems.append(problem(f"InferenceComponents[{i}].ComponentName", component["ComponentName"],
                                    NAME_TOO_LONG.format(which=which, endpoint=endpoint, length=length, limit=NAME_LIMIT,
                                                         room=NAME_LIMIT - len(endpoint) - 1)))
    return problems


def check_components(config: dict) -> list[str]:
    """Each component on a known instance variant, fitting its instance type, its copies fitting the variant."""
    if not uses_components(config):
        return []
    variants = {v["VariantName"]: v for v in config["ProductionVariants"]}
    table, problems, seen = instance_types(), check_names(config["InferenceComponents"]), set()
    for i, component in enumerate(config["InferenceComponents"]):
        path, name = f"InferenceComponents[{i}]", component["ComponentName"]
        # Names that differ but meet in one template resource id: config_rules.check_resource_ids.
        if name in seen:
            problems.append(problem(f"{path}.ComponentName", name, DUPLICATE_COMPONENT))
        seen.add(name)
        if component["ModelVersion"] == "live":
            problems.append(problem(f"{path}.ModelVersion", "live", LIVE_NOT_FOR_COMPONENTS))
        variant = variants.get(component["VariantName"])
        if variant is None:
            problems.append(problem(f"{path}.VariantName", component["VariantName"],
                                    UNKNOWN_VARIANT.format(known=", ".join(variants))))
            continue
        if "InstanceType" not in variant:
            continue  # serverless: reported on the variant
        problems += _fit(path, component, variant, table)
    return problems


def _fit(path: str, component: dict, variant: dict, table: dict) -> list[str]:
    instance_type, needs = variant["InstanceType"], component["ComputeResourceRequirements"]
    instance = table.get(instance_type)
    if instance is None:
        return [problem(f"{path}.VariantName", component["VariantName"],
                        f"its InstanceType {instance_type} is {UNKNOWN_INSTANCE_TYPE}")]
    requirements = f"{path}.ComputeResourceRequirements"
    memory = int(instance["memory_gib"] * 1024)
    problems = []
    if needs.get("NumberOfCpuCoresRequired", 0) > instance["vcpu"]:
        problems.append(problem(f"{requirements}.NumberOfCpuCoresRequired", needs["NumberOfCpuCoresRequired"],
                                CORES_DO_NOT_FIT.format(instance_type=instance_type, vcpu=instance["vcpu"])))
    if needs["MinMemoryRequiredInMb"] > memory:
        problems.append(problem(f"{requirements}.MinMemoryRequiredInMb", needs["MinMemoryRequiredInMb"],
                                MEMORY_DOES_NOT_FIT.format(instance_type=instance_type, memory=memory)))
    if needs.get("MaxMemoryRequiredInMb", needs["MinMemoryRequiredInMb"]) < needs["MinMemoryRequiredInMb"]:
        problems.append(problem(f"{requirements}.MaxMemoryRequiredInMb", needs["MaxMemoryRequiredInMb"],
                                MAX_BELOW_MIN_MEMORY.format(minimum=needs["MinMemoryRequiredInMb"])))
    copies = component["RuntimeConfig"]["CopyCount"]
    if copies == 0 and not scales_to_zero(variant):
        problems.append(problem(f"{path}.RuntimeConfig.CopyCount", 0, ZERO_COPIES_NEED_SCALE_TO_ZERO))
    if problems:
        return problems
    per_instance, limit = copies_per_instance(component, instance)
    needed, (available, field) = math.ceil(copies / per_instance), max_instances(variant)
    if needed > available:
        problems.append(problem(f"{path}.RuntimeConfig.CopyCount", copies, COPIES_DO_NOT_FIT.format(
            copies=copies, needed=needed, instance_type=instance_type, per_instance=per_instance, limit=limit,
            available=f"{available} ({field})")))
    return problems


def check(config: dict) -> list[str]:
    return check_variants(config) + check_components(config)
