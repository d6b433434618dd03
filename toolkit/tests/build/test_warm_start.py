"""Warm-started step processes keep subprocess.call's contract: argv, env, cwd, output files, exit code, timeout."""
import json
import os
import signal
import subprocess
import sys
import sysconfig
import time

import pytest

from mlops_guardrails.local import warm_start

PROBE = """
import json, os, sys
preloaded = "numpy" in sys.modules
print("to stdout")
print("to stderr", file=sys.stderr)
import numpy
json.dump({"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ), "name": __name__,
           "path0": sys.path[0], "preloaded": preloaded, "pid": os.getpid(),
           "random": numpy.random.random()}, open("probe.json", "w"))
sys.exit(int(os.environ.get("EXIT_WITH", "0")))
"""


@pytest.fixture(scope="module")
def launcher():
    if warm_start.unavailable_reason():
        pytest.skip(warm_start.unavailable_reason())
    with warm_start.warm_processes(("numpy",)) as launcher:
        yield launcher


def run_probe(folder, launcher, env_extra=None, **kwargs):
    script = folder / "probe.py"
    script.write_text(PROBE)
    work = folder / "work"
    work.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "STEP_ONLY": "yes", **(env_extra or {})}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PYTHON")})
    with (folder / "job.log").open("w") as log:
        code = warm_start.call([sys.executable, str(script), "--flag", "a b"], cwd=work, env=env,
                               stdout=log, stderr=subprocess.STDOUT, **kwargs)
    return code, json.loads((work / "probe.json").read_text()), (folder / "job.log").read_text()


def test_warm_child_runs_the_script_with_its_argv_env_cwd_and_log_and_returns_its_exit_code(tmp_path, launcher):
    before = launcher.warm
    code, probe, log = run_probe(tmp_path, launcher, {"EXIT_WITH": "3"})
    assert code == 3
    assert launcher.warm == before + 1
    assert probe["argv"] == [str(tmp_path / "probe.py"), "--flag", "a b"]
    assert probe["cwd"] == str(tmp_path / "work")
    assert probe["env"]["STEP_ONLY"] == "yes" and "AWS_ACCESS_KEY_ID" not in probe["env"]
    assert probe["name"] == "__main__" and probe["path0"] == str(tmp_path)
    assert probe["preloaded"] and probe["pid"] != os.getpid()
    assert sorted(log.splitlines()) == ["to stderr", "to stdout"]


def test_each_warm_child_draws_its_own_random_numbers(tmp_path, launcher):
    draws = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        draws.append(run_probe(tmp_path / name, launcher)[1]["random"])
    assert draws[0] != draws[1]


def test_warm_child_uncaught_exception_exits_1_with_the_traceback_in_the_log(tmp_path, launcher):
    script = tmp_path / "fails.py"
    script.write_text("raise ValueError('input folder is empty')\n")
    with (tmp_path / "job.log").open("w") as log:
        code = warm_start.call([sys.executable, str(script)], cwd=tmp_path, env=dict(os.environ),
                               stdout=log, stderr=subprocess.STDOUT)
    assert code == 1
    lines = (tmp_path / "job.log").read_text().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: input folder is empty"


def test_warm_child_over_its_time_limit_is_killed_and_raises_timeout_expired(tmp_path, launcher):
    script = tmp_path / "sleeps.py"
    script.write_text("import os, time\nopen('pid', 'w').write(str(os.getpid()))\ntime.sleep(60)\n")
    started = time.monotonic()
    with (tmp_path / "job.log").open("w") as log, pytest.raises(subprocess.TimeoutExpired):
        warm_start.call([sys.executable, str(script)], cwd=tmp_path, env=dict(os.environ), stdout=log,
                        stderr=subprocess.STDOUT, timeout=1.0)
    assert time.monotonic() - started < 30
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped by the forkserver
        os.kill(pid, 0)


def test_other_interpreter_or_settings_run_as_plain_processes_and_the_summary_says_why(tmp_path, launcher):
    assert warm_start.call(["/bin/sh", "-c", "exit 4"], cwd=tmp_path) == 4
    code, probe, _ = run_probe(tmp_path, launcher, {"PYTHONOPTIMIZE": "1", "EXIT_WITH": "5"})
    assert code == 5 and not probe["preloaded"]
    summary = launcher.summary()
    assert "1 plain process (not this interpreter)" in summary
    assert "1 plain process (other interpreter settings: PYTHONOPTIMIZE)" in summary
    assert "warm-started (forked after importing numpy)" in summary


