"""The one exception family of the deploy package; the command line catches DeployError once."""


class DeployError(Exception):
    """The command ran and what it checks failed, or AWS refused a call: exit code 1."""

    exit_code = 1


class InputError(DeployError):
    """Invalid input or config: exit code 2. Raised before anything is changed."""

    exit_code = 2
