"""Render endpoint-template.yml for both stages: fill `!FromStageConfig` slots, add per-variant resources."""
import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mlops_guardrails.deploy import stage_alarms
from mlops_guardrails.deploy.inference_components import uses_components

# The deploy repo's own template, which its team edits: endpoint-template.yml in the folder the commands run in,
# or the file $ENDPOINT_TEMPLATE names (tooling that renders a deploy repo from elsewhere).
BASE_TEMPLATE = "endpoint-template.yml"
TEMPLATE_VARIABLE = "ENDPOINT_TEMPLATE"
STAGE_CONDITIONS = {"staging": "IsStaging", "prod": "IsProd"}
NO_VALUE = {"Ref": "AWS::NoValue"}
ALARM_REFS = [{"AlarmName": {"Ref": alarm.logical_id}} for alarm in stage_alarms.STAGE_ALARMS]
ENDPOINT_REF = {"Ref": "EndpointName"}
ENDPOINT_CONFIG_REF = {"Fn::GetAtt": ["EndpointConfig", "EndpointConfigName"]}
# The project's key and network (endpoint-template.yml's KmsKeyArn, SubnetIds, SecurityGroupIds and conditions).
PROJECT_KEY = {"Fn::If": ["HasKey", {"Ref": "KmsKeyArn"}, NO_VALUE]}
PROJECT_VPC = {"Fn::If": ["InVpc", {"Subnets": {"Fn::Split": [",", {"Ref": "SubnetIds"}]},
                                    "SecurityGroupIds": {"Fn::Split": [",", {"Ref": "SecurityGroupIds"}]}}, NO_VALUE]}
# Instance families with local (NVMe) storage, where CreateEndpointConfig refuses a KmsKeyId (API_CreateEndpointConfig,
# KmsKeyId: "Nitro-based instances with local storage ... do not specify a value"): the *d families (m5d, c5d,
# g4dn, p4d, ...) and the GPU/accelerator families whose instances all carry it.
INSTANCE_STORAGE = re.compile(r"ml\.([a-z]+\d+[a-z]*d[a-z]*|g5|g6e?|p5e?|trn1n?|inf2)\..+")
# Model Monitor's analyzer image: one registry account per region (from the SageMaker Python SDK's
# image_uri_config/model-monitor.json); CloudFormation builds the URI with AWS::URLSuffix.
MODEL_MONITOR_ACCOUNTS = {
    "af-south-1": "875698925577", "ap-east-1": "001633400207", "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524", "ap-northeast-3": "990339680094", "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676", "ap-southeast-2": "563025443158", "ap-southeast-3": "669540362728",
    "ca-central-1": "536280801234", "eu-central-1": "048819808253", "eu-central-2": "590183933784",
    "eu-north-1": "895015795356", "eu-south-1": "933208885752", "eu-south-2": "437450045455",
    "eu-west-1": "468650794304", "eu-west-2": "749857270468", "eu-west-3": "680080141114",
    "il-central-1": "843974653677", "me-central-1": "588750061953", "me-south-1": "607024016150",
    "sa-east-1": "539772159869", "us-east-1": "156813124566", "us-east-2": "777275614652",
    "us-west-1": "890145073186", "us-west-2": "159807026194",
}


@dataclass(frozen=True)
class StageSlot:
    """Marks a value endpoint-template.yml takes from the stage configs."""

    key: str


