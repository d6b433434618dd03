"""Fixtures for the analyses: an A/B capture folder and its ground truth CSV."""
import numpy as np
import pytest

from .capture_files import capture_record, write_variant


@pytest.fixture
def ab_data(tmp_path):
    """Make an A/B capture folder and truth CSV: predictions = truth + noise(sd) + bias, per variant."""

    def make(n: int = 400, bias_b: float = 0.0, sd_a: float = 2.0, sd_b: float = 2.0, seed: int = 7, missing_truth: int = 0, extra_truth: int = 0):
        rng = np.random.default_rng(seed)
        truth_rows = []
        for variant, sd, bias in (("control", sd_a, 0.0), ("challenger", sd_b, bias_b)):
            labels = rng.uniform(3, 20, n)
            predictions = labels + rng.normal(bias, sd, n)
            ids = [f"{variant}-{i}" for i in range(n)]
            records = [capture_record("0.5,0.4,0.1", f"{p:.6f}", key, f"2024-05-01T12:{i % 60:02d}:00Z")
                       for i, (key, p) in enumerate(zip(ids, predictions))]
            write_variant(tmp_path / "captures", "demo-staging", variant, records)
            truth_rows += [(key, label) for key, label in zip(ids, labels)][missing_truth:]
        truth_rows += [(f"orphan-{i}", 1.0) for i in range(extra_truth)]
        truth = tmp_path / "truth.csv"
        truth.write_text("inference_id,label\n" + "".join(f"{k},{v:.6f}\n" for k, v in truth_rows))
        return tmp_path / "captures", truth

    return make
