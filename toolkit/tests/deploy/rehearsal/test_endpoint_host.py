"""The endpoint host through boto3's own sagemaker-runtime client: routing, headers, errors, capture, metrics."""
import io
import json
import re
import tarfile
import time
from pathlib import Path

import boto3
import pytest
from rehearsal.rehearsal_fixtures import csv_rows, fleet

from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.rehearsal.data_capture import CaptureConfig
from mlops_guardrails.deploy.rehearsal.endpoint_host import MAX_BODY_BYTES
from mlops_guardrails.deploy.rehearsal.fleets import VariantSpec
from mlops_guardrails.deploy.rehearsal.metrics import dimensions
from mlops_guardrails.deploy.rehearsal.models import load_model
from mlops_guardrails.deploy.stage_test import MODEL_LATENCY_HEADER, run_stage_test

SEED = Path(__file__).resolve().parents[4] / "seed-deploy"


def invoke(runtime, name, body=None, **kwargs):
    kwargs.setdefault("ContentType", "text/csv")
    return runtime.invoke_endpoint(EndpointName=name, Body=body or csv_rows(1)[0], **kwargs)


def test_answers_csv_with_the_invoked_variant_header(host, runtime, artifacts, unique):
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1)))
    rows = csv_rows(3)
    response = invoke(runtime, unique, "\n".join(rows), Accept="text/csv")
    scores = [float(line) for line in response["Body"].read().decode().split()]
    expected = load_model(artifacts["v1"]).predict(
        __import__("numpy").array([[float(c) for c in r.split(",")] for r in rows], dtype="float32"))
    assert scores == pytest.approx([float(v) for v in expected], rel=1e-6)
    assert response["InvokedProductionVariant"] == "AllTraffic"
    assert response["ContentType"].startswith("text/csv")


def test_json_accept_returns_predictions(host, runtime, artifacts, unique):
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1)))
    body = json.loads(invoke(runtime, unique, Accept="application/json")["Body"].read())
    assert list(body) == ["predictions"] and isinstance(body["predictions"][0]["score"], float)


def test_weights_share_traffic_and_target_variant_overrides_them(host, runtime, artifacts, unique):
    host.create_endpoint(unique, fleet("cfg", ("Champion", artifacts["v1"], 3, 1), ("Challenger", artifacts["v2"], 1, 1)))
    answered = [invoke(runtime, unique)["InvokedProductionVariant"] for _ in range(40)]
    assert (answered.count("Champion"), answered.count("Challenger")) == (30, 10)
    targeted = {invoke(runtime, unique, TargetVariant="Challenger")["InvokedProductionVariant"] for _ in range(5)}
    assert targeted == {"Challenger"}


def test_unknown_endpoint_is_a_validation_error(runtime):
    with pytest.raises(runtime.exceptions.ValidationError) as error:
        invoke(runtime, "no-such-endpoint")
    assert error.value.response["Error"]["Message"] == "Endpoint no-such-endpoint of account 123456789012 not found."
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_target_variant_is_a_validation_error(host, runtime, artifacts, unique):
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1)))
    with pytest.raises(runtime.exceptions.ValidationError, match="Variant Nope not found .* Valid variants: AllTraffic"):
        invoke(runtime, unique, TargetVariant="Nope")


def test_body_over_six_megabytes_is_refused(host, runtime, artifacts, unique):
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1)))
    with pytest.raises(runtime.exceptions.ValidationError, match=f"6291457 bytes exceeds .* {MAX_BODY_BYTES} bytes"):
        invoke(runtime, unique, b"1" * (MAX_BODY_BYTES + 1))
    assert invoke(runtime, unique)["InvokedProductionVariant"] == "AllTraffic"  # the connection still works


def test_failing_model_is_a_model_error_with_the_original_status(host, runtime, artifacts, unique):
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["failing"], 1, 1)))
    with pytest.raises(runtime.exceptions.ModelError) as error:
        invoke(runtime, unique)
    response = error.value.response
    assert (response["ResponseMetadata"]["HTTPStatusCode"], response["OriginalStatusCode"]) == (424, 500)
    assert "Received server error (500) from AllTraffic" in response["Error"]["Message"]
    key = dimensions(EndpointName=unique, VariantName="AllTraffic")
    assert host.metrics.values("Invocation5XXErrors", key, 0, 1e12) == [1.0]


def test_metrics_per_variant_and_config_with_latency_in_microseconds(host, runtime, artifacts, unique):
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["slow"], 1, 1)))
    for _ in range(3):
        invoke(runtime, unique)
    by_config = dimensions(EndpointName=unique, VariantName="AllTraffic", EndpointConfigName="cfg")
    assert sum(host.metrics.values("Invocations", by_config, 0, 1e12)) == 3
    latencies = host.metrics.values("ModelLatency", by_config, 0, 1e12)
    assert len(latencies) == 3 and all(20_000 <= v < 2_000_000 for v in latencies)  # 20 ms injected


def test_model_latency_is_the_models_own_time_however_long_the_machine_holds_the_request(
        host, runtime, artifacts, unique, monkeypatch):
    # A busy machine holds the request thread 300 ms while the fault's 20 ms are waited out: ModelLatency is
    # the declared 20 ms plus the model's CPU time, never the 300 ms of wall time.
    monkeypatch.setattr(host, "_wait", lambda seconds: time.sleep(0.3))
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["slow"], 1, 1)))
    started = time.perf_counter()
    response = invoke(runtime, unique)
    assert time.perf_counter() - started >= 0.3
    [latency] = host.metrics.values("ModelLatency", dimensions(EndpointName=unique, VariantName="AllTraffic"), 0, 1e12)
    assert 20_000 <= latency < 120_000
    header = response["ResponseMetadata"]["HTTPHeaders"][MODEL_LATENCY_HEADER.lower()]
    assert float(header) == pytest.approx(latency, abs=1)