@dataclass
class ResolvedStage:
    """A validated stage config with the model package ARN of each variant (and the data-quality baseline)."""

    stage: str
    config: dict
    packages: dict[str, str]
    baseline: dict | None = field(default=None)


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags as their long form, and !FromStageConfig as a StageSlot."""


def _intrinsic(name: str):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _tag, _name in {"!Ref": "Ref", "!Condition": "Condition"}.items():
    _Loader.add_constructor(_tag, _intrinsic(_name))
for _short in ("GetAtt", "Sub", "If", "Equals", "Not", "And", "Or", "FindInMap", "Join", "Select", "Split"):
    _Loader.add_constructor(f"!{_short}", _intrinsic(f"Fn::{_short}"))
_Loader.add_constructor("!FromStageConfig", lambda loader, node: StageSlot(loader.construct_scalar(node)))


def load_base(path: Path | None = None) -> dict:
    path = path or Path(os.environ.get(TEMPLATE_VARIABLE) or BASE_TEMPLATE)
    return yaml.load(Path(path).read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def logical_id(stage: str, variant_name: str, kind: str) -> str:
    """<Stage><name without '-'><kind>: not injective ("a-b" and "ab" meet), so config_rules refuses names that
    meet (named_resource_ids); kept as is because a changed id makes CloudFormation replace the resource."""
    return f"{stage.capitalize()}{re.sub('[^a-zA-Z0-9]', '', variant_name)}{kind}"


def named_resource_ids(stage: str, config: dict) -> list[tuple[str, str, str]]:
    """(field path, name, logical id) of every resource this module adds for one variant or component of `config`:
    the ids model_resources, component_resources and the scaling builders write, under the same conditions."""
    scaling = config.get("AutoScaling")
    found = []
    for group in ("ProductionVariants", "ShadowProductionVariants"):
        for i, variant in enumerate(config.get(group) or []):
            kinds = ["Model"] if "ModelVersion" in variant else []
            if scaling and group == "ProductionVariants" and not uses_components(config):
                kinds += ["ScalableTarget", "ScalingPolicy"]
            name = variant["VariantName"]
            found += [(f"{group}[{i}].VariantName", name, logical_id(stage, name, k)) for k in kinds]
    for i, component in enumerate(config.get("InferenceComponents") or []):
        kinds = ["InferenceComponent", "ComponentModel"]
        if scaling:
            kinds += ["ScalableTarget", "ScalingPolicy"]
            if scaling["MinCapacity"] == 0:
                kinds += ["ScaleOutFromZeroPolicy", "NoCapacityAlarm"]
        found += [(f"InferenceComponents[{i}].ComponentName", component["ComponentName"],
                   component_logical_id(stage, component, k)) for k in kinds]
    return found


def cfn_variant(stage: str, variant: dict) -> dict:
    """A ProductionVariant; one that hosts inference components names no model (they carry it)."""
    out = {"VariantName": variant["VariantName"]}
    if "ModelVersion" in variant:
        out["ModelName"] = {"Fn::GetAtt": [logical_id(stage, variant["VariantName"], "Model"), "ModelName"]}
    out["InitialVariantWeight"] = float(variant.get("InitialVariantWeight", 1.0))
    for key in ("InstanceType", "InitialInstanceCount", "ServerlessConfig", "ManagedInstanceScaling", "RoutingConfig"):
        if key in variant:
            out[key] = copy.deepcopy(variant[key])
    return out


def component_logical_id(stage: str, component: dict, kind: str = "InferenceComponent") -> str:
    return logical_id(stage, component["ComponentName"], kind)


def component_name_value(component: dict) -> dict:
    """InferenceComponentName in the template: <endpoint>-<ComponentName> (mlops_guardrails.deploy.inference_components.component_name)."""
    return {"Fn::Sub": f"${{EndpointName}}-{component['ComponentName']}"}


def cfn_data_capture(config: dict):
    capture = config.get("DataCapture")
    if capture is None:
        return None
    out = {
        "EnableCapture": True,
        "InitialSamplingPercentage": capture["InitialSamplingPercentage"],
        # SageMaker appends <endpoint>/<variant>/yyyy/mm/dd/hh/ itself.
        "DestinationS3Uri": {"Fn::Sub": "s3://${ArtifactBucket}/data-capture"},
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
    }
    # The config's own key, else the project's.
    out["KmsKeyId"] = capture.get("KmsKeyId") or copy.deepcopy(PROJECT_KEY)
    return out


def cfn_volume_key(config: dict):
    """The endpoint config's KmsKeyId: the project's key, unless a variant is serverless or has instance storage
    (SageMaker refuses a key there and encrypts those volumes itself)."""
    variants = config["ProductionVariants"] + (config.get("ShadowProductionVariants") or [])
    if any("ServerlessConfig" in v or INSTANCE_STORAGE.fullmatch(v.get("InstanceType", "")) for v in variants):
        return None
    return copy.deepcopy(PROJECT_KEY)


def network_config() -> dict:
    """A monitoring job's NetworkConfig: isolated, traffic between its instances encrypted, in the VPC if any."""
    return {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True,
            "VpcConfig": copy.deepcopy(PROJECT_VPC)}


