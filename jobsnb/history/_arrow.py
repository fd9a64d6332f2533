"""Frames to the history's standard Arrow types and back to jobsnb's pandas types.

In the files every column has a type any Parquet engine reads as is: times are
``timestamp[us, tz=UTC]``, durations ``duration[us]`` (a ``bigint`` of microseconds to engines
without Arrow's schema), ``status`` is a plain string and ``status_details`` JSON text; no pandas
metadata. Reading restores the frame jobsnb's clients return: nanosecond UTC times, the ordered
status categorical, nullable ``Int64`` and ``string`` columns and ``status_details`` dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from jobsnb.schema import STATUS_DTYPE

__all__ = [
    "DICTIONARY_COLUMNS",
    "JSON_COLUMNS",
    "SORT_KEYS",
    "frame_from_table",
    "sort_order",
    "standard_table",
    "table_from_frame",
]

#: Columns holding dicts in frames and JSON text in the files.
JSON_COLUMNS = ("status_details",)
#: Columns best read as Parquet dictionaries: a few distinct values over millions of rows.
DICTIONARY_COLUMNS = ("status", *JSON_COLUMNS)
#: Rows within a file are sorted by these, so that row-group statistics prune on them.
SORT_KEYS = ("job_id", "thing_name")

_PANDAS_TYPES: dict[pa.DataType, Any] = {
    pa.int64(): pd.Int64Dtype(),
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.bool_(): pd.BooleanDtype(),
}
_STATUSES = pa.array(list(STATUS_DTYPE.categories), pa.string())
_ENCODER = json.JSONEncoder(sort_keys=True)


def table_from_frame(frame: pd.DataFrame, stamp: pd.Timestamp) -> pa.Table:
    """``frame`` stamped with ``snapshot_at`` (first column), sorted, in standard Arrow types."""
    out = frame.drop(columns="snapshot_at", errors="ignore")
    out.attrs = {}  # pandas would store them as metadata other engines do not know
    out.insert(0, "snapshot_at", pd.Series(stamp, index=out.index, dtype="datetime64[ns, UTC]"))
    for column in JSON_COLUMNS:
        if column in out.columns:
            out[column] = pd.array(_json_texts(out[column]), dtype="string")
    table = standard_table(pa.Table.from_pandas(out, preserve_index=False))
    order = sort_order(table)
    return table.sort_by(order) if order else table


def sort_order(table: pa.Table) -> list[tuple[str, str]]:
    """The :data:`SORT_KEYS` ``table`` has, as a pyarrow sort order."""
    return [(key, "ascending") for key in SORT_KEYS if key in table.column_names]


def _json_texts(values: Iterable[Any]) -> list[str | None]:
    # A snapshot's statusDetails repeat a handful of maps: encode each distinct one once. The
    # value types are part of the key, since 1 == 1.0 == True would otherwise share a text.
    texts: dict[tuple[Any, ...], str] = {}
    out: list[str | None] = []
    for value in values:
        if value is None or value is pd.NA:
            out.append(None)
            continue
        try:
            key = (*value.items(), *map(type, value.values()))
            text = texts.get(key)
        except (AttributeError, TypeError):  # not a dict, or values that cannot be hashed
            out.append(_ENCODER.encode(value))
            continue
        if text is None:
            text = texts[key] = _ENCODER.encode(value)
        out.append(text)
    return out


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

    ``status`` and the JSON columns may be plain strings or dictionaries of strings (as
    :data:`DICTIONARY_COLUMNS` are read). Rows of one snapshot keep their order in the file; rows
    whose ``status_details`` are the same share one dict.
    """
    table = table.select(["snapshot_at", *[c for c in table.column_names if c != "snapshot_at"]])
    names = table.column_names
    if "status" in names:
        table = table.set_column(names.index("status"), "status", _status_codes(table["status"]))
    decoded = {c: _decoded(table[c]) for c in JSON_COLUMNS if c in names}
    table = table.drop_columns(list(decoded))
    # With no other reference to its buffers, self_destruct frees each column once converted.
    frame = table.to_pandas(
        types_mapper=_PANDAS_TYPES.get,
        coerce_temporal_nanoseconds=True,
        split_blocks=True,
        self_destruct=True,
    )
    del table
    for column, values in decoded.items():
        frame.insert(names.index(column), column, values)
    if not frame["snapshot_at"].is_monotonic_increasing:
        frame = frame.sort_values("snapshot_at", kind="stable", ignore_index=True)
    result: pd.DataFrame = frame
    return result


def _status_codes(status: pa.ChunkedArray) -> pa.ChunkedArray:
    """``status`` as a dictionary of every status in rollout order.

    pandas turns it into :data:`STATUS_DTYPE` without looking at each row; a status it does not
    know becomes NA.
    """
    chunks = []
    for chunk in status.chunks:
        if pa.types.is_dictionary(chunk.type):
            codes = pc.take(pc.index_in(chunk.dictionary, value_set=_STATUSES), chunk.indices)
        else:
            codes = pc.index_in(chunk, value_set=_STATUSES)
        chunks.append(
            pa.DictionaryArray.from_arrays(codes.cast(pa.int8()), _STATUSES, ordered=True)
        )
    return pa.chunked_array(chunks, type=pa.dictionary(pa.int8(), pa.string(), ordered=True))


def _decoded(texts: pa.ChunkedArray) -> np.ndarray[Any, np.dtype[np.object_]]:
    # Each distinct text is parsed once and its dict shared by the rows that have it: a history
    # of millions of rows holds a few thousand dicts, not one (~200 bytes) a row.
    parsed: dict[str, Any] = {}
    parts = []
    for chunk in texts.chunks:
        encoded = chunk if pa.types.is_dictionary(chunk.type) else chunk.dictionary_encode()
        values = [
            parsed[text] if text in parsed else parsed.setdefault(text, json.loads(text))
            for text in encoded.dictionary.to_pylist()
        ]
        pool = np.empty(len(values) + 1, dtype=object)
        pool[: len(values)] = values
        parts.append(pool[encoded.indices.fill_null(len(values)).to_numpy()])
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)
