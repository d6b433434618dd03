"""Inference components in the rehearsal: routing by InferenceComponentName, and a rolling update of copies that
bakes each batch and rolls back in RollbackMaximumBatchSize batches."""
import json

import numpy as np
import pytest
from botocore.exceptions import ClientError

from mlops_guardrails.deploy.cli import main
from mlops_guardrails.deploy.rehearsal.fleets import FleetSpec, VariantSpec
from mlops_guardrails.deploy.rehearsal.models import load_model

# examples/inference-components.json with 4 copies (2 a ml.m5.large, up to 2 instances), batches of 2 copies
# and a rollback of 1 copy at a time, so a rollback takes two steps.
CONFIG = {
    "ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2,
                            "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1,
                                                       "MaxInstanceCount": 2},
                            "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}}],
    "InferenceComponents": [{"ComponentName": "model", "VariantName": "AllTraffic", "ModelVersion": "latest",
                             "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1,
                                                             "MinMemoryRequiredInMb": 1024},
                             "RuntimeConfig": {"CopyCount": 4}}],
    "DeploymentConfig": {
        "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 2}, "WaitIntervalInSeconds": 180,
                                "MaximumExecutionTimeoutInSeconds": 1800,
                                "RollbackMaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}},
        "AutoRollbackConfiguration": {"Alarms": []}},
    "Alarms": {"Invocation5XXErrors": {"Threshold": 0, "Period": 60, "EvaluationPeriods": 1},
               "ModelLatency": {"ThresholdMicroseconds": 300000, "Period": 60, "EvaluationPeriods": 2}},
}


def rehearse(tmp_path, artifacts, *extra) -> int:
    path = tmp_path / "ic.json"
    path.write_text(json.dumps(CONFIG))
    return main(["rehearse", "--config", str(path), "--blue", artifacts["v1"], "--green", artifacts["v2"],
                 "--speed", "600", "--rate", "300", "--max-requests", "800", "--out", str(tmp_path / "out"), *extra])


def test_component_rolling_update_rolls_back_in_rollback_batches(tmp_path, artifacts, capsys):
    assert rehearse(tmp_path, artifacts, "--fault", "fail", "--expect", "rolled_back") == 0
    printed = capsys.readouterr().out
    assert "outcome: rolled_back; endpoint serves rehearsal-endpoint-config-blue; " \
           "alarms: rehearsal-endpoint-invocation-5xx-errors" in printed
    record = json.loads((tmp_path / "out" / "rehearsal.json").read_text())
    assert record["strategy"] == "INFERENCE_COMPONENT_ROLLING"
    events = [(e["kind"], e["detail"]) for e in record["timeline"]["events"]]
    shifts = [detail for kind, detail in events if kind == "shift"]
    assert shifts == ["copy batch 1/2: green instances {'rehearsal-endpoint-model': 2}"]
    # RollbackMaximumBatchSize 1 copy: the 2 new copies go back one at a time, then all traffic is on blue.
    rollbacks = [detail for kind, detail in events if kind == "rollback"]
    assert rollbacks == ["rollback batch: green instances {'rehearsal-endpoint-model': 1}",
                         "rollback batch: green instances {'rehearsal-endpoint-model': 0}",
                         "all traffic back on blue; endpoint InService on rehearsal-endpoint-config-blue"]
    # Every answer names the variant that hosts the component.
    assert set(record["total"]["variants"]) == {"AllTraffic"} and record["total"]["lost"] == 0


def test_component_rolling_update_bakes_every_batch_and_succeeds(tmp_path, artifacts, capsys):
    assert rehearse(tmp_path, artifacts) == 0
    record = json.loads((tmp_path / "out" / "rehearsal.json").read_text())
    shifts = [e["detail"] for e in record["timeline"]["events"] if e["kind"] == "shift"]
    assert shifts == ["copy batch 1/2: green instances {'rehearsal-endpoint-model': 2}",
                      "copy batch 2/2: green instances {'rehearsal-endpoint-model': 4}"]
    assert record["status"] == "succeeded" and record["traffic"]["copy batch 1/2"]["served_green"] > 0


def _component_endpoint(host, artifacts):
    spec = FleetSpec("ic-config", (VariantSpec("ep-model", artifacts["v1"], 1.0, 2, "AllTraffic"),), components=True)
    host.create_endpoint("ep", spec)


def test_host_routes_by_inference_component_name(host, runtime, artifacts):
    _component_endpoint(host, artifacts)
    model = load_model(artifacts["v1"])
    row = [0.5] * model.num_features
    answer = runtime.invoke_endpoint(EndpointName="ep", InferenceComponentName="ep-model",
                                     Body=",".join(map(str, row)), ContentType="text/csv")
    assert answer["InvokedProductionVariant"] == "AllTraffic"  # the variant that hosts the component
    expected = model.predict(np.array([row], dtype=np.float32))[0]
    assert float(answer["Body"].read().decode()) == pytest.approx(float(expected))
    # The component's own metrics carry its name (what the stage alarms of a component config watch).
    assert host.metrics.values("Invocations", (("InferenceComponentName", "ep-model"),), 0, 1e12) == [1.0]


@pytest.mark.parametrize(("component", "message"), [
    (None, "InferenceComponentName is required"),
    ("ep-other", "Inference Component ep-other not found for endpoint ep"),
])
def test_host_refuses_a_missing_or_unknown_component(host, runtime, artifacts, component, message):
    _component_endpoint(host, artifacts)
    extra = {"InferenceComponentName": component} if component else {}
    with pytest.raises(ClientError) as error:
        runtime.invoke_endpoint(EndpointName="ep", Body="1", ContentType="text/csv", **extra)
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert message in error.value.response["Error"]["Message"]


def test_host_refuses_a_component_name_on_an_endpoint_without_components(host, runtime, artifacts):
    host.create_endpoint("plain", FleetSpec("plain-config", (VariantSpec("AllTraffic", artifacts["v1"]),)))
    with pytest.raises(ClientError, match="hosts no inference components"):
        runtime.invoke_endpoint(EndpointName="plain", InferenceComponentName="x", Body="1", ContentType="text/csv")
