"""Helpers shared by the rehearsal tests: tiny real XGBoost models, CSV rows, fleet specs."""
import tempfile
from pathlib import Path

import numpy as np
import xgboost

from mlops_guardrails.deploy.rehearsal.fleets import FleetSpec, VariantSpec

FEATURES = 10


def train_booster(seed: int, rounds: int = 5) -> bytes:
    """A tiny regression model on random data, saved with Booster.save_model as the built-in container does."""
    rng = np.random.default_rng(seed)
    x = rng.random((64, FEATURES))
    y = x @ rng.random(FEATURES) * 10
    booster = xgboost.train({"max_depth": 2, "eta": 0.3, "nthread": 1}, xgboost.DMatrix(x, label=y), rounds)
    with tempfile.TemporaryDirectory() as folder:
        # The .ubj suffix names the format save_model picks by default anyway, minus its warning.
        path = Path(folder) / "xgboost-model.ubj"
        booster.save_model(path)
        return path.read_bytes()


def csv_rows(count: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    return [",".join(f"{v:.4f}" for v in row) for row in rng.random((count, FEATURES))]


def fleet(config_name: str, *variants: tuple[str, str, float, int], **extra) -> FleetSpec:
    """fleet("cfg", ("AllTraffic", path, weight, count), ...)"""
    return FleetSpec(config_name=config_name,
                     variants=tuple(VariantSpec(n, s, w, c) for n, s, w, c in variants), **extra)
