"""What the parts of a fleet client share, and how the outcome of their calls is reported.

:class:`Calls` holds the two boto3 clients, the request budgets, the pool size and the retry
policy that :class:`~jobsnb.client.data_plane.DataPlane` and
:class:`~jobsnb.client.control_plane.ControlPlane` both call through. Their work answers an
:class:`Outcome`: a frame and the calls that failed for it, not yet reported, so that one part
can build on another's answer without reading errors back from a frame.
:meth:`Calls.report` then puts the errors on the frame (``frame.jobsnb.errors``) and warns or
raises as ``on_error`` says. :func:`delegate` makes the facade's methods: the part's method,
its signature and its documentation, called on the part.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd

from jobsnb import frames
from jobsnb.client._arguments import OnError
from jobsnb.client.breaker import CircuitBreaker
from jobsnb.client.fanout import CallError, FanoutResult, RequestBudget, RetryPolicy, fan_out
from jobsnb.client.progress import Progress
from jobsnb.exceptions import FanoutError, FanoutInterrupted, JobsnbWarning

__all__ = ["Calls", "Outcome", "delegate"]

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
_PACKAGE = os.path.dirname(__file__) + os.sep


def delegate(
    part: str, method: Callable[Concatenate[Any, P], R]
) -> Callable[Concatenate[Any, P], R]:
    """A facade method that calls ``method`` on the facade's attribute ``part``.

    The facade's method has ``method``'s name, signature (for ``help()``, IDEs and mypy) and
    docstring, so each operation is documented once, where it is implemented.

    Parameters
    ----------
    part
        The name of the facade's attribute holding the part.
    method
        The part's method (taken from its class).

    Returns
    -------
    Callable
        A function to assign in the facade's class body.

    Examples
    --------
    >>> class Part:
    ...     def hello(self, name: str) -> str:
    ...         "Greets."
    ...         return f"hello {name}"
    >>> class Facade:
    ...     def __init__(self) -> None:
    ...         self._part = Part()
    ...     hello = delegate("_part", Part.hello)
    >>> Facade().hello("sensor-1"), Facade.hello.__doc__
    ('hello sensor-1', 'Greets.')
    """

    @functools.wraps(method)
    def forward(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(getattr(self, part), *args, **kwargs)

    return forward


@dataclass
class Outcome:
    """A frame a part of the client built, with the calls that failed for it.

    ``calls`` counts the calls made (for "3 of 40 calls failed"); ``interrupted`` says a
    KeyboardInterrupt stopped a fan-out (the items it did not call are ``NotRun`` errors), so
    nothing more should be called for it; ``stopped`` says its ``stop`` event was set (the
    items it did not call are ``NotRun`` errors too, and so are those of any fan-out after it,
    which calls nothing). ``joined`` adds the errors and calls of another outcome this one was
    built from.
    """

    frame: pd.DataFrame
    errors: list[CallError] = field(default_factory=list)
    calls: int = 0
    interrupted: bool = False
    stopped: bool = False

    @classmethod
    def of(cls, frame: pd.DataFrame, result: FanoutResult[Any], calls: int) -> Outcome:
        """The outcome of a frame built from one fan-out's ``result``."""
        return cls(frame, list(result.errors), calls, result.interrupted, result.stopped)

    def joined(self, frame: pd.DataFrame, other: Outcome) -> Outcome:
        """``frame`` with the errors and calls of this outcome and ``other``."""
        return Outcome(
            frame,
            [*self.errors, *other.errors],
            self.calls + other.calls,
            self.interrupted or other.interrupted,
            self.stopped or other.stopped,
        )


@dataclass(eq=False)
class Calls:
    """The boto3 clients, budgets, pool, retry policy and breaker all calls of a client share."""

    data: Any
    control: Any
    read_budget: RequestBudget
    write_budget: RequestBudget
    control_budget: RequestBudget
    workers: int = 16
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    #: The errors of the latest reported call, from whichever thread made it.
    last_errors: pd.DataFrame = field(default_factory=lambda: frames.errors_frame([]))

    def fan_out(
        self,
        items: Sequence[T],
        call: Callable[[T], dict[str, Any]],
        operation: str,
        identify: Callable[[T], tuple[str | None, str | None]],
        budget: RequestBudget | None,
        progress: Progress,
        stop: threading.Event | None = None,
    ) -> FanoutResult[T]:
        """:func:`~jobsnb.client.fanout.fan_out` on this client's pool, retry policy, breaker."""
        return fan_out(
            items,
            call,
            operation=operation,
            identify=identify,
            budget=budget,
            workers=self.workers,
            retry=self.retry,
            progress=progress,
            stop=stop,
            breaker=self.breaker,
        )

    def report(self, outcome: Outcome, on_error: OnError) -> pd.DataFrame:
        """The outcome's frame with its errors in ``attrs`` (read as ``frame.jobsnb.errors``).

        The errors also become :attr:`last_errors`. An interrupted outcome raises
        :class:`~jobsnb.exceptions.FanoutInterrupted` with the partial frame, whatever
        ``on_error`` says. Otherwise, when there are errors, ``on_error="warn"`` warns
        (pointing at the first caller outside :mod:`jobsnb.client`), ``"raise"`` raises
        :class:`~jobsnb.exceptions.FanoutError` with the partial frame, ``"ignore"`` does
        neither. A stopped outcome is no exception: its ``NotRun`` rows are errors like others,
        and its message starts with ``stopped:``.
        """
        frame, errors = outcome.frame, outcome.errors
        self.last_errors = errors_frame = frames.errors_frame(errors)
        # A tuple, not a frame: pandas compares attrs when it concatenates frames.
        frame.attrs["errors"] = tuple(errors)
        codes = ", ".join(sorted({error.error_code for error in errors}))
        failed = f"{len(errors)} of {max(outcome.calls, len(errors))} calls failed ({codes})"
        if outcome.stopped:
            failed = f"stopped: {failed}"
        # A raised error returns no frame: its message points at the exception's attributes.
        on_exception = "see the exception's .errors (one row per failed call) and .partial"
        if outcome.interrupted:
            message = f"fan-out interrupted with {len(frame)} rows answered; {failed}"
            raise FanoutInterrupted(
                f"{message}; {on_exception} (the rows that answered)",
                errors=errors_frame,
                partial=frame,
            )
        if errors:
            if on_error == "raise":
                message = f"{failed}; {on_exception} (the rows that succeeded)"
                raise FanoutError(message, errors=errors_frame, partial=frame)
            if on_error == "warn":
                message = f"{failed}; see frame.jobsnb.errors"
                warnings.warn(message, JobsnbWarning, stacklevel=_outside_level())
        return frame


def _outside_level() -> int:
    """The ``stacklevel`` (1: our caller) of the first frame outside this package."""
    level = 1
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    return level
