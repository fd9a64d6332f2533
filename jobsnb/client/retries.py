"""One call, retried: which errors are worth another try, how long to wait, when to stop.

:func:`call_with_retries` makes one AWS call within a request budget and a client's
:class:`~jobsnb.client.breaker.CircuitBreaker`, retrying throttling, 5xx and connection errors
with full-jitter exponential back-off (:class:`RetryPolicy`). An endpoint that cannot be
connected to is retried after short waits (at most
:data:`~jobsnb.limits.CONNECT_MAX_DELAY_SECONDS`) and the breaker ends the calls after a run of
failures, so a first call to nothing says so in a few seconds. :func:`classify` names what went
wrong, for the error rows.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from botocore.exceptions import ConnectionError as NotConnected

from jobsnb.client.breaker import CircuitBreaker, EndpointUnreachable, reach_of
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import CONNECT_MAX_DELAY_SECONDS

if TYPE_CHECKING:
    from jobsnb.client.fanout import RequestBudget

__all__ = [
    "RETRYABLE_CODES",
    "STOP_POLL_SECONDS",
    "THROTTLING_CODES",
    "CallFailed",
    "Interrupted",
    "RetryPolicy",
    "call_with_retries",
    "classify",
    "maybe_applied",
    "running_fan_out",
]

R = TypeVar("R")

#: What AWS answers to a request over its quota (the budget slows down on these).
THROTTLING_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
)
#: Error codes worth another try: throttling and the services' 5xx answers.
RETRYABLE_CODES = THROTTLING_CODES | {
    "ServiceUnavailableException",
    "InternalServerException",
    "InternalFailureException",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeoutException",
}
# NotConnected: EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError.
_CONNECTION_ERRORS = (NotConnected, ConnectionClosedError, ReadTimeoutError)
# The fan-out running on this thread, if any: nested calls (pages of a list) stop with it.
_fan_out = threading.local()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: full-jitter exponential back-off.

    ``max_attempts`` bounds every call. After a refused or timed-out connection the wait is at
    most ``connect_max_delay``: nothing was sent, and waiting longer rarely helps.

    Examples
    --------
    >>> policy = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=2.0)
    >>> [policy.cap(attempt) for attempt in (1, 2, 3, 4, 5)]
    [0.2, 0.4, 0.8, 1.6, 2.0]
    >>> 0 <= policy.delay(3) <= 0.8
    True
    """

    max_attempts: int = 10
    base_delay: float = 0.05
    max_delay: float = 5.0
    connect_max_delay: float = CONNECT_MAX_DELAY_SECONDS

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidParameterError("max_attempts", "must be at least 1", self.max_attempts)
        if self.connect_max_delay < 0:
            raise InvalidParameterError(
                "connect_max_delay", "must be >= 0 (seconds)", self.connect_max_delay
            )
        if not 0 <= self.base_delay <= self.max_delay:
            raise InvalidParameterError(
                "base_delay", "must be >= 0 and <= max_delay (seconds)", self.base_delay
            )

    def cap(self, attempt: int) -> float:
        """The longest wait after failed attempt ``attempt`` (1-based): doubling, then capped."""
        return min(self.max_delay, self.base_delay * 2.0**attempt)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt``: uniform in 0..:meth:`cap` (jitter)."""
        return random.uniform(0, self.cap(attempt))

    def wait_after(self, attempt: int, error: BaseException) -> float:
        """Seconds to wait after failed attempt ``attempt`` raised ``error``.

        :meth:`delay`, but at most ``connect_max_delay`` when nothing could be connected to.
        """
        delay = self.delay(attempt)
        if reach_of(error) == "unreachable":
            return min(delay, self.connect_max_delay)
        return delay


class CallFailed(Exception):
    """A call failed for good after ``attempts`` tries; ``error`` is the last exception."""

    def __init__(self, error: Exception, attempts: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


#: How soon a back-off notices the caller's Stop (seconds).
STOP_POLL_SECONDS = 0.05


class Interrupted(Exception):
    """The fan-out this call belongs to was interrupted before the call ended."""


def call_with_retries(
    call: Callable[[], R],
    *,
    retry: RetryPolicy,
    budget: RequestBudget | None,
    abandoned: threading.Event | None = None,
    breaker: CircuitBreaker | None = None,
    stop: threading.Event | None = None,
) -> R:
    """``call()`` within ``budget``, retried by ``retry``; raises :class:`CallFailed` at the end.

    A :class:`CallFailed` raised inside ``call`` (a nested retrying call) is final: it is
    passed on, not retried again.

    Parameters
    ----------
    call
        Makes one AWS call (no arguments) and returns its response.
    retry
        Back-off for throttling, 5xx and connection errors.
    budget
        The request budget each attempt takes a token from; None for no limit.
    abandoned
        Set when the surrounding fan-out was interrupted: no further attempt is made (the
        :class:`CallFailed` then holds an :class:`Interrupted`). Default: the event of the
        fan-out running on this thread, if any.
    breaker
        The client's circuit breaker: while it is open no attempt is made, and the call fails
        with :class:`~jobsnb.client.breaker.EndpointUnreachable`.
    stop
        The caller's Stop (a fan-out's ``stop``): once set, no further attempt is made, and a
        back-off under way ends within :data:`STOP_POLL_SECONDS`, as for ``abandoned``.

    Returns
    -------
    R
        What ``call`` returned, once it succeeded.

    Examples
    --------
    >>> import jobsnb
    >>> from jobsnb.client.fanout import RequestBudget
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     iot = jobsnb.connect(service).control
    ...     page = call_with_retries(lambda: iot.list_things(), retry=RetryPolicy(),
    ...                              budget=RequestBudget(10))
    >>> page["things"]
    []
    """
    abandoned = abandoned or getattr(_fan_out, "abandoned", None)
    attempt = 0
    last: Exception | None = None
    while True:
        attempt += 1
        if _ended(abandoned) or _ended(stop):
            raise CallFailed(Interrupted(_interrupted(last, _ended(stop))), attempt - 1)
        probe = False
        if breaker is not None:
            try:
                probe = breaker.before()
            except EndpointUnreachable as refused:
                raise CallFailed(refused, attempt - 1) from last
        if budget is not None:
            budget.acquire()
        try:
            response = call()
        except CallFailed:
            raise
        except Exception as error:
            last = error
            if breaker is not None:
                breaker.after(error, probe)
            code, _, _, retryable = classify(error)
            if code in THROTTLING_CODES and budget is not None:
                budget.throttled()
            if retryable and attempt < retry.max_attempts:
                if _back_off(retry.wait_after(attempt, error), abandoned, stop):
                    # Interrupted or stopped while backing off: no further attempt.
                    raise CallFailed(
                        Interrupted(_interrupted(error, _ended(stop))), attempt
                    ) from error
                continue
            raise CallFailed(error, attempt) from error
        if breaker is not None:
            breaker.after(None, probe)
        if budget is not None:
            budget.succeeded()
        return response


def _ended(event: threading.Event | None) -> bool:
    return event is not None and event.is_set()


def _back_off(
    delay: float, abandoned: threading.Event | None, stop: threading.Event | None
) -> bool:
    """Wait ``delay`` seconds; True as soon as ``abandoned`` or ``stop`` is set instead."""
    if stop is None:
        if abandoned is None:
            time.sleep(delay)
            return False
        return abandoned.wait(delay)
    deadline = time.monotonic() + delay
    while (left := deadline - time.monotonic()) > 0:
        step = min(left, STOP_POLL_SECONDS)
        if abandoned.wait(step) if abandoned is not None else stop.wait(step):
            return True
        if stop.is_set():
            return True
    return False


def _interrupted(last: Exception | None, stopped: bool = False) -> str:
    ended = "stopped" if stopped else "interrupted"
    if last is None:
        return f"not called: the fan-out was {ended} first"
    return f"{ended} while retrying after: {type(last).__name__}: {last}"


def classify(error: Exception) -> tuple[str, str, int | None, bool]:
    """(error code, message, HTTP status, retryable) of an exception raised by a call.

    Examples
    --------
    >>> from botocore.exceptions import EndpointConnectionError
    >>> classify(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))[0]
    'EndpointConnectionError'
    """
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "Unknown")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        retryable = code in RETRYABLE_CODES or (isinstance(status, int) and status >= 500)
        return code, str(details.get("Message") or error), status, retryable
    if isinstance(error, Interrupted):
        return "NotRun", str(error), None, False
    if isinstance(error, _CONNECTION_ERRORS):
        return type(error).__name__, str(error), None, True
    return type(error).__name__, str(error), None, False


def maybe_applied(error: Exception) -> bool:
    """Whether a write that raised ``error`` may have been applied all the same.

    The request may have reached the service when the connection dropped after it was sent,
    the answer did not come in time, or the service answered 5xx. A refused connection or a
    4xx answer means it was not applied.

    Examples
    --------
    >>> from botocore.exceptions import EndpointConnectionError
    >>> maybe_applied(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    False
    """
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return isinstance(status, int) and status >= 500
    return isinstance(error, ConnectionClosedError | ReadTimeoutError)


def running_fan_out(abandoned: threading.Event | None) -> None:
    """Mark this thread as working for a fan-out that may be abandoned (None: for none)."""
    _fan_out.abandoned = abandoned
