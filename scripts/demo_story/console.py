"""Progress lines: a heading per step of the story, indented detail below it."""
import time

_START = time.monotonic()


def step(text: str) -> None:
    print(f"\n==> [{time.monotonic() - _START:6.1f}s] {text}", flush=True)


def detail(text: str) -> None:
    print(f"    {text}", flush=True)
