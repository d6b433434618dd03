"""Benchmark: the build seed's local pipeline run against its compute floor, as min / median / max.

Three figures, each from ROUNDS runs, and their ratios to the floor:
- cold first run: `python -m pipelines.run_local --no-cache`, a new process that imports the SDK and
  builds the definition, starts the embedded emulator and a forkserver per Python environment, runs every step;
- rerun with the definition cached: the same command without --no-cache, as a data scientist reruns
  after editing nothing that shapes the definition;
- compute floor: the four scripts' own main() (preprocess, the XGBoost stand-in, baseline, evaluate),
  each timed inside a process that already imported it, under the environment its step ran over, on
  the job folders a run left: what no executor can go below.
Cold and cached runs alternate (paired), since the machine is shared and its load drifts.
Per step: its time in the run minus its script's own time (start, S3 in and out; the first step of an
environment also waits for whatever of its forkserver's imports the run's set-up did not cover), and the start of a step process by itself: warm-started and as a
plain process, for a script that only imports the step libraries and for an empty one; and the
training step's process under the container's xgboost 1.7.4 against .venv's xgboost 3.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "seed-build"
os.environ.setdefault("XGBOOST_ENVS_DIR", str(SEED.parent))  # as the Makefile sets it: one environment, at the root
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
GOALS = {"cold": 8.0, "cached": 5.0, "step start": 0.2}  # seconds, median
MSE = re.compile(r"^test-set MSE: ([\d.]+)", re.M)
ROW = re.compile(r"^\s+(\S+)\s+(\S+)\s+(Succeeded|Failed)\s+([\d.]+)s$")
SCRIPTS = {  # step name -> the module whose main() the step runs, in the pipeline's order
    "PreprocessAbaloneData": "pipelines.abalone.preprocess",
    "TrainAbaloneModel": "mlops_guardrails.local.xgboost_algorithm",
    "DataQualityBaseline": "pipelines.abalone.baseline",
    "EvaluateAbaloneModel": "pipelines.abalone.evaluate",
}


def run_local(work: str, *flags: str) -> tuple[float, dict[str, float], str]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pipelines.run_local", "--work-dir", work, *flags],
                            cwd=SEED, capture_output=True, text=True, check=True)
    total = time.perf_counter() - start
    steps = {m.group(1): float(m.group(4)) for m in map(ROW.match, result.stdout.splitlines()) if m}
    return total, steps, result.stdout


# Times one script's main() inside a process that has already imported it and its libraries.
SCRIPT_TIMER = """
import contextlib, importlib, io, os, sys, time
module_name, os.environ["ML_ROOT"] = sys.argv[1], sys.argv[2]
module = importlib.import_module(module_name)
sys.argv = [module_name]
with contextlib.redirect_stdout(io.StringIO()):
    start = time.perf_counter()
    code = module.main()
    seconds = time.perf_counter() - start
