"""The data plane's reads across a fleet: pending and describe, as DataFrames.

:class:`DataPlane` makes GetPendingJobExecutions and DescribeJobExecution for many things at
once through the client's fan-out; :class:`~jobsnb.client.FleetClient` offers its methods as
its own. The writes (start next, update) are in :mod:`jobsnb.client.writes`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Final

import pandas as pd

from jobsnb import frames
from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import Executions, OnError, Pair, Things
from jobsnb.client._calls import Calls, Outcome
from jobsnb.client.fanout import FanoutResult
from jobsnb.client.progress import Progress, offset
from jobsnb.client.registry import ThingNames, unknown_things

__all__ = ["DataPlane"]

_KEYS: Final = ["thing_name", "job_id", "execution_number"]
_CURRENT: Final = ["status", "version_number", "status_details"]


class DataPlane:
    """The data-plane reads of a :class:`~jobsnb.client.FleetClient`, on its shared ``calls``.

    ``progress`` draws a progress bar for calls taking over a second (True), or tells a
    callable ``progress(done, total)`` from the calling thread as calls end, at most ten
    times a second and once at the end (see :func:`~jobsnb.client.fanout.fan_out`); a method
    that calls twice (``pending(details=True)``, an ``update`` describing refusals) counts
    both, its ``total`` growing when the second call's size is known. ``stop``, a
    :class:`threading.Event`, once set (from any thread: a Stop button) lets no new call
    start; those already sent finish and keep their rows, and every item not called is a
    ``NotRun`` row of ``frame.jobsnb.errors`` with the message
    :data:`~jobsnb.client.fanout.STOPPED_MESSAGE`. ``on_error`` says what calls that failed
    for good do besides becoming rows of ``frame.jobsnb.errors``: warn (``"warn"``), raise
    :class:`~jobsnb.exceptions.FanoutError` (``"raise"``) or nothing.
    """

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def pending(
        self,
        things: Things,
        *,
        details: bool = False,
        check_things: bool = False,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """Pending executions (IN_PROGRESS, then QUEUED) of every thing: GetPendingJobExecutions.

        Parameters
        ----------
        things
            A thing name, names, a Series of names or a frame with a ``thing_name`` column.
        details
            Also describe each pending execution just after (DescribeJobExecution): adds a
            ``status_details`` column (dicts) and takes ``status`` and ``version_number`` from
            that later read, the version an update should expect.
        check_things
            Also learn which things the account does not know: each thing that came back
            with nothing pending is asked about with DescribeThing (control plane, within its
            budget), and each unknown one becomes a ``ResourceNotFoundException`` row of
            ``frame.jobsnb.errors`` (operation DescribeThing). Things with pending executions
            cost nothing, and names straight from :meth:`~jobsnb.client.FleetClient.things`
            are known, so they cost nothing either.
        progress, stop, on_error
            A bar or ``progress(done, total)``; a Stop event (calls not made are ``NotRun``
            rows); what failed calls do. See :class:`~jobsnb.client.data_plane.DataPlane`.

        Returns
        -------
        pandas.DataFrame
            One row per pending execution (:data:`~jobsnb.frames.PENDING_COLUMNS`), in the
            order the device gets them, ``queue_age`` and ``in_progress_for`` measured at one
            ``snapshot_at`` (the service's time). Things with nothing pending have no rows,
            and so have things the account does not know, as AWS answers them (two empty
            lists): ``check_things=True`` tells them apart.

        Raises
        ------
        FanoutInterrupted
            On Ctrl-C (a KeyboardInterrupt): ``.partial`` is this frame with the rows that
            answered, and every item not called is a ``NotRun`` row of its errors.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
        ...     client = jobsnb.connect(service)
        ...     plain = client.pending("sensor-1", progress=False)
        ...     detailed = client.pending(["sensor-1"], details=True, progress=False)
        >>> plain[["thing_name", "job_id", "status", "queue_position"]].values.tolist()
        [['sensor-1', 'fw-2', 'QUEUED', 0]]
        >>> detailed[["job_id", "version_number", "status_details"]].values.tolist()
        [['fw-2', 1, {}]]

        A misspelt name reads as "nothing pending", unless the things are checked:

        >>> with LocalJobsService() as service:
        ...     _ = service.backend.create_thing("sensor-1")
        ...     client = jobsnb.connect(service)
        ...     checked = client.pending(["sensor-1", "sensro-2"], check_things=True,
        ...                              progress=False, on_error="ignore")
        >>> checked.empty
        True
        >>> checked.jobsnb.errors[["thing_name", "operation", "error_code"]]
          thing_name      operation                 error_code
        0   sensro-2  DescribeThing  ResourceNotFoundException
        """
        arguments.check_on_error(on_error)
        names = arguments.thing_names(things)
        result = self.calls.fan_out(
            names,
            lambda name: self.calls.data.get_pending_job_executions(thingName=name),
            "GetPendingJobExecutions",
            lambda name: (name, None),
            self.calls.read_budget,
            progress,
            stop,
        )
        frame = frames.pending_frame(result.succeeded, _service_time(result))
        outcome = Outcome.of(frame, result, len(names))
        if check_things and not isinstance(things, ThingNames) and not outcome.interrupted:
            answered = {*frame["thing_name"], *(error.thing_name for error in outcome.errors)}
            checked = unknown_things(
                self.calls, names, answered, offset(progress, len(names)), stop
            )
            outcome = outcome.joined(outcome.frame, checked)
        if details and not outcome.interrupted:
            outcome = self._with_details(outcome, offset(progress, outcome.calls), stop)
        return self.calls.report(outcome, on_error)

    def _with_details(
        self, pending: Outcome, progress: Progress, stop: threading.Event | None
    ) -> Outcome:
        frame = pending.frame.assign(status_details=_dicts([{}] * len(pending.frame)))
        if frame.empty:
            return Outcome(frame, pending.errors, pending.calls)
        described = self.describe_outcome(frame[_KEYS], progress=progress, stop=stop)
        now = described.frame[[*_KEYS, *_CURRENT]].rename(columns={c: f"{c}_now" for c in _CURRENT})
        merged = pending.frame.merge(now, on=_KEYS, how="left").set_axis(frame.index)
        found = merged["version_number_now"].notna()
        for column in ("status", "version_number"):
            frame[column] = merged[column].where(~found, merged[f"{column}_now"])
        frame["status_details"] = _dicts(merged["status_details_now"]).set_axis(frame.index)
        return pending.joined(frame, described)

    def describe(
        self,
        executions: Executions,
        *,
        include_document: bool = False,
        flatten_details: bool = False,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """Every field of each execution: DescribeJobExecution for (thing, job[, number]).

        Parameters
        ----------
        executions
            A frame with ``thing_name`` and ``job_id`` (optionally ``execution_number``)
            columns, such as :meth:`pending`'s, or ``(thing, job[, number])`` tuples, or dicts
            with those keys. Rows without a ``job_id`` (idle things from :meth:`start_next`)
            are skipped.
        include_document, flatten_details
            Add the job document (``job_document``); one ``detail_<key>`` column per
            statusDetails key.
        progress, stop, on_error
            A bar or ``progress(done, total)``; a Stop event (calls not made are ``NotRun``
            rows); what failed calls do. See :class:`~jobsnb.client.data_plane.DataPlane`.

        Returns
        -------
        pandas.DataFrame
            One row per execution (:data:`~jobsnb.frames.EXECUTION_COLUMNS`).

        Raises
        ------
        FanoutInterrupted
            On Ctrl-C (a KeyboardInterrupt): ``.partial`` is this frame with the rows that
            answered, and every item not called is a ``NotRun`` row of its errors.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document='{"v": 2}')
        ...     client = jobsnb.connect(service)
        ...     frame = client.describe(client.pending("sensor-1", progress=False),
        ...                             include_document=True, progress=False)
        >>> frame[["thing_name", "job_id", "status", "job_document"]]
          thing_name job_id  status job_document
        0   sensor-1   fw-2  QUEUED     {"v": 2}
        """
        arguments.check_on_error(on_error)
        outcome = self.describe_outcome(
            executions,
            include_document=include_document,
            flatten_details=flatten_details,
            progress=progress,
            stop=stop,
        )
        return self.calls.report(outcome, on_error)

    def describe_outcome(
        self,
        executions: Executions,
        *,
        include_document: bool = False,
        flatten_details: bool = False,
        progress: Progress = True,
        stop: threading.Event | None = None,
    ) -> Outcome:
        """:meth:`describe`, not yet reported: for parts that build on it."""
        pairs = arguments.execution_pairs(arguments.executions_with_jobs(executions))
        result = self.describe_pairs(pairs, include_document, progress, stop)
        records = [(pair[0], response.get("execution")) for pair, response in result.succeeded]
        frame = frames.executions_frame(
            records, include_document=include_document, flatten_details=flatten_details
        )
        return Outcome.of(frame, result, len(pairs))

    def describe_pairs(
        self,
        pairs: Sequence[Pair],
        include_document: bool,
        progress: Progress,
        stop: threading.Event | None = None,
    ) -> FanoutResult[Pair]:
        """DescribeJobExecution of each (thing, job, number), as the fan-out answered it."""

        def describe_one(pair: Pair) -> dict[str, Any]:
            thing, job, number = pair
            kwargs: dict[str, Any] = {"includeJobDocument": include_document}
            if number is not None:
                kwargs["executionNumber"] = number
            return self.calls.data.describe_job_execution(thingName=thing, jobId=job, **kwargs)  # type: ignore[no-any-return]

        return self.calls.fan_out(
            pairs,
            describe_one,
            "DescribeJobExecution",
            lambda pair: (pair[0], pair[1]),
            self.calls.read_budget,
            progress,
            stop,
        )


def _dicts(values: Iterable[Any]) -> pd.Series:
    """An object column of dicts (``{}`` for missing ones)."""
    return pd.Series([v if isinstance(v, dict) else {} for v in values], dtype=object)


def _service_time(result: FanoutResult[Any]) -> pd.Timestamp:
    """The latest ``Date`` the service answered with (its clock), else the local UTC now."""
    headers = {
        response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        for _, response in result.succeeded
    }
    stamps = [parsedate_to_datetime(header) for header in headers if header]
    if not stamps:
        return pd.Timestamp.now(tz="UTC")
    return pd.Timestamp(max(stamps)).tz_convert("UTC")
