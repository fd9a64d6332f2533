"""Column arrays from lists of response dicts: the vectorised pieces every frame is built of."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import STATUSES
from jobsnb.schema import STATUS_DTYPE, Column

__all__ = [
    "ABSENT",
    "NS",
    "STATUS_CODE",
    "Int64s",
    "Record",
    "datetimes_ns",
    "elapsed",
    "epoch_ns",
    "frame_of",
    "int64_array",
    "int_field",
    "positions_within",
    "seconds_field",
    "status_array",
    "string_array",
    "utc_array",
    "utc_timestamp",
]

NS: Final = 1_000_000_000
# Stands for an absent integer while pulling a field; it is also NaT's int64 value.
ABSENT: Final = np.iinfo(np.int64).min
STATUS_CODE: Final = {status: code for code, status in enumerate(STATUSES)}
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

Record = Mapping[str, Any]
Int64s = npt.NDArray[np.int64]


# --- arrays -------------------------------------------------------------------------------------


def int_field(records: Sequence[Record], key: str) -> tuple[Int64s, npt.NDArray[np.bool_]]:
    """One integer field of every record, and the mask of records without it."""
    values = np.fromiter((r.get(key, ABSENT) for r in records), np.int64, len(records))
    return values, values == ABSENT


def int64_array(values: Int64s, mask: npt.NDArray[np.bool_]) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(mask, 0, values), mask)


def utc_array(ns: Int64s) -> pd.arrays.DatetimeArray:
    """int64 nanoseconds since the epoch (``ABSENT`` = NaT) → ``datetime64[ns, UTC]``."""
    return pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC").array


def seconds_field(records: Sequence[Record], key: str) -> Int64s:
    """An epoch-seconds field as int64 nanoseconds, ``ABSENT`` where the record lacks it."""
    values, mask = int_field(records, key)
    return np.where(mask, ABSENT, values * NS)


def epoch_ns(value: datetime | None) -> int:
    """A control-plane datetime (any zone; naive is UTC) as int64 nanoseconds, None as ``ABSENT``.

    Subtracting the epoch is exact and ~5x faster than ``pd.to_datetime`` over boto3's
    datetimes, which hashes each one and so asks dateutil's ``tzlocal`` for its offset repeatedly.
    """
    if value is None:
        return ABSENT
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MICROSECOND * 1000


def datetimes_ns(records: Sequence[Record], key: str) -> Int64s:
    """A datetime field of every record (boto3's control-plane times) as int64 nanoseconds."""
    return np.fromiter((epoch_ns(r.get(key)) for r in records), np.int64, len(records))


def elapsed(snapshot_ns: int, ns: Int64s, keep: npt.NDArray[np.bool_]) -> npt.NDArray[Any]:
    """``snapshot - ns`` as timedelta64[ns]; NaT where ``ns`` is NaT or ``keep`` is False."""
    return np.where(keep & (ns != ABSENT), snapshot_ns - ns, ABSENT).view("m8[ns]")


def string_array(values: Iterable[object]) -> Any:
    """A ``string`` array (None → NA) built through pyarrow, which is ~3x faster than pandas."""
    return pd.array(pa.array(values, type=pa.large_string()), dtype=pd.StringDtype())


def status_array(values: Iterable[object], field: str) -> pd.Categorical:
    """Status strings (None → NA) as :data:`STATUS_DTYPE`; an unknown status raises."""
    try:
        codes = np.fromiter(
            (-1 if v is None else STATUS_CODE[v] for v in values),  # type: ignore[index]
            np.int8,
        )
    except KeyError as error:
        rule = f"must be one of {', '.join(STATUSES)}"
        raise InvalidParameterError(field, rule, error.args[0]) from None
    return pd.Categorical.from_codes(codes, dtype=STATUS_DTYPE)


def positions_within(codes: npt.NDArray[np.integer[Any]]) -> Int64s:
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


def utc_timestamp(value: object, field: str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    if pd.isna(stamp) or stamp.tzinfo is None:
        raise InvalidParameterError(field, "must be a timezone-aware timestamp", value)
    return stamp.tz_convert("UTC").as_unit("ns")


def frame_of(columns: Sequence[Column], arrays: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({c.name: arrays[c.name] for c in columns}, copy=False)
