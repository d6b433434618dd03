"""The shipped stage configs' guardrails trip in the rehearsal: staging catches a slow model in its own bake,
and a slowdown that begins after staging's bake (the demo's prod-only fault) passes staging."""
import json
import time
from pathlib import Path
from types import SimpleNamespace

from mlops_guardrails.deploy.cli import main
from mlops_guardrails.deploy.rehearsal import models
from mlops_guardrails.deploy.rehearsal.models import load_model, write_artifact

SEED = Path(__file__).resolve().parents[4] / "seed-deploy"
STAGING = SEED / "staging-config.json"


def rehearse(config: Path, blue: str, green: str, out: Path, *extra: str) -> int:
    # 60 simulated s per real s: a 330 ms request then spans 20 simulated seconds, so every 60 s period of the
    # latency alarm still holds a few requests (docs/demo.md explains the same bound for the demo's clock).
    return main(["rehearse", "--config", str(config), "--blue", blue, "--green", green, "--speed", "60",
                 "--max-requests", "400", "--out", str(out), *extra])


def test_staging_rolls_back_a_model_330_ms_slower_with_its_own_latency_alarm(artifacts, tmp_path, capsys):
    # The fault `make demo`'s v3 had when staging baked 60 s: it sailed through that bake.
    code = rehearse(STAGING, artifacts["v1"], artifacts["v2"], tmp_path / "out", "--fault", "slow",
                    "--fault-latency-ms", "330", "--expect", "rolled_back")
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "outcome: rolled_back; endpoint serves rehearsal-endpoint-config-blue; " \
           "alarms: rehearsal-endpoint-model-latency" in printed


def test_staging_cannot_see_a_slowdown_that_begins_after_its_bake(artifacts, tmp_path, capsys):
    bake = json.loads(STAGING.read_text())["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"]
    leak = {"extra_latency_ms": 330, "slow_after_seconds": 300}  # the demo's v3 (scripts/demo_story/story.py)
    assert leak["slow_after_seconds"] > bake
    green = str(write_artifact(tmp_path / "leak" / "model.tar.gz", load_model(artifacts["v2"]).booster.save_raw(), leak))
    assert rehearse(STAGING, artifacts["v1"], green, tmp_path / "out") == 0
    assert "outcome: succeeded" in capsys.readouterr().out


def test_leak_fault_is_slow_only_once_the_fleet_has_served_long_enough(artifacts, tmp_path, monkeypatch):
    green = write_artifact(tmp_path / "leak" / "model.tar.gz", load_model(artifacts["v2"]).booster.save_raw(),
                           {"extra_latency_ms": 200, "slow_after_seconds": 100})
    model = load_model(str(green))
    row = ",".join(["0.5"] * model.num_features).encode()
    # The fault's added latency as the model asks for it (its module's only use of time): load cannot blur it.
    waits = []
    recording = SimpleNamespace(sleep=lambda seconds: (waits.append(seconds), time.sleep(seconds)))
    monkeypatch.setattr(models, "time", recording)
    model.invoke(row, "text/csv", "text/csv", serving_seconds=99.0)
    assert waits == []
    started = time.perf_counter()
    model.invoke(row, "text/csv", "text/csv", serving_seconds=100.0)
    slow = time.perf_counter() - started
    assert waits == [0.2] and slow >= 0.2  # the 200 ms only once the fleet has served 100 s