def test_where_fork_is_unavailable_every_step_runs_as_a_plain_process_and_the_summary_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(warm_start, "unavailable_reason", lambda: "fork is not available on this platform")
    with warm_start.warm_processes(("numpy",)) as launcher:
        code, probe, log = run_probe(tmp_path, launcher, {"EXIT_WITH": "2"})
    assert code == 2 and probe["env"]["STEP_ONLY"] == "yes" and "to stdout" in log
    assert launcher.summary() == "1 plain process (fork is not available on this platform)"


def test_without_an_active_launcher_call_is_subprocess_call(tmp_path):
    assert warm_start._active is None
    assert warm_start.call([sys.executable, "-c", "import sys; sys.exit(7)"], cwd=tmp_path) == 7


def test_a_launcher_closed_before_its_forkserver_is_ready_ends_it_at_once():
    if warm_start.unavailable_reason():
        pytest.skip(warm_start.unavailable_reason())
    launcher = warm_start.WarmLauncher(("numpy", "pandas", "xgboost"))
    server = launcher._servers[sys.executable]._process
    launcher.close()
    assert server.returncode == -signal.SIGKILL  # ended at once, not waited for while it imports
    assert not os.path.exists(launcher._folder)


def test_a_warm_started_step_gets_the_same_opt_ml_mapping_and_environment_as_a_plain_one(tmp_path):
    """run_process's contract, through the forkserver: the /opt/ml mapping (pandas and tarfile, imported
    by the forkserver before any step), the step's virtual environment, its PYTHONPATH and settings."""
    if warm_start.unavailable_reason():
        pytest.skip(warm_start.unavailable_reason())
    from test_local_container import SCRIPT

    from mlops_guardrails.local.container import PROJECT_PRELOAD, container_root, forkserver_environment, run_process

    probe = SCRIPT.replace('"sm_env"', '"prefix": sys.prefix, "executable": sys.executable, '
                                       '"in_venv": sys.prefix != sys.base_prefix, "path1": sys.path[1], "sm_env"')
    probe = probe.replace("import glob, json", "import sys, glob, json")
    reports = {}
    # The project's forkserver as run_local starts it: its preload, not the default's xgboost (which pulls in
    # scikit-learn and scipy, a second of CPU that neither this probe nor the mapping needs).
    with warm_start.warm_processes(PROJECT_PRELOAD, env=forkserver_environment()) as launcher:
        for kind in ("warm", "plain"):
            folder = tmp_path / kind
            folder.mkdir()
            (folder / "script.py").write_text(probe)
            # Another setting: a plain process. PYTHONHASHSEED, not PYTHONOPTIMIZE: the venv holds no optimized
            # bytecode (.opt-1.pyc), and with PYTHONDONTWRITEBYTECODE none is kept, so importing pandas under
            # -O compiles it from source every time (0.8 s more CPU).
            env = {"PYTHONHASHSEED": "0"} if kind == "plain" else {}
            run_process(["python3", str(folder / "script.py")], folder, folder / "job.log", env=env)
            output = container_root(folder) / "processing" / "output"
            reports[kind] = json.loads((output / "report.json").read_text())
            assert (output / "nested" / "a.txt").read_text() == "a"
            assert reports[kind]["prefix"] == str(folder / "python-env")
            assert reports[kind]["executable"] == str(folder / "python-env" / "bin" / "python")
    assert launcher.warm == 1 and "1 plain process (other interpreter settings: PYTHONHASHSEED)" in launcher.summary()
    for report in reports.values():
        del report["prefix"], report["executable"]
    assert reports["warm"] == reports["plain"]
    assert reports["warm"]["in_venv"] and reports["warm"]["sm_env"] == "1" and reports["warm"]["rows"] == 2
    assert reports["warm"]["path1"].endswith("bootstrap")


