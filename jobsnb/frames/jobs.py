"""Control-plane responses → the executions-of-a-job and job-summary frames."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames._arrays import (
    ABSENT,
    Int64s,
    Record,
    datetimes_ns,
    frame_of,
    int64_array,
    int_field,
    status_array,
    string_array,
    utc_array,
)
from jobsnb.frames.commands import thing_of
from jobsnb.limits import PROCESS_COUNTERS, STATUSES
from jobsnb.schema import JOB_EXECUTION_COLUMNS, JOB_SUMMARY_COLUMNS, STATUS_DTYPE, empty_frame

__all__ = ["JobExecutionColumns", "job_executions_frame", "job_summary_frame"]


# The fields a page adds to the columns, and the dtype each is kept in until the frame is made.
_PAGE_FIELDS: Final = {
    "status": np.int8,
    "executionNumber": np.int64,
    "retryAttempt": np.int64,
    "queuedAt": np.int64,
    "startedAt": np.int64,
    "lastUpdatedAt": np.int64,
}


class JobExecutionColumns:
    """The columns of :func:`job_executions_frame`, filled one page of the listing at a time.

    Each page becomes a few numpy arrays at once, so the page's dicts (and boto3's datetimes)
    can go as soon as it is added: listing a million executions never holds a million dicts.

    Examples
    --------
    >>> from jobsnb.frames.jobs import JobExecutionColumns
    >>> columns = JobExecutionColumns("fw-1")
    >>> for page in (["a", "b"], ["c"]):
    ...     columns.add([{"thingArn": f"arn:aws:iot:us-east-1:123456789012:thing/{name}",
    ...                   "jobExecutionSummary": {"status": "QUEUED", "executionNumber": 1,
    ...                                           "retryAttempt": 0}} for name in page])
    >>> columns.frame()[["thing_name", "status"]].to_dict("list")
    {'thing_name': ['a', 'b', 'c'], 'status': ['QUEUED', 'QUEUED', 'QUEUED']}
    """

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.rows = 0
        # Thing names go to Arrow a page at a time: a million Python strings would be ~70 MB.
        self.things: list[pa.Array] = []
        self.chunks: dict[str, list[npt.NDArray[Any]]] = {key: [] for key in _PAGE_FIELDS}

    def add(self, summaries: Sequence[Mapping[str, Any]]) -> None:
        """Add one page's ``executionSummaries`` (see :func:`job_executions_frame`)."""
        rows: list[Record] = [item.get("jobExecutionSummary") or {} for item in summaries]
        names = [thing_of(item.get("thingArn")) for item in summaries]
        self.things.append(pa.array(names, type=pa.large_string()))
        self.rows += len(rows)
        chunks = self.chunks
        chunks["status"].append(status_array([r.get("status") for r in rows], "status").codes)
        for key in ("executionNumber", "retryAttempt"):
            chunks[key].append(int_field(rows, key)[0])
        for key in ("queuedAt", "startedAt", "lastUpdatedAt"):
            chunks[key].append(datetimes_ns(rows, key))

    def frame(self) -> pd.DataFrame:
        """The frame of every page added, in the order they came."""
        columns = {key: self._joined(key) for key in _PAGE_FIELDS}
        things = pa.chunked_array(self.things, type=pa.large_string()).combine_chunks()
        arrays = {
            "job_id": string_array(itertools.repeat(self.job_id, self.rows)),
            "thing_name": pd.array(things, dtype=pd.StringDtype()),
            "status": pd.Categorical.from_codes(columns["status"], dtype=STATUS_DTYPE),
            "execution_number": int64_array(*_with_mask(columns["executionNumber"])),
            "retry_attempt": int64_array(*_with_mask(columns["retryAttempt"])),
            "queued_at": utc_array(columns["queuedAt"]),
            "started_at": utc_array(columns["startedAt"]),
            "last_updated_at": utc_array(columns["lastUpdatedAt"]),
        }
        return frame_of(JOB_EXECUTION_COLUMNS, arrays)

    def _joined(self, key: str) -> npt.NDArray[Any]:
        """One field's pages as one array, kept in their place so the pages can go at once."""
        chunks = self.chunks[key]
        joined = np.concatenate(chunks) if chunks else np.empty(0, _PAGE_FIELDS[key])
        self.chunks[key] = [joined]
        return joined


def _with_mask(values: Int64s) -> tuple[Int64s, npt.NDArray[np.bool_]]:
    return values, values == ABSENT


