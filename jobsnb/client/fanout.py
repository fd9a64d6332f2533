"""Many things → many calls: a bounded pool, a request budget, retries, progress, errors as rows.

:func:`fan_out` runs one call per item on a thread pool that shares one boto3 client (clients
are thread-safe). Every call first takes a token from a :class:`RequestBudget` (AWS's quotas are
per account, so one budget per quota group is shared by all workers), retries throttling, 5xx and
connection errors with jittered exponential back-off (:mod:`jobsnb.client.retries`), slows the
budget down when AWS throttles, and ends at once while the client's circuit breaker says the
endpoint is unreachable (:mod:`jobsnb.client.breaker`). Every item ends as exactly one result
or one :class:`CallError`: nothing is lost, and one item's failure never stops the others.
Interrupted (KeyboardInterrupt in the calling thread), a fan-out waits a moment for the calls
already sent, and every item not called becomes a ``NotRun`` error: the result is still whole.
Stopped (its ``stop`` event set, say by a Stop button), it starts no new call and makes no
further retry (a call waiting to retry ends at once, a ``NotRun`` error naming what failed), lets
the calls already sent finish, and every item not called becomes a ``NotRun`` error
(:data:`STOPPED_MESSAGE`). Progress goes to a bar or to the caller's ``progress(done, total)``
(:mod:`jobsnb.client.progress`), always from the calling thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

from jobsnb.client.breaker import CircuitBreaker
from jobsnb.client.progress import Progress, check_stop, progress_reporter
from jobsnb.client.retries import (
    CallFailed,
    RetryPolicy,
    call_with_retries,
    classify,
    running_fan_out,
)
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import INTERRUPT_GRACE_SECONDS

__all__ = [
    "NOT_RUN",
    "STOPPED_MESSAGE",
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

#: The error code of an item a fan-out never called (interrupted or stopped first).
NOT_RUN: Final = "NotRun"
#: The message of an item not called because the fan-out's ``stop`` was set.
STOPPED_MESSAGE: Final = "not called: stopped before this call"
#: How often the calling thread looks at the calls, the stop event and the progress.
_POLL_SECONDS: Final = 0.05


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


@dataclass
class FanoutResult(Generic[T]):
    """What a fan-out gave back, aligned with its items."""

    items: Sequence[T]
    responses: list[dict[str, Any] | None]
    errors: list[CallError] = field(default_factory=list)
    calls: int = 0
    elapsed: float = 0.0
    #: The caller was interrupted: items not called are ``NotRun`` errors.
    interrupted: bool = False
    #: The ``stop`` event was set: items not called are ``NotRun`` errors.
    stopped: bool = False

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


def fan_out(
    items: Sequence[T],
    call: Callable[[T], dict[str, Any]],
    *,
    operation: str,
    identify: Callable[[T], tuple[str | None, str | None]],
    budget: RequestBudget | None,
    workers: int = 16,
    retry: RetryPolicy | None = None,
    progress: Progress = True,
    stop: threading.Event | None = None,
    breaker: CircuitBreaker | None = None,
    grace: float = INTERRUPT_GRACE_SECONDS,
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
        True: a progress bar when the fan-out takes over a second (an HTML line updated in
        place in a notebook, removed at the end; a text bar in a terminal). A callable:
        ``progress(done, total)`` from the calling thread as calls end, at most ten times a
        second, and always once at the end with the calls that ended (``total`` unless
        stopped or interrupted). False: neither.
    stop
        Once set (from any thread), no new call or retry starts; the calls already sent finish
        and keep their answers, a call waiting to retry ends as a ``NotRun`` error naming the
        error it would have retried, and every item not called is a ``NotRun`` error.
    breaker
        The client's circuit breaker; None for none.
    grace
        Seconds an interrupted fan-out waits for the calls already running to end.

    Returns
    -------
    FanoutResult
        One response or one :class:`CallError` per item, aligned with ``items``. When ``stop``
        was set, ``stopped`` is True and each item not called is an error :data:`NOT_RUN`
        with the message :data:`STOPPED_MESSAGE`. When a KeyboardInterrupt reached the calling
        thread, ``interrupted`` is True and each item not called is an error ``"NotRun"`` (one
        still running after ``grace``, whose outcome is unknown, an error ``"Interrupted"``);
        a second interrupt during ``grace`` is raised.

    Examples
    --------
    >>> result = fan_out(["a", "b"], lambda name: {"name": name}, operation="Echo",
    ...                  identify=lambda name: (name, None), budget=None, progress=False)
    >>> result.responses
    [{'name': 'a'}, {'name': 'b'}]
    >>> import jobsnb, threading
    >>> from jobsnb.service import LocalJobsService
    >>> stop, seen = threading.Event(), []
    >>> def pending(name):
    ...     stop.set()  # a Stop button pressed during the first call
    ...     return data.get_pending_job_executions(thingName=name)
    >>> with LocalJobsService() as service:
    ...     data = jobsnb.connect(service).data
    ...     result = fan_out(["sensor-1", "sensor-2", "sensor-3"], pending,
    ...                      operation="GetPendingJobExecutions",
    ...                      identify=lambda name: (name, None),
    ...                      budget=None, workers=1, stop=stop,
    ...                      progress=lambda done, total: seen.append((done, total)))
    >>> [response["queuedJobs"] for _, response in result.succeeded], result.stopped
    ([[]], True)
    >>> [(error.thing_name, error.error_code, error.message) for error in result.errors]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('sensor-2', 'NotRun', 'not called: stopped before this call'),
     ('sensor-3', 'NotRun', 'not called: stopped before this call')]
    >>> seen[-1]
    (1, 3)
    """
    retry = retry or RetryPolicy()
    if workers < 1:
        raise InvalidParameterError("workers", "must be at least 1", workers)
    check_stop(stop)
    reporter = progress_reporter(progress, len(items), operation)
    responses: list[dict[str, Any] | None] = [None] * len(items)
    errors: list[CallError | None] = [None] * len(items)
    started_items = [False] * len(items)
    calls = 0
    calls_lock = threading.Lock()
    # Set when the caller is interrupted (KeyboardInterrupt in a notebook): workers stop retrying.
    abandoned = threading.Event()

    def counted(item: T) -> dict[str, Any]:
        nonlocal calls
        with calls_lock:
            calls += 1
        return call(item)

    def run(index: int) -> bool:
        if stop is not None and stop.is_set():
            return False
        item = items[index]
        started_items[index] = True
        running_fan_out(abandoned)  # pages listed inside ``call`` stop with the fan-out
        try:
            responses[index] = call_with_retries(
                lambda: counted(item),
                retry=retry,
                budget=budget,
                abandoned=abandoned,
                breaker=breaker,
                stop=stop,
            )
        except CallFailed as failed:
            code, message, status, _ = classify(failed.error)
            thing, job = identify(item)
            errors[index] = CallError(thing, job, operation, code, message, failed.attempts, status)
        finally:
            running_fan_out(None)
        return True

    started = time.perf_counter()
    executor = ThreadPoolExecutor(max_workers=min(workers, max(1, len(items))))
    futures: list[Future[bool]] = []
    interrupted = False
    ended = 0
    try:
        futures = [executor.submit(run, i) for i in range(len(items))]
        pending: set[Future[bool]] = set(futures)
        while pending:
            done, pending = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
            # run() catches everything a call raises: result() surfaces bugs only.
            ended += sum(1 for future in done if not future.cancelled() and future.result())
            if stop is not None and stop.is_set():
                for future in pending:
                    future.cancel()  # those not started yet; the others finish
            if reporter is not None and done:
                reporter.update(ended)
    except KeyboardInterrupt:
        interrupted = True
        abandoned.set()
        for future in futures:
            future.cancel()
        wait(futures, timeout=grace)  # the calls already sent: their answers are not lost
    except BaseException:
        abandoned.set()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        if reporter is not None:
            reporter.close(ended)
    executor.shutdown(wait=not interrupted, cancel_futures=interrupted)
    stopped = not interrupted and stop is not None and stop.is_set()
    if interrupted or stopped:
        # A copy: a call still running past the grace period must not change the result.
        responses, errors = list(responses), list(errors)
        for index, item in enumerate(items):
            if responses[index] is None and errors[index] is None:
                errors[index] = _not_ended(item, identify, operation, started_items[index], stopped)
    return FanoutResult(
        items,
        responses,
        [error for error in errors if error is not None],
        calls,
        time.perf_counter() - started,
        interrupted,
        stopped,
    )


def _not_ended(
    item: T,
    identify: Callable[[T], tuple[str | None, str | None]],
    operation: str,
    sent: bool,
    stopped: bool,
) -> CallError:
    """The error of an item whose call had not ended when its fan-out was interrupted or stopped."""
    thing, job = identify(item)
    if sent:
        message = (
            "still running when the fan-out was interrupted: its outcome is unknown "
            "(describe the execution to see)"
        )
        return CallError(thing, job, operation, "Interrupted", message, 1)
    message = STOPPED_MESSAGE if stopped else "not called: the fan-out was interrupted first"
    return CallError(thing, job, operation, NOT_RUN, message, 0)
