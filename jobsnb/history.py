"""Snapshots over time: stamp a frame, append it to a Parquet dataset, read the history back.

A history is a directory of Parquet files, one per snapshot, each with a ``snapshot_at``
column. Any jobsnb frame can go in (``pending``, ``describe``, ``executions`` ...); reading
restores the types Parquet cannot hold as such: the ordered status categorical and the
``status_details`` dicts (stored as JSON text).

>>> import tempfile, pandas as pd
>>> from jobsnb.history import read_history, to_history
>>> folder = tempfile.mkdtemp()
>>> frame = pd.DataFrame({"thing_name": ["t1"], "status": ["QUEUED"]})
>>> _ = to_history(frame, folder, snapshot_at=pd.Timestamp("2026-01-01", tz="UTC"))
>>> read_history(folder)[["snapshot_at", "thing_name", "status"]]
                snapshot_at thing_name  status
0 2026-01-01 00:00:00+00:00         t1  QUEUED
"""

from __future__ import annotations

import json
import uuid
from os import PathLike
from pathlib import Path

import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.schema import STATUS_DTYPE

__all__ = ["read_history", "to_history"]

_JSON_COLUMNS = ("status_details",)


def to_history(
    frame: pd.DataFrame,
    path: str | PathLike[str],
    *,
    snapshot_at: pd.Timestamp | None = None,
) -> Path:
    """Append ``frame`` as one snapshot to the Parquet dataset at ``path``; return its file.

    The snapshot's time is ``snapshot_at``, else the frame's own (its ``snapshot_at`` column
    or ``attrs``, as :meth:`FleetClient.pending` records it), else now (UTC).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidParameterError("frame", "must be a pandas DataFrame", type(frame).__name__)
    stamp = _snapshot_time(frame, snapshot_at)
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    out["snapshot_at"] = stamp
    for column in _JSON_COLUMNS:
        if column in out.columns:
            out[column] = [
                None if value is None else json.dumps(value, sort_keys=True)
                for value in out[column]
            ]
    if "status" in out.columns:
        out["status"] = out["status"].astype("string")
    name = f"snapshot-{stamp.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}.parquet"
    target = folder / name
    out.attrs = {}
    out.to_parquet(target, index=False)
    return target


def read_history(path: str | PathLike[str]) -> pd.DataFrame:
    """Every snapshot in the dataset at ``path``, oldest first, with jobsnb's types restored."""
    folder = Path(path)
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise InvalidParameterError("path", "holds no snapshots (*.parquet files)", str(folder))
    frame = pd.concat([pd.read_parquet(file) for file in files], ignore_index=True)
    if "status" in frame.columns:
        frame["status"] = frame["status"].astype(STATUS_DTYPE)
    frame["snapshot_at"] = frame["snapshot_at"].dt.as_unit("ns")
    for column in _JSON_COLUMNS:
        if column in frame.columns:
            frame[column] = [
                None if value is None or pd.isna(value) else json.loads(value)
                for value in frame[column]
            ]
    frame = frame.sort_values("snapshot_at", kind="stable", ignore_index=True)
    columns = ["snapshot_at", *[c for c in frame.columns if c != "snapshot_at"]]
    return frame[columns]


def _snapshot_time(frame: pd.DataFrame, snapshot_at: pd.Timestamp | None) -> pd.Timestamp:
    if snapshot_at is None:
        if "snapshot_at" in frame.columns and len(frame) and frame["snapshot_at"].notna().any():
            snapshot_at = frame["snapshot_at"].dropna().iloc[0]
        else:
            snapshot_at = frame.attrs.get("snapshot_at") or pd.Timestamp.now(tz="UTC")
    stamp = pd.Timestamp(snapshot_at)
    if stamp.tzinfo is None:
        raise InvalidParameterError("snapshot_at", "must be timezone-aware (UTC)", snapshot_at)
    return stamp.tz_convert("UTC").as_unit("ns")
