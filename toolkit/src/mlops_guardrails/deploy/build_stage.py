"""The build stage: validate both stage configs, resolve their models, write the template and one config file per stage."""
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from mlops_guardrails import aws_formats

from mlops_guardrails.deploy import feature_signature, inference_components, registry, stage_names
from mlops_guardrails.deploy.accounts import TARGET_ROLE_VARIABLES, stage_session
from mlops_guardrails.deploy.atomic_files import write_all
from mlops_guardrails.errors import DeployError, InputError
from mlops_guardrails.deploy.stage_config import load_stage_config, refuse
from mlops_guardrails.deploy.stage_test import load_rows
from mlops_guardrails.deploy.template_render import ResolvedStage, render, to_yaml

ENVIRONMENT = {
    "project": "SAGEMAKER_PROJECT_NAME",
    "project_id": "SAGEMAKER_PROJECT_ID",
    "group": "MODEL_PACKAGE_GROUP_NAME",
    "bucket": "ARTIFACT_BUCKET",
    "role": "MODEL_EXECUTION_ROLE_ARN",
}
# The AWS format of each (aws_formats.FORMATS); checked before anything is read or written.
ENVIRONMENT_FORMATS = {
    "SAGEMAKER_PROJECT_NAME": "project name",
    "SAGEMAKER_PROJECT_ID": "project id",
    "MODEL_PACKAGE_GROUP_NAME": "model package group",
    "ARTIFACT_BUCKET": "bucket",
    "MODEL_EXECUTION_ROLE_ARN": "role arn",
}
MISSING_ENVIRONMENT = "environment: {names}: not set: the build needs them (see README, environment contract)"
NO_BASELINE = (
    "Monitoring.DataQuality: {arn}: the model package has no ModelMetrics.ModelDataQuality baseline "
    "(Statistics and Constraints): register one with the model, or remove Monitoring from the {stage} config"
)
NO_SIGNATURE = "{arn}: no feature signature registered (a model registered before the feature contract): row widths not checked"
TEMPLATE_FILE = "template-export.yml"
CONFIG_FILE = "{stage}-config-export.json"


# endpoint-template.yml's parameter -> the CodeBuild variable that carries it (docs/contracts.md).
NETWORK_PARAMETERS = {"SubnetIds": "SUBNET_IDS", "SecurityGroupIds": "SECURITY_GROUP_IDS", "KmsKeyArn": "KMS_KEY_ARN"}


@dataclass(frozen=True)
class BuildEnvironment:
    """What CodeBuild passes the build stage (docs/contracts.md)."""

    project: str
    project_id: str
    group: str
    bucket: str
    role: str
    # Multi-account projects: per stage, the role to assume to read that stage's endpoint ("live").
    target_roles: dict[str, str] = field(default_factory=dict)
    # The project's network and key as endpoint-template.yml's parameters (empty: no VPC / no key given);
    # the template's AllowedPatterns check them.
    network: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ=os.environ) -> "BuildEnvironment":
        missing = [name for name in ENVIRONMENT.values() if not environ.get(name)]
        if missing:
            raise InputError(MISSING_ENVIRONMENT.format(names=", ".join(missing)))
        target_roles = {stage: environ[name] for stage, name in TARGET_ROLE_VARIABLES.items() if environ.get(name)}
        problems = [aws_formats.problem(name, environ[name], kind) for name, kind in ENVIRONMENT_FORMATS.items()]
        problems += [aws_formats.problem(TARGET_ROLE_VARIABLES[stage], arn, "role arn") for stage, arn in target_roles.items()]
        if any(problems):
            raise InputError("environment: " + "; ".join(p for p in problems if p))
        network = {parameter: environ.get(name, "") for parameter, name in NETWORK_PARAMETERS.items()}
        return cls(**{key: environ[name] for key, name in ENVIRONMENT.items()}, target_roles=target_roles,
                   network=network)


def data_quality_baseline(sm, arn: str, stage: str) -> dict:
    metrics = registry.describe(sm, arn).get("ModelMetrics", {}).get("ModelDataQuality", {})
    baseline = {kind: metrics.get(kind, {}).get("S3Uri") for kind in ("Statistics", "Constraints")}
    if not all(baseline.values()):
        raise DeployError(NO_BASELINE.format(arn=arn, stage=stage))
    return baseline


