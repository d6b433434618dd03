"""Simulated time for the rehearsal: a compressed clock, and a stepped one that no busy machine can stretch."""
import math
import threading
import time

# Longest single real sleep: keeps every wait interruptible and far below the 10 s rule.
_MAX_REAL_SLEEP = 0.05


class CompressedClock:
    """Simulated time for bakes and metric timestamps; real time is never slept for long."""

    def __init__(self, speed: float = 60.0, *, epoch: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed: {speed}: must be > 0")
        self.speed = float(speed)
        self.epoch = time.time() if epoch is None else epoch
        self._real_start = time.monotonic()
        self._stop = threading.Event()

    def elapsed(self) -> float:
        """Simulated seconds since the clock started."""
        return (time.monotonic() - self._real_start) * self.speed

    def now(self) -> float:
        """Simulated wall time (epoch seconds): what metric and capture timestamps carry."""
        return self.epoch + self.elapsed()

    def sleep(self, simulated_seconds: float) -> None:
        """Wait simulated seconds (real seconds / speed), in small slices so stop() interrupts it."""
        deadline = time.monotonic() + max(0.0, simulated_seconds) / self.speed
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, _MAX_REAL_SLEEP))

    def real_seconds(self, simulated_seconds: float) -> float:
        """How long `simulated_seconds` last in real time on this clock."""
        return max(0.0, simulated_seconds) / self.speed

    def stop(self) -> None:
        """Wake every sleeper: used when a run is cancelled."""
        self._stop.set()


class SteppedClock(CompressedClock):
    """A compressed clock whose simulated time moves only when its one sleeper (the guardrail controller)
    sleeps: sleep(s) lets s / speed real seconds pass, traffic flowing meanwhile and stamped with the time
    the sleep began, then moves the clock exactly s.

    On a compressed clock a controller held up by a loaded machine finds more simulated time gone than it
    slept (at 120x, 1 s late is 120 simulated seconds): a bake's check lands in the next phase, and a fault
    that starts after a bake starts inside it. Here every check lands on its due time and a fault's onset
    is counted in the controller's own seconds, so machine load changes how many requests a period holds,
    never when a bake ends or what the alarms judge. The rehearsal (`make demo`, `python -m deploy
    rehearse`) runs on this clock."""

    def __init__(self, speed: float = 60.0, *, epoch: float | None = None) -> None:
        # Starts on a whole minute: an update begun at once starts on a period boundary, so which periods a
        # fault fills (and when its alarm fires) is the same in every run.
        super().__init__(speed, epoch=math.floor(time.time() / 60) * 60 if epoch is None else epoch)
        self._elapsed = 0.0

    def elapsed(self) -> float:
        return self._elapsed

    def sleep(self, simulated_seconds: float) -> None:
        super().sleep(simulated_seconds)
        self._elapsed += max(0.0, simulated_seconds)
