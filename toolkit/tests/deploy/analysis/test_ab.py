"""A/B analysis on generated captures in SageMaker's format."""
import math

import numpy as np
import pytest

from mlops_guardrails.deploy.analysis.ab import analyze_ab, build_report
from mlops_guardrails.deploy.analysis.captures import load_captures
from mlops_guardrails.deploy.analysis.ground_truth import load_truth
from mlops_guardrails.deploy.analysis.report import render_markdown
from mlops_guardrails.errors import InputError

from .capture_files import capture_record, truth_record, write_jsonl, write_variant


def run(make, **kwargs):
    folder, truth = make(**kwargs)
    return analyze_ab(load_captures(str(folder)), load_truth(str(truth)), control="control")


def test_ab_challenger_with_half_the_noise_is_promoted(ab_data):
    result = run(ab_data, n=200, sd_b=1.0, seed=5)
    assert result.verdict == "promote"
    d = result.mse_difference
    assert d.difference < 0 and d.ci_high < 0 and d.p_value < 0.05
    assert result.required_per_variant is None
    # noise sd 2 vs 1: MSE near 4 and 1
    assert result.control.mse == pytest.approx(4, rel=0.25) and result.challenger.mse == pytest.approx(1, rel=0.25)


def test_ab_worse_challenger_is_kept(ab_data):
    result = run(ab_data, n=200, sd_b=3.0, seed=5)
    assert result.verdict == "keep"
    assert result.mse_difference.ci_low > 0


def test_ab_no_effect_is_inconclusive_with_sample_size(ab_data):
    result = run(ab_data, n=200, seed=5)
    assert result.verdict == "inconclusive"
    d = result.mse_difference
    assert d.p_value > 0.05 and d.ci_low < 0 < d.ci_high
    sd_a, sd_b = np.std(result.control.squared_errors, ddof=1), np.std(result.challenger.squared_errors, ddof=1)
    by_hand = (1.959964 + 0.841621) ** 2 * (sd_a**2 + sd_b**2) / d.difference**2
    assert result.required_per_variant == math.ceil(by_hand) or abs(result.required_per_variant - by_hand) < 1
    assert result.required_per_variant > 200
    assert f"collect about {result.required_per_variant} joined requests per variant" in " ".join(result.reasons)


def test_ab_mismatched_join_is_counted_not_dropped(ab_data):
    result = run(ab_data, n=100, seed=5, missing_truth=7, extra_truth=4)
    assert (result.control.without_truth, result.challenger.without_truth) == (7, 7)
    assert (result.control.joined, result.challenger.joined) == (93, 93)
    assert result.truth_without_capture == 4
    markdown = render_markdown(build_report(result))
    assert "| captures without ground truth | 7 | 7 |" in markdown
    assert "| ground truth rows without a capture (both variants) | 4 |  |" in markdown


def test_ab_nothing_joined_is_inconclusive(ab_data, tmp_path):
    folder, _ = ab_data(n=10)
    truth = tmp_path / "other.csv"
    truth.write_text("inference_id,label\nnobody,1\n")
    result = analyze_ab(load_captures(str(folder)), load_truth(str(truth)), control="control")
    assert result.verdict == "inconclusive"
    assert result.mse_difference is None
    assert result.reasons == [
        "joined to ground truth (inferenceId when the caller sent one, else eventId): control 0 by inferenceId, 0 by eventId; "
        "challenger 0 by inferenceId, 0 by eventId",
        "not enough requests joined to ground truth (control: 0, challenger: 0; need at least 2 each): no data is not evidence"]


def test_ab_unknown_control_lists_variants(ab_data):
    folder, truth = ab_data(n=5)
    with pytest.raises(InputError, match=r"--control: 'blue': no captures for that variant \(found: challenger, control\)"):
        analyze_ab(load_captures(str(folder)), load_truth(str(truth)), control="blue")


def test_ab_captures_without_inference_id_join_model_monitor_ground_truth_on_event_id(tmp_path):
    # Real captures carry no inferenceId unless the caller sent one (the SDK's capture.jsonl); Model Monitor then
    # matches ground truth whose eventMetadata.eventId is the capture's eventId (its actuals.jsonl).
    rng = np.random.default_rng(4)
    truth = []
    for variant, sd in (("control", 2.0), ("challenger", 0.5)):
        labels = rng.uniform(3, 20, 60)
        records = [capture_record("0.5,0.4", f"{label + rng.normal(0, sd):.5f}", None, "t", event_id=f"{variant}-event-{i}")
                   for i, label in enumerate(labels)]
        write_variant(tmp_path / "captures", "ep", variant, records)
        truth += [truth_record(f"{variant}-event-{i}", f"{label:.5f}") for i, label in enumerate(labels)]
    write_jsonl(tmp_path / "truth" / "2024" / "05" / "01" / "13", truth)
    result = analyze_ab(load_captures(str(tmp_path / "captures")), load_truth(str(tmp_path / "truth")), control="control")
    assert (result.control.joined, result.challenger.joined) == (60, 60)
    assert result.control.joined_by == {"eventId": 60} and result.verdict == "promote"
    assert result.reasons[0] == ("joined to ground truth (inferenceId when the caller sent one, else eventId): "
                                 "control 0 by inferenceId, 60 by eventId; challenger 0 by inferenceId, 60 by eventId")
    assert "| joined by eventId (no inferenceId sent) | 60 | 60 |" in render_markdown(build_report(result))


def test_ab_mixed_keys_are_counted_per_key(tmp_path):
    records = [capture_record("1", "10", "order-1", "t"), capture_record("1", "12", None, "t", event_id="e-2"),
               capture_record("1", "11", None, "t", event_id="e-3")]
    write_variant(tmp_path / "c", "ep", "a", records)
    write_variant(tmp_path / "c", "ep", "b", [capture_record("1", "10", f"b{i}", "t") for i in range(3)])
    (tmp_path / "truth.csv").write_text("inference_id,label\norder-1,10\ne-2,12\nb0,10\n")
    result = analyze_ab(load_captures(str(tmp_path / "c")), load_truth(str(tmp_path / "truth.csv")), control="a")
    assert result.control.joined_by == {"inferenceId": 1, "eventId": 1} and result.control.without_truth == 1
    assert result.challenger.joined_by == {"inferenceId": 1}
