"""A CloudFormation action (CREATE_UPDATE) in the emulator: the rendered template with a template-configuration.

moto's CloudFormation creates the SageMaker Model, EndpointConfig and Endpoint; it cannot create or update
the rest (alarms, autoscaling, the monitoring schedule) and fails on an update that holds them. So the
emulator gets the template without those resources, the stage's alarms are created through CloudWatch's API
from the template's own definitions, and the rest is listed as not emulated."""
import copy
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field

import yaml

EMULATED_TYPES = ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint")
REPLACED_ON_CHANGE = ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig")  # every property createOnly
ALARM_TYPE = "AWS::CloudWatch::Alarm"
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9]+)(?:\.([A-Za-z0-9]+))?>")  # what resolve.py leaves for Ref/GetAtt
NEW_CONFIG = "<EndpointConfig.EndpointConfigName>"  # what the resolver leaves for GetAtt on the new config


@dataclass
class StackDeploy:
    """One stack deploy: outputs, the template as created for this stage, and what the emulator skipped."""

    stack: str
    status: str
    outputs: dict[str, str]
    resolved: dict = field(repr=False)
    alarms: list[str] = field(default_factory=list)
    not_emulated: list[str] = field(default_factory=list)

    @property
    def endpoint_name(self) -> str:
        return self.outputs["EndpointName"]

    @property
    def endpoint_config_name(self) -> str:
        return self.outputs["EndpointConfigName"]

    def resource(self, logical_id: str) -> dict:
        return self.resolved["Resources"][logical_id]

    def deployment_config(self) -> dict:
        """The Endpoint's DeploymentConfig as UpdateEndpoint takes it, alarm references as alarm names."""
        config = copy.deepcopy(self.resource("Endpoint")["Properties"].get("DeploymentConfig") or {})
        names = self._alarm_names()
        for alarm in config.get("AutoRollbackConfiguration", {}).get("Alarms", []):
            alarm["AlarmName"] = names.get(alarm["AlarmName"].strip("<>"), alarm["AlarmName"])
        return config

    def _alarm_names(self) -> dict[str, str]:
        return {lid: r["Properties"]["AlarmName"] for lid, r in self.resolved["Resources"].items()
                if r["Type"] == ALARM_TYPE}


def load_template(text: str) -> dict:
    """template-export.yml (build.py writes CloudFormation's long form, so plain YAML reads it)."""
    return yaml.safe_load(text)


def emulator_template(template: dict, resolved: dict, alarm_names: dict[str, str], current_ids: set[str]) -> dict:
    """The stage's resources as CloudFormation creates them (conditions and Fn::If evaluated), of the types
    moto's CloudFormation handles, with CloudFormation's replacement semantics made explicit.

    moto updates a resource only when its own JSON changes and never propagates a replacement, so a new
    model package would leave the EndpointConfig (and the Endpoint) as they were. Models and the
    EndpointConfig are create-only in CloudFormation: a change replaces them. Their logical ids carry a
    digest of their properties here (kept from `current_ids`, the stack's ids now, when nothing changed), so a
    change creates new ones, deletes the old, and updates the Endpoint. A fresh nonce per change: moto keeps
    deleted resources under their old logical ids and would hand them back if an id came again."""
    resources = {lid: r for lid, r in resolved["Resources"].items() if r["Type"] in EMULATED_TYPES}
    replaced = sorted(lid for lid, r in resources.items() if r["Type"] in REPLACED_ON_CHANGE)
    digest = hashlib.sha256(json.dumps({lid: resources[lid] for lid in replaced}, sort_keys=True,
                                       default=str).encode()).hexdigest()[:8]
    prefix = f"{replaced[0]}{digest}" if replaced else ""
    same = sorted(i for i in current_ids if prefix and i.startswith(prefix))
    suffix = same[0][len(replaced[0]):] if same else f"{digest}{uuid.uuid4().hex[:4]}"
    renames = {lid: f"{lid}{suffix}" for lid in replaced}

    def intrinsic(node):
        if isinstance(node, dict):
            if set(node) == {"Ref"}:
                return {"Ref": renames.get(node["Ref"], node["Ref"])}
            if set(node) == {"Fn::GetAtt"}:
                target, attribute = node["Fn::GetAtt"]
                return {"Fn::GetAtt": [renames.get(target, target), attribute]}
            return {key: intrinsic(value) for key, value in node.items()}
        if isinstance(node, list):
            return [intrinsic(value) for value in node]
        if isinstance(node, str):
            match = _PLACEHOLDER.fullmatch(node)
            if match and match.group(1) in alarm_names and not match.group(2):
                return alarm_names[match.group(1)]
            if match:
                lid, attribute = renames.get(match.group(1), match.group(1)), match.group(2)
                return {"Fn::GetAtt": [lid, attribute]} if attribute else {"Ref": lid}
        return node

    return {"AWSTemplateFormatVersion": "2010-09-09", "Parameters": template.get("Parameters", {}),
            "Resources": {renames.get(lid, lid): intrinsic(r) for lid, r in resources.items()},
            "Outputs": intrinsic(template.get("Outputs", {}))}


