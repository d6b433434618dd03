"""A run's hold on its --work-dir: one run at a time (a lock the kernel drops when the run dies, however
it dies), and fresh step folders for each execution, so that no step reads or uploads what an earlier
run left (a gate passing on the previous run's metrics file).

Only folders a run made (they hold MARKER) are ever emptied: a --work-dir that holds the user's own
folder under a step's name is refused instead.
"""
import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from mlops_guardrails.local.errors import InputError

LOCK_FILE = ".run.lock"
MARKER = ".made-by-run-local"

try:
    import fcntl
except ImportError:  # not on Linux or macOS: runs are not locked against each other there
    fcntl = None


@contextlib.contextmanager
def locked(folder: Path, option: str = "--work-dir") -> Iterator[None]:
    """Hold folder for this run; InputError at once when another live run holds it."""
    with open(folder / LOCK_FILE, "a+") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InputError(f"{option} {folder}: another run is using this folder (it holds {LOCK_FILE}): "
                                 f"wait for it to end or give another {option}") from None
        yield


def fresh_step_folders(folder: Path, names: list[str], option: str = "--work-dir") -> None:
    """Empty the step folders an earlier run left for these steps; refuse (changing nothing) if one of them
    is a file or a folder no run made."""
    existing = [folder / name for name in names if os.path.lexists(folder / name)]
    foreign = [path for path in existing if path.is_symlink() or not (path / MARKER).is_file()]
    if foreign:
        raise InputError(f"{option} {folder}: {foreign[0]} is in the way of step {foreign[0].name}'s folder and was "
                         f"not made by a run: give an empty folder or move it")
    for path in existing:
        shutil.rmtree(path)


def make_step_folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
