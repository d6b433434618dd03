"""This repo's stage configs and examples: valid (`make validate`), and the rollout each one plans."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent
CONFIGS = ["staging-config.json", "prod-config.json", *sorted(p.relative_to(SEED).as_posix()
                                                              for p in (SEED / "examples").glob("*.json"))]


def deploy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deploy", *args], cwd=SEED, capture_output=True, text=True,
                          timeout=120)


def test_make_validate_passes_every_shipped_config():
    done = subprocess.run(["make", "validate", f"PYTHON={sys.executable}"], cwd=SEED, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize("config", CONFIGS)
def test_each_config_plans_a_rollout_that_fits_its_timeout(config, tmp_path):
    done = deploy("plan", config, "--rps", "50", "--json", str(tmp_path / "plan.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((tmp_path / "plan.json").read_text())


def test_prod_rolls_out_by_canary_under_its_error_and_latency_alarms():
    config = json.loads((SEED / "prod-config.json").read_text())
    assert config["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    assert set(config["Alarms"]) == {"Invocation5XXErrors", "ModelLatency"}
