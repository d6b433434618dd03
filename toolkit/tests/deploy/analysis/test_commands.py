"""The four commands end to end: outputs written, exit codes and stderr for bad input."""
import json
from datetime import datetime, timezone

import numpy as np
import pytest

from mlops_guardrails.deploy.cli import main

from .baseline_files import baseline_files
from .capture_files import capture_record, truth_record, write_jsonl, write_variant
from .test_plan import blue_green, config


def test_analyze_ab_writes_report_json_and_chart(ab_data, tmp_path, capsys):
    folder, truth = ab_data(n=200, sd_b=1.0, seed=5)
    report, figures, chart = tmp_path / "ab.md", tmp_path / "ab.json", tmp_path / "ab.png"
    code = main(["analyze-ab", str(folder), "--truth", str(truth), "--control", "control",
                 "--report", str(report), "--json", str(figures), "--png", str(chart)])
    assert code == 0
    assert "verdict: promote" in capsys.readouterr().out
    assert report.read_text().startswith("# A/B analysis: challenger (challenger) vs control (control)")
    assert "![chart](ab.png)" in report.read_text()
    assert json.loads(figures.read_text())["verdict"] == "promote"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_analyze_ab_missing_captures_exit_2(tmp_path, capsys):
    truth = tmp_path / "t.csv"
    truth.write_text("inference_id,label\na,1\n")
    assert main(["analyze-ab", str(tmp_path / "missing"), "--truth", str(truth), "--control", "a"]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'missing'}: not found: give an existing folder or an s3:// prefix\n"


def test_analyze_ab_bad_truth_csv_exit_2(ab_data, tmp_path, capsys):
    folder, _ = ab_data(n=5)
    truth = tmp_path / "bad.csv"
    truth.write_text("inference_id,label\nx,not-a-number\n")
    assert main(["analyze-ab", str(folder), "--truth", str(truth), "--control", "control"]) == 2
    assert "bad.csv:2: label: 'not-a-number': must be a number" in capsys.readouterr().err


def test_analyze_ab_cli_reads_model_monitor_ground_truth_and_joins_on_event_id(tmp_path, capsys):
    rng = np.random.default_rng(9)
    truth = []
    for variant, sd in (("control", 2.0), ("challenger", 2.0)):
        labels = rng.uniform(3, 20, 40)
        write_variant(tmp_path / "c", "ep", variant, [capture_record("1", f"{y + rng.normal(0, sd):.4f}", None, "t", event_id=f"{variant}{i}")
                                                       for i, y in enumerate(labels)])
        truth += [truth_record(f"{variant}{i}", f"{y:.4f}") for i, y in enumerate(labels)]
    write_jsonl(tmp_path / "gt" / "2024" / "05" / "01" / "13", truth)
    assert main(["analyze-ab", str(tmp_path / "c"), "--truth", str(tmp_path / "gt"), "--control", "control",
                 "--json", str(tmp_path / "ab.json")]) == 0
    assert "control 0 by inferenceId, 40 by eventId; challenger 0 by inferenceId, 40 by eventId" in capsys.readouterr().out
    assert json.loads((tmp_path / "ab.json").read_text())["control"]["joined_by"] == {"inferenceId": 0, "eventId": 40}


def test_analyze_ab_cli_truncated_capture_line_exit_2_naming_file_and_line(ab_data, capsys):
    folder, truth = ab_data(n=5)
    path = sorted(folder.rglob("*.jsonl"))[0]
    path.write_text(path.read_text() + '{"captureData": {"endpointIn\n')
    assert main(["analyze-ab", str(folder), "--truth", str(truth), "--control", "control"]) == 2
    assert capsys.readouterr().err.startswith(f"error: 1 capture records could not be read:\n  {path}:6: not JSON (a truncated or corrupt line)")


def test_compare_shadow_cli_identical_passes(tmp_path, capsys):
    records = [capture_record("1", f"{i % 17}.5", f"r{i}", "2024-05-01T12:00:00Z") for i in range(60)]
    write_variant(tmp_path / "c", "ep", "AllTraffic", records)
    write_variant(tmp_path / "c", "ep", "shadow", records)
    assert main(["compare-shadow", str(tmp_path / "c"), "--shadow", "shadow", "--png", str(tmp_path / "s.png")]) == 0
    out = capsys.readouterr().out
    assert "verdict: pass" in out and "latency: not compared" in out


def test_compare_shadow_cli_unnamed_variants_exit_2(tmp_path, capsys):
    write_variant(tmp_path, "ep", "a", [capture_record("1", "1", "r", "t")])
    write_variant(tmp_path, "ep", "b", [capture_record("1", "1", "r", "t")])
    assert main(["compare-shadow", str(tmp_path)]) == 2
    assert "--production/--shadow: not given: name the variants to compare (found: a, b)" in capsys.readouterr().err


