"""Every error a local run reports, under one base (LocalRunError) that run_local catches once."""


class LocalRunError(Exception):
    """Base of the local executor's errors; the message says what went wrong and what to do."""


class InputError(LocalRunError):
    """Bad command-line input or definition: exit code 2, nothing run, nothing registered."""


class ParameterError(InputError):
    """A --param is unknown or does not fit the parameter's type."""


class UnsupportedStepError(InputError):
    """The definition holds a step that local runs cannot execute and that has no --stub."""


class StepFailed(LocalRunError):
    """A step's job failed; the message is its FailureReason, log_tail the end of its process's log."""

    def __init__(self, message: str, log_path=None, log_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.log_path = log_path
        self.log_tail = log_tail or []


class ExpressionError(StepFailed):
    """A definition expression refers to something that does not exist (yet)."""


class PipelineFailed(StepFailed):
    """A Fail step ran: the execution fails with its message."""
