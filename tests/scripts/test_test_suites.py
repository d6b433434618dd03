"""scripts/test_suites.py (`make test`): the suites side by side, each one's output whole, failures named."""
import sys

import pytest

import test_suites
from test_suites import Suite, run_side_by_side


def test_a_failing_suite_is_named_and_a_passing_one_beside_it_still_reports(capsys):
    # Collection only, one test name that exists in seed-build and not in seed-deploy: seed-build's pytest
    # exits 0, seed-deploy's exits 5 (no tests collected), both from their own copies, at the same time.
    code = test_suites.main(["seed-build", "seed-deploy", "--pytest-args", "--collect-only",
                             "-k", "test_definition_parameters_and_defaults"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "==> seed-build: passed in" in out
    assert "tests/test_pipeline_definition.py::test_definition_parameters_and_defaults" in out
    assert "==> seed-deploy: FAILED (exit 5) in" in out
    assert err.strip().splitlines()[-1] == "error: tests failed in seed-deploy"


def test_a_suite_over_the_time_limit_is_stopped_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(test_suites, "TIME_LIMIT_SECONDS", 0.5)
    hung = Suite("hung", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path, {}, tmp_path / "hung.log")
    with pytest.raises(TimeoutError, match=r"^hung: still running after 0.5 s: stopped$"):
        run_side_by_side([hung])
    assert hung.process.returncode is not None  # killed and reaped, not left running