def deploy_stack(session, *, stack: str, template_text: str, configuration: dict) -> StackDeploy:
    """CREATE_UPDATE: create the stack or update it; then the alarms the emulator cannot make."""
    from resolve import resolve_template

    template = load_template(template_text)
    parameters = configuration.get("Parameters", {})
    resolved = resolve_template(template, parameters)
    alarm_names = {lid: r["Properties"]["AlarmName"] for lid, r in resolved["Resources"].items()
                   if r["Type"] == ALARM_TYPE}
    cfn = session.client("cloudformation")
    request = {
        "StackName": stack,
        "TemplateBody": json.dumps(emulator_template(template, resolved, alarm_names, _current_ids(cfn, stack))),
        "Parameters": [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()],
        "Tags": [{"Key": k, "Value": v} for k, v in configuration.get("Tags", {}).items()],
    }
    status = _create_or_update(cfn, request)
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    deploy = StackDeploy(stack=stack, status=status, outputs=outputs, resolved=resolved,
                         alarms=sorted(alarm_names.values()),
                         not_emulated=[f"{lid} ({r['Type']})" for lid, r in resolved["Resources"].items()
                                       if r["Type"] not in EMULATED_TYPES + (ALARM_TYPE,)])
    put_alarms(session.client("cloudwatch"), deploy)
    return deploy


def _current_ids(cfn, stack: str) -> set[str]:
    try:
        body = cfn.get_template(StackName=stack)["TemplateBody"]
    except cfn.exceptions.ClientError:
        return set()
    return set((json.loads(body) if isinstance(body, str) else body).get("Resources", {}))


def _create_or_update(cfn, request: dict) -> str:
    try:
        cfn.describe_stacks(StackName=request["StackName"])
    except cfn.exceptions.ClientError:
        cfn.create_stack(**request)
        return "CREATE_COMPLETE"
    cfn.update_stack(**request)
    return "UPDATE_COMPLETE"


def put_alarms(cloudwatch, deploy: StackDeploy) -> None:
    """The template's alarm resources, as CloudFormation would create them, watching the new config."""
    for resource in deploy.resolved["Resources"].values():
        if resource["Type"] != ALARM_TYPE:
            continue
        properties = _replace(copy.deepcopy(resource["Properties"]), NEW_CONFIG, deploy.endpoint_config_name)
        properties["Threshold"] = float(properties["Threshold"])
        properties["EvaluationPeriods"] = int(properties["EvaluationPeriods"])
        cloudwatch.put_metric_alarm(**properties)


def _replace(node, old: str, new: str):
    if isinstance(node, dict):
        return {key: _replace(value, old, new) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace(value, old, new) for value in node]
    return new if node == old else node
