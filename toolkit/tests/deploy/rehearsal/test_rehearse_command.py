"""`python -m deploy rehearse`: exit codes, printed outcome and counts, the written record."""
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
import xgboost

from mlops_guardrails.deploy.cli import main
from mlops_guardrails.deploy.rehearsal.models import write_artifact

CANARY = {
    "ProductionVariants": [{"VariantName": "AllTraffic", "ModelVersion": "latest", "InstanceType": "ml.m5.large",
                            "InitialInstanceCount": 3, "InitialVariantWeight": 1.0}],
    "DeploymentConfig": {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 300,
                                            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}},
            "TerminationWaitInSeconds": 240, "MaximumExecutionTimeoutInSeconds": 3600},
        "AutoRollbackConfiguration": {"Alarms": []}},
    "Alarms": {"Invocation5XXErrors": {"Threshold": 0, "Period": 60, "EvaluationPeriods": 1},
               "ModelLatency": {"ThresholdMicroseconds": 300000, "Period": 60, "EvaluationPeriods": 3}},
    "DataCapture": {"InitialSamplingPercentage": 50},
}


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "canary-config.json"
    path.write_text(json.dumps(CANARY))
    return path


def rehearse(config, artifacts, out, *extra):
    return main(["rehearse", "--config", str(config), "--blue", artifacts["v1"], "--green", artifacts["v2"],
                 "--speed", "1200", "--rate", "300", "--max-requests", "600", "--out", str(out), *extra])


def test_faulty_green_is_rolled_back_as_expected(config_file, artifacts, tmp_path, capsys):
    code = rehearse(config_file, artifacts, tmp_path / "out", "--fault", "fail", "--expect", "rolled_back")
    printed = capsys.readouterr().out
    assert code == 0
    assert "outcome: rolled_back; endpoint serves rehearsal-endpoint-config-blue; " \
           "alarms: rehearsal-endpoint-invocation-5xx-errors" in printed
    record = json.loads((tmp_path / "out" / "rehearsal.json").read_text())
    assert record["status"] == "rolled_back" and record["total"]["lost"] == 0
    assert record["total"]["failed_blue"] == 0 and record["total"]["failed_green"] > 0
    assert (tmp_path / "out" / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((tmp_path / "out" / "data-capture" / "rehearsal-endpoint" / "AllTraffic").rglob("*.jsonl"))


def test_healthy_green_succeeds(config_file, artifacts, tmp_path, capsys):
    assert rehearse(config_file, artifacts, tmp_path / "out") == 0
    printed = capsys.readouterr().out
    assert "outcome: succeeded; endpoint serves rehearsal-endpoint-config-green" in printed
    assert "all traffic on green" in printed


def test_unexpected_outcome_exits_1(config_file, artifacts, tmp_path, capsys):
    assert rehearse(config_file, artifacts, tmp_path / "out", "--fault", "fail") == 1
    assert "error: expected succeeded, got rolled_back" in capsys.readouterr().err


def test_bad_config_exits_2_with_the_validators_messages(tmp_path, artifacts, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**CANARY, "ProductionVariants": [{"VariantName": "A", "InitialInstanceCount": 0}]}))
    assert rehearse(bad, artifacts, tmp_path / "out") == 2
    assert capsys.readouterr().err == (f"error: {bad} is not a valid stage config:\n"
                                       "ProductionVariants[0].ModelVersion: missing: required\n"
                                       "ProductionVariants[0].InitialInstanceCount: 0: must be >= 1\n")


def test_config_that_fails_a_sagemaker_rule_is_not_rehearsed(tmp_path, artifacts, capsys):
    over_half = json.loads(json.dumps(CANARY))
    over_half["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["CanarySize"]["Value"] = 2
    bad = tmp_path / "over-half.json"
    bad.write_text(json.dumps(over_half))
    assert rehearse(bad, artifacts, tmp_path / "out") == 2
    assert ("CanarySize.Value: 2: a canary must be at most 50% of the instance count (2 of AllTraffic's 3 instance(s) "
            "is 67%)") in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_artifact_exits_2(config_file, tmp_path, capsys):
    code = main(["rehearse", "--config", str(config_file), "--blue", str(tmp_path / "nope.tar.gz"),
                 "--green", str(tmp_path / "nope.tar.gz"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert f"model artifact: {tmp_path / 'nope.tar.gz'}: no such file" in capsys.readouterr().err


def test_help_ends_with_worked_examples(capsys):
    with pytest.raises(SystemExit):
        main(["rehearse", "--help"])
    assert "examples:\n  # canary rollout" in capsys.readouterr().out


def test_update_that_completes_while_most_requests_fail_is_not_a_success(artifacts, tmp_path, capsys):
    # Alarms far too lax to fire: the update completes ("succeeded") while every green request fails.
    lax = json.loads(json.dumps(CANARY))
    lax["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] = {
        "Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    lax["Alarms"]["Invocation5XXErrors"]["Threshold"] = 1000000
    config = tmp_path / "lax.json"
    config.write_text(json.dumps(lax))
    assert rehearse(config, artifacts, tmp_path / "out", "--fault", "fail") == 1
    captured = capsys.readouterr()
    assert "outcome: succeeded" in captured.out
    assert "error: the update completed but " in captured.err and "the rehearsal did not succeed" in captured.err
    record = json.loads((tmp_path / "out" / "rehearsal.json").read_text())
    assert record["total"]["failed_green"] * 2 > record["total"]["sent"]


def test_green_model_wider_than_the_rows_is_refused_before_anything_starts(config_file, artifacts, tmp_path, capsys):
    rng = np.random.default_rng(11)
    x = rng.random((64, 11))
    wider = xgboost.train({"max_depth": 2, "nthread": 1}, xgboost.DMatrix(x, label=x.sum(axis=1)), 3)
    with tempfile.TemporaryDirectory() as folder:
        booster_file = Path(folder) / "xgboost-model.ubj"
        wider.save_model(booster_file)
        green = write_artifact(tmp_path / "eleven" / "model.tar.gz", booster_file.read_bytes())
    rows = tmp_path / "rows.csv"
    rows.write_text("\n".join(",".join(["0.5"] * 10) for _ in range(4)) + "\n")
    code = main(["rehearse", "--config", str(config_file), "--blue", artifacts["v1"], "--green", str(green),
                 "--rows", str(rows), "--out", str(tmp_path / "out")])
    assert code == 2
    assert (f"{rows} row 1: 10 values, but the green model ({green}) takes 11 features "
            "(names unknown: no signature registered); 3 more row(s) of another width") in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
