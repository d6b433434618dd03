"""One rehearsed rollout, end to end: stage config -> fleets, alarms, traffic, the guarded update, the record."""
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlops_guardrails.deploy.cloudwatch_timing import DEFAULT_INGESTION_DELAY_SECONDS
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.inference_components import component_name
from mlops_guardrails.deploy.json_input import read_text
from mlops_guardrails.deploy.stage_config import load_stage_config, variant_weight
from mlops_guardrails.deploy.rehearsal.alarms import put_stage_alarms
from mlops_guardrails.deploy.rehearsal.data_capture import CaptureConfig
from mlops_guardrails.deploy.rehearsal.clock import CompressedClock
from mlops_guardrails.deploy.rehearsal.controller import GuardrailController, Outcome
from mlops_guardrails.deploy.rehearsal.endpoint_host import EndpointHost
from mlops_guardrails.deploy.rehearsal.fleets import FleetSpec, VariantSpec
from mlops_guardrails.deploy.rehearsal.timeline import Event
from mlops_guardrails.deploy.rehearsal.traffic import Tally, TrafficClient


@dataclass(frozen=True)
class StageConfig:
    """The fields of a validated stage config (docs/contracts.md) a rehearsal needs."""

    variants: tuple[tuple[str, float, int], ...]  # (VariantName, InitialVariantWeight, instance count)
    shadow: tuple[str, float, int] | None
    deployment_config: dict
    alarms: dict
    capture_percentage: int | None
    components: tuple[dict, ...] = ()  # InferenceComponents: then the fleet is these components' copies


def read_stage_config(path: Path) -> StageConfig:
    """Read and validate a stage config with the one validator (deploy/stage_config.py): InputError lists every problem."""
    return stage_config_of(load_stage_config(path))


def stage_config_of(config: dict) -> StageConfig:
    """The rehearsal's view of a validated stage config."""
    shadows = config.get("ShadowProductionVariants") or []
    capture = config.get("DataCapture")
    return StageConfig(
        variants=tuple(_variant(v) for v in config["ProductionVariants"]),
        shadow=_variant(shadows[0]) if shadows else None,
        deployment_config=config["DeploymentConfig"],
        alarms=config["Alarms"],
        capture_percentage=capture["InitialSamplingPercentage"] if capture else None,
        components=tuple(config.get("InferenceComponents") or ()),
    )


def _variant(variant: dict) -> tuple[str, float, int]:
    # A serverless variant has no instance count; the rehearsal treats it as one unit of capacity, as the
    # validator's timeout check does (config_rules.instance_counts).
    return variant["VariantName"], variant_weight(variant), variant.get("InitialInstanceCount", 1)


def fleet_spec(config: StageConfig, config_name: str, model_source: str, *, shadow_source: str | None = None,
               capture_destination: str | None = None, endpoint_name: str = "rehearsal-endpoint") -> FleetSpec:
    """The endpoint config a stage config describes, every production variant (or inference component, named
    <endpoint_name>-<ComponentName> as the template names it) serving `model_source`."""
    if config.components:
        components = tuple(VariantSpec(component_name(endpoint_name, c), model_source, 1.0,
                                       c["RuntimeConfig"]["CopyCount"], c["VariantName"]) for c in config.components)
        capture = CaptureConfig(capture_destination, config.capture_percentage) if (
            config.capture_percentage is not None and capture_destination) else None
        return FleetSpec(config_name, components, None, capture, components=True)
    variants = tuple(VariantSpec(name, model_source, weight, count) for name, weight, count in config.variants)
    shadow = None
    if config.shadow:
        name, weight, count = config.shadow
        shadow = VariantSpec(name, shadow_source or model_source, weight, count)
    capture = None
    if config.capture_percentage is not None and capture_destination:
        capture = CaptureConfig(capture_destination, config.capture_percentage)
    return FleetSpec(config_name, variants, shadow, capture)


def sample_rows(path: Path | None, num_features: int, count: int = 50) -> list[str]:
    """CSV rows (no label, no header) from a file, or seeded random rows of the model's width."""
    if path is not None:
        if not Path(path).is_file():
            raise InputError(f"--rows: {path}: no such file")
        rows = [line.strip() for line in read_text(path, "--rows").splitlines() if line.strip()]
        if not rows:
            raise InputError(f"--rows: {path}: no CSV rows")
        return rows
    rng = np.random.default_rng(0)
    return [",".join(f"{v:.4f}" for v in row) for row in rng.random((count, num_features))]


@dataclass(frozen=True)
class RolloutResult:
    outcome: Outcome
    traffic: dict[str, Tally]
    total: Tally

    def as_dict(self) -> dict:
        o = self.outcome
        return {"status": o.status, "endpoint": o.endpoint_name, "strategy": o.strategy,
                "old_config": o.old_config, "new_config": o.new_config, "serving_config": o.serving_config,
                "alarms": list(o.alarms), "missing_alarms": list(o.missing_alarms), "reason": o.reason,
                "elapsed_simulated_seconds": o.elapsed_seconds,
                "traffic": {phase: t.as_dict() for phase, t in self.traffic.items()},
                "total": self.total.as_dict(), "timeline": o.timeline.to_dict()}


def rehearse_rollout(*, host: EndpointHost, clock: CompressedClock, cloudwatch, endpoint_name: str,
                     blue: FleetSpec, green: FleetSpec, deployment_config: dict, alarms: dict, rows: list[str],
                     max_requests: int = 2000, max_seconds: float = 120.0, rate_per_second: float | None = 150.0,
                     poll_seconds: float = 10.0, provision_seconds: float = 0.0,
                     on_event: Callable[[Event], None] | None = None,
                     metric_delay_seconds: float = DEFAULT_INGESTION_DELAY_SECONDS) -> RolloutResult:
    """Serve blue, create the stage alarms over green, send traffic, run the guarded update, count answers.

    The endpoint is created on `blue` unless the host already serves it. The stage's two alarms are added
    to the DeploymentConfig's own, as the endpoint template does."""
    if endpoint_name not in host.endpoints():
        host.create_endpoint(endpoint_name, blue)
    components = [v.name for v in green.variants] if green.components else None
    if components and len(components) > 1:
        raise InputError(f"InferenceComponents: {components}: the rehearsal sends traffic to one component")
    stage_alarms = put_stage_alarms(cloudwatch, endpoint=endpoint_name, endpoint_config=green.config_name,
                                    variants=[v.hosted_on or v.name for v in green.variants], alarms=alarms,
                                    components=components)
    controller = GuardrailController(host, clock=clock, cloudwatch=cloudwatch, poll_seconds=poll_seconds,
                                     provision_seconds=provision_seconds, on_event=on_event,
                                     metric_delay_seconds=metric_delay_seconds)
    traffic = TrafficClient(endpoint_name=endpoint_name, rows=rows, blue_config=host.serving_config(endpoint_name),
                            green_config=green.config_name, phase=lambda: controller.phase, endpoint_url=host.url,
                            max_requests=max_requests, max_seconds=max_seconds, rate_per_second=rate_per_second,
                            inference_component=components[0] if components else None)
    traffic.start(warm_up=min(10, max_requests))
    try:
        outcome = controller.run_update(endpoint_name, green, deployment_config, extra_alarms=stage_alarms)
    finally:
        by_phase = traffic.stop()
    return RolloutResult(outcome, by_phase, traffic.total())
