"""AWS IoT Jobs responses → typed pandas DataFrames, built to the schemas of :mod:`jobsnb.schema`.

Every frame jobsnb returns is built by one function of this module from raw boto3 response
dicts, with no network, and follows the same rules so that frames can be trusted and joined:

* **Times** are ``datetime64[ns, UTC]``. The data plane sends integer epoch seconds; boto3 turns
  the control plane's times into datetimes in the *local* zone; both end up as the same UTC
  instant. Durations are ``timedelta64[ns]``. A time the service did not send (``startedAt`` of
  a QUEUED execution) is ``NaT``.
* **Status** is always :data:`STATUS_DTYPE`, the ordered categorical of all eight statuses
  (``QUEUED < IN_PROGRESS < SUCCEEDED < ... < REMOVED``, the order of
  :data:`jobsnb.limits.STATUSES`), even when only two occur, so ``frame.status.value_counts()``
  always has eight rows and ``frame[frame.status > "IN_PROGRESS"]`` selects the terminal ones.
* **Integers** are nullable ``Int64``; **text** is the ``string`` dtype; a missing value is
  ``<NA>``. Nothing is silently dropped: a thing with no execution still gets a row.
* **Empty input** gives an empty frame with the same columns and dtypes (:func:`empty_frame`).
* Column names are snake_case versions of the wire names (``queuedAt`` → ``queued_at``).

The schemas (``PENDING_COLUMNS``, ``EXECUTION_COLUMNS``, ``JOB_EXECUTION_COLUMNS``,
``JOB_SUMMARY_COLUMNS``, ``ERROR_COLUMNS``) are defined in :mod:`jobsnb.schema` and re-exported
here; the README's tables are :func:`~jobsnb.schema.schema_markdown`'s output.

Examples
--------
>>> import pandas as pd
>>> from jobsnb.frames import pending_frame
>>> response = {
...     "inProgressJobs": [{"jobId": "fw-1", "queuedAt": 1700000000, "startedAt": 1700000060,
...                         "lastUpdatedAt": 1700000060, "versionNumber": 2,
...                         "executionNumber": 1}],
...     "queuedJobs": [{"jobId": "fw-2", "queuedAt": 1700000030,
...                     "lastUpdatedAt": 1700000030, "versionNumber": 1, "executionNumber": 1}],
... }
>>> frame = pending_frame([("sensor-1", response)], pd.Timestamp("2023-11-14 22:15:20Z"))
>>> frame[["thing_name", "job_id", "status", "queue_position", "queue_age"]]
  thing_name job_id       status  queue_position       queue_age
0   sensor-1   fw-1  IN_PROGRESS               0 0 days 00:02:00
1   sensor-1   fw-2       QUEUED               1 0 days 00:01:30
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import PROCESS_COUNTERS, STATUSES
from jobsnb.schema import (
    ERROR_COLUMNS,
    EXECUTION_COLUMNS,
    EXECUTION_OPTIONAL_COLUMNS,
    JOB_EXECUTION_COLUMNS,
    JOB_SUMMARY_COLUMNS,
    PENDING_COLUMNS,
    STATUS_DTYPE,
    Column,
    empty_frame,
    schema_markdown,
)

if TYPE_CHECKING:  # at run time frames needs nothing of the client (which builds frames)
    from jobsnb.client.fanout import CallError

__all__ = [
    "ERROR_COLUMNS",
    "EXECUTION_COLUMNS",
    "EXECUTION_OPTIONAL_COLUMNS",
    "JOB_EXECUTION_COLUMNS",
    "JOB_SUMMARY_COLUMNS",
    "PENDING_COLUMNS",
    "STATUS_DTYPE",
    "Column",
    "JobsnbAccessor",
    "empty_frame",
    "errors_frame",
    "executions_frame",
    "job_executions_frame",
    "job_summary_frame",
    "pending_frame",
    "schema_markdown",
    "summaries_frame",
]

_NS: Final = 1_000_000_000
# Stands for an absent integer while pulling a field; it is also NaT's int64 value.
_ABSENT: Final = np.iinfo(np.int64).min
_STATUS_CODE: Final = {status: code for code, status in enumerate(STATUSES)}

Record = Mapping[str, Any]
Int64s = npt.NDArray[np.int64]


# --- arrays -------------------------------------------------------------------------------------


def _ints(records: Sequence[Record], key: str) -> tuple[Int64s, npt.NDArray[np.bool_]]:
    """One integer field of every record, and the mask of records without it."""
    values = np.fromiter((r.get(key, _ABSENT) for r in records), np.int64, len(records))
    return values, values == _ABSENT


def _int64(values: Int64s, mask: npt.NDArray[np.bool_]) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(mask, 0, values), mask)


def _utc_ns(ns: Int64s) -> pd.arrays.DatetimeArray:
    """int64 nanoseconds since the epoch (``_ABSENT`` = NaT) → ``datetime64[ns, UTC]``."""
    return pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC").array


def _seconds(records: Sequence[Record], key: str) -> Int64s:
    """An epoch-seconds field as int64 nanoseconds, ``_ABSENT`` where the record lacks it."""
    values, mask = _ints(records, key)
    return np.where(mask, _ABSENT, values * _NS)


def _since(snapshot_ns: int, ns: Int64s, keep: npt.NDArray[np.bool_]) -> npt.NDArray[Any]:
    """``snapshot - ns`` as timedelta64[ns]; NaT where ``ns`` is NaT or ``keep`` is False."""
    return np.where(keep & (ns != _ABSENT), snapshot_ns - ns, _ABSENT).view("m8[ns]")


def _strings(values: Iterable[object]) -> Any:
    """A ``string`` array (None → NA) built through pyarrow, which is ~3x faster than pandas."""
    return pd.array(pa.array(values, type=pa.large_string()), dtype=pd.StringDtype())


def _statuses(values: Iterable[object], field: str) -> pd.Categorical:
    """Status strings (None → NA) as :data:`STATUS_DTYPE`; an unknown status raises."""
    try:
        codes = np.fromiter(
            (-1 if v is None else _STATUS_CODE[v] for v in values),  # type: ignore[index]
            np.int8,
        )
    except KeyError as error:
        rule = f"must be one of {', '.join(STATUSES)}"
        raise InvalidParameterError(field, rule, error.args[0]) from None
    return pd.Categorical.from_codes(codes, dtype=STATUS_DTYPE)


def _positions(codes: npt.NDArray[np.integer[Any]]) -> Int64s:
    """For each row, how many earlier rows have the same code (a cumulative count)."""
    n = len(codes)
    # Stable sort keeps input order within a code; codes given in runs are already sorted,
    # which timsort finds in one pass.
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    positions = np.empty(n, dtype=np.int64)
    positions[order] = np.arange(n) - first
    return positions


def _utc(value: object, field: str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    if pd.isna(stamp) or stamp.tzinfo is None:
        raise InvalidParameterError(field, "must be a timezone-aware timestamp", value)
    return stamp.tz_convert("UTC").as_unit("ns")


def _frame(columns: Sequence[Column], arrays: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({c.name: arrays[c.name] for c in columns}, copy=False)


# --- builders -----------------------------------------------------------------------------------


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
    snapshot = _utc(snapshot_at, "snapshot_at")
    snapshot_ns = snapshot.value
    things = pa.array(thing_names, type=pa.large_string())
    thing_codes = things.dictionary_encode().indices.fill_null(-1).to_numpy()
    status = _statuses(statuses, "statuses")
    queued = _seconds(summaries, "queuedAt")
    started = _seconds(summaries, "startedAt")
    in_progress = np.asarray(status.codes == _STATUS_CODE["IN_PROGRESS"])
    arrays = {
        "thing_name": pd.array(things, dtype=pd.StringDtype()),
        "job_id": _strings([s.get("jobId") for s in summaries]),
        "status": status,
        "queue_position": _int64(_positions(thing_codes), np.zeros(n, dtype=bool)),
        "queued_at": _utc_ns(queued),
        "started_at": _utc_ns(started),
        "last_updated_at": _utc_ns(_seconds(summaries, "lastUpdatedAt")),
        "version_number": _int64(*_ints(summaries, "versionNumber")),
        "execution_number": _int64(*_ints(summaries, "executionNumber")),
        "snapshot_at": _utc_ns(np.full(n, snapshot_ns, dtype=np.int64)),
        "queue_age": _since(snapshot_ns, queued, np.ones(n, dtype=bool)),
        "in_progress_for": _since(snapshot_ns, started, in_progress),
    }
    frame = _frame(PENDING_COLUMNS, arrays)
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
        columns[name] = _strings([row.get(key) for row in details])
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
        "thing_name": _strings(things),
        "job_id": _strings([row.get("jobId") for row in rows]),
        "execution_number": _int64(*_ints(rows, "executionNumber")),
        "status": _statuses([row.get("status") for row in rows], "status"),
        "status_details": pd.Series(details, dtype=object),
        "queued_at": _utc_ns(_seconds(rows, "queuedAt")),
        "started_at": _utc_ns(_seconds(rows, "startedAt")),
        "last_updated_at": _utc_ns(_seconds(rows, "lastUpdatedAt")),
        "approximate_seconds_before_timed_out": _int64(
            *_ints(rows, "approximateSecondsBeforeTimedOut")
        ),
        "version_number": _int64(*_ints(rows, "versionNumber")),
    }
    frame = _frame(EXECUTION_COLUMNS, arrays)
    if include_document:
        frame["job_document"] = _strings([row.get("jobDocument") for row in rows])
    if flatten_details:
        for name, values in _detail_columns(details).items():
            frame[name] = values
    return frame


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
        "job_id": _strings([job_id] * len(rows)),
        "thing_name": _strings([arn.partition(":thing/")[2] or None for arn in arns]),
        "status": _statuses([row.get("status") for row in rows], "status"),
        "execution_number": _int64(*_ints(rows, "executionNumber")),
        "retry_attempt": _int64(*_ints(rows, "retryAttempt")),
        "queued_at": _control_times(rows, "queuedAt"),
        "started_at": _control_times(rows, "startedAt"),
        "last_updated_at": _control_times(rows, "lastUpdatedAt"),
    }
    return _frame(JOB_EXECUTION_COLUMNS, arrays)


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


def errors_frame(errors: Sequence[CallError]) -> pd.DataFrame:
    """Build the errors frame: one row per call that failed for good.

    Examples
    --------
    >>> from jobsnb.client.fanout import CallError
    >>> from jobsnb.frames import errors_frame
    >>> error = CallError("a", None, "GetPendingJobExecutions", "ThrottlingException",
    ...                   "Rate exceeded", attempts=5, http_status=429)
    >>> errors_frame([error])[["thing_name", "job_id", "error_code", "http_status"]]
      thing_name job_id           error_code  http_status
    0          a   <NA>  ThrottlingException          429
    """
    arrays = {
        "thing_name": _strings([e.thing_name for e in errors]),
        "job_id": _strings([e.job_id for e in errors]),
        "operation": _strings([e.operation for e in errors]),
        "error_code": _strings([e.error_code for e in errors]),
        "message": _strings([e.message for e in errors]),
        "attempts": pd.array([e.attempts for e in errors], dtype="Int64"),
        "http_status": pd.array([e.http_status for e in errors], dtype="Int64"),
    }
    return _frame(ERROR_COLUMNS, arrays)


@pd.api.extensions.register_dataframe_accessor("jobsnb")
class JobsnbAccessor:
    """``frame.jobsnb``: what a client call recorded about the frame it returned.

    Examples
    --------
    >>> import jobsnb
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     frame = jobsnb.connect(service).pending("sensor-1", progress=False)
    >>> frame.jobsnb.errors.empty, frame.jobsnb.snapshot_at is not None
    (True, True)
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    @property
    def errors(self) -> pd.DataFrame:
        """The calls that failed for good, one row each (:data:`ERROR_COLUMNS`)."""
        return errors_frame(list(self._frame.attrs.get("errors", ())))

    @property
    def snapshot_at(self) -> pd.Timestamp | None:
        """When a pending snapshot was taken (the service's time), if the frame is one."""
        stamp = self._frame.attrs.get("snapshot_at")
        return None if stamp is None else pd.Timestamp(stamp)
