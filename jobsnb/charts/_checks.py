"""Checks on a chart's input, with errors that name the missing column and where it comes from.

Examples
--------
>>> import pandas as pd
>>> from jobsnb.charts._checks import require_columns
>>> try:
...     require_columns(pd.DataFrame({"status": []}), ["status", "queue_age"],
...                     chart="queue_age", source="pending")
... except ValueError as error:
...     print(error)
frame: queue_age needs the column queue_age, which client.pending(things) produces (got ['status'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.schema import (
    EXECUTION_COLUMNS,
    EXECUTION_OPTIONAL_COLUMNS,
    JOB_EXECUTION_COLUMNS,
    JOB_SUMMARY_COLUMNS,
    PENDING_COLUMNS,
)

__all__ = ["PRODUCERS", "check_by", "check_frame", "producer_of", "require_columns"]

#: The call that makes each kind of frame, as the error messages name it.
PRODUCERS: Final = {
    "pending": "client.pending(things)",
    "describe": "client.describe(frame)",
    "executions": "client.executions(job_ids)",
    "described": "client.executions(job_ids, describe=True)",
    "job_summary": "client.job_summary(job_ids)",
    "history": "jobsnb.history.read_history(path)",
    "statuses": (
        "client.pending(things), client.executions(job_ids), client.describe(frame) "
        "or client.job_summary(job_ids)"
    ),
}

_SCHEMAS: Final = (
    ("pending", PENDING_COLUMNS),
    ("executions", JOB_EXECUTION_COLUMNS),
    ("describe", (*EXECUTION_COLUMNS, *EXECUTION_OPTIONAL_COLUMNS)),
    ("job_summary", JOB_SUMMARY_COLUMNS),
)


def producer_of(column: str) -> str | None:
    """The client call whose frame has ``column``, if any (``detail_*``: describe's flattening)."""
    if column.startswith("detail_"):
        return "client.describe(frame, flatten_details=True)"
    for source, columns in _SCHEMAS:
        if any(c.name == column for c in columns):
            return PRODUCERS[source]
    return None


def check_frame(frame: object, chart: str, source: str) -> pd.DataFrame:
    """A shallow copy of ``frame`` to draw from, else an error saying which call gives one.

    The copy drops attrs that hold frames or series (a user's own): pandas compares attrs when
    it concatenates, and a DataFrame there makes that comparison raise.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidParameterError(
            "frame",
            f"{chart} needs a pandas DataFrame, such as {PRODUCERS[source]} returns",
            type(frame).__name__,
        )
    clean = frame.copy(deep=False)
    clean.attrs = {
        key: value
        for key, value in frame.attrs.items()
        if not isinstance(value, pd.DataFrame | pd.Series)
    }
    return clean


def require_columns(
    frame: pd.DataFrame, columns: Sequence[str], *, chart: str, source: str
) -> None:
    """Raise unless ``frame`` has every one of ``columns``; name the missing ones and their call."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        raise InvalidParameterError(
            "frame",
            f"{chart} needs the {noun} {', '.join(missing)}, which {PRODUCERS[source]} produces",
            list(map(str, frame.columns)),
        )


def check_by(frame: pd.DataFrame, column: Any, argument: str = "by") -> str | None:
    """``column`` if it is None or a column of ``frame``, else an error naming it and its source."""
    if column is None:
        return None
    if not isinstance(column, str):
        raise InvalidParameterError(argument, "must be a column name (a string)", column)
    if column not in frame.columns:
        producer = producer_of(column)
        hint = (
            f"it comes from {producer}"
            if producer
            else "add it first, e.g. frame.merge(groups, on='thing_name')"
        )
        raise InvalidParameterError(
            argument,
            f"names the column {column!r}, which the frame does not have ({hint}); "
            f"the frame has {', '.join(map(str, frame.columns))}",
            column,
        )
    return column
