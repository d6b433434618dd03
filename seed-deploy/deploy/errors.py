"""The one exception family of the deploy package; the command line catches DeployError once."""


class DeployError(Exception):
    """The command ran and what it checks failed, or AWS refused a call: exit code 1."""

    exit_code = 1


class InputError(DeployError):
    """Invalid input or config: exit code 2. Raised before anything is changed."""

    exit_code = 2


UNEXPECTED = "unexpected {kind}: {error}: this is a bug; rerun with --debug and report the traceback"


def describe(error: Exception) -> tuple[str, int]:
    """The one line and exit code the command line reports for an error that ended a command."""
    from deploy import aws_errors

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
