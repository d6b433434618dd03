"""Helpers shared by the rehearsal tests: tiny real XGBoost models, CSV rows, fleet specs, a stepped clock."""
import tempfile
from pathlib import Path

import numpy as np
import xgboost

from mlops_guardrails.deploy.rehearsal.clock import CompressedClock
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



class SteppedClock(CompressedClock):
    """A compressed clock whose simulated time moves only when its one sleeper (the guardrail controller)
    sleeps: sleep(s) lets s / speed real seconds pass, traffic flowing meanwhile and stamped with the time
    the sleep began, then moves the clock exactly s. On a compressed clock a controller thread held up by
    a loaded machine finds more simulated time gone than it slept (at 1200x, 100 ms late is 120 simulated
    seconds: a bake's check lands in the next phase); here every check lands on its due time, so the tests
    can assert the controller's timing exactly. The rehearsal itself keeps CompressedClock: AWS's clock does
    not wait for anyone."""

    def __init__(self, speed: float) -> None:
        super().__init__(speed)
        self._elapsed = 0.0

    def elapsed(self) -> float:
        return self._elapsed

    def sleep(self, simulated_seconds: float) -> None:
        super().sleep(simulated_seconds)
        self._elapsed += max(0.0, simulated_seconds)
