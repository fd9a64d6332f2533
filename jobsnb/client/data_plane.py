"""The data plane across a fleet: pending, describe, start next and update, as DataFrames.

:class:`DataPlane` makes GetPendingJobExecutions, DescribeJobExecution,
StartNextPendingJobExecution and UpdateJobExecution for many things at once through the
client's fan-out; :class:`~jobsnb.client.FleetClient` offers its methods as its own. An update
that is refused describes each refused execution once more, to tell conflicts (the execution
changed since it was read) from other refusals (see :mod:`jobsnb.client.conflicts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal

import pandas as pd

from jobsnb import frames
from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import Executions, OnError, Pair, Things
from jobsnb.client._calls import Calls, Outcome
from jobsnb.client.conflicts import CONFLICT_CODE, CONFLICTS_ATTR, find_conflicts
from jobsnb.client.fanout import FanoutResult
from jobsnb.limits import check_status_details, check_step_timeout

__all__ = ["DataPlane"]

_KEYS: Final = ["thing_name", "job_id", "execution_number"]
_CURRENT: Final = ["status", "version_number", "status_details"]


class DataPlane:
    """The data-plane calls of a :class:`~jobsnb.client.FleetClient`, on its shared ``calls``.

    ``progress`` draws a progress bar for calls taking over a second; ``on_error`` says what
    calls that failed for good do besides becoming rows of ``frame.jobsnb.errors``: warn
    (``"warn"``), raise :class:`~jobsnb.exceptions.FanoutError` (``"raise"``) or nothing.
    """

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def pending(
        self,
        things: Things,
        *,
        details: bool = False,
        progress: bool = True,
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
        progress, on_error
            A progress bar; what failed calls do besides being ``frame.jobsnb.errors``.

        Returns
        -------
        pandas.DataFrame
            One row per pending execution (:data:`~jobsnb.frames.PENDING_COLUMNS`), in the
            order the device gets them, ``queue_age`` and ``in_progress_for`` measured at one
            ``snapshot_at`` (the service's time). Things with nothing pending have no rows.

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
        )
        frame = frames.pending_frame(result.succeeded, _service_time(result))
        outcome = Outcome(frame, result.errors, len(names))
        if details:
            outcome = self._with_details(outcome, progress)
        return self.calls.report(outcome, on_error)

    def _with_details(self, pending: Outcome, progress: bool) -> Outcome:
        frame = pending.frame.assign(status_details=_dicts([{}] * len(pending.frame)))
        if frame.empty:
            return Outcome(frame, pending.errors, pending.calls)
        described = self.describe_outcome(frame[_KEYS], progress=progress)
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
        progress: bool = True,
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
        progress, on_error
            A progress bar; what failed calls do besides being ``frame.jobsnb.errors``.

        Returns
        -------
        pandas.DataFrame
            One row per execution (:data:`~jobsnb.frames.EXECUTION_COLUMNS`).

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
        )
        return self.calls.report(outcome, on_error)

    def describe_outcome(
        self,
        executions: Executions,
        *,
        include_document: bool = False,
        flatten_details: bool = False,
        progress: bool = True,
    ) -> Outcome:
        """:meth:`describe`, not yet reported: for parts that build on it."""
        pairs = arguments.execution_pairs(arguments.executions_with_jobs(executions))
        result = self._describe(pairs, include_document, progress)
        records = [(pair[0], response.get("execution")) for pair, response in result.succeeded]
        frame = frames.executions_frame(
            records, include_document=include_document, flatten_details=flatten_details
        )
        return Outcome(frame, result.errors, len(pairs))

    def _describe(
        self, pairs: Sequence[Pair], include_document: bool, progress: bool
    ) -> FanoutResult[Pair]:
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
        )

    def start_next(
        self,
        things: Things,
        *,
        status_details: Mapping[str, str] | None = None,
        step_timeout_minutes: int | None = None,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """StartNextPendingJobExecution on every thing: each starts its next pending execution.

        Parameters
        ----------
        things
            A thing name, names, a Series of names or a frame with a ``thing_name`` column.
        status_details, step_timeout_minutes
            The statusDetails and a step timer (1-10080 minutes) of each started execution.
        progress, on_error
            A progress bar; what failed calls do besides being ``frame.jobsnb.errors``.

        Returns
        -------
        pandas.DataFrame
            One row per thing that answered (:data:`~jobsnb.frames.EXECUTION_COLUMNS`): the
            execution it now runs (one already IN_PROGRESS comes back unchanged), or only
            ``thing_name`` when it had nothing pending.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_thing("sensor-2")
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
        ...     client = jobsnb.connect(service)
        ...     started = client.start_next(["sensor-1", "sensor-2"], progress=False,
        ...                                 status_details={"step": "download"})
        >>> started[["thing_name", "job_id", "status", "version_number"]]
          thing_name job_id       status  version_number
        0   sensor-1   fw-2  IN_PROGRESS               2
        1   sensor-2   <NA>          NaN            <NA>
        """
        arguments.check_on_error(on_error)
        names = arguments.thing_names(things)
        kwargs: dict[str, Any] = {}
        if status_details is not None:
            kwargs["statusDetails"] = check_status_details(status_details, "status_details")
        if step_timeout_minutes is not None:
            kwargs["stepTimeoutInMinutes"] = check_step_timeout(
                step_timeout_minutes, "step_timeout_minutes"
            )
        data = self.calls.data
        result = self.calls.fan_out(
            names,
            lambda name: data.start_next_pending_job_execution(thingName=name, **kwargs),
            "StartNextPendingJobExecution",
            lambda name: (name, None),
            self.calls.write_budget,
            progress,
        )
        records = [(name, response.get("execution")) for name, response in result.succeeded]
        outcome = Outcome(frames.executions_frame(records), result.errors, len(names))
        return self.calls.report(outcome, on_error)

    def update(
        self,
        executions: Executions,
        status: str,
        *,
        status_details: Mapping[str, str] | None = None,
        expected_version: int | Literal["frame"] | None = "frame",
        step_timeout_minutes: int | None = None,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """UpdateJobExecution on every (thing, job[, execution number]): report a status.

        Parameters
        ----------
        executions
            As for :meth:`describe`; rows without a ``job_id`` are skipped.
        status
            What a device may set: IN_PROGRESS, SUCCEEDED, FAILED or REJECTED.
        status_details
            The statusDetails each execution gets.
        expected_version
            ``"frame"`` (the default) sends each row's ``version_number`` as
            ``expectedVersion`` when ``executions`` is a frame with one, so an execution changed
            meanwhile is refused, not overwritten; an int sends that version for all; None
            checks nothing.
        step_timeout_minutes
            A new step timer (1-10080 minutes), or -1 to cancel the current one.
        progress, on_error
            A progress bar; what failed calls do besides being ``frame.jobsnb.errors``.

        Returns
        -------
        pandas.DataFrame
            The new state of each updated execution (:data:`~jobsnb.frames.EXECUTION_COLUMNS`;
            UpdateJobExecution answers only ``status``, ``status_details`` and
            ``version_number``: the times stay NaT). Refused updates are error rows; those
            refused because the execution changed since it was read are also conflicts, with
            its current state in
            ``frame.jobsnb.conflicts``.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
        ...     client = jobsnb.connect(service)
        ...     seen = client.pending("sensor-1", progress=False)
        ...     done = client.update(seen, "SUCCEEDED", progress=False)
        ...     stale = client.update(seen, "FAILED", progress=False, on_error="ignore")
        >>> done[["thing_name", "status", "version_number"]].to_dict("records")
        [{'thing_name': 'sensor-1', 'status': 'SUCCEEDED', 'version_number': 2}]
        >>> stale.jobsnb.errors["error_code"].tolist()  # the frame was out of date: refused
        ['InvalidStateTransitionException']
        >>> stale.jobsnb.conflicts[["expected_version", "status", "version_number"]]
           expected_version     status  version_number
        0                 1  SUCCEEDED               2
        """
        arguments.check_on_error(on_error)
        arguments.check_device_status(status)
        executions = arguments.executions_with_jobs(executions)
        pairs = arguments.execution_pairs(executions)
        versions = arguments.expected_versions(executions, expected_version, len(pairs))
        base: dict[str, Any] = {"status": status, "includeJobExecutionState": True}
        if status_details is not None:
            base["statusDetails"] = check_status_details(status_details, "status_details")
        if step_timeout_minutes is not None:
            base["stepTimeoutInMinutes"] = check_step_timeout(
                step_timeout_minutes, "step_timeout_minutes", allow_cancel=True
            )
        items = list(zip(pairs, versions, strict=True))

        def update_one(item: tuple[Pair, int | None]) -> dict[str, Any]:
            (thing, job, number), version = item
            kwargs = dict(base)
            if number is not None:
                kwargs["executionNumber"] = number
            if version is not None:
                kwargs["expectedVersion"] = version
            return self.calls.data.update_job_execution(thingName=thing, jobId=job, **kwargs)  # type: ignore[no-any-return]

        result = self.calls.fan_out(
            items,
            update_one,
            "UpdateJobExecution",
            lambda item: (item[0][0], item[0][1]),
            self.calls.write_budget,
            progress,
        )
        records = [
            (thing, {"jobId": job, **_number(number), **response.get("executionState", {})})
            for ((thing, job, number), _), response in result.succeeded
        ]
        frame = frames.executions_frame(records)
        outcome = Outcome(frame, result.errors, len(items))
        refused = [
            (pair, version)
            for (pair, version), error in result.failed
            if version is not None and error.error_code == CONFLICT_CODE
        ]
        frame.attrs[CONFLICTS_ATTR] = ()
        if refused:
            described = self._describe([pair for pair, _ in refused], False, progress)
            frame.attrs[CONFLICTS_ATTR] = find_conflicts(refused, described.responses)
            outcome.errors += described.errors
            outcome.calls += len(refused)
        return self.calls.report(outcome, on_error)


def _number(number: int | None) -> dict[str, int]:
    return {} if number is None else {"executionNumber": number}


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