def job_executions_frame(job_id: str, summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the executions-of-a-job frame from ListJobExecutionsForJob's ``executionSummaries``.

    Parameters
    ----------
    job_id
        The job the summaries were listed for.
    summaries
        ``{"thingArn": ..., "jobExecutionSummary": {status, queuedAt, startedAt?,
        lastUpdatedAt, executionNumber, retryAttempt}}`` items, all pages concatenated
        (:class:`JobExecutionColumns` takes them page by page). Times are the datetimes boto3
        made (in the local zone; any zone works, a naive one is read as UTC).

    Returns
    -------
    pandas.DataFrame
        :data:`JOB_EXECUTION_COLUMNS`; ``thing_name`` is the ARN's part after ``:thing/``.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> from jobsnb.frames import job_executions_frame
    >>> queued = datetime(2023, 11, 14, 23, 13, tzinfo=timezone(timedelta(hours=1)))
    >>> item = {"thingArn": "arn:aws:iot:us-east-1:123456789012:thing/a",
    ...         "jobExecutionSummary": {"status": "QUEUED", "executionNumber": 1,
    ...                                 "queuedAt": queued, "lastUpdatedAt": queued,
    ...                                 "retryAttempt": 0}}
    >>> job_executions_frame("fw-1", [item]).loc[0, ["thing_name", "queued_at"]].tolist()
    ['a', Timestamp('2023-11-14 22:13:00+0000', tz='UTC')]
    """
    columns = JobExecutionColumns(job_id)
    columns.add(summaries)
    return columns.frame()


def _schedule_time(text: str | None) -> pd.Timestamp | None:
    """A schedulingConfig time (``YYYY-MM-DDTHH:MM``, UTC unless it names a zone), or None."""
    if not text:
        return None
    stamp = pd.Timestamp(text)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _job_summary_row(job: Mapping[str, Any], executions: pd.DataFrame) -> dict[str, Any]:
    job_id = job.get("jobId")
    others = executions.job_id[executions.job_id != job_id].dropna().unique().tolist()
    if others:
        raise InvalidParameterError(
            "jobs", f"each executions frame must hold only its own job's rows ({job_id})", others
        )
    latest = (
        executions.dropna(subset=["thing_name"])
        .sort_values("execution_number", kind="stable")
        .drop_duplicates("thing_name", keep="last")
    )
    things = latest.status.value_counts(sort=False)
    counters = job.get("jobProcessDetails") or {}
    attempts = [counters.get(PROCESS_COUNTERS[status]) for status in STATUSES]
    row: dict[str, Any] = {
        "job_id": job_id,
        "job_status": job.get("status"),
        "target_selection": job.get("targetSelection"),
        "things": len(latest),
        "attempts": None if None in attempts else sum(attempts),
    }
    schedule = job.get("schedulingConfig") or {}
    windows = job.get("scheduledJobRollouts") or [{}]
    row["scheduled_start_at"] = _schedule_time(schedule.get("startTime"))
    row["next_window_at"] = _schedule_time(windows[0].get("startTime"))
    row["scheduled_end_at"] = _schedule_time(schedule.get("endTime"))
    row["end_behavior"] = schedule.get("endBehavior") if schedule.get("endTime") else None
    row.update({f"things_{s.lower()}": int(things[s]) for s in STATUSES})
    row.update({f"attempts_{s.lower()}": n for s, n in zip(STATUSES, attempts, strict=True)})
    return row


def job_summary_frame(jobs: Sequence[tuple[Mapping[str, Any], pd.DataFrame]]) -> pd.DataFrame:
    """Summarise jobs: one row per job, counting things and attempts per status.

    Parameters
    ----------
    jobs
        ``(job, executions)`` pairs: DescribeJob's ``job`` dict and that job's
        :func:`job_executions_frame`.

    Returns
    -------
    pandas.DataFrame
        :data:`JOB_SUMMARY_COLUMNS`. ``things_*`` count distinct things by the status of their
        latest execution (from the frame); ``attempts_*`` are DescribeJob's counters, which
        count every attempt (NA if DescribeJob lacks one).

    Examples
    --------
    >>> from jobsnb.frames import job_executions_frame, job_summary_frame
    >>> job = {"jobId": "fw-1", "status": "IN_PROGRESS", "targetSelection": "SNAPSHOT",
    ...        "jobProcessDetails": {"numberOfQueuedThings": 1, "numberOfFailedThings": 1,
    ...            "numberOfInProgressThings": 0, "numberOfSucceededThings": 0,
    ...            "numberOfTimedOutThings": 0, "numberOfRejectedThings": 0,
    ...            "numberOfCanceledThings": 0, "numberOfRemovedThings": 0}}
    >>> item = {"thingArn": "arn:aws:iot:us-east-1:123456789012:thing/a",
    ...         "jobExecutionSummary": {"status": "QUEUED", "executionNumber": 2,
    ...                                 "retryAttempt": 1}}
    >>> summary = job_summary_frame([(job, job_executions_frame("fw-1", [item]))])
    >>> summary[["things", "attempts", "things_queued", "attempts_failed"]]
       things  attempts  things_queued  attempts_failed
    0       1         2              1                1
    """
    if not jobs:
        return empty_frame(JOB_SUMMARY_COLUMNS)
    rows = [_job_summary_row(job, executions) for job, executions in jobs]
    frame = pd.DataFrame(rows, columns=[c.name for c in JOB_SUMMARY_COLUMNS])
    for column in ("scheduled_start_at", "next_window_at", "scheduled_end_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.astype({c.name: c.pandas_dtype for c in JOB_SUMMARY_COLUMNS})