def test_drift_cli_violations_exit_1_and_file(tmp_path, capsys):
    statistics, constraints = baseline_files({"prediction": ("Fractional", np.linspace(5, 15, 50)),
                                              "x": ("Integral", np.arange(50) % 5)})
    (tmp_path / "statistics.json").write_text(json.dumps(statistics))
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    # 1 value in 10 of x is written "0.0", Fractional to the analyzer: below datatype_check_threshold 1.0.
    write_variant(tmp_path / "c", "ep", "v", [capture_record("0.0" if i % 10 == 0 else str(i % 5), f"{5 + i / 5:.1f}", f"r{i}", "t")
                                              for i in range(50)])
    code = main(["drift", str(tmp_path / "c"), "--statistics", str(tmp_path / "statistics.json"),
                 "--constraints", str(tmp_path / "constraints.json"), "--violations", str(tmp_path / "v.json")])
    assert code == 1
    assert json.loads((tmp_path / "v.json").read_text()) == {"violations": [{
        "feature_name": "x", "constraint_check_type": "data_type_check",
        "description": "expected data type Integral for at least 100.00% of values (datatype_check_threshold); observed 90.00%"}]}
    assert "verdict: fail" in capsys.readouterr().out


def test_drift_cli_no_violations_exit_0(tmp_path, capsys):
    statistics, constraints = baseline_files({"prediction": ("Fractional", np.linspace(5, 15, 50)),
                                              "x": ("Integral", np.arange(50) % 5)})
    (tmp_path / "statistics.json").write_text(json.dumps(statistics))
    write_variant(tmp_path / "c", "ep", "v", [capture_record(str(i % 5), f"{5 + i / 5:.1f}", None, "t") for i in range(50)])
    assert main(["drift", str(tmp_path / "c"), "--statistics", str(tmp_path / "statistics.json")]) == 0
    assert "verdict: pass" in capsys.readouterr().out


def test_drift_cli_statistics_not_json_exit_2(tmp_path, capsys):
    (tmp_path / "s.json").write_text("{oops")
    write_variant(tmp_path / "c", "ep", "v", [capture_record("1", "1", "r", "t")])
    assert main(["drift", str(tmp_path / "c"), "--statistics", str(tmp_path / "s.json")]) == 2
    assert "s.json: not JSON" in capsys.readouterr().err


def test_plan_cli_invalid_config_exit_2_with_the_validators_messages(tmp_path, capsys):
    bad = config({}, 2)
    del bad["DeploymentConfig"]
    (tmp_path / "c.json").write_text(json.dumps(bad))
    assert main(["plan", str(tmp_path / "c.json"), "--rps", "10"]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'c.json'} is not a valid stage config:\nDeploymentConfig: missing: required\n"


def test_plan_cli_short_timeout_exit_1_with_png(tmp_path, capsys):
    # Valid (1600 s exceeds 600 + 600 s of waits + the validator's 300 s), but not with 600 s to provision.
    routing = {"Type": "CANARY", "WaitIntervalInSeconds": 600, "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}
    (tmp_path / "c.json").write_text(json.dumps(config(blue_green(routing, 600, 1600), 4)))
    code = main(["plan", str(tmp_path / "c.json"), "--rps", "10", "--provisioning-seconds", "600", "--png", str(tmp_path / "p.png"), "--report", str(tmp_path / "p.md")])
    assert code == 1
    assert "FAIL: MaximumExecutionTimeoutInSeconds 1600 s does not exceed the 1800 s" in capsys.readouterr().out
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert "| 1 | 600 | 10 | 0.25 | 600 | bake (WaitIntervalInSeconds) |" in (tmp_path / "p.md").read_text()


def test_plan_cli_missing_config_exit_2(tmp_path, capsys):
    assert main(["plan", str(tmp_path / "none.json"), "--rps", "10"]) == 2
    assert "none.json: No such file or directory: cannot be read" in capsys.readouterr().err


def test_analyze_ab_reads_cloudwatch_from_emulator(emulator, ab_data, capsys):
    import boto3

    folder, truth = ab_data(n=40, seed=5)
    cloudwatch = boto3.client("cloudwatch")
    when = datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    for variant, latency_us in (("control", 20000.0), ("challenger", 30000.0)):
        dims = [{"Name": "EndpointName", "Value": "demo-staging"}, {"Name": "VariantName", "Value": variant}]
        cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=[
            {"MetricName": "Invocations", "Dimensions": dims, "Value": 40, "Timestamp": when},
            {"MetricName": "Invocation5XXErrors", "Dimensions": dims, "Value": 2, "Timestamp": when},
            {"MetricName": "ModelLatency", "Dimensions": dims, "Value": latency_us, "Timestamp": when, "Unit": "Microseconds"},
        ])
    figures = folder.parent / "ab.json"
    assert main(["analyze-ab", str(folder), "--truth", str(truth), "--control", "control", "--cloudwatch", "--json", str(figures)]) == 0
    result = json.loads(figures.read_text())
    assert result["control"]["cloudwatch"]["Invocations"] == 40
    assert result["challenger"]["cloudwatch"]["Invocation5XXErrors"] == 2
    assert result["challenger"]["latency_ms"]["avg"] == pytest.approx(30.0)
