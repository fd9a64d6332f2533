"""Many things → many calls: a bounded pool, a request budget, retries, progress, errors as rows.

:func:`fan_out` runs one call per item on a thread pool that shares one boto3 client (clients
are thread-safe). Every call first takes a token from a :class:`RequestBudget` (AWS's quotas are
per account, so one budget per quota group is shared by all workers), retries throttling, 5xx and
connection errors with jittered exponential back-off, and slows the budget down when AWS
throttles. Every item ends as exactly one result or one :class:`CallError`: nothing is lost, and
one item's failure never stops the others.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from jobsnb.exceptions import InvalidParameterError

__all__ = [
    "CallError",
    "CallFailed",
    "FanoutResult",
    "RequestBudget",
    "RetryPolicy",
    "call_with_retries",
    "fan_out",
]

T = TypeVar("T")
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
_CONNECTION_ERRORS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ReadTimeoutError,
    ConnectTimeoutError,
)


@dataclass(frozen=True, slots=True)
class CallError:
    """One item's call that failed for good: which thing and job, which operation, and why."""

    thing_name: str | None
    job_id: str | None
    operation: str
    error_code: str
    message: str
    attempts: int
    http_status: int | None = None


class RequestBudget:
    """A token bucket shared by all workers, slowing down when the service throttles.

    ``rate`` requests per second at most, with a small burst. On a throttle the rate drops by a
    third (not below ``rate / 20``); each success wins back 1% of the nominal rate.

    Examples
    --------
    >>> budget = RequestBudget(200)
    >>> budget.acquire()  # returns at once while tokens are left
    >>> budget.rate
    200.0
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise InvalidParameterError("rate", "must be a positive number of requests/s", rate)
        self.nominal = float(rate)
        self.rate = float(rate)
        # A small burst: AWS's own buckets start full, so staying near the mean rate is what
        # keeps a long fan-out clear of 429s.
        self.capacity = float(burst) if burst is not None else max(1.0, self.nominal / 10)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()
        self.throttles = 0

    def acquire(self) -> None:
        """Block until a request may go out."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                wait_for = (1.0 - self._tokens) / self.rate
            time.sleep(wait_for)

    def throttled(self) -> None:
        """The service answered 429: slow down."""
        with self._lock:
            self.throttles += 1
            self.rate = max(self.nominal / 20, self.rate * 2 / 3)

    def succeeded(self) -> None:
        """A call went through: speed back up towards the nominal rate."""
        if self.rate < self.nominal:
            with self._lock:
                self.rate = min(self.nominal, self.rate + self.nominal / 100)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: full-jitter exponential back-off.

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

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidParameterError("max_attempts", "must be at least 1", self.max_attempts)
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


@dataclass
class FanoutResult(Generic[T]):
    """What a fan-out gave back, aligned with its items."""

    items: Sequence[T]
    responses: list[dict[str, Any] | None]
    errors: list[CallError] = field(default_factory=list)
    calls: int = 0
    elapsed: float = 0.0

    @property
    def succeeded(self) -> list[tuple[T, dict[str, Any]]]:
        """Each item whose call succeeded, with its response, in item order."""
        return [
            (item, response)
            for item, response in zip(self.items, self.responses, strict=True)
            if response is not None
        ]

    @property
    def failed(self) -> list[tuple[T, CallError]]:
        """Each item whose call failed for good, with its error, in item order."""
        pairs = zip(self.items, self.responses, strict=True)
        return list(zip([item for item, got in pairs if got is None], self.errors, strict=True))


