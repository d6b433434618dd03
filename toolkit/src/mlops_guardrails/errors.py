"""The one exception family of mlops_guardrails (named DeployError for the deploy commands it first served; the
build side's LocalRunError is the same class), and the edge where each command catches it once.

The build repo's processing scripts (abalone/preprocess.py, evaluate.py, baseline.py) are not part of it: they
run alone inside SageMaker's containers, report in one line on stderr and exit non-zero, which the step (and
run_local's StepFailed) turns into the step's FailureReason.
"""
import sys
import traceback
from collections.abc import Callable


class DeployError(Exception):
    """The command ran and what it checks failed, or AWS refused a call: exit code 1."""

    exit_code = 1


class InputError(DeployError):
    """Invalid input or config: exit code 2. Raised before anything is changed."""

    exit_code = 2


UNEXPECTED = "unexpected {kind}: {error}: this is a bug; rerun with --debug and report the traceback"


def describe(error: Exception) -> tuple[str, int]:
    """The one line and exit code the command line reports for an error that ended a command."""
    from mlops_guardrails import aws_errors

    if isinstance(error, DeployError):
        return str(error), error.exit_code
    aws = aws_errors.explain(error)
    if aws:
        return aws, DeployError.exit_code
    if isinstance(error, (FileExistsError, NotADirectoryError)) and error.filename:
        return f"{error.filename}: a file is in the way of a folder: give a folder path", InputError.exit_code
    if isinstance(error, OSError) and error.filename:
        # A path given on the command line or in a config: missing, a folder, not writable...
        return f"{error.filename}: {error.strerror or error}: check the path", InputError.exit_code
    return UNEXPECTED.format(kind=type(error).__name__, error=error), DeployError.exit_code


def run_command(run: Callable[[], int], debug: bool) -> int:
    """run() at a command's entry: every error becomes one line on stderr (and the traceback with --debug)."""
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - the edge of the command
        message, exit_code = describe(error)
        if debug:
            traceback.print_exc()
        print(f"error: {message}", file=sys.stderr)
        return exit_code
