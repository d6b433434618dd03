"""The stage test against the emulator's sagemaker-runtime with queued endpoint answers."""
import itertools
import threading
import time
import json
from pathlib import Path

import boto3
import pytest

from mlops_guardrails.deploy import cli
from mlops_guardrails.deploy.stage_test import load_rows, run_stage_test

SEED = Path(__file__).resolve().parents[3] / "seed-deploy"  # the repository's deploy seed: the shipped configs
ROWS = load_rows(SEED / "sample-data/sample-rows.csv")


def config_with(name: str, **stage_test) -> dict:
    config = json.loads((SEED / name).read_text())
    config["StageTest"] = {**config.get("StageTest", {}), **stage_test}
    return config


@pytest.fixture
def runtime(emulator):
    return boto3.client("sagemaker-runtime")


def test_sample_rows_are_fifty_ten_column_numeric_rows():
    assert len(ROWS) == 50
    for row in ROWS:
        values = [float(v) for v in row.split(",")]
        assert len(values) == 10 and sum(values[:3]) == 1


def test_numeric_answers_pass(runtime, queue_answers, unique):
    queue_answers([(f"{9 + n / 10}", "AllTraffic") for n in range(5)])
    report = run_stage_test(runtime, unique("ok"), config_with("staging-config.json", Requests=5), ROWS)
    assert report.passed, report.problems
    assert report.answers == ["9.0", "9.1", "9.2", "9.3", "9.4"]
    assert report.variants["AllTraffic"]["count"] == 5


def test_non_numeric_answer_fails_naming_the_request(runtime, queue_answers, unique):
    queue_answers([("9.5", "AllTraffic"), ("oops", "AllTraffic"), ("10", "AllTraffic")])
    report = run_stage_test(runtime, unique("bad"), config_with("staging-config.json", Requests=3), ROWS)
    assert not report.passed
    assert report.problems == ["request 1: answer 'oops': not a number"]


def test_ab_share_within_tolerance_passes(runtime, queue_answers, unique):
    queue_answers([("8", "Champion")] * 40 + [("9", "Challenger")] * 10)
    report = run_stage_test(runtime, unique("ab"), config_with("examples/ab-test.json", Requests=50), ROWS)
    assert report.passed, report.problems
    assert report.variants["Champion"] == {"count": 40, "expected_share": 0.8, "observed_share": 0.8}


def test_ab_share_off_fails_with_both_variants_named(runtime, queue_answers, unique):
    queue_answers([("8", "Champion"), ("9", "Challenger")] * 25)
    report = run_stage_test(runtime, unique("skew"), config_with("examples/ab-test.json", Requests=50), ROWS)
    assert report.problems == [
        "variant Champion: served 50.0% of requests, configured 80.0%: off by more than 10% "
        "(StageTest.VariantShareTolerance)",
        "variant Challenger: served 50.0% of requests, configured 20.0%: off by more than 10% "
        "(StageTest.VariantShareTolerance)",
    ]


def test_latency_over_budget_fails(runtime, queue_answers, unique):
    queue_answers([("9", "AllTraffic")] * 4)
    ticks = itertools.count(step=0.75)  # every call appears to take 750 ms
    config = config_with("staging-config.json", Requests=4, LatencyBudgetMs=500)
    report = run_stage_test(runtime, unique("slow"), config, ROWS, clock=lambda: next(ticks))
    assert report.latency_ms["p95"] == pytest.approx(750)
    assert report.latency_ms["measure"] == "round trip"  # SageMaker reports no per-request ModelLatency
    assert report.problems == ["round trip p95 750.0 ms: over the budget of 500 ms (StageTest.LatencyBudgetMs)"]