def test_stage_test_judges_the_hosts_model_latency(host, runtime, artifacts, unique):
    config = json.loads((SEED / "staging-config.json").read_text())
    config["StageTest"] = {"Requests": 5, "LatencyBudgetMs": 10}
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1)))
    healthy = run_stage_test(runtime, unique, config, csv_rows(5))
    assert healthy.passed and healthy.latency_ms["measure"] == "ModelLatency", healthy.problems
    slow = f"{unique}-slow"
    host.create_endpoint(slow, fleet("cfg", ("AllTraffic", artifacts["slow"], 1, 1)))  # 20 ms injected
    report = run_stage_test(runtime, slow, config, csv_rows(5))
    assert [p.split(" p95 ")[0] for p in report.problems] == ["ModelLatency"]
    assert report.problems[0].endswith("ms: over the budget of 10 ms (StageTest.LatencyBudgetMs)")
    assert 20 <= report.latency_ms["p95"] < 120


def test_capture_lines_in_sagemakers_format(host, runtime, artifacts, unique, tmp_path):
    spec = fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1), capture=CaptureConfig(str(tmp_path), 100))
    host.create_endpoint(unique, spec)
    row = csv_rows(1)[0]
    answer = invoke(runtime, unique, row, InferenceId="abc-1", Accept="text/csv")["Body"].read().decode()
    [path] = host.flush_capture()
    relative = Path(path).relative_to(tmp_path).as_posix()
    # SageMaker's layout: <endpoint>/<variant>/yyyy/mm/dd/hh/mm-ss-mmm-<uuid>.jsonl (deploy/rehearsal/data_capture.py)
    assert re.fullmatch(unique + r"/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl", relative)
    record = json.loads(Path(path).read_text())
    assert record["eventVersion"] == "0"
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv", "mode": "INPUT", "data": row, "encoding": "CSV"}
    assert record["captureData"]["endpointOutput"]["data"] == answer
    assert record["captureData"]["endpointOutput"]["mode"] == "OUTPUT"
    assert record["eventMetadata"]["inferenceId"] == "abc-1"
    assert record["eventMetadata"]["inferenceTime"].endswith("Z")


def test_capture_sampling_percentage(host, runtime, artifacts, unique, tmp_path):
    spec = fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1), capture=CaptureConfig(str(tmp_path), 20))
    host.create_endpoint(unique, spec)
    for _ in range(10):
        invoke(runtime, unique)
    [path] = host.flush_capture()
    assert len(Path(path).read_text().splitlines()) == 2


def test_shadow_gets_mirrored_requests_and_its_answers_are_never_returned(host, runtime, artifacts, unique, tmp_path):
    spec = fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1), shadow=VariantSpec("Shadow", artifacts["v2"]),
                 capture=CaptureConfig(str(tmp_path), 100))
    host.create_endpoint(unique, spec)
    row = csv_rows(1)[0]
    production = load_model(artifacts["v1"]).invoke(row.encode(), "text/csv", "text/csv")[0].decode()
    answers = [invoke(runtime, unique, row, Accept="text/csv") for _ in range(4)]
    assert {a["InvokedProductionVariant"] for a in answers} == {"AllTraffic"}
    assert {a["Body"].read().decode() for a in answers} == {production}
    host.stop()  # waits for mirrored requests, writes the capture files
    shadow_files = list((tmp_path / unique / "Shadow").rglob("*.jsonl"))
    shadow_lines = [json.loads(line) for f in shadow_files for line in f.read_text().splitlines()]
    shadow_answer = load_model(artifacts["v2"]).invoke(row.encode(), "text/csv", "text/csv")[0].decode()
    assert len(shadow_lines) == 4
    assert {line["captureData"]["endpointOutput"]["data"] for line in shadow_lines} == {shadow_answer}
    assert shadow_answer != production


def test_model_and_capture_through_s3_of_the_emulator(emulator, monkeypatch, artifacts, clock, unique):
    from mlops_guardrails.deploy.rehearsal.endpoint_host import EndpointHost

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.upload_file(artifacts["v1"], unique, "model/model.tar.gz")
    with EndpointHost(clock=clock) as host:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", host.url)
        spec = fleet("cfg", ("AllTraffic", f"s3://{unique}/model/model.tar.gz", 1, 1),
                     capture=CaptureConfig(f"s3://{unique}/data-capture", 100))
        host.create_endpoint("ep", spec)
        invoke(boto3.client("sagemaker-runtime"), "ep")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=unique, Prefix="data-capture/")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("data-capture/ep/AllTraffic/") and keys[0].endswith(".jsonl")


def test_artifact_without_xgboost_model_is_refused(tmp_path):
    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("model.pkl")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(InputError, match=r"no `xgboost-model` inside \(found \['model.pkl'\]\); the rehearsal host"):
        load_model(str(path))


def test_a_scikit_learn_archive_is_refused_by_name_before_anything_starts(tmp_path):
    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name in ("model.joblib", "code/inference.py"):
            archive.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
    with pytest.raises(InputError) as refused:
        load_model(str(path))
    assert ("(found ['code/inference.py', 'model.joblib']: a framework-container model (an inference script in "
            "code/inference.py") in str(refused.value)
    assert "play SageMaker's built-in XGBoost models (xgboost-model) only" in str(refused.value)


def test_update_must_keep_the_variant_names(host, artifacts, unique):
    host.create_endpoint(unique, fleet("blue", ("AllTraffic", artifacts["v1"], 1, 1)))
    with pytest.raises(InputError, match="must keep the same variant names"):
        host.begin_update(unique, fleet("green", ("Other", artifacts["v2"], 1, 1)))
