"""Snapshots on a schedule: the collector behind ``jobsnb snapshot``.

A :class:`Collector` reads a fleet in rounds and appends each round to a history
(:mod:`jobsnb.history`) at ``path``, a local directory or an ``s3://`` URL, as three datasets::

    path/executions/   FleetClient.executions of the round's jobs (control plane)
    path/pending/      FleetClient.pending of the things or the group, when given (data plane)
    path/errors/       the calls that failed for good (ERROR_COLUMNS), named, when any did

All rows of a round have one ``snapshot_at``: the service's clock (the ``Date`` of the round's
latest answer; rounds share it when that clock stands still), else this machine's UTC time. A
frame whose every call failed is not written (its errors are); a round whose listing failed
keeps its error; a round that ``stop`` cut short writes nothing. Each snapshot is one file that
:func:`~jobsnb.history.to_history` publishes whole: readers see whole snapshots only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from jobsnb.client import FleetClient
from jobsnb.client.fanout import NOT_RUN, CallError, CallFailed, call_with_retries
from jobsnb.client.retries import classify
from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames import (
    ERROR_COLUMNS,
    JOB_EXECUTION_COLUMNS,
    PENDING_COLUMNS,
    empty_frame,
    errors_frame,
)
from jobsnb.history import to_history
from jobsnb.limits import MAX_PAGE_SIZE, check_job_id, check_thing_name
from jobsnb.simulation.sandbox import parse_duration

__all__ = ["Collector", "Round", "collect"]

# What the service or the storage raises when it fails (not a bug of ours): AWS's answers,
# botocore's errors, the breaker's EndpointUnreachable (an OSError), the disk's or S3's errors.
_FAILURES = (CallFailed, ClientError, BotoCoreError, OSError)


@dataclass(frozen=True)
class Round:
    """What one round of a :class:`Collector` read and wrote.

    Attributes
    ----------
    number, snapshot_at, jobs
        1 for a collector's first round, then 2, 3 ...; its time (UTC); the jobs it read.
    executions, pending
        The frames written to ``executions/`` and ``pending/``; None when not written.
    errors
        The round's failed calls (:data:`~jobsnb.frames.ERROR_COLUMNS`), written to ``errors/``.
    failure
        ``"ListJobs: EndpointUnreachable: ..."`` when the round failed as a whole, else None.
    stopped
        True when ``stop`` ended the round's reads early: nothing of it was written.
    """

    number: int
    snapshot_at: pd.Timestamp
    jobs: tuple[str, ...]
    executions: pd.DataFrame | None
    pending: pd.DataFrame | None
    errors: pd.DataFrame
    failure: str | None = None
    stopped: bool = False

    @property
    def ok(self) -> bool:
        """Whether the round was written with no failed call."""
        return self.failure is None and self.errors.empty and not self.stopped

    @property
    def summary(self) -> str:
        """The round in one line, as ``jobsnb snapshot`` logs it."""
        head = f"round {self.number} at {self.snapshot_at:%Y-%m-%d %H:%M:%S} UTC"
        if self.stopped:
            return f"{head}: stopped before it finished; not written"
        if self.failure is not None:
            return f"{head} failed: {self.failure}"
        read = []
        if self.executions is not None:
            read.append(f"{_count(self.executions, 'execution')} of {_count(self.jobs, 'job')}")
        if self.pending is not None:
            read.append(_count(self.pending, "pending execution"))
        if self.errors.empty:
            return f"{head}: {', '.join(read)}"
        failed = f"{_count(self.errors, 'call')} failed: {_named(self.errors)} (kept in errors/)"
        return f"{head}: {', '.join(read)}; {failed}"

    def __repr__(self) -> str:
        return f"<Round {self.summary}>"


class Collector:
    """Rounds of snapshots of one fleet into one history.

    Parameters
    ----------
    client
        The :class:`~jobsnb.client.FleetClient` to read with.
    path
        The history: a directory (made when missing) or an ``s3://`` URL; each round appends
        to ``path/executions``, ``path/pending`` and ``path/errors`` (see the module).
    jobs
        Job ids whose executions every round reads. None (the default): the account's jobs
        that are IN_PROGRESS at each round, plus, for one more round, those that were at the
        round before, so that a job that ends between two rounds is read in its final state.
    things, group
        Also read the pending executions (data plane) of these things, or of the members of
        this thing group (listed again at each round); one or the other.

    Examples
    --------
    >>> import tempfile, jobsnb
    >>> from jobsnb.collector import Collector
    >>> folder = tempfile.mkdtemp()
    >>> with jobsnb.sandbox(things=20, seed=4) as sb:
    ...     client = jobsnb.connect(sb)
    ...     collector = Collector(client, folder, jobs="fw-gw200-2-4-1", group="model-gw200")
    ...     first = collector.round()
    ...     _ = sb.advance("10min")
    ...     second = collector.round()
    >>> for taken in (first, second):
    ...     print(taken.summary)
    round 1 at 2024-06-03 08:45:00 UTC: 9 executions of 1 job, 9 pending executions
    round 2 at 2024-06-03 08:55:00 UTC: 9 executions of 1 job, 5 pending executions
    """

    def __init__(
        self,
        client: FleetClient,
        path: str | PathLike[str],
        *,
        jobs: str | Iterable[str] | None = None,
        things: str | Iterable[str] | None = None,
        group: str | None = None,
    ) -> None:
        if things is not None and group is not None:
            raise InvalidParameterError("group", "cannot be combined with things", group)
        self.client = client
        self.path = path
        self.jobs = None if jobs is None else _checked(jobs, check_job_id, "jobs")
        self.things = None if things is None else _checked(things, check_thing_name, "things")
        self.group = None if group is None else check_thing_name(group, "group")
        self.rounds = 0
        self._last_in_progress: list[str] = []

    def round(self, stop: threading.Event | None = None) -> Round:
        """Read the fleet once and append what was read to the history.

        Parameters
        ----------
        stop
            Set it (from a signal handler or another thread) to end the round early: no new
            call starts, the calls under way finish, and nothing of the round is written.

        Returns
        -------
        Round
            What was read and written; ``failure`` says why a round read nothing.
        """
        self.rounds += 1
        with _ServiceClock([self.client.data, self.client.control]) as clock:
            try:
                jobs = self._round_jobs()
            except _FAILURES as error:
                return self._failed("ListJobs", error, clock.latest(), ())
            try:
                things = None if self.group is None else self.client.things(self.group)
            except _FAILURES as error:
                return self._failed("ListThingsInThingGroup", error, clock.latest(), jobs)
            things = self.things if things is None else things
            executions = empty_frame(JOB_EXECUTION_COLUMNS)
            if jobs:
                executions = self.client.executions(
                    jobs, progress=False, stop=stop, on_error="ignore"
                )
            pending = None if things is None else empty_frame(PENDING_COLUMNS)
            if things:
                pending = self.client.pending(things, progress=False, stop=stop, on_error="ignore")
        stamp, errors = clock.latest(), _errors([executions, pending])
        if (errors["error_code"] == NOT_RUN).any():
            return Round(self.rounds, stamp, tuple(jobs), None, None, errors, stopped=True)
        # A frame whose every call failed tells nothing of the fleet: only its errors are kept.
        read = [
            None if frame is None or 0 < len(called) == len(frame.jobsnb.errors) else frame
            for frame, called in ((executions, jobs), (pending, things or ()))
        ]
        return self._written(stamp, jobs, read, errors)

    def _round_jobs(self) -> list[str]:
        if self.jobs is not None:
            return self.jobs
        now = _in_progress_jobs(self.client)
        jobs = list(dict.fromkeys([*now, *self._last_in_progress]))
        self._last_in_progress = now
        return jobs

    def _at(self, name: str) -> str | Path:
        if isinstance(self.path, str) and "://" in self.path:
            return f"{self.path.rstrip('/')}/{name}"
        return Path(self.path) / name

    def _failed(
        self, operation: str, error: Exception, stamp: pd.Timestamp, jobs: Sequence[str]
    ) -> Round:
        """A round whose listing failed: its error, named, in ``errors/`` when it can be."""
        attempts = None
        if isinstance(error, CallFailed):
            attempts, error = error.attempts, error.error
        code, message, status, _ = classify(error)
        errors = errors_frame([CallError(None, None, operation, code, message, 1, status)])
        # FleetClient.things raises the last error without counting the attempts.
        errors["attempts"] = pd.array([attempts], dtype="Int64")
        return self._written(stamp, jobs, [None, None], errors, f"{operation}: {code}: {message}")

    def _written(
        self,
        stamp: pd.Timestamp,
        jobs: Sequence[str],
        read: list[pd.DataFrame | None],
        errors: pd.DataFrame,
        failure: str | None = None,
    ) -> Round:
        """Append the frames ``read`` (None: not) and the errors (when any) as one round."""
        if failure is None and all(frame is None for frame in read):
            failure = f"all {_count(errors, 'call')} failed: {_named(errors)}"
        names = ("executions", "pending", "errors")
        try:
            for name, frame in zip(names, [*read, errors if len(errors) else None], strict=True):
                if frame is not None:
                    to_history(frame, self._at(name), snapshot_at=stamp)
        except _FAILURES as error:
            unwritten = f"writing to {self.path}: {type(error).__name__}: {error}"
            failure = unwritten if failure is None else f"{failure}; {unwritten}"
            read = [None, None]
        return Round(self.rounds, stamp, tuple(jobs), read[0], read[1], errors, failure)

    def run(
        self,
        every: str | float | timedelta,
        *,
        rounds: int | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[Round]:
        """Take a round every ``every``, yielding each once written; see :func:`collect`."""
        interval = parse_duration(every, "every")
        if rounds is not None and (type(rounds) is not int or rounds < 1):
            raise InvalidParameterError("rounds", "must be an integer >= 1 or None", rounds)
        stop, due, first = stop or threading.Event(), time.monotonic(), self.rounds
        while not stop.is_set():
            yield self.round(stop)
            if rounds is not None and self.rounds - first >= rounds:
                return
            # A round that took longer than `every` is followed at once, and the schedule goes
            # on from there: rounds never overlap and never bunch up to catch up.
            due = max(due + interval, time.monotonic())
            if stop.wait(due - time.monotonic()):
                return


def collect(
    client: FleetClient,
    path: str | PathLike[str],
    *,
    every: str | float | timedelta = "5m",
    jobs: str | Iterable[str] | None = None,
    things: str | Iterable[str] | None = None,
    group: str | None = None,
    rounds: int | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Round]:
    """Append a snapshot of the fleet to the history at ``path`` every ``every``.

    Parameters
    ----------
    client
        The :class:`~jobsnb.client.FleetClient` to read with.
    path
        The history: a directory or an ``s3://`` URL (see :mod:`jobsnb.collector`).
    every
        Time from the start of one round to the start of the next (``"5m"``, ``"30s"``,
        seconds or a timedelta: :func:`~jobsnb.simulation.sandbox.parse_duration`); a round
        that takes longer is followed at once.
    jobs, things, group
        What each round reads; see :class:`Collector`.
    rounds
        Stop after that many rounds; None (the default): until ``stop`` is set.
    stop
        Set it to stop: a round under way ends early and is not written, a wait ends at once.

    Returns
    -------
    Iterator of Round
        Each round once written (or failed), lazily: nothing runs until it is iterated.

    Examples
    --------
    >>> import tempfile, jobsnb
    >>> from jobsnb.collector import collect
    >>> from jobsnb.history import read_history
    >>> folder = tempfile.mkdtemp()
    >>> with jobsnb.sandbox(things=20, seed=4) as sb:
    ...     for taken in collect(jobsnb.connect(sb), folder, every=0, things=sb.things, rounds=3):
    ...         _ = sb.advance("5min")  # the sandbox's own clock, between two rounds
    >>> taken.number, taken.ok
    (3, True)
    >>> read_history(f"{folder}/pending")["snapshot_at"].dt.strftime("%H:%M").unique().tolist()
    ['08:45', '08:50', '08:55']
    """
    return Collector(client, path, jobs=jobs, things=things, group=group).run(
        every, rounds=rounds, stop=stop
    )


class _ServiceClock:
    """The latest ``Date`` boto3 clients were answered with (errors too, from any thread)."""

    def __init__(self, clients: Sequence[Any]) -> None:
        self._clients = clients
        self._id = f"jobsnb-collector-{id(self)}"
        self._latest: pd.Timestamp | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> _ServiceClock:
        for client in self._clients:
            client.meta.events.register("after-call", self._answered, unique_id=self._id)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for client in self._clients:
            client.meta.events.unregister("after-call", unique_id=self._id)

    def _answered(self, parsed: Any = None, **_: Any) -> None:
        header = (parsed or {}).get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        if not header:
            return
        stamp = pd.Timestamp(parsedate_to_datetime(header)).tz_convert("UTC")
        with self._lock:
            if self._latest is None or stamp > self._latest:
                self._latest = stamp

    def latest(self) -> pd.Timestamp:
        """The service's latest time seen, else this machine's UTC now."""
        with self._lock:
            stamp = self._latest
        return stamp if stamp is not None else pd.Timestamp.now(tz="UTC").floor("s")


def _in_progress_jobs(client: FleetClient) -> list[str]:
    """The ids of the account's IN_PROGRESS jobs (ListJobs, every page, retried as a whole)."""
    paginate = client.control.get_paginator("list_jobs").paginate
    every_page = {"status": "IN_PROGRESS", "PaginationConfig": {"PageSize": MAX_PAGE_SIZE}}
    return call_with_retries(
        lambda: [job["jobId"] for page in paginate(**every_page) for job in page.get("jobs", [])],
        retry=client.retry,
        budget=client.control_budget,
        breaker=client.breaker,
    )


def _checked(values: str | Iterable[str], check: Any, field: str) -> list[str]:
    names = [values] if isinstance(values, str) else list(values)
    if not names:
        raise InvalidParameterError(field, "must name at least one, or be None", names)
    return list(dict.fromkeys(check(name, f"{field}[{i}]") for i, name in enumerate(names)))


def _errors(frames: Iterable[pd.DataFrame | None]) -> pd.DataFrame:
    parts: list[pd.DataFrame] = [f.jobsnb.errors for f in frames if f is not None]
    return pd.concat(parts, ignore_index=True) if parts else empty_frame(ERROR_COLUMNS)


def _named(errors: pd.DataFrame) -> str:
    """``"InvalidRequestException ×20 (Endpoint type ...)"``: each error code, with a message."""
    counts = errors.groupby("error_code", sort=False)["message"].agg(["size", "first"])
    return ", ".join(f"{code} ×{n} ({first})" for code, (n, first) in counts.iterrows())


def _count(things: Sized | None, noun: str) -> str:
    n = 0 if things is None else len(things)
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
