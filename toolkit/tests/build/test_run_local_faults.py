"""run_local under reruns, kills and a second run at once, as real processes; and the cost of ordering steps.

The definitions here are hand-written (the smallest that SageMaker would take): one Processing step whose
script the test controls through --map, and chains of thousands of steps for the scheduling cost.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from seed_build import SEED
from mlops_guardrails.local import executor, validation
from mlops_guardrails.local.run_folder import MARKER
from test_build_bad_input import run
from test_warm_start import alive

BUCKET = "local-faults-test"
ROLE = "arn:aws:iam::123456789012:role/SageMakerPipelineExecutionRole"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
# Writes its pid, then a tick every 20 ms into the file its argument names, until it is killed.
TICKING_SCRIPT = """
import os, sys, time
with open(sys.argv[1] + ".pid", "w") as f:
    f.write(str(os.getpid()))
with open(sys.argv[1], "a") as ticks:
    while True:
        ticks.write("tick\\n")
        ticks.flush()
        time.sleep(0.02)
"""
WRITES_REPORT = 'import json; json.dump({"mse": 1.0}, open("/opt/ml/processing/evaluation/evaluation.json", "w"))\n'
WRITES_NOTHING = "print('evaluated nothing')\n"
WAIT_SECONDS = 120  # a bound for a process to reach a state, never a verdict on speed


def processing_definition(arguments: list[str]) -> dict:
    """One Processing step running code/script.py with these arguments, with an EvaluationReport property file."""
    return {"Version": "2020-12-01", "Parameters": [], "Steps": [{
        "Name": "Evaluate", "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/script.py", *arguments]},
            "RoleArn": ROLE,
            "ProcessingInputs": [{"InputName": "code", "AppManaged": False, "S3Input": {
                "S3Uri": f"s3://{BUCKET}/code", "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix",
                "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "evaluation", "AppManaged": False, "S3Output": {
                "S3Uri": f"s3://{BUCKET}/evaluation", "LocalPath": "/opt/ml/processing/evaluation", "S3UploadMode": "EndOfJob"}}]},
        },
        "PropertyFiles": [{"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}],
    }]}


def write_case(folder, script: str, arguments: list[str] = ()) -> list[str]:
    """The definition and its script in folder; run_local's arguments for them."""
    (folder / "code").mkdir(parents=True, exist_ok=True)
    (folder / "code" / "script.py").write_text(script)
    (folder / "definition.json").write_text(json.dumps(processing_definition(list(arguments))))
    return ["--definition", str(folder / "definition.json"), "--map", f"s3://{BUCKET}/code={folder / 'code'}"]


def wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def start_run(argv: list[str], emulator: str) -> subprocess.Popen:
    env = {**os.environ, "AWS_ENDPOINT_URL": emulator, "PYTHONPATH": str(SEED)}
    return subprocess.Popen([sys.executable, "-m", "pipelines.run_local", *argv], cwd=SEED, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_rerun_does_not_read_the_previous_runs_property_file(emulator, tmp_path):
    """A broken evaluate script that exits 0 and writes nothing fails its run, even where the previous run's
    evaluation.json still lies in the same --work-dir."""
    work = ["--work-dir", str(tmp_path / "work")]
    code, err = run(executor_main(), [*write_case(tmp_path / "first", WRITES_REPORT), *work])
    assert code == 0, err
    assert any((tmp_path / "work" / "Evaluate").rglob("evaluation.json"))
    code, err = run(executor_main(), [*write_case(tmp_path / "second", WRITES_NOTHING), *work])
    assert code == 1
    assert "error: pipeline failed at step Evaluate: property file EvaluationReport: evaluation.json was not written" in err
    assert (tmp_path / "work" / "Evaluate" / MARKER).is_file()
    assert not any((tmp_path / "work" / "Evaluate").rglob("evaluation.json"))


def test_kill_9_of_run_local_ends_its_step_and_nothing_more_is_written(emulator, tmp_path):
    ticks = tmp_path / "ticks"
    argv = [*write_case(tmp_path, TICKING_SCRIPT, [str(ticks)]), "--work-dir", str(tmp_path / "work")]
    process = start_run(argv, emulator)
    pid_file = tmp_path / "ticks.pid"
    wait_for(lambda: pid_file.is_file() and pid_file.read_text() and ticks.is_file() and ticks.stat().st_size,
             "the step started ticking")
    step = int(pid_file.read_text())
    assert alive(step)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    try:
        wait_for(lambda: not alive(step), "the step process ended with its run")
    finally:
        if alive(step):  # the failure above: leave no ticking process behind
            os.killpg(step, signal.SIGKILL)
    written = ticks.read_bytes()
    # No process of the run is left that could write: the step is gone, and no process holds the file open.
    holders = [pid for pid in os.listdir("/proc") if pid.isdigit() and _holds(pid, ticks)]
    assert holders == []
    assert ticks.read_bytes() == written


def _holds(pid: str, path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def test_a_second_run_in_the_same_work_dir_is_refused_while_the_first_runs(emulator, tmp_path):
    ticks = tmp_path / "ticks"
    argv = [*write_case(tmp_path, TICKING_SCRIPT, [str(ticks)]), "--work-dir", str(tmp_path / "work")]
    first = start_run(argv, emulator)
    try:
        wait_for(lambda: (tmp_path / "ticks.pid").is_file(), "the first run's step started")
        before = sorted(p.name for p in (tmp_path / "work").iterdir())
        code, err = run(executor_main(), argv)
        assert code == 2
        assert (f"error: --work-dir {tmp_path / 'work'}: another run is using this folder (it holds .run.lock): "
                f"wait for it to end or give another --work-dir\n") == err
        assert sorted(p.name for p in (tmp_path / "work").iterdir()) == before
    finally:
        first.kill()
        first.communicate()
    wait_for(lambda: not alive(int((tmp_path / "ticks.pid").read_text())), "the first run's step ended with it")
    # Its lock died with it: the next run may use the folder.
    code, err = run(executor_main(), [*write_case(tmp_path / "after", WRITES_REPORT), "--work-dir", str(tmp_path / "work")])
    assert code == 0, err


def executor_main():
    from mlops_guardrails.build import run_local

    return run_local.main


def chain(count: int) -> dict:
    return {"Version": "2020-12-01", "Parameters": [], "Steps": [
        {"Name": f"S{i}", "Type": "Lambda", **({"DependsOn": [f"S{i - 1}"]} if i else {})} for i in range(count)]}


@pytest.mark.parametrize("count", [3, 3_000])
def test_ordering_a_chain_finds_each_steps_dependencies_once(count, tmp_path, monkeypatch):
    """Linear, counted: the scheduler computes each step's dependencies once (rescanning the pending steps
    after each finish did it count*(count+1)/2 times), and so does the definition's check."""
    definition = chain(count)
    calls = []
    counted = executor.dependencies

    def counting(step):
        calls.append(step["Name"])
        return counted(step)

    monkeypatch.setattr(validation, "dependencies", counting)
    validation.validate_definition(definition, "chain")
    assert len(calls) == 2 * count  # once for the references, once for the order
    calls.clear()
    monkeypatch.setattr(executor, "dependencies", counting)
    stubs = {step["Name"]: {} for step in definition["Steps"]}
    execution = executor.execute(definition, {}, tmp_path, "chain", stubs=stubs)
    assert execution.status == "Succeeded"
    assert [record.name for record in execution.steps] == [f"S{i}" for i in range(count)]
    assert len(calls) == count