def cfn_deployment(deployment: dict) -> dict:
    """UpdateEndpoint's DeploymentConfig, the stage alarms first in the rollback list.

    CloudFormation's property is TrafficRoutingConfiguration too (TrafficRoutingConfig is only the
    name of its type in the resource schema), so the policies pass through unchanged.
    """
    out = {name: copy.deepcopy(deployment[name])
           for name in ("BlueGreenUpdatePolicy", "RollingUpdatePolicy") if name in deployment}
    # InferenceComponentDeploymentConfig has the same two fields (RollingUpdatePolicy in copies).
    # Only AlarmName is SageMaker's; the config's Period, EvaluationPeriods, ... are for the validator.
    extra = [{"AlarmName": a["AlarmName"]} for a in deployment.get("AutoRollbackConfiguration", {}).get("Alarms", [])]
    out["AutoRollbackConfiguration"] = {"Alarms": copy.deepcopy(ALARM_REFS) + extra}
    return out


def stage_alarm_definitions(alarms: dict, variants: list[str], *, endpoint: str, endpoint_config: str,
                            base: dict | None = None, components: list[str] | None = None) -> list[dict]:
    """The template's two stage alarms with literal names, as put_metric_alarm's arguments (the rehearsal's);
    `components`: InferenceComponentName of each component, when the stage deploys them."""
    base = base or load_base()
    slots = stage_alarms.slot_values(alarms, variants, endpoint=endpoint, endpoint_config=endpoint_config,
                                     components=components)
    return [_literal(base["Resources"][alarm.logical_id]["Properties"], slots, {"EndpointName": endpoint})
            for alarm in stage_alarms.STAGE_ALARMS]


def _literal(node, slots: dict, refs: dict):
    """A template value with its stage slots filled and the parameters in `refs` substituted."""
    if isinstance(node, StageSlot):
        return slots[node.key]
    if isinstance(node, dict) and set(node) == {"Ref"}:
        return refs[node["Ref"]]
    if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
        return re.sub(r"\$\{(\w+)\}", lambda match: refs[match.group(1)], node["Fn::Sub"])
    if isinstance(node, dict):
        return {key: _literal(value, slots, refs) for key, value in node.items()}
    if isinstance(node, list):
        return [_literal(value, slots, refs) for value in node]
    return node


def slot_values(resolved: ResolvedStage) -> dict:
    """Every `!FromStageConfig` key -> this stage's value (None: the property is left out)."""
    config, stage = resolved.config, resolved.stage
    shadows = config.get("ShadowProductionVariants") or []
    components = config.get("InferenceComponents") or []
    return {
        "ProductionVariants": [cfn_variant(stage, v) for v in config["ProductionVariants"]],
        "ShadowProductionVariants": [cfn_variant(stage, v) for v in shadows] or None,
        "DataCaptureConfig": cfn_data_capture(config),
        "KmsKeyId": cfn_volume_key(config),
        "ExecutionRoleArn": {"Ref": "ModelExecutionRoleArn"} if components else None,
        # With components the rolling update is theirs (component_resources), not the endpoint's.
        "DeploymentConfig": None if components else cfn_deployment(config["DeploymentConfig"]),
        **stage_alarms.slot_values(config["Alarms"], [v["VariantName"] for v in config["ProductionVariants"]],
                                   endpoint=ENDPOINT_REF, endpoint_config=ENDPOINT_CONFIG_REF,
                                   components=[component_name_value(c) for c in components]),
    }


