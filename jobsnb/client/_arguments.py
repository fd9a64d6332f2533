"""Arguments of the fleet client's methods, checked and normalised before any call.

Each check raises :class:`~jobsnb.exceptions.InvalidParameterError` naming the argument (and
the row, for frames and lists) and the rule, so nothing reaches the service that it would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import (
    DEVICE_STATUSES,
    check_execution_number,
    check_expected_version,
    check_job_id,
    check_thing_name,
)

__all__ = [
    "Executions",
    "OnError",
    "Pair",
    "Things",
    "check_device_status",
    "check_limit",
    "check_on_error",
    "check_rate",
    "check_workers",
    "execution_pairs",
    "executions_with_jobs",
    "expected_versions",
    "job_ids",
    "thing_names",
]

OnError = Literal["warn", "raise", "ignore"]
#: (thing name, job id, execution number or None: the latest).
Pair = tuple[str, str, int | None]
#: Things to call for: a name, names, a Series of names or a frame with ``thing_name``.
Things = str | Iterable[str] | pd.Series | pd.DataFrame
#: Executions to call for: a frame with ``thing_name`` and ``job_id`` (and optionally
#: ``execution_number``), or ``(thing, job[, number])`` tuples, or dicts with those keys.
Executions = pd.DataFrame | Iterable[Sequence[Any] | Mapping[str, Any]]


def check_on_error(on_error: str) -> None:
    """Refuse an ``on_error`` other than ``"warn"``, ``"raise"`` or ``"ignore"``.

    Parameters
    ----------
    on_error
        What a client call does with the calls that failed for good.

    Returns
    -------
    None

    Examples
    --------
    >>> check_on_error("warn")
    >>> try:
    ...     check_on_error("loud")
    ... except InvalidParameterError as error:
    ...     print(error.field, "-", error.rule)
    on_error - must be 'warn', 'raise' or 'ignore'
    """
    if on_error not in ("warn", "raise", "ignore"):
        raise InvalidParameterError("on_error", "must be 'warn', 'raise' or 'ignore'", on_error)


def check_workers(workers: object) -> int:
    """Return ``workers`` if it is a pool size: an integer >= 1.

    Parameters
    ----------
    workers
        Threads making calls at once.

    Returns
    -------
    int
        ``workers``, unchanged.

    Examples
    --------
    >>> check_workers(16)
    16
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidParameterError("workers", "must be an integer >= 1", workers)
    return workers


def check_rate(rate: object, field: str) -> float:
    """Return ``rate`` as a float if it is a positive number of requests per second.

    Parameters
    ----------
    rate
        A request budget, in requests per second.
    field
        The argument's name, for the error.

    Returns
    -------
    float
        ``rate`` as a float.

    Examples
    --------
    >>> check_rate(200, "reads_per_second")
    200.0
    """
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
        raise InvalidParameterError(field, "must be a positive number of requests/s", rate)
    return float(rate)