def test_a_step_over_another_environments_packages_forks_from_that_environments_own_forkserver(tmp_path):
    """An XGBoost container's Python is a virtual environment over this interpreter's binary with its own
    packages: its steps fork from a forkserver started in it, never from the one with the project's."""
    if warm_start.unavailable_reason():
        pytest.skip(warm_start.unavailable_reason())
    import venv

    from mlops_guardrails.local.container import forkserver_environment, run_process, step_interpreter

    other = tmp_path / "other-env"  # no numpy, unlike the project
    venv.EnvBuilder(symlinks=True, with_pip=False).create(other)
    other_packages = sysconfig.get_path("purelib", vars={"base": str(other), "platbase": str(other)})
    (tmp_path / "step").mkdir()
    step_interpreter(tmp_path / "step" / "python-env", [other_packages])
    script = tmp_path / "step" / "probe.py"
    script.write_text("import json, sys\ntry:\n    import numpy\n    found = True\nexcept ImportError:\n    found = False\n"
                      "json.dump({'numpy': found, 'preloaded': 'numpy' in sys.modules}, open('probe.json', 'w'))\n")
    with warm_start.warm_processes(env=forkserver_environment()) as launcher:
        run_process(["python3", str(script)], tmp_path / "step", tmp_path / "step" / "job.log")
        assert set(launcher._servers) == {sys.executable, str(other / "bin" / "python")}
    assert launcher.warm == 1
    assert json.loads((tmp_path / "step" / "probe.json").read_text()) == {"numpy": False, "preloaded": False}


def test_start_launches_each_environments_forkserver_with_its_own_preload_before_any_step(tmp_path):
    """run_local starts every environment its definition's images need at the run's start; a step of
    that environment then forks from it, after the preload named for it (not the launcher's default)."""
    if warm_start.unavailable_reason():
        pytest.skip(warm_start.unavailable_reason())
    import venv

    from mlops_guardrails.local.container import forkserver_environment, run_process, step_interpreter

    other = tmp_path / "other-env"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(other)
    other_packages = sysconfig.get_path("purelib", vars={"base": str(other), "platbase": str(other)})
    (tmp_path / "step").mkdir()
    step_interpreter(tmp_path / "step" / "python-env", [other_packages])
    script = tmp_path / "step" / "probe.py"
    script.write_text("import json, sys\njson.dump({'fractions': 'fractions' in sys.modules, "
                      "'numpy': 'numpy' in sys.modules}, open('probe.json', 'w'))\n")
    with warm_start.warm_processes(("numpy",), env=forkserver_environment()) as launcher:
        launcher.start({str(other / "bin" / "python"): ("fractions",)})
        assert set(launcher._servers) == {sys.executable, str(other / "bin" / "python")}  # before any step
        run_process(["python3", str(script)], tmp_path / "step", tmp_path / "step" / "job.log")
        summary = launcher.summary()
    assert json.loads((tmp_path / "step" / "probe.json").read_text()) == {"fractions": True, "numpy": False}
    assert summary == "1 warm-started (forked after importing numpy; fractions)"


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a zombie runs nothing and writes nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_plain_step_process_dies_when_its_run_is_killed_9(tmp_path):
    """A run (here a small process calling call_plain from a worker thread, as the executor does) killed
    with SIGKILL takes its plain step process with it, though the step has its own session."""
    run = ("import sys, threading; from mlops_guardrails.local import warm_start\n"
           "step = threading.Thread(target=warm_start.call_plain, args=([sys.executable, '-c', "
           "\"import os, time; open('step.pid', 'w').write(str(os.getpid())); time.sleep(600)\"],), "
           "kwargs={'cwd': sys.argv[1]})\nstep.start(); step.join()\n")
    env = {**os.environ, "PYTHONPATH": str(warm_start.Path(warm_start.__file__).parents[2])}
    runner = subprocess.Popen([sys.executable, "-c", run, str(tmp_path)], env=env)
    deadline = time.monotonic() + 120  # a bound for the step to start, not a verdict on speed
    while not ((tmp_path / "step.pid").is_file() and (tmp_path / "step.pid").read_text()):
        assert time.monotonic() < deadline and runner.poll() is None
        time.sleep(0.05)
    step = int((tmp_path / "step.pid").read_text())
    runner.kill()
    runner.wait()
    deadline = time.monotonic() + 120
    try:
        while alive(step):
            assert time.monotonic() < deadline, "the step outlived its run"
            time.sleep(0.05)
    finally:
        if alive(step):
            os.kill(step, signal.SIGKILL)
