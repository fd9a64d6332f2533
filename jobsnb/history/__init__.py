"""Snapshots over time: stamp a frame, append it to a Parquet dataset, read the history back.

A history is a Hive-partitioned Parquet dataset, one file per snapshot, in the partition of the
snapshot's UTC date::

    history/
      snapshot_date=2026-11-28/
        part-20261128T220000000000Z-3f9c2a7b41d0.parquet
      snapshot_date=2026-11-29/
        part-20261129T000000000000Z-8e01d6c2f5a9.parquet
        part-20261129T020000000000Z-c47b9e13a2f6.parquet

The folder may be local or an object store URL (``s3://bucket/prefix``). Any jobsnb frame can go
in (``pending``, ``describe``, ``executions`` ...). The files hold standard types only, so
pyarrow, DuckDB, Polars, Spark and Athena read them as they are; :func:`read_history` pushes its
filters (jobs, things, a time range, columns) down to the files and restores jobsnb's types.

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

from jobsnb.history._read import read_history
from jobsnb.history._write import to_history

__all__ = ["read_history", "to_history"]
