"""The stage guardrails on a busy machine: twice the cores' worth of CPU hogs beside the rehearsal; a healthy model
passes, the slow one is rolled back every time, the leak that starts after staging's bake still passes staging.

The hog helper's own tests always run; the rehearsals under load run when REHEARSAL_UNDER_LOAD=1 (`make
test-under-load`), since hogs slow everything else on the machine."""
import json
import os

import pytest
from rehearsal.rehearsal_fixtures import csv_rows, fleet
from rehearsal.test_stage_guardrails import STAGING, rehearse

from mlops_guardrails.deploy.rehearsal.busy_machine import cores, cpu_hogs, wait_until_spinning
from mlops_guardrails.deploy.rehearsal.models import load_model, write_artifact
from mlops_guardrails.deploy.stage_test import run_stage_test

UNDER_LOAD = os.environ.get("REHEARSAL_UNDER_LOAD") == "1"
under_load = pytest.mark.skipif(not UNDER_LOAD, reason="REHEARSAL_UNDER_LOAD=1 runs the rehearsals beside CPU hogs")
FAULT_RUNS = 3  # the slow model must be caught every time, not once


def test_cpu_hogs_spin_while_the_block_runs_and_are_gone_after():
    with cpu_hogs(2, max_seconds=60) as hogs:
        wait_until_spinning(hogs)
        assert [hog.poll() for hog in hogs] == [None, None]
    assert all(hog.returncode is not None for hog in hogs)


def test_cpu_hogs_end_by_themselves_at_their_bound():
    with cpu_hogs(1, max_seconds=0.2) as [hog]:
        assert hog.wait(timeout=30) == 0  # spun 0.2 s, then exited on its own


def test_cpu_hogs_default_to_twice_the_cores():
    with cpu_hogs(max_seconds=0.1) as hogs:
        assert len(hogs) == 2 * cores()


def test_cpu_hogs_bad_count_is_refused():
    with pytest.raises(ValueError, match="count: 0: must be >= 1"), cpu_hogs(0):
        pass


@pytest.fixture(scope="module")
def busy():
    """2x the cores' worth of CPU hogs for the module's rehearsals, bounded at 15 minutes."""
    with cpu_hogs(max_seconds=900) as hogs:
        wait_until_spinning(hogs)
        yield hogs


@under_load
@pytest.mark.parametrize("run", range(FAULT_RUNS))
def test_under_load_staging_rolls_back_the_slow_model_every_time(busy, artifacts, tmp_path, capsys, run):
    code = rehearse(STAGING, artifacts["v1"], artifacts["v2"], tmp_path / "out", "--fault", "slow",
                    "--fault-latency-ms", "330", "--expect", "rolled_back")
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "alarms: rehearsal-endpoint-model-latency" in printed


@under_load
def test_under_load_a_healthy_model_passes_staging(busy, artifacts, tmp_path, capsys):
    assert rehearse(STAGING, artifacts["v1"], artifacts["v2"], tmp_path / "out") == 0
    assert "outcome: succeeded" in capsys.readouterr().out


@under_load
def test_under_load_staging_cannot_see_a_slowdown_that_begins_after_its_bake(busy, artifacts, tmp_path, capsys):
    leak = {"extra_latency_ms": 330, "slow_after_seconds": 300}  # the demo's v3
    green = str(write_artifact(tmp_path / "leak" / "model.tar.gz", load_model(artifacts["v2"]).booster.save_raw(), leak))
    assert rehearse(STAGING, artifacts["v1"], green, tmp_path / "out") == 0
    assert "outcome: succeeded" in capsys.readouterr().out


@under_load
def test_under_load_the_stage_test_passes_a_healthy_model_and_fails_a_slow_one(busy, host, runtime, artifacts,
                                                                               unique, tmp_path):
    config = json.loads(STAGING.read_text())  # 50 requests, as the pipeline's TestStaging sends them: 10 at once
    config["StageTest"]["LatencyBudgetMs"] = 100
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1)))
    healthy = run_stage_test(runtime, unique, config, csv_rows(10), concurrency=10)
    assert healthy.passed, (healthy.problems, healthy.latency_ms)
    slow = write_artifact(tmp_path / "slow" / "model.tar.gz", load_model(artifacts["v2"]).booster.save_raw(),
                          {"extra_latency_ms": 330})
    host.create_endpoint(f"{unique}-slow", fleet("cfg", ("AllTraffic", str(slow), 1, 1)))
    faulty = run_stage_test(runtime, f"{unique}-slow", config, csv_rows(10), concurrency=10)
    assert [p.split(" p95 ")[0] for p in faulty.problems] == ["ModelLatency"]
    assert 330 <= faulty.latency_ms["p95"] < 430