def _model(resolved: ResolvedStage, package_key: str) -> dict:
    return {
        "Type": "AWS::SageMaker::Model",
        "Condition": STAGE_CONDITIONS[resolved.stage],
        "Properties": {
            "ExecutionRoleArn": {"Ref": "ModelExecutionRoleArn"},
            "PrimaryContainer": {"ModelPackageName": resolved.packages[package_key]},
            # The model server needs no network: SageMaker loads the artifact; in the project's VPC when it has one.
            "EnableNetworkIsolation": True,
            "VpcConfig": copy.deepcopy(PROJECT_VPC),
        },
    }


def model_resources(resolved: ResolvedStage) -> dict:
    """One Model per variant that names a model version, and one per inference component."""
    config = resolved.config
    variants = config["ProductionVariants"] + (config.get("ShadowProductionVariants") or [])
    models = {logical_id(resolved.stage, v["VariantName"], "Model"): _model(resolved, v["VariantName"])
              for v in variants if "ModelVersion" in v}
    models |= {component_logical_id(resolved.stage, c, "ComponentModel"): _model(resolved, c["ComponentName"])
               for c in config.get("InferenceComponents") or []}
    return models


def component_resources(resolved: ResolvedStage) -> dict:
    """AWS::SageMaker::InferenceComponent per component, each updated by the stage's rolling DeploymentConfig.

    Property names from cfn-lint's bundled AWS::SageMaker::InferenceComponent schema: EndpointName,
    InferenceComponentName, VariantName, Specification (ModelName, ComputeResourceRequirements), RuntimeConfig
    (CopyCount), DeploymentConfig (RollingUpdatePolicy, AutoRollbackConfiguration). A changed Specification is
    an in-place UpdateInferenceComponent, which runs the rolling update under the guardrail alarms."""
    config = resolved.config
    return {
        component_logical_id(resolved.stage, c): {
            "Type": "AWS::SageMaker::InferenceComponent",
            "Condition": STAGE_CONDITIONS[resolved.stage],
            "Properties": {
                "EndpointName": {"Fn::GetAtt": ["Endpoint", "EndpointName"]},
                "InferenceComponentName": component_name_value(c),
                "VariantName": c["VariantName"],
                "Specification": {
                    "ModelName": {"Fn::GetAtt": [component_logical_id(resolved.stage, c, "ComponentModel"), "ModelName"]},
                    "ComputeResourceRequirements": copy.deepcopy(c["ComputeResourceRequirements"]),
                },
                "RuntimeConfig": {"CopyCount": c["RuntimeConfig"]["CopyCount"]},
                "DeploymentConfig": cfn_deployment(config["DeploymentConfig"]),
            },
        }
        for c in config.get("InferenceComponents") or []
    }


def scaling_resources(resolved: ResolvedStage) -> dict:
    scaling = resolved.config.get("AutoScaling")
    if not scaling:
        return {}
    if uses_components(resolved.config):
        return component_scaling_resources(resolved)
    resources, condition = {}, STAGE_CONDITIONS[resolved.stage]
    for variant in resolved.config["ProductionVariants"]:
        name = variant["VariantName"]
        resources |= _target_tracking(
            scaling, condition,
            target=logical_id(resolved.stage, name, "ScalableTarget"),
            policy=logical_id(resolved.stage, name, "ScalingPolicy"),
            # GetAtt on the endpoint: the variant can only be registered once the endpoint exists.
            resource_id={"Fn::Sub": f"endpoint/${{Endpoint.EndpointName}}/variant/{name}"},
            dimension="sagemaker:variant:DesiredInstanceCount",
            policy_name={"Fn::Sub": f"${{EndpointName}}-{name}-invocations-per-instance"},
            metric="SageMakerVariantInvocationsPerInstance")
    return resources


