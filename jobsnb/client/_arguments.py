"""Arguments of the fleet client's methods, checked and normalised before any call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import (
    check_execution_number,
    check_expected_version,
    check_job_id,
    check_thing_name,
)

__all__ = [
    "OnError",
    "Pair",
    "check_on_error",
    "execution_pairs",
    "executions_with_jobs",
    "expected_versions",
    "job_ids",
    "thing_names",
]

OnError = Literal["warn", "raise", "ignore"]
#: (thing name, job id, execution number or None: the latest).
Pair = tuple[str, str, int | None]


def check_on_error(on_error: str) -> None:
    if on_error not in ("warn", "raise", "ignore"):
        raise InvalidParameterError("on_error", "must be 'warn', 'raise' or 'ignore'", on_error)


def thing_names(things: str | Iterable[str] | pd.Series | pd.DataFrame) -> list[str]:
    """Validated, de-duplicated thing names, in the order given."""
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
    ids = [jobs] if isinstance(jobs, str) else list(jobs)
    if not ids:
        raise InvalidParameterError("job_ids", "must name at least one job", ids)
    for index, job_id in enumerate(ids):
        check_job_id(job_id, f"job_ids[{index}]")
    return list(dict.fromkeys(ids))


def executions_with_jobs(executions: Any) -> Any:
    """A frame's rows that name an execution: :meth:`start_next` marks the things that had
    nothing pending with a row without ``job_id``, and there is nothing to act on there."""
    if isinstance(executions, pd.DataFrame) and "job_id" in executions.columns:
        return executions[executions["job_id"].notna()]
    return executions


def execution_pairs(
    executions: pd.DataFrame | Iterable[Sequence[Any] | Mapping[str, Any]],
) -> list[Pair]:
    """(thing, job, execution number or None) for each execution asked about, validated."""
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
    if not rows:
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
    """An execution number as an int when it is a whole number (frames hold numpy ints or
    floats); anything else is passed on for the check to refuse."""
    try:
        return int(number) if float(number).is_integer() else number
    except (TypeError, ValueError):
        return number