assert code == 0, module_name
print(seconds)
"""


def script_times(work: Path) -> dict[str, float]:
    """Each step's script, its main() alone, on the job folder the run left (same inputs), under the
    Python environment the step ran over (the XGBoost container's for the steps on its image)."""
    from mlops_guardrails.local.warm_start import _base_python

    times = {}
    for step, module_name in SCRIPTS.items():
        python = _base_python(str(work / step / "python-env" / "bin" / "python")) or sys.executable
        result = subprocess.run([python, "-c", SCRIPT_TIMER, module_name, str(work / step / "opt" / "ml")],
                                cwd=SEED, capture_output=True, text=True, check=True)
        times[step] = float(result.stdout.split()[-1])
    return times


def start_times() -> dict[str, list[float]]:
    """A step process that only imports the step libraries (what every step of this pipeline starts
    with), and an empty one: warm-started from the forkserver, and as a plain process (as a step on
    another interpreter, e.g. a separate training environment, always runs)."""
    from mlops_guardrails.local import warm_start

    scripts = {"imports only": "import " + ", ".join(warm_start.PRELOAD) + "\n", "empty": ""}
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as log:
        paths = {}
        for name, text in scripts.items():
            paths[name] = Path(folder) / f"{name.replace(' ', '_')}.py"
            paths[name].write_text(text)
        with warm_start.warm_processes() as launcher:
            launcher.call([sys.executable, str(paths["empty"])], cwd=folder, stdout=log)  # waits for the forkserver
            for _ in range(ROUNDS):
                for name, path in paths.items():
                    for kind, call in (("warm-started", launcher.call), ("plain process", subprocess.call)):
                        start = time.perf_counter()
                        call([sys.executable, str(path)], cwd=folder, stdout=log)
                        times.setdefault(f"{name}, {kind}", []).append(time.perf_counter() - start)
    return times


def spread(values: list[float]) -> str:
    return f"{min(values):6.2f} / {statistics.median(values):6.2f} / {max(values):6.2f} s"


def training_process_seconds(work: Path) -> dict[str, float]:
    """The training step's process (start, import, read, train, save) under the XGBoost 1.7-1 container's
    Python, which the local run uses, and under .venv's xgboost 3, which it used before: what the
    container's environment costs a run."""
    from mlops_guardrails import xgboost_env

    [ml_root] = [p.parent for p in work.rglob("input/config/inputdataconfig.json")]
    timings = {}
    for label, python in (("xgboost 1.7.4 (.venv-xgboost-1.7)", str(xgboost_env.python_for("1.7-1"))),
                          ("xgboost 3 (.venv, before)", sys.executable)):
        start = time.perf_counter()
        subprocess.run([python, "-m", "mlops_guardrails.local.xgboost_algorithm", str(ml_root.parent.parent)],
                       cwd=SEED, capture_output=True, check=True)
        timings[label] = time.perf_counter() - start
    return timings


def main() -> int:
    sys.path.insert(0, str(SEED))
    os.chdir(SEED)
    print(f"local pipeline (seed-build: python -m pipelines.run_local), {ROUNDS} paired rounds, "
          f"min / median / max")
    from mlops_guardrails import xgboost_env

    xgboost_env.python_for("1.7-1")  # built on first use, once: not part of a run's time
    mse = set()
    cold, cached, step_runs = [], [], []
    with tempfile.TemporaryDirectory() as work:
        for number in range(ROUNDS):
            total, _, out = run_local(work, "--no-cache")
            assert "definition: built" in out, out
            mse.update(MSE.findall(out))
            cold.append(total)
            total, steps, out = run_local(work)
            assert "definition: cached" in out, out
            mse.update(MSE.findall(out))
            cached.append(total)
            step_runs.append(steps)
            print(f"  round {number + 1}: cold {cold[-1]:.2f} s, cached {cached[-1]:.2f} s", flush=True)
        print(f"  step processes: {next(line for line in out.splitlines() if line.startswith('step processes:'))[16:]}")
        assert len(mse) == 1, f"every run has the same test-set MSE: {sorted(mse)}"
        print(f"  test-set MSE of every run: {mse.pop()}")
        floors = [script_times(Path(work)) for _ in range(ROUNDS)]
        training = training_process_seconds(Path(work))
    floor = [sum(f.values()) for f in floors]
    floor_median = statistics.median(floor)
    print(f"  {'cold first run':<32} {spread(cold)}   {statistics.median(cold) / floor_median:5.0f}x floor")
    print(f"  {'rerun, definition cached':<32} {spread(cached)}   {statistics.median(cached) / floor_median:5.0f}x floor")
    print(f"  {'compute floor (4 scripts)':<32} {spread(floor)}       1x")
    print("per step (cached runs): step time (median), its script's own time, the difference (start + S3 in/out) "
          "min / median")
    overheads = []
    for step in SCRIPTS:
        in_run = statistics.median(r[step] for r in step_runs)
        fastest = min(r[step] for r in step_runs)
        own = statistics.median(f[step] for f in floors)
        overheads.append(in_run - own)
        print(f"  {step:<32} {in_run:6.2f} s   {own:6.3f} s   +{fastest - own:5.2f} / +{in_run - own:5.2f} s")
    print("training step process, same job folder (the run trains under the 1.7-1 container's xgboost)")
    for label, seconds in training.items():
        print(f"  {label:<36} {seconds:6.2f} s")
    after, before = training.values()
    print(f"  added to the run by the container's environment: {after - before:+.2f} s")
    print("start of a step process (script that only imports the step libraries; empty script):")
    for kind, values in start_times().items():
        print(f"  {kind:<32} {spread(values)}")
    figures = {"cold": statistics.median(cold), "cached": statistics.median(cached), "step start": max(overheads)}
    for name, goal in GOALS.items():
        verdict = "met" if figures[name] < goal else "MISSED"
        print(f"goal {name} median < {goal} s: {figures[name]:.2f} s {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