def test_cli_uses_the_runtime_endpoint_variable_and_writes_the_report(
        emulator_url, queue_answers, unique, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", emulator_url)
    config = tmp_path / "staging-config.json"
    config.write_text(json.dumps(config_with("staging-config.json", Requests=3)))
    queue_answers([("9", "AllTraffic"), ("x", "AllTraffic"), ("11", "AllTraffic")])
    endpoint = unique("cli")
    report = tmp_path / "report.json"
    code = cli.main(["test-stage", "--endpoint-name", endpoint, "--config", str(config),
                     "--rows", str(SEED / "sample-data/sample-rows.csv"), "--report", str(report)])
    assert code == 1
    assert f"{endpoint}: request 1: answer 'x': not a number" in capsys.readouterr().err
    saved = json.loads(report.read_text())
    assert (saved["passed"], saved["requests"], saved["answers"]) == (False, 3, ["9", "x", "11"])


def test_cli_without_endpoint_or_project_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SAGEMAKER_PROJECT_NAME", raising=False)
    code = cli.main(["test-stage", "--config", str(SEED / "staging-config.json"), "--report", str(tmp_path / "r.json")])
    assert code == 2
    assert "SAGEMAKER_PROJECT_NAME is not set" in capsys.readouterr().err


class InFlight:
    """The runtime client, counting requests in flight; each call holds for `hold` seconds first."""

    def __init__(self, client, hold: float):
        self.client, self.hold, self.exceptions = client, hold, client.exceptions
        self.now = self.most = 0
        self.lock = threading.Lock()

    def invoke_endpoint(self, **request):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(self.hold)
            return self.client.invoke_endpoint(**request)
        finally:
            with self.lock:
                self.now -= 1


def test_concurrent_stage_test_times_each_request_and_checks_the_same(runtime, queue_answers, unique):
    queue_answers([("8", "Champion")] * 40 + [("9", "Challenger")] * 10)
    counting = InFlight(runtime, hold=0.05)  # 5 at a time: the run lasts ~0.5 s, ~10 ms a request if shared
    config = config_with("examples/ab-test.json", Requests=50, LatencyBudgetMs=60000)  # a loaded machine is slow
    report = run_stage_test(counting, unique("conc"), config, ROWS, concurrency=5)
    assert 1 < counting.most <= 5
    assert report.passed, report.problems
    assert report.requests == 50 and sorted(report.answers) == ["8"] * 40 + ["9"] * 10
    assert report.variants["Champion"]["count"] == 40
    assert report.latency_ms["p50"] >= 50  # each request is timed on its own: its hold counts, not the others'


def test_cli_concurrency_out_of_range_exits_2_naming_the_option(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STAGE_TEST_CONCURRENCY", "0")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["test-stage", "--endpoint-name", "e", "--report", str(tmp_path / "r.json")])
    assert exit_.value.code == 2
    assert "argument --concurrency: '0': must be a whole number from 1 to 10" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def signature_file(tmp_path, names, **extra) -> Path:
    path = tmp_path / "signature.json"
    path.write_text(json.dumps({"count": len(names), "features": [{"name": n, "type": "Fractional"} for n in names],
                                **extra}))
    return path


def test_cli_rows_narrower_than_the_signature_exit_2_before_any_request(emulator, unique, tmp_path, capsys):
    names = [f"f{i}" for i in range(11)]
    report = tmp_path / "report.json"
    code = cli.main(["test-stage", "--endpoint-name", unique("sig"), "--config", str(SEED / "staging-config.json"),
                     "--rows", str(SEED / "sample-data/sample-rows.csv"),
                     "--signature", str(signature_file(tmp_path, names)), "--report", str(report)])
    assert code == 2
    assert ("sample-data/sample-rows.csv row 1: 10 values, but the model (--signature) takes 11 features "
            "(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10); 49 more row(s)") in capsys.readouterr().err
    assert not report.exists()  # nothing was sent, nothing reported


def test_cli_signature_from_s3_with_matching_width_lets_the_test_run(emulator_url, queue_answers, unique, tmp_path,
                                                                    monkeypatch, capsys):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="signature-test")
    s3.put_object(Bucket="signature-test", Key="s/signature.json",
                  Body=signature_file(tmp_path, [f"f{i}" for i in range(10)]).read_bytes())
    config = tmp_path / "staging-config.json"
    config.write_text(json.dumps(config_with("staging-config.json", Requests=2)))
    queue_answers([("9", "AllTraffic"), ("10", "AllTraffic")])
    code = cli.main(["test-stage", "--endpoint-name", unique("sig"), "--config", str(config), "--signature",
                     "s3://signature-test/s/signature.json", "--report", str(tmp_path / "r.json")])
    assert code == 0, capsys.readouterr().err


@pytest.mark.parametrize("document, message", [
    ({"features": []}, "features: must be a non-empty list"),
    ({"features": [{"type": "Fractional"}]}, "features[].name: every feature needs a name"),
    ({"count": 3, "features": [{"name": "a"}]}, "count: 3 but 1 features are listed"),
])
def test_cli_malformed_signature_is_named_with_its_field(tmp_path, capsys, document, message):
    path = tmp_path / "signature.json"
    path.write_text(json.dumps(document))
    code = cli.main(["test-stage", "--endpoint-name", "e", "--config", str(SEED / "staging-config.json"),
                     "--signature", str(path), "--report", str(tmp_path / "r.json")])
    assert code == 2
    assert f"{path}: {message}" in capsys.readouterr().err
