"""Benchmark: a warm `make test` (environments built, pip cache warm) against its CPU floor.

`make test` runs the suites side by side (scripts/test_suites.py), so its floor is the CPU time of every
process it runs (pytest, the seeds' subprocesses, moto, node for CDK) divided by the machine's cores: a
run at ratio 1.0 would keep every core busy from start to end. Each round prints the wall time and
each suite's own time from the runner's summary lines; the goal is read from the median wall time.
"""
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_TEST_ROUNDS", "3"))
GOAL_SECONDS = 120.0  # issue 16: make test warm < 2 min on 2 cores
SUITE_DONE = re.compile(r"^==> (\S+): (passed|FAILED.*) in (\d+) s$", re.M)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_round() -> tuple[float, float, dict[str, int]]:
    """-> (wall seconds, CPU seconds of every process make ran, each suite's seconds)."""
    cpu_before, start = children_cpu(), time.perf_counter()
    result = subprocess.run(["make", "--no-print-directory", "test"], cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu_before
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)  # every suite's whole output: which test, and why
        raise SystemExit(f"make test failed (exit {result.returncode}): the figures would mean nothing")
    return wall, cpu, {m.group(1): int(m.group(3)) for m in SUITE_DONE.finditer(result.stdout)}


def spread(values: list[float]) -> str:
    return f"{min(values):6.1f} / {statistics.median(values):6.1f} / {max(values):6.1f}"


def main() -> int:
    cores = os.cpu_count() or 1
    print(f"make test, warm: {ROUNDS} round(s) on {cores} cores (BENCH_TEST_ROUNDS to change); about 5 minutes each",
          flush=True)
    walls, floors = [], []
    for number in range(1, ROUNDS + 1):
        wall, cpu, suites = one_round()
        walls.append(wall)
        floors.append(cpu / cores)
        print(f"  round {number}: {wall:.1f} s wall, {cpu:.1f} s CPU; suites: "
              + ", ".join(f"{name} {seconds} s" for name, seconds in suites.items()), flush=True)
    ratios = [w / f for w, f in zip(walls, floors)]
    print("                         min /  median /  max")
    print(f"  wall (s)           {spread(walls)}")
    print(f"  floor: CPU / cores {spread(floors)}")
    print(f"  wall / floor       {spread(ratios)}")
    median = statistics.median(walls)
    verdict = "met" if median < GOAL_SECONDS else "MISSED"
    print(f"goal make test median < {GOAL_SECONDS:.0f} s: {median:.1f} s {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