def resolve_stage(sm, env: BuildEnvironment, stage: str, config: dict, approved) -> ResolvedStage:
    """Every variant's model package ARN; "live" is read from the stage's endpoint as it runs now, in the
    stage's own account when the project deploys to other accounts."""
    endpoint = stage_names.endpoint_name(env.project, stage)
    variants = config["ProductionVariants"] + config.get("ShadowProductionVariants", [])
    # What names a model: each variant, or each inference component (keyed by ComponentName).
    wanted = [(v["VariantName"], v["ModelVersion"]) for v in variants if "ModelVersion" in v]
    wanted += [(c["ComponentName"], c["ModelVersion"]) for c in config.get("InferenceComponents", [])]
    role = env.target_roles.get(stage)
    endpoint_reader = stage_session(role, f"build-{stage}").client("sagemaker") if role else sm
    packages = {}
    for name, spec in wanted:
        packages[name] = (registry.live_package_arn(endpoint_reader, endpoint, name) if spec == "live"
                          else registry.resolve_version(approved, spec, env.group).arn)
    primary = packages[wanted[0][0]]
    baseline = data_quality_baseline(sm, primary, stage) if config.get("Monitoring") else None
    return ResolvedStage(stage=stage, config=config, packages=packages, baseline=baseline)


def template_configuration(env: BuildEnvironment, stage: str) -> dict:
    """A CloudFormation template-configuration file: the stage's parameters and tags."""
    return {
        "Parameters": {
            "StageName": stage,
            "EndpointName": stage_names.endpoint_name(env.project, stage),
            "ModelExecutionRoleArn": env.role,
            "ArtifactBucket": env.bucket,
            **{name: value for name, value in env.network.items() if value},  # empty: the defaults (none)
        },
        "Tags": {
            "sagemaker:project-name": env.project,
            "sagemaker:project-id": env.project_id,
            "sagemaker:deployment-stage": stage,
        },
    }


@dataclass(frozen=True)
class BuildResult:
    """The files written, per stage each variant's model package ARN, and what was said of the rows' width."""

    files: dict[str, Path]
    packages: dict[str, dict[str, str]]
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        chosen = [f"{stage}: variant {variant} serves {arn}"
                  for stage, packages in self.packages.items() for variant, arn in packages.items()]
        return chosen + self.notes + [f"wrote {path}" for path in self.files.values()]


def check_sample_rows(sm, s3, resolved: dict[str, ResolvedStage], rows_path: Path) -> list[str]:
    """Every model the stages will serve gets the stage test's rows: each row must have its signature's width.

    InputError naming the rows, the package and both widths on the first mismatch; returns notes."""
    if not rows_path.is_file():
        return [f"{rows_path}: not found: row widths not checked (the stage test needs it)"]
    rows = load_rows(rows_path)
    notes = []
    for arn in sorted({arn for stage in resolved.values() for arn in stage.packages.values()}):
        signature = feature_signature.for_package(sm, s3, arn)
        if signature is None:
            notes.append(NO_SIGNATURE.format(arn=arn))
            continue
        feature_signature.check_rows(rows, signature, rows_name=str(rows_path), model=f"model package {arn}")
        notes.append(f"{arn}: {len(rows)} rows of {signature.count} features, as its signature says")
    return notes


def build(env: BuildEnvironment, config_paths: dict[str, Path], output_dir: Path, sm=None, s3=None,
          rows_path: Path = Path("sample-data/sample-rows.csv")) -> BuildResult:
    """Validate, resolve, check the sample rows against each model's signature, render; write the three
    files only once everything succeeded."""
    configs = {stage: load_stage_config(config_paths[stage]) for stage in stage_names.STAGES}
    for stage in stage_names.STAGES:  # the endpoint name, and so each component's full name, is known only here
        endpoint = stage_names.endpoint_name(env.project, stage)
        components = configs[stage].get("InferenceComponents") or []
        refuse(inference_components.check_names(components, endpoint), config_paths[stage])
    sm = sm or boto3.client("sagemaker")
    approved = registry.approved_packages(sm, env.group)
    resolved = {stage: resolve_stage(sm, env, stage, configs[stage], approved) for stage in stage_names.STAGES}
    notes = check_sample_rows(sm, s3 or boto3.client("s3"), resolved, rows_path)
    contents = {TEMPLATE_FILE: to_yaml(render(resolved))}
    for stage in stage_names.STAGES:
        contents[CONFIG_FILE.format(stage=stage)] = json.dumps(template_configuration(env, stage), indent=2) + "\n"
    output_dir.mkdir(parents=True, exist_ok=True)
    written = {name: output_dir / name for name in contents}
    write_all({written[name]: text for name, text in contents.items()})  # all three or none
    return BuildResult(files=written, packages={stage: r.packages for stage, r in resolved.items()}, notes=notes)