class CallFailed(Exception):
    """A call failed for good after ``attempts`` tries; ``error`` is the last exception."""

    def __init__(self, error: Exception, attempts: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


def call_with_retries(
    call: Callable[[], R],
    *,
    retry: RetryPolicy,
    budget: RequestBudget | None,
    abandoned: threading.Event | None = None,
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
        Set when the surrounding fan-out was interrupted: no further attempt is made.

    Returns
    -------
    R
        What ``call`` returned, once it succeeded.

    Examples
    --------
    >>> import jobsnb
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     iot = jobsnb.connect(service).control
    ...     page = call_with_retries(lambda: iot.list_things(), retry=RetryPolicy(),
    ...                              budget=RequestBudget(10))
    >>> page["things"]
    []
    """
    attempt = 0
    while True:
        attempt += 1
        if abandoned is not None and abandoned.is_set():
            raise CallFailed(InterruptedError("the fan-out was interrupted"), attempt - 1)
        if budget is not None:
            budget.acquire()
        try:
            response = call()
        except CallFailed:
            raise
        except Exception as error:
            code, _, _, retryable = _classify(error)
            if code in THROTTLING_CODES and budget is not None:
                budget.throttled()
            if retryable and attempt < retry.max_attempts:
                delay = retry.delay(attempt)
                if abandoned is None:
                    time.sleep(delay)
                elif abandoned.wait(delay):  # interrupted while backing off: stop now
                    raise CallFailed(error, attempt) from error
                continue
            raise CallFailed(error, attempt) from error
        if budget is not None:
            budget.succeeded()
        return response


def _classify(error: Exception) -> tuple[str, str, int | None, bool]:
    """(error code, message, HTTP status, retryable) of an exception raised by a call."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "Unknown")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        retryable = code in RETRYABLE_CODES or (isinstance(status, int) and status >= 500)
        return code, str(details.get("Message") or error), status, retryable
    if isinstance(error, _CONNECTION_ERRORS):
        return type(error).__name__, str(error), None, True
    return type(error).__name__, str(error), None, False


def fan_out(
    items: Sequence[T],
    call: Callable[[T], dict[str, Any]],
    *,
    operation: str,
    identify: Callable[[T], tuple[str | None, str | None]],
    budget: RequestBudget | None,
    workers: int = 16,
    retry: RetryPolicy | None = None,
    progress: bool = True,
) -> FanoutResult[T]:
    """Call ``call(item)`` for every item, concurrently, within ``budget``; lose nothing.

    Parameters
    ----------
    items
        What to call for (thing names, (thing, job) pairs, ...).
    call
        Makes one AWS call for one item and returns its response.
    operation
        The AWS operation's name, for errors and the progress bar.
    identify
        Gives (thing name, job id or None) of an item, for errors.
    budget
        The request budget the calls share; None for no limit.
    workers
        Threads making calls at once.
    retry
        Back-off for throttling, 5xx and connection errors.
    progress
        Show a progress bar (``tqdm.auto``) when the fan-out takes over a second.

    Returns
    -------
    FanoutResult
        One response or one :class:`CallError` per item, aligned with ``items``.

    Examples
    --------
    >>> result = fan_out(["a", "b"], lambda name: {"name": name}, operation="Echo",
    ...                  identify=lambda name: (name, None), budget=None, progress=False)
    >>> result.responses
    [{'name': 'a'}, {'name': 'b'}]
    >>> import jobsnb
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     data = jobsnb.connect(service).data
    ...     result = fan_out(["sensor-1", "sensor-2"],
    ...                      lambda name: data.get_pending_job_executions(thingName=name),
    ...                      operation="GetPendingJobExecutions",
    ...                      identify=lambda name: (name, None), budget=None, progress=False)
    >>> [response["queuedJobs"] for _, response in result.succeeded], result.errors
    ([[], []], [])
    """
    retry = retry or RetryPolicy()
    if workers < 1:
        raise InvalidParameterError("workers", "must be at least 1", workers)
    responses: list[dict[str, Any] | None] = [None] * len(items)
    errors: list[CallError | None] = [None] * len(items)
    calls = 0
    calls_lock = threading.Lock()
    # Set when the caller is interrupted (KeyboardInterrupt in a notebook): workers stop retrying.
    abandoned = threading.Event()

    def counted(item: T) -> dict[str, Any]:
        nonlocal calls
        with calls_lock:
            calls += 1
        return call(item)

    def run(index: int) -> None:
        item = items[index]
        try:
            responses[index] = call_with_retries(
                lambda: counted(item), retry=retry, budget=budget, abandoned=abandoned
            )
        except CallFailed as failed:
            code, message, status, _ = _classify(failed.error)
            thing, job = identify(item)
            errors[index] = CallError(thing, job, operation, code, message, failed.attempts, status)

    started = time.perf_counter()
    bar = _progress_bar(len(items), operation, progress)
    executor = ThreadPoolExecutor(max_workers=min(workers, max(1, len(items))))
    try:
        pending: set[Future[None]] = {executor.submit(run, i) for i in range(len(items))}
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()  # run() catches everything a call raises; this surfaces bugs
            if bar is not None and done:
                bar.update(len(done))
    except BaseException:
        abandoned.set()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    executor.shutdown(wait=True)
    return FanoutResult(
        items,
        responses,
        [error for error in errors if error is not None],
        calls,
        time.perf_counter() - started,
    )


def _progress_bar(total: int, operation: str, enabled: bool) -> Any:
    if not enabled or total == 0:
        return None
    from tqdm.auto import tqdm

    # delay=1: nothing is drawn for fan-outs that finish within a second.
    return tqdm(total=total, desc=operation, unit="thing", delay=1.0, leave=False)
