"""Every error a local run reports, under the package's one base (mlops_guardrails.errors) that each command catches once.

LocalRunError is the package's DeployError (exit 1) and InputError its InputError (exit 2: bad
command-line input or definition, nothing run, nothing registered), under the names the executor uses.
"""
from mlops_guardrails.errors import DeployError as LocalRunError
from mlops_guardrails.errors import InputError

__all__ = ["LocalRunError", "InputError", "ParameterError", "UnsupportedStepError", "StepFailed",
           "ExpressionError", "PipelineFailed"]


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
