"""A compressed clock: simulated seconds pass `speed` times faster than real ones."""
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

    def stop(self) -> None:
        """Wake every sleeper: used when a run is cancelled."""
        self._stop.set()
