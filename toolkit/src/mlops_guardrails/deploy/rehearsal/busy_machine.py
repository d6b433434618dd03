"""CPU hogs for proving the rehearsal load-proof: processes that spin on the CPU until stopped, or until their own deadline.

A busy CI machine must never fail a healthy model nor hide a faulty one (the alarms and the stage test
judge the model's own latency, and the rehearsal's clock moves only when its controller sleeps). Tests
run the rehearsal inside `cpu_hogs()` to show it: by default twice as many hogs as the machine has cores.
Each hog ends by itself after `max_seconds`, so an interrupted test never leaves one spinning."""
import os
import subprocess
import sys
import time
from contextlib import contextmanager

# Busy-loops until its deadline: no I/O, no memory, only CPU.
_SPIN = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end:\n    pass\n"


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def cpu_hogs(count: int | None = None, *, max_seconds: float = 900.0):
    """Run `count` CPU-bound processes (default: 2x the cores) while the block runs; yields their Popen objects.

    Raises ValueError for a count below 1 or a bound that is not positive."""
    count = 2 * cores() if count is None else count
    if count < 1:
        raise ValueError(f"count: {count}: must be >= 1")
    if max_seconds <= 0:
        raise ValueError(f"max_seconds: {max_seconds}: must be > 0")
    hogs = []
    try:
        for _ in range(count):
            hogs.append(subprocess.Popen([sys.executable, "-c", _SPIN, str(max_seconds)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time a running process has used (Linux /proc): how a test sees that a hog really spins."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, in clock ticks


def wait_until_spinning(hogs, *, min_cpu_seconds: float = 0.05, timeout: float = 30.0) -> None:
    """Return once every hog has used some CPU (they are really running); TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while any(cpu_seconds(hog.pid) < min_cpu_seconds for hog in hogs):
        if time.monotonic() > deadline:
            raise TimeoutError(f"CPU hogs did not start spinning within {timeout:g} s")
        time.sleep(0.05)
