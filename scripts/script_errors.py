"""The repository scripts' one exception family, and the edge where each script's main() catches it once.

Every error that ends a script is one line on stderr, `error: ...`, with what to do next; --debug adds
the traceback. Other errors are worded as the toolkit words them (mlops_guardrails.errors.describe): an AWS
error names the call, the resource and what to check; a path the system refuses names the path.
"""
import sys
import traceback
from collections.abc import Callable


class ScriptError(Exception):
    """The script ran and something it needs did not happen, or AWS refused a call: exit code 1."""

    exit_code = 1


class ScriptInputError(ScriptError):
    """Invalid options or input: exit code 2, raised before anything is changed."""

    exit_code = 2


def describe(error: Exception) -> tuple[str, int]:
    """The one line and exit code a script reports for the error that ended it."""
    if isinstance(error, ScriptError):
        return " ".join(str(error).split()), error.exit_code
    from mlops_guardrails import errors  # AWS errors, paths and bugs are worded as the seeds' commands word them

    return errors.describe(error)


def run_command(run: Callable[[], int | None], debug: bool) -> int:
    """run() at a script's entry: every error becomes one line on stderr (and the traceback with --debug)."""
    try:
        return run() or 0
    except Exception as error:  # noqa: BLE001 - the edge of the script
        message, exit_code = describe(error)
        if debug:
            traceback.print_exc()
        print(f"error: {message}", file=sys.stderr)
        return exit_code