def component_scaling_resources(resolved: ResolvedStage) -> dict:
    """Copies per component scale on SageMakerInferenceComponentInvocationsPerCopy; with MinCapacity 0 a step
    policy on NoCapacityInvocationFailures brings the first copy back when a request finds none (Developer
    Guide, endpoint-auto-scaling-zero-instances: target tracking cannot scale out from zero by itself)."""
    scaling, stage = resolved.config["AutoScaling"], resolved.stage
    resources, condition = {}, STAGE_CONDITIONS[stage]
    for component in resolved.config["InferenceComponents"]:
        target = component_logical_id(stage, component, "ScalableTarget")
        name = component["ComponentName"]
        resources |= _target_tracking(
            scaling, condition,
            target=target,
            policy=component_logical_id(stage, component, "ScalingPolicy"),
            depends_on=component_logical_id(stage, component),  # registered once the component exists
            resource_id={"Fn::Sub": f"inference-component/${{EndpointName}}-{name}"},
            dimension="sagemaker:inference-component:DesiredCopyCount",
            policy_name={"Fn::Sub": f"${{EndpointName}}-{name}-invocations-per-copy"},
            metric="SageMakerInferenceComponentInvocationsPerCopy")
        if scaling["MinCapacity"] == 0:
            resources |= _scale_out_from_zero(stage, component, target, condition)
    return resources


def _target_tracking(scaling: dict, condition: str, *, target: str, policy: str, resource_id: dict,
                     dimension: str, policy_name: dict, metric: str, depends_on: str | None = None) -> dict:
    """A ScalableTarget (MinCapacity..MaxCapacity of one variant or component) and its TargetTracking policy
    on the predefined invocations metric."""
    scalable_target = {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Condition": condition}
    if depends_on:
        scalable_target["DependsOn"] = depends_on
    scalable_target["Properties"] = {
        "MinCapacity": scaling["MinCapacity"],
        "MaxCapacity": scaling["MaxCapacity"],
        "ResourceId": resource_id,
        "ScalableDimension": dimension,
        "ServiceNamespace": "sagemaker",
    }
    return {
        target: scalable_target,
        policy: {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Condition": condition,
            "Properties": {
                "PolicyName": policy_name,
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": target},
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": float(scaling["TargetInvocationsPerInstance"]),
                    "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                    "ScaleInCooldown": 300,
                    "ScaleOutCooldown": 60,
                },
            },
        },
    }


def _scale_out_from_zero(stage: str, component: dict, target: str, condition: str) -> dict:
    policy = component_logical_id(stage, component, "ScaleOutFromZeroPolicy")
    name = component["ComponentName"]
    return {
        policy: {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Condition": condition,
            "Properties": {
                "PolicyName": {"Fn::Sub": f"${{EndpointName}}-{name}-scale-out-from-zero"},
                "PolicyType": "StepScaling",
                "ScalingTargetId": {"Ref": target},
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": "ChangeInCapacity",
                    "MetricAggregationType": "Maximum",
                    "Cooldown": 60,
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
                },
            },
        },
        component_logical_id(stage, component, "NoCapacityAlarm"): {
            "Type": "AWS::CloudWatch::Alarm",
            "Condition": condition,
            "Properties": {
                "AlarmName": {"Fn::Sub": f"${{EndpointName}}-{name}-no-capacity"},
                "AlarmDescription": "A request found no copy of the component: scale out from zero.",
                "Namespace": "AWS/SageMaker",
                "MetricName": "NoCapacityInvocationFailures",
                "Dimensions": [{"Name": "InferenceComponentName", "Value": component_name_value(component)}],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "missing",
                "AlarmActions": [{"Ref": policy}],
            },
        },
    }


