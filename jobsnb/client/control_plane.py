"""The control plane across a fleet: a job's executions, job summaries, and paging.

:class:`ControlPlane` lists page after page (:data:`~jobsnb.limits.MAX_PAGE_SIZE` at a time)
within the control budget; :class:`~jobsnb.client.FleetClient` offers its methods as its own.
Each page is retried on its own, so one that fails is tried again without listing again from
the first page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pandas as pd

from jobsnb import frames
from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import OnError
from jobsnb.client._calls import Calls, Outcome
from jobsnb.client.data_plane import DataPlane
from jobsnb.client.fanout import CallFailed, call_with_retries
from jobsnb.client.progress import Progress, offset
from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames.jobs import JobExecutionColumns
from jobsnb.limits import MAX_PAGE_SIZE, STATUSES

__all__ = ["ControlPlane"]

_KEYS = ["thing_name", "job_id", "execution_number"]


class ControlPlane:
    """The control-plane calls of a :class:`~jobsnb.client.FleetClient`.

    They run on its shared ``calls``; ``data`` describes executions when asked to.
    ``progress``, ``stop`` and ``on_error`` are as for
    :class:`~jobsnb.client.data_plane.DataPlane`.
    """

    def __init__(self, calls: Calls, data: DataPlane) -> None:
        self.calls = calls
        self.data = data

    def executions(
        self,
        job_ids: str | Iterable[str],
        *,
        status: str | None = None,
        describe: bool = False,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """The whole fleet's executions of each job: ListJobExecutionsForJob.

        Parameters
        ----------
        job_ids
            One job id or several.
        status
            Only executions in this status (filtered by the service).
        describe
            Add every data-plane field of each execution (status details, versions) with
            DescribeJobExecution; its ``status`` becomes ``described_status``.
        progress, stop, on_error
            A bar or ``progress(done, total)``; a Stop event (calls not made are ``NotRun``
            rows); what failed calls do. See :class:`~jobsnb.client.data_plane.DataPlane`.

        Returns
        -------
        pandas.DataFrame
            One row per thing and job, its latest execution, terminal ones included
            (:data:`~jobsnb.frames.JOB_EXECUTION_COLUMNS`); ``retry_attempt`` counts the
            earlier ones.

        Raises
        ------
        FanoutInterrupted
            On Ctrl-C (a KeyboardInterrupt): ``.partial`` is this frame with the rows that
            answered, and every item not called is a ``NotRun`` row of its errors.

        Notes
        -----
        A job's pages come one after another, each built into the frame's columns as it comes:
        for a 1,000,000-execution job the peak is ~240 MB for an 86 MB frame, where keeping
        boto3's page dicts would take ~2.9 GB. At AWS's default quota
        (``control_per_second=10``) that job's 4,000 pages take ~400 s.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arns = [service.backend.create_thing(f"sensor-{i}").arn for i in (1, 2)]
        ...     _ = service.backend.create_job("fw-2", targets=arns, document="{}")
        ...     _ = service.backend.update_job_execution("sensor-1", "fw-2", "SUCCEEDED")
        ...     fleet = jobsnb.connect(service).executions("fw-2", progress=False)
        >>> fleet[["thing_name", "status", "retry_attempt"]]
          thing_name     status  retry_attempt
        0   sensor-1  SUCCEEDED              0
        1   sensor-2     QUEUED              0
        """
        arguments.check_on_error(on_error)
        outcome = self.executions_outcome(
            job_ids, status=status, describe=describe, progress=progress, stop=stop
        )
        return self.calls.report(outcome, on_error)

    def executions_outcome(
        self,
        job_ids: str | Iterable[str],
        *,
        status: str | None = None,
        describe: bool = False,
        progress: Progress = True,
        stop: threading.Event | None = None,
    ) -> Outcome:
        """:meth:`executions`, not yet reported: for calls that build on it."""
        jobs = arguments.job_ids(job_ids)
        if status is not None and status not in STATUSES:
            raise InvalidParameterError("status", f"must be one of {', '.join(STATUSES)}", status)

        def list_all(job_id: str) -> dict[str, Any]:
            kwargs: dict[str, Any] = {"jobId": job_id}
            if status is not None:
                kwargs["status"] = status
            # Page by page into columns: a million-execution job never holds a dict per row.
            columns = JobExecutionColumns(job_id)
            for page in self.each_page(self.calls.control.list_job_executions_for_job, kwargs):
                columns.add(page.get("executionSummaries", []))
            return {"frame": columns.frame()}

        result = self.calls.fan_out(
            jobs,
            list_all,
            "ListJobExecutionsForJob",
            lambda job_id: (None, job_id),
            None,  # list_all takes from the control budget page by page
            progress,
            stop,
        )
        parts = [response["frame"] for _, response in result.succeeded]
        listed = Outcome.of(_concat(parts, frames.job_executions_frame("", [])), result, len(jobs))
        if not describe or listed.frame.empty or listed.interrupted:
            return listed
        frame = listed.frame
        details = self.data.describe_outcome(
            frame[_KEYS], progress=offset(progress, len(jobs)), stop=stop
        )
        extra = [c for c in details.frame.columns if c not in frame.columns or c == "status"]
        merged = frame.merge(
            details.frame[[*_KEYS, *extra]].rename(columns={"status": "described_status"}),
            on=_KEYS,
            how="left",
        )
        return listed.joined(merged, details)

    def job_summary(
        self,
        job_ids: str | Iterable[str],
        *,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """One row per job: its status and how many things (not attempts) are in each status.

        Parameters
        ----------
        job_ids
            One job id or several.
        progress, stop, on_error
            A bar or ``progress(done, total)``; a Stop event (calls not made are ``NotRun``
            rows); what failed calls do. See :class:`~jobsnb.client.data_plane.DataPlane`.

        Returns
        -------
        pandas.DataFrame
            One row per job (:data:`~jobsnb.frames.JOB_SUMMARY_COLUMNS`): DescribeJob, and
            ``things_<status>`` counting distinct things by the status of their latest
            execution, where ``attempts_<status>`` are AWS's counters (every retry counts).

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
        ...     retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
        ...     _ = service.backend.create_job("fw-2", [arn], "{}", retry_config=retry)
        ...     _ = service.backend.update_job_execution("sensor-1", "fw-2", "FAILED")
        ...     summary = jobsnb.connect(service).job_summary("fw-2", progress=False)
        >>> summary[["things", "attempts", "things_queued", "attempts_failed"]].to_dict("records")
        [{'things': 1, 'attempts': 2, 'things_queued': 1, 'attempts_failed': 1}]
        """
        arguments.check_on_error(on_error)
        jobs = arguments.job_ids(job_ids)
        described = self.calls.fan_out(
            jobs,
            lambda job_id: self.calls.control.describe_job(jobId=job_id),
            "DescribeJob",
            lambda job_id: (None, job_id),
            self.calls.control_budget,
            progress,
            stop,
        )
        found = [job_id for job_id, _ in described.succeeded]
        executions = (
            self.executions_outcome(found, progress=offset(progress, len(jobs)), stop=stop)
            if found and not described.interrupted
            else Outcome(frames.job_executions_frame("", []))
        )
        listed = executions.frame
        rows = [
            (response["job"], listed[listed["job_id"] == job_id])
            for job_id, response in described.succeeded
        ]
        summary = Outcome.of(frames.job_summary_frame(rows), described, len(jobs))
        return self.calls.report(summary.joined(summary.frame, executions), on_error)

    def pages_or_raise(
        self,
        operation: Callable[..., Any],
        kwargs: dict[str, Any],
        key: str,
        limit: int | None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> list[Any]:
        """:meth:`each_page`, as a list, outside a fan-out: a call that failed for good raises."""
        arguments.check_limit(limit)
        try:
            return list(self.each_page(operation, kwargs, key, limit, page_size))
        except CallFailed as failed:
            raise failed.error from None

    def each_page(
        self,
        operation: Callable[..., Any],
        kwargs: dict[str, Any],
        key: str = "",
        limit: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[Any]:
        """The pages of a paginated control-plane list, one call each, within the control budget.

        Pages of ``page_size`` entries (:data:`~jobsnb.limits.MAX_PAGE_SIZE`: the jobs APIs'
        largest) are read until the last one, or until ``limit`` entries of ``key`` came. Each
        page is retried on its own; one that fails for good raises
        :class:`~jobsnb.client.fanout.CallFailed`, which a surrounding fan-out records without
        listing again from the first page.
        """
        kwargs = {**kwargs, "maxResults": page_size}
        listed = 0
        while True:
            page = call_with_retries(
                lambda: operation(**kwargs),
                retry=self.calls.retry,
                budget=self.calls.control_budget,
                breaker=self.calls.breaker,
            )
            yield page
            listed += len(page.get(key, [])) if key else 0
            token = page.get("nextToken")
            if not token or (limit is not None and listed >= limit):
                return
            kwargs["nextToken"] = token


def _concat(parts: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    parts = [part for part in parts if not part.empty]
    if not parts:
        return empty
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
