"""Writing several files as one: all of them or none (a failed write leaves every old file as it was)."""
import os
import tempfile
from pathlib import Path

from mlops_guardrails.errors import InputError

IN_THE_WAY = "{path}: a folder is in the way of the file to write: move it; nothing was written"


def write_all(contents: dict[Path, str]) -> None:
    """Each text goes to a temporary file beside its target first; only when every one is written are they
    renamed into place (a rename within a folder is atomic, and cannot fail for lack of space)."""
    for path in contents:
        if path.is_dir():
            raise InputError(IN_THE_WAY.format(path=path))
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in contents.items():
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
            staged.append((temporary, path))
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
    except BaseException:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        os.replace(temporary, path)