def check_limit(limit: object) -> int | None:
    """Return ``limit`` if it is None or a positive integer (how many names a list stops at).

    Parameters
    ----------
    limit
        The most names a list should give; None for all.

    Returns
    -------
    int or None
        ``limit``, unchanged.

    Examples
    --------
    >>> check_limit(None), check_limit(10)
    (None, 10)
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InvalidParameterError("limit", "must be a positive integer or None", limit)
    return limit


def check_device_status(status: object) -> str:
    """Return ``status`` if a device may report it: IN_PROGRESS, SUCCEEDED, FAILED or REJECTED.

    Parameters
    ----------
    status
        The status an update reports.

    Returns
    -------
    str
        ``status``, unchanged.

    Examples
    --------
    >>> check_device_status("SUCCEEDED")
    'SUCCEEDED'
    """
    if not isinstance(status, str) or status not in DEVICE_STATUSES:
        allowed = ", ".join(sorted(DEVICE_STATUSES))
        raise InvalidParameterError("status", f"must be one a device may set: {allowed}", status)
    return status


def thing_names(things: Things) -> list[str]:
    """Validated, de-duplicated thing names, in the order given.

    Parameters
    ----------
    things
        One name, names, a Series of names or a frame with a ``thing_name`` column.

    Returns
    -------
    list of str
        Each name once.

    Examples
    --------
    >>> thing_names(["sensor-1", "sensor-2", "sensor-1"])
    ['sensor-1', 'sensor-2']
    """
    if isinstance(things, str):
        things = [things]
    elif isinstance(things, pd.DataFrame):
        if "thing_name" not in things.columns:
            raise InvalidParameterError("things", "a DataFrame needs a thing_name column", None)
        things = things["thing_name"]
    names = list(things)
    if not names:
        raise InvalidParameterError("things", "must name at least one thing", names)
    for index, name in enumerate(names):
        check_thing_name(name, f"things[{index}]")
    return list(dict.fromkeys(names))


def job_ids(jobs: str | Iterable[str]) -> list[str]:
    """Validated, de-duplicated job ids, in the order given.

    Parameters
    ----------
    jobs
        One job id or several.

    Returns
    -------
    list of str
        Each job id once.

    Examples
    --------
    >>> job_ids("fw-2")
    ['fw-2']
    """
    ids = [jobs] if isinstance(jobs, str) else list(jobs)
    if not ids:
        raise InvalidParameterError("job_ids", "must name at least one job", ids)
    for index, job_id in enumerate(ids):
        check_job_id(job_id, f"job_ids[{index}]")
    return list(dict.fromkeys(ids))


def executions_with_jobs(executions: Any) -> Any:
    """A frame's rows that name an execution (anything else is returned as it is).

    :meth:`~jobsnb.client.FleetClient.start_next` marks the things that had nothing pending
    with a row without ``job_id``, and there is nothing to act on there.

    Parameters
    ----------
    executions
        A frame with a ``job_id`` column, or anything :func:`execution_pairs` takes.

    Returns
    -------
    pandas.DataFrame or the argument
        The rows whose ``job_id`` is set.

    Examples
    --------
    >>> frame = pd.DataFrame({"thing_name": ["a", "b"], "job_id": ["fw", None]})
    >>> executions_with_jobs(frame)["thing_name"].tolist()
    ['a']
    """
    if isinstance(executions, pd.DataFrame) and "job_id" in executions.columns:
        return executions[executions["job_id"].notna()]
    return executions


def execution_pairs(executions: Executions) -> list[Pair]:
    """(thing, job, execution number or None) for each execution asked about, validated.

    Parameters
    ----------
    executions
        A frame with ``thing_name`` and ``job_id`` (and optionally ``execution_number``)
        columns, or ``(thing, job)`` / ``(thing, job, number)`` tuples, or dicts with those keys.

    Returns
    -------
    list of Pair
        One ``(thing, job, number or None)`` per execution, in order; none for a frame
        without rows (an empty list or tuple raises).

    Examples
    --------
    >>> execution_pairs([("sensor-1", "fw-2"), {"thing_name": "sensor-2", "job_id": "fw-2",
    ...                                         "execution_number": 2}])
    [('sensor-1', 'fw-2', None), ('sensor-2', 'fw-2', 2)]
    """
    if isinstance(executions, pd.DataFrame):
        missing = [c for c in ("thing_name", "job_id") if c not in executions.columns]
        if missing:
            raise InvalidParameterError(
                "executions",
                f"a DataFrame needs the columns thing_name and job_id (missing: "
                f"{', '.join(missing)}); client.pending() gives such a frame",
                list(executions.columns),
            )
        numbers = (
            executions["execution_number"]
            if "execution_number" in executions.columns
            else [None] * len(executions)
        )
        rows: list[Any] = list(
            zip(executions["thing_name"], executions["job_id"], numbers, strict=True)
        )
    else:
        rows = []
        for row in executions:
            if isinstance(row, Mapping):
                rows.append((row.get("thing_name"), row.get("job_id"), row.get("execution_number")))
            elif isinstance(row, str) or len(row) not in (2, 3):
                raise InvalidParameterError(
                    "executions", "each must be (thing, job) or (thing, job, execution_number)", row
                )
            else:
                rows.append((row[0], row[1], row[2] if len(row) == 3 else None))
    if not rows and not isinstance(executions, pd.DataFrame):
        # An empty frame is an answer (nothing pending), not a mistake: nothing to call.
        raise InvalidParameterError("executions", "must name at least one execution", rows)
    pairs: list[Pair] = []
    for index, (thing, job, number) in enumerate(rows):
        check_thing_name(thing, f"executions[{index}].thing_name")
        if job is None or job is pd.NA or (isinstance(job, float) and pd.isna(job)):
            raise InvalidParameterError(
                f"executions[{index}].job_id",
                f"is missing for thing {thing!r}: drop rows without a job first, e.g. "
                "frame.dropna(subset=['job_id'])",
                job,
            )
        check_job_id(job, f"executions[{index}].job_id")
        if number is None or pd.isna(number):
            pairs.append((thing, job, None))
        else:
            pairs.append(
                (thing, job, check_execution_number(_whole(number), f"executions[{index}]"))
            )
    return pairs


def expected_versions(
    executions: Any, expected_version: int | str | None, count: int
) -> list[int | None]:
    """The ``expectedVersion`` each of ``count`` updates sends (None: no version check).

    Parameters
    ----------
    executions
        What the update was given; ``"frame"`` reads its ``version_number`` column.
    expected_version
        ``"frame"``, one version for all, or None.
    count
        How many executions are updated.

    Returns
    -------
    list of int or None
        One expected version per execution.

    Examples
    --------
    >>> frame = pd.DataFrame({"version_number": [1, None]}, dtype="Int64")
    >>> expected_versions(frame, "frame", 2), expected_versions(frame, 3, 2)
    ([1, None], [3, 3])
    """
    if expected_version is None:
        return [None] * count
    if expected_version == "frame":
        if isinstance(executions, pd.DataFrame) and "version_number" in executions.columns:
            return [
                None if pd.isna(v) else check_expected_version(int(v), "version_number")
                for v in executions["version_number"]
            ]
        return [None] * count
    return [check_expected_version(expected_version, "expected_version")] * count


def _whole(number: Any) -> Any:
    """An execution number as an int when it is a whole number; anything else as it is.

    Frames hold numpy ints or floats; what is not whole is passed on for the check to refuse.
    """
    try:
        return int(number) if float(number).is_integer() else number
    except (TypeError, ValueError):
        return number
