"""scripts/test_suites.py (`make test`): the suites side by side, each one's output whole, failures named.

`make test` itself runs the real suites (each seed in its copy, the demo story, the rest of tests/); these
tests drive the runner with small stand-in processes."""
import re
import sys

import pytest

import test_suites
from test_suites import Suite, run_side_by_side, seed_suite


def python_suite(name: str, code: str, folder) -> Suite:
    return Suite(name, [sys.executable, "-c", code], folder, {}, folder / f"{name}.log")


def test_every_suite_reports_its_whole_output_and_only_the_failing_one_is_named(tmp_path, capsys):
    # "waiting" ends only once "failing" has run: started one after the other, in this order, it would
    # give up after 10 s and say so.
    waiting = python_suite("waiting", "import pathlib, time\n"
                           "deadline = time.monotonic() + 10\n"
                           "while not pathlib.Path('failing.ran').exists() and time.monotonic() < deadline:\n"
                           "    time.sleep(0.01)\n"
                           "print('waiting: ' + ('3 passed' if pathlib.Path('failing.ran').exists() else 'gave up'))",
                           tmp_path)
    failing = python_suite("failing", "import pathlib, sys; pathlib.Path('failing.ran').touch(); "
                           "print('failing: ' + '1 failed'); sys.exit(1)", tmp_path)
    assert run_side_by_side([waiting, failing]) == ["failing"]
    out = capsys.readouterr().out
    # Both started before either ended; each one's log right after its own summary line.
    started, ended = out.index("==> failing: "), min(out.index("==> failing: FAILED"), out.index("==> waiting: passed"))
    assert out.index("==> waiting: ") < started < ended
    assert re.search(r"^==> failing: FAILED \(exit 1\) in \d+ s\nfailing: 1 failed\n", out, re.M)
    assert re.search(r"^==> waiting: passed in \d+ s\nwaiting: 3 passed\n", out, re.M)


def test_a_suite_over_the_time_limit_is_stopped_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(test_suites, "TIME_LIMIT_SECONDS", 0.5)
    hung = python_suite("hung", "import time; time.sleep(60)", tmp_path)
    with pytest.raises(TimeoutError, match=r"^hung: still running after 0.5 s: stopped$"):
        run_side_by_side([hung])
    assert hung.process.returncode is not None  # killed and reaped, not left running


def test_a_seed_suite_installs_its_copy_beside_the_wheel_as_its_buildspec_does(tmp_path, monkeypatch):
    monkeypatch.delenv("XGBOOST_ENVS_DIR", raising=False)
    wheel = tmp_path / "built" / "mlops_guardrails-9.9.9-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"a wheel")
    suite = seed_suite("seed-deploy", tmp_path, ["-k", "rollback"], wheel, tmp_path / "packages")
    assert suite.cwd == tmp_path / "seed-deploy" and (suite.cwd / "deploy" / "__main__.py").is_file()
    assert [p.name for p in (suite.cwd / "wheels").iterdir()] == [wheel.name]  # only the wheel beside it
    assert suite.argv == ["bash", "-c", "pip install --quiet --find-links wheels -r requirements.txt && "
                                        "exec python -m pytest -q -k rollback"]
    assert suite.env["PIP_NO_INDEX"] == "1"  # the toolkit can only come from wheels/
    assert suite.env["PATH"].split(":")[0] == str(suite.cwd / ".venv" / "bin")
    assert not [p for p in suite.cwd.rglob("*") if p.name.startswith(".venv-") or p.name in {"__pycache__", ".cache"}]
    assert suite.env["XGBOOST_ENVS_DIR"] == str(test_suites.ROOT)  # one XGBoost environment, at the root


def test_the_copies_see_every_package_of_this_environment_but_the_toolkit(tmp_path):
    names = {p.name for p in test_suites.packages_without_toolkit(tmp_path).iterdir()}
    assert "boto3" in names and "pytest" in names
    assert [name for name in names if "mlops_guardrails" in name] == []


def test_a_buildspec_without_one_pip_install_is_refused(tmp_path):
    (tmp_path / "buildspec.yml").write_text("phases:\n  install:\n    commands:\n      - echo nothing\n")
    with pytest.raises(test_suites.ScriptInputError, match=r"buildspec.yml: install phase: expected one `pip "
                                                          r"install` command, found 0"):
        test_suites.install_command(tmp_path)
