"""Data-plane responses → the pending and executions frames."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames._arrays import (
    STATUS_CODE,
    Record,
    elapsed,
    frame_of,
    int64_array,
    int_field,
    positions_within,
    seconds_field,
    status_array,
    string_array,
    utc_array,
    utc_timestamp,
)
from jobsnb.schema import (
    EXECUTION_COLUMNS,
    PENDING_COLUMNS,
)

__all__ = ["executions_frame", "pending_frame", "summaries_frame"]


def summaries_frame(
    thing_names: Sequence[str],
    summaries: Sequence[Record],
    statuses: Sequence[str],
    snapshot_at: pd.Timestamp,
) -> pd.DataFrame:
    """Build the pending frame from parallel sequences, one JobExecutionSummary per row.

    The fast core of :func:`pending_frame`: one pass per field into numpy, no per-row pandas.

    Parameters
    ----------
    thing_names
        The thing of each row.
    summaries
        Data-plane JobExecutionSummary dicts (``jobId``, ``queuedAt``, ``startedAt`` (optional),
        ``lastUpdatedAt``, ``versionNumber``, ``executionNumber``; times in epoch seconds). A
        missing key gives NA.
    statuses
        The status of each row (the list the summary came from).
    snapshot_at
        When the responses were read; timezone-aware.

    Returns
    -------
    pandas.DataFrame
        :data:`PENDING_COLUMNS`. ``queue_position`` counts the earlier rows of the same thing,
        so rows must come in each thing's "next" order.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.frames import summaries_frame
    >>> summary = {"jobId": "fw-1", "queuedAt": 1700000000, "lastUpdatedAt": 1700000000,
    ...            "versionNumber": 1, "executionNumber": 1}
    >>> frame = summaries_frame(["a", "a", "b"], [summary] * 3, ["QUEUED"] * 3,
    ...                         pd.Timestamp("2023-11-14 22:13:30Z"))
    >>> frame.queue_position.tolist(), frame.queue_age.dt.total_seconds().tolist()
    ([0, 1, 0], [10.0, 10.0, 10.0])
    """
    n = len(summaries)
    if len(thing_names) != n or len(statuses) != n:
        raise InvalidParameterError(
            "thing_names, summaries, statuses",
            "must have the same length",
            (len(thing_names), n, len(statuses)),
        )
    snapshot = utc_timestamp(snapshot_at, "snapshot_at")
    snapshot_ns = snapshot.value
    things = pa.array(thing_names, type=pa.large_string())
    thing_codes = things.dictionary_encode().indices.fill_null(-1).to_numpy()
    status = status_array(statuses, "statuses")
    queued = seconds_field(summaries, "queuedAt")
    started = seconds_field(summaries, "startedAt")
    in_progress = np.asarray(status.codes == STATUS_CODE["IN_PROGRESS"])
    arrays = {
        "thing_name": pd.array(things, dtype=pd.StringDtype()),
        "job_id": string_array([s.get("jobId") for s in summaries]),
        "status": status,
        "queue_position": int64_array(positions_within(thing_codes), np.zeros(n, dtype=bool)),
        "queued_at": utc_array(queued),
        "started_at": utc_array(started),
        "last_updated_at": utc_array(seconds_field(summaries, "lastUpdatedAt")),
        "version_number": int64_array(*int_field(summaries, "versionNumber")),
        "execution_number": int64_array(*int_field(summaries, "executionNumber")),
        "snapshot_at": utc_array(np.full(n, snapshot_ns, dtype=np.int64)),
        "queue_age": elapsed(snapshot_ns, queued, np.ones(n, dtype=bool)),
        "in_progress_for": elapsed(snapshot_ns, started, in_progress),
    }
    frame = frame_of(PENDING_COLUMNS, arrays)
    frame.attrs["snapshot_at"] = snapshot
    return frame


def pending_frame(
    responses: Sequence[tuple[str, Mapping[str, Any]]], snapshot_at: pd.Timestamp
) -> pd.DataFrame:
    """Build the pending frame from GetPendingJobExecutions responses, one per thing.

    Parameters
    ----------
    responses
        ``(thing_name, response)`` pairs; ``response`` has ``inProgressJobs`` and
        ``queuedJobs`` lists (either may be absent). A thing with nothing pending adds no row.
    snapshot_at
        When the responses were read; timezone-aware. Stored in every ``snapshot_at`` cell and
        in ``frame.attrs["snapshot_at"]``.

    Returns
    -------
    pandas.DataFrame
        :data:`PENDING_COLUMNS`; rows by thing in input order, then IN_PROGRESS then QUEUED as
        the service listed them, which is StartNext's order (``queue_position`` 0, 1, 2, …).

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.frames import pending_frame
    >>> summary = {"jobId": "fw-1", "queuedAt": 1700000000, "lastUpdatedAt": 1700000000,
    ...            "versionNumber": 1, "executionNumber": 1}
    >>> frame = pending_frame([("a", {"inProgressJobs": [], "queuedJobs": [summary]}),
    ...                        ("b", {"inProgressJobs": [], "queuedJobs": []})],
    ...                       pd.Timestamp("2023-11-14 22:13:30Z"))
    >>> frame[["thing_name", "job_id", "queued_at"]]
      thing_name job_id                 queued_at
    0          a   fw-1 2023-11-14 22:13:20+00:00
    """
    thing_names: list[str] = []
    summaries: list[Record] = []
    statuses: list[str] = []
    for thing_name, response in responses:
        in_progress = response.get("inProgressJobs") or ()
        queued = response.get("queuedJobs") or ()
        summaries += in_progress
        summaries += queued
        thing_names += [thing_name] * (len(in_progress) + len(queued))
        statuses += ["IN_PROGRESS"] * len(in_progress)
        statuses += ["QUEUED"] * len(queued)
    return summaries_frame(thing_names, summaries, statuses, snapshot_at)


def _column_name(key: str) -> str:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()
    return "detail_" + re.sub(r"[^a-z0-9_]", "_", snake)


def _detail_columns(details: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    keys = sorted({key for row in details for key in row})
    columns: dict[str, Any] = {}
    for key in keys:
        name = base = _column_name(key)
        suffix = 2
        while name in columns:
            name, suffix = f"{base}_{suffix}", suffix + 1
        columns[name] = string_array([row.get(key) for row in details])
    return dict(sorted(columns.items()))


def executions_frame(
    records: Sequence[tuple[str, Mapping[str, Any] | None]],
    *,
    include_document: bool = False,
    flatten_details: bool = False,
) -> pd.DataFrame:
    """Build the executions frame from data-plane JobExecution dicts, one per row.

    Parameters
    ----------
    records
        ``(thing_name, execution)`` pairs (the pair's thing name fills ``thing_name``);
        ``execution`` is the ``execution`` of DescribeJobExecution or
        StartNextPendingJobExecution, or an UpdateJobExecution ``executionState`` with
        ``jobId`` merged in. Missing keys give NA; ``None`` (nothing to start, nothing pending)
        gives a row with the thing name, NA elsewhere and ``{}`` status details.
    include_document
        Append ``job_document`` (the JSON string).
    flatten_details
        Append one ``detail_<key>`` string column per statusDetails key.

    Returns
    -------
    pandas.DataFrame
        :data:`EXECUTION_COLUMNS`, then the optional columns asked for.

    Examples
    --------
    >>> from jobsnb.frames import executions_frame
    >>> execution = {"jobId": "fw-1", "thingName": "a", "status": "IN_PROGRESS",
    ...              "statusDetails": {"stepName": "download"}, "queuedAt": 1700000000,
    ...              "startedAt": 1700000060, "lastUpdatedAt": 1700000060,
    ...              "versionNumber": 2, "executionNumber": 1}
    >>> frame = executions_frame([("a", execution), ("b", None)], flatten_details=True)
    >>> frame[["thing_name", "status", "started_at", "detail_step_name"]]
      thing_name       status                started_at detail_step_name
    0          a  IN_PROGRESS 2023-11-14 22:14:20+00:00         download
    1          b          NaN                       NaT             <NA>
    """
    things = [thing for thing, _ in records]
    rows: list[Record] = [{} if record is None else record for _, record in records]
    details = [dict(row.get("statusDetails") or {}) for row in rows]
    arrays: dict[str, Any] = {
        "thing_name": string_array(things),
        "job_id": string_array([row.get("jobId") for row in rows]),
        "execution_number": int64_array(*int_field(rows, "executionNumber")),
        "status": status_array([row.get("status") for row in rows], "status"),
        "status_details": pd.Series(details, dtype=object),
        "queued_at": utc_array(seconds_field(rows, "queuedAt")),
        "started_at": utc_array(seconds_field(rows, "startedAt")),
        "last_updated_at": utc_array(seconds_field(rows, "lastUpdatedAt")),
        "approximate_seconds_before_timed_out": int64_array(
            *int_field(rows, "approximateSecondsBeforeTimedOut")
        ),
        "version_number": int64_array(*int_field(rows, "versionNumber")),
    }
    frame = frame_of(EXECUTION_COLUMNS, arrays)
    if include_document:
        frame["job_document"] = string_array([row.get("jobDocument") for row in rows])
    if flatten_details:
        for name, values in _detail_columns(details).items():
            frame[name] = values
    return frame
