"""The offline rehearsal: an InvokeEndpoint host, the guardrail controller, traffic, and the rollout record.

The public API (what scripts/demo.py and `python -m deploy rehearse` call) is re-exported here."""
from mlops_guardrails.deploy.rehearsal.alarms import AlarmWatcher, evaluate, put_stage_alarms
from mlops_guardrails.deploy.rehearsal.data_capture import CaptureConfig
from mlops_guardrails.deploy.rehearsal.clock import CompressedClock, SteppedClock
from mlops_guardrails.deploy.rehearsal.controller import ROLLED_BACK, SUCCEEDED, TIMED_OUT, GuardrailController, Outcome
from mlops_guardrails.deploy.rehearsal.endpoint_host import CONFIG_HEADER, EndpointHost
from mlops_guardrails.deploy.rehearsal.fleets import FleetSpec, VariantSpec
from mlops_guardrails.deploy.rehearsal.metrics import MetricStore
from mlops_guardrails.deploy.rehearsal.models import load_model, with_behaviour, write_artifact
from mlops_guardrails.deploy.rehearsal.session import (RolloutResult, StageConfig, fleet_spec, read_stage_config,
                                      rehearse_rollout, sample_rows)
from mlops_guardrails.deploy.rehearsal.timeline import Timeline
from mlops_guardrails.deploy.rehearsal.traffic import Tally, TrafficClient
from mlops_guardrails.deploy.stage_names import alarm_names as stage_alarm_names
from mlops_guardrails.deploy.strategies import STRATEGIES, plan_update

__all__ = [
    "AlarmWatcher", "CONFIG_HEADER", "CaptureConfig", "CompressedClock", "EndpointHost", "FleetSpec",
    "GuardrailController", "MetricStore", "Outcome", "ROLLED_BACK", "RolloutResult", "STRATEGIES", "SUCCEEDED",
    "StageConfig", "SteppedClock", "TIMED_OUT", "Tally", "Timeline", "TrafficClient", "VariantSpec", "evaluate",
    "fleet_spec",
    "load_model", "plan_update", "put_stage_alarms", "read_stage_config", "rehearse_rollout", "sample_rows",
    "stage_alarm_names", "with_behaviour", "write_artifact",
]
