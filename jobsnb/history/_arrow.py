"""Frames to the history's standard Arrow types and back to jobsnb's pandas types.

In the files every column has a type any Parquet engine reads as is: times are
``timestamp[us, tz=UTC]``, durations ``duration[us]`` (a ``bigint`` of microseconds to engines
without Arrow's schema), ``status`` is a plain string and ``status_details`` JSON text; no pandas
metadata. Reading restores the frame jobsnb's clients return: nanosecond UTC times, the ordered
status categorical, nullable ``Int64`` and ``string`` columns and ``status_details`` dicts.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pyarrow as pa

from jobsnb.schema import STATUS_DTYPE

__all__ = ["JSON_COLUMNS", "SORT_KEYS", "frame_from_table", "standard_table", "table_from_frame"]

#: Columns holding dicts in frames and JSON text in the files.
JSON_COLUMNS = ("status_details",)
#: Rows within a file are sorted by these, so that row-group statistics prune on them.
SORT_KEYS = ("job_id", "thing_name")

_PANDAS_TYPES: dict[pa.DataType, Any] = {
    pa.int64(): pd.Int64Dtype(),
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def table_from_frame(frame: pd.DataFrame, stamp: pd.Timestamp) -> pa.Table:
    """``frame`` stamped with ``snapshot_at`` (first column), sorted, in standard Arrow types."""
    out = frame.drop(columns="snapshot_at", errors="ignore")
    out.attrs = {}  # pandas would store them as metadata other engines do not know
    out.insert(0, "snapshot_at", pd.Series(stamp, index=out.index, dtype="datetime64[ns, UTC]"))
    for column in JSON_COLUMNS:
        if column in out.columns:
            out[column] = pd.array(
                [
                    None if value is None else json.dumps(value, sort_keys=True)
                    for value in out[column]
                ],
                dtype="string",
            )
    table = standard_table(pa.Table.from_pandas(out, preserve_index=False))
    keys = [(key, "ascending") for key in SORT_KEYS if key in table.column_names]
    return table.sort_by(keys) if keys else table


def standard_table(table: pa.Table) -> pa.Table:
    """``table`` with the types other engines read as is, and without pandas' metadata."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", "UTC" if kind.tz else None)
        elif pa.types.is_duration(kind):
            kind = pa.duration("us")
        elif pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    # Not safe: nanoseconds are truncated to microseconds, which Spark and Athena can read.
    return table.cast(pa.schema(fields), safe=False)


def frame_from_table(table: pa.Table) -> pd.DataFrame:
    """The history frame of ``table``: jobsnb's types, ``snapshot_at`` first, in time order.

    Rows of one snapshot keep their order in the file.
    """
    frame = table.to_pandas(
        types_mapper=_PANDAS_TYPES.get, coerce_temporal_nanoseconds=True, self_destruct=True
    )
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].dt.tz_convert("UTC")
    if "status" in frame.columns:
        frame["status"] = frame["status"].astype(STATUS_DTYPE)
    for column in JSON_COLUMNS:
        if column in frame.columns:
            frame[column] = _decoded(frame[column])
    if not frame["snapshot_at"].is_monotonic_increasing:
        frame = frame.sort_values("snapshot_at", kind="stable", ignore_index=True)
    ordered: pd.DataFrame = frame[
        ["snapshot_at", *[c for c in frame.columns if c != "snapshot_at"]]
    ]
    return ordered


def _decoded(texts: pd.Series) -> pd.Series:
    # Most rows of a snapshot share a handful of statusDetails: parse each distinct text once,
    # then give every row its own copy, so that changing one row's dict changes no other row.
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    parsed = [json.loads(text) for text in uniques]
    values = [None if code < 0 else parsed[code].copy() for code in codes]
    return pd.Series(values, index=texts.index, dtype=object, name=texts.name)
