"""Shadow comparison: identical predictions pass, shifted ones fail, unmatched requests are counted."""
import json

import numpy as np
import pytest

from mlops_guardrails.deploy.analysis.captures import load_captures
from mlops_guardrails.deploy.analysis.shadow import compare_shadow

from .capture_files import capture_record, write_variant


def shadow_folder(root, shift: float, n: int = 300, only_production: int = 0, only_shadow: int = 0):
    rng = np.random.default_rng(11)
    predictions = rng.uniform(4, 16, n + only_production + only_shadow)
    prod_ids = [f"req-{i}" for i in range(n + only_production)]
    shadow_ids = [f"req-{i}" for i in range(n)] + [f"shadow-only-{i}" for i in range(only_shadow)]
    write_variant(root, "demo-prod", "AllTraffic",
                  [capture_record("1,2", f"{predictions[i]:.5f}", key, "2024-05-01T12:00:00Z") for i, key in enumerate(prod_ids)])
    write_variant(root, "demo-prod", "shadow",
                  [capture_record("1,2", f"{predictions[i] + shift:.5f}", key, "2024-05-01T12:00:00Z") for i, key in enumerate(shadow_ids)])
    return str(root)


def test_shadow_identical_predictions_pass(tmp_path):
    result = compare_shadow(load_captures(shadow_folder(tmp_path, 0.0)), shadow="shadow")
    assert result.verdict == "pass"
    assert (result.joined, result.mae, result.agreement, result.psi, result.ks_statistic) == (300, 0.0, 1.0, 0.0, 0.0)
    assert len(result.psi_edges) == 9  # deciles of production


def test_shadow_shifted_predictions_fail_with_reasons(tmp_path):
    result = compare_shadow(load_captures(shadow_folder(tmp_path, 2.0)), production="AllTraffic")
    assert result.verdict == "fail"
    assert result.mae == pytest.approx(2.0, abs=1e-4)
    assert result.agreement == 0.0
    assert result.psi > 0.25 and result.ks_statistic > 0.1 and result.ks_p_value < 0.05
    failed = [r for r in result.reasons if r.startswith("FAIL")]
    assert any("agree within 0.5" in r for r in failed) and any("PSI" in r for r in failed) and any("KS" in r for r in failed)


def test_shadow_mismatched_join_counted(tmp_path):
    result = compare_shadow(load_captures(shadow_folder(tmp_path, 0.0, n=100, only_production=5, only_shadow=3)), shadow="shadow")
    assert (result.joined, result.production_only, result.shadow_only) == (100, 5, 3)


def test_shadow_too_few_joined_is_inconclusive(tmp_path):
    result = compare_shadow(load_captures(shadow_folder(tmp_path, 0.0, n=10)), shadow="shadow")
    assert result.verdict == "inconclusive"
    assert result.reasons == ["joined: 10 by inferenceId, 0 by eventId (SageMaker records inferenceId only when the caller sends one)",
                              "only 10 requests joined (need 30): no data is not evidence"]


def test_shadow_without_inference_ids_joins_on_event_id_only_when_they_match(tmp_path):
    # Without InferenceId each variant's capture has its own eventId: nothing joins, and the report says so.
    for variant in ("AllTraffic", "shadow"):
        write_variant(tmp_path, "ep", variant, [capture_record("1,2", "5.0", None, "t") for _ in range(40)])
    result = compare_shadow(load_captures(str(tmp_path)), shadow="shadow")
    assert (result.verdict, result.joined, result.production_only, result.shadow_only) == ("inconclusive", 0, 40, 40)
    assert result.reasons[0] == "joined: 0 by inferenceId, 0 by eventId (SageMaker records inferenceId only when the caller sends one)"


def test_shadow_reads_a_json_base64_shadow_against_a_csv_production(tmp_path):
    # Production answers text/csv; the shadow (another container) answers JSON, captured BASE64 as SageMaker
    # does for a content type outside the endpoint's CaptureContentTypeHeader.
    rng = np.random.default_rng(5)
    predictions = rng.uniform(4, 16, 50)
    write_variant(tmp_path, "ep", "AllTraffic", [capture_record("1,2", f"{p:.5f}", f"req-{i}", "t") for i, p in enumerate(predictions)])
    write_variant(tmp_path, "ep", "shadow", [
        capture_record("1,2", json.dumps({"predictions": [{"score": round(p + 0.1, 5)}]}), f"req-{i}", "t",
                       output_type="application/json", encoding="BASE64") for i, p in enumerate(predictions)])
    result = compare_shadow(load_captures(str(tmp_path)), shadow="shadow")
    assert (result.verdict, result.joined) == ("pass", 50)
    assert result.mae == pytest.approx(0.1, abs=1e-4)