def monitoring_resources(resolved: ResolvedStage) -> dict:
    monitoring = resolved.config.get("Monitoring")
    if not monitoring:
        return {}
    quality, condition = monitoring["DataQuality"], STAGE_CONDITIONS[resolved.stage]
    job = f"{resolved.stage.capitalize()}DataQualityJobDefinition"
    image = {"Fn::Sub": [
        "${Account}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/sagemaker-model-monitor-analyzer",
        {"Account": {"Fn::FindInMap": ["ModelMonitorAccounts", {"Ref": "AWS::Region"}, "Account"]}},
    ]}
    return {
        job: {
            "Type": "AWS::SageMaker::DataQualityJobDefinition",
            "Condition": condition,
            "Properties": {
                "DataQualityAppSpecification": {"ImageUri": image},
                "DataQualityBaselineConfig": {
                    "ConstraintsResource": {"S3Uri": resolved.baseline["Constraints"]},
                    "StatisticsResource": {"S3Uri": resolved.baseline["Statistics"]},
                },
                "DataQualityJobInput": {"EndpointInput": {
                    "EndpointName": {"Fn::GetAtt": ["Endpoint", "EndpointName"]},
                    "LocalPath": "/opt/ml/processing/input/endpoint",
                }},
                "DataQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                    "LocalPath": "/opt/ml/processing/output",
                    "S3Uri": {"Fn::Sub": "s3://${ArtifactBucket}/monitoring/${EndpointName}/data-quality"},
                    "S3UploadMode": "EndOfJob",
                }}], "KmsKeyId": copy.deepcopy(PROJECT_KEY)},
                "JobResources": {"ClusterConfig": {
                    "InstanceCount": 1, "InstanceType": quality["InstanceType"], "VolumeSizeInGB": 20,
                    "VolumeKmsKeyId": copy.deepcopy(PROJECT_KEY),
                }},
                "NetworkConfig": network_config(),
                "RoleArn": {"Ref": "ModelExecutionRoleArn"},
                "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
            },
        },
        f"{resolved.stage.capitalize()}DataQualitySchedule": {
            "Type": "AWS::SageMaker::MonitoringSchedule",
            "Condition": condition,
            "Properties": {
                "MonitoringScheduleName": {"Fn::Sub": "${EndpointName}-data-quality"},
                "MonitoringScheduleConfig": {
                    "MonitoringJobDefinitionName": {"Fn::GetAtt": [job, "JobDefinitionName"]},
                    "MonitoringType": "DataQuality",
                    "ScheduleConfig": {"ScheduleExpression": quality["ScheduleExpression"]},
                },
            },
        },
    }


def merge_stages(values: dict) -> object:
    """One value when every stage agrees, else Fn::If on the stage; None becomes AWS::NoValue."""
    staging, prod = values["staging"], values["prod"]
    # Fresh copies: one object in two places would be written as a YAML alias, which CloudFormation rejects.
    if staging == prod:
        return copy.deepcopy(NO_VALUE) if staging is None else staging
    pick = [copy.deepcopy(NO_VALUE) if v is None else v for v in (staging, prod)]
    return {"Fn::If": ["IsStaging", *pick]}


def fill_slots(node, slots: dict):
    if isinstance(node, StageSlot):
        return merge_stages(slots[node.key])
    if isinstance(node, dict):
        return {key: fill_slots(value, slots) for key, value in node.items()}
    if isinstance(node, list):
        return [fill_slots(value, slots) for value in node]
    return node


def render(stages: dict[str, ResolvedStage], base: dict | None = None) -> dict:
    """The template both stages deploy, built from `stages` (keys "staging" and "prod")."""
    base = copy.deepcopy(base or load_base())
    values = {stage: slot_values(resolved) for stage, resolved in stages.items()}
    slots = {key: {stage: values[stage][key] for stage in stages} for key in values["staging"]}
    template = fill_slots(base, slots)
    extra = {}
    for resolved in stages.values():
        extra |= (model_resources(resolved) | component_resources(resolved) | scaling_resources(resolved)
                  | monitoring_resources(resolved))
    # Models first so the file reads in creation order.
    template["Resources"] = {**{k: v for k, v in extra.items() if v["Type"] == "AWS::SageMaker::Model"},
                             **template["Resources"],
                             **{k: v for k, v in extra.items() if v["Type"] != "AWS::SageMaker::Model"}}
    if any(r.config.get("Monitoring") for r in stages.values()):
        template["Mappings"] = {"ModelMonitorAccounts": {
            region: {"Account": account} for region, account in MODEL_MONITOR_ACCOUNTS.items()}}
    return template


def to_yaml(template: dict) -> str:
    header = "# Rendered by build.py from endpoint-template.yml and the stage configs: edit those, not this file.\n"
    return header + yaml.safe_dump(template, sort_keys=False, default_flow_style=False, width=120)
