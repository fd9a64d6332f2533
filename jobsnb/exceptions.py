"""Exceptions raised by jobsnb.

The tree::

    JobsnbError                    base of everything jobsnb raises on purpose
    ├── InvalidParameterError      a bad argument, raised before any network call (a ValueError)
    ├── FanoutError                calls of a fan-out failed for good (with on_error="raise")
    └── ServiceStartError          the local service could not start (port taken, bad option)

    KeyboardInterrupt
    └── FanoutInterrupted          Ctrl-C during a fan-out, carrying the partial frame; not a
                                   JobsnbError, so that ``except Exception`` never swallows it

    JobsnbWarning                  base of jobsnb's warnings
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FanoutError",
    "FanoutInterrupted",
    "InvalidParameterError",
    "JobsnbError",
    "JobsnbWarning",
    "ServiceStartError",
]


class JobsnbError(Exception):
    """Base class of every exception jobsnb raises on purpose."""


class InvalidParameterError(JobsnbError, ValueError):
    """An argument broke a rule; ``field`` names the argument and ``rule`` says what it must be.

    Examples
    --------
    >>> from jobsnb.limits import check_job_id
    >>> try:
    ...     check_job_id("no spaces allowed")
    ... except InvalidParameterError as error:
    ...     print(error.field)
    jobId
    """

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        super().__init__(f"{field}: {rule} (got {_short_repr(value)})")


class FanoutError(JobsnbError):
    """Some calls of a fan-out failed for good; raised when asked for with ``on_error="raise"``.

    ``errors`` is the errors DataFrame (one row per failed call: thing, job, operation, AWS error
    code, message, attempts) and ``partial`` the frame of everything that did succeed.
    """

    def __init__(self, message: str, *, errors: Any, partial: Any) -> None:
        super().__init__(message)
        self.errors = errors
        self.partial = partial


class FanoutInterrupted(KeyboardInterrupt):
    """A fan-out was interrupted (Ctrl-C); ``partial`` holds every answer that came.

    ``partial`` is the frame the method would have returned, with the rows of the calls that
    answered; every other item is a row of ``partial.jobsnb.errors`` (and of ``errors``):
    ``"NotRun"`` when it was never called, ``"Interrupted"`` when its call was still running
    (its outcome unknown). It is a KeyboardInterrupt, so Ctrl-C still stops a notebook cell
    or a script; catch it to keep the answers.

    Examples
    --------
    >>> try:
    ...     raise FanoutInterrupted("interrupted", errors=None, partial="the frame")
    ... except KeyboardInterrupt as stopped:
    ...     stopped.partial
    'the frame'
    """

    def __init__(self, message: str, *, errors: Any, partial: Any) -> None:
        super().__init__(message)
        self.errors = errors
        self.partial = partial


class ServiceStartError(JobsnbError):
    """The local IoT Jobs service could not start."""


class JobsnbWarning(UserWarning):
    """Base class of jobsnb's warnings."""


def _short_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
