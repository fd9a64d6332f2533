"""Control-plane responses → the executions-of-a-job and job-summary frames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames._arrays import (
    Record,
    frame_of,
    int64_array,
    int_field,
    status_array,
    string_array,
)
from jobsnb.limits import PROCESS_COUNTERS, STATUSES
from jobsnb.schema import JOB_EXECUTION_COLUMNS, JOB_SUMMARY_COLUMNS, empty_frame

__all__ = ["job_executions_frame", "job_summary_frame"]


def _control_times(summaries: Sequence[Record], key: str) -> pd.arrays.DatetimeArray:
    """Control-plane datetimes (tz-aware, any zone; None → NaT) as ``datetime64[ns, UTC]``."""
    values = pd.Series([s.get(key) for s in summaries], dtype=object)
    return pd.to_datetime(values, utc=True).dt.as_unit("ns").array


def job_executions_frame(job_id: str, summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the executions-of-a-job frame from ListJobExecutionsForJob's ``executionSummaries``.

    Parameters
    ----------
    job_id
        The job the summaries were listed for.
    summaries
        ``{"thingArn": ..., "jobExecutionSummary": {status, queuedAt, startedAt?,
        lastUpdatedAt, executionNumber, retryAttempt}}`` items, all pages concatenated. Times
        are the datetimes boto3 made (in the local zone; any zone works, a naive one is read as
        UTC).

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
    rows: list[Record] = [item.get("jobExecutionSummary") or {} for item in summaries]
    arns = [item.get("thingArn") or "" for item in summaries]
    arrays = {
        "job_id": string_array([job_id] * len(rows)),
        "thing_name": string_array([arn.partition(":thing/")[2] or None for arn in arns]),
        "status": status_array([row.get("status") for row in rows], "status"),
        "execution_number": int64_array(*int_field(rows, "executionNumber")),
        "retry_attempt": int64_array(*int_field(rows, "retryAttempt")),
        "queued_at": _control_times(rows, "queuedAt"),
        "started_at": _control_times(rows, "startedAt"),
        "last_updated_at": _control_times(rows, "lastUpdatedAt"),
    }
    return frame_of(JOB_EXECUTION_COLUMNS, arrays)


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
    return frame.astype({c.name: c.pandas_dtype for c in JOB_SUMMARY_COLUMNS})
