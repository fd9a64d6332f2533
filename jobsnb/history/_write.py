"""Appending one snapshot to a history: one Parquet file, published whole or not at all."""

from __future__ import annotations

import contextlib
import os
from os import PathLike
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jobsnb.exceptions import InvalidParameterError
from jobsnb.history._arrow import sort_order, table_from_frame
from jobsnb.history._location import Location, locate, snapshot_file, utc_time

__all__ = ["to_history"]

#: Rows per Parquet row group: small enough that one job's rows of a big snapshot span few
#: groups (statistics skip the rest), large enough to keep the footer and the reads cheap.
ROW_GROUP_ROWS = 32_768


def to_history(
    frame: pd.DataFrame,
    path: str | PathLike[str],
    *,
    snapshot_at: pd.Timestamp | None = None,
    filesystem: Any = None,
) -> str:
    """Append ``frame`` as one snapshot to the history at ``path``; return the file written.

    The snapshot becomes one Parquet file in the partition of its UTC date,
    ``<path>/snapshot_date=YYYY-MM-DD/part-<time>-<id>.parquet``, its rows sorted by
    ``job_id`` then ``thing_name``. Readers never see it half written: on a disk it is written
    under a hidden temporary name and renamed when complete, so a writer killed midway leaves at
    most a ``.part-….tmp`` file that every reader skips; on an object store such as S3 it is one
    upload, which the store publishes whole or not at all.

    Parameters
    ----------
    frame
        Any jobsnb frame (``pending``, ``describe``, ``executions`` ...) or other DataFrame.
    path
        The history: a folder (made when missing) or a URL such as ``s3://bucket/prefix``
        (see :func:`read_history` for how S3 is reached).
    snapshot_at
        When the snapshot was taken (timezone-aware). By default the frame's own time (its
        ``snapshot_at`` column or ``attrs``, as :meth:`FleetClient.pending` records it), else now.
    filesystem
        A :class:`pyarrow.fs.FileSystem` or fsspec filesystem to write through; by default the
        one ``path`` names.

    Returns
    -------
    str
        The snapshot's file: a local path, or a URL when ``path`` was one.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from jobsnb.history import to_history
    >>> folder = tempfile.mkdtemp()
    >>> frame = pd.DataFrame({"thing_name": ["t1"], "job_id": ["fw-2"], "status": ["QUEUED"]})
    >>> file = to_history(frame, folder, snapshot_at=pd.Timestamp("2026-11-29 08:00", tz="UTC"))
    >>> file.removeprefix(folder)  # doctest: +ELLIPSIS
    '/snapshot_date=2026-11-29/part-20261129T080000000000Z-....parquet'
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidParameterError("frame", "must be a pandas DataFrame", type(frame).__name__)
    stamp = utc_time(_snapshot_time(frame, snapshot_at), "snapshot_at")
    location = locate(path, filesystem)
    table = table_from_frame(frame, stamp)
    final, temporary = snapshot_file(location, stamp)
    if location.object_store:
        _write_object(location, table, final)
        return location.url(final)
    location.filesystem.create_dir(final.rpartition("/")[0], recursive=True)
    if location.local:
        _write_local(table, final, temporary)
    else:
        _write_moved(location, table, final, temporary)
    return location.url(final)


def _snapshot_time(frame: pd.DataFrame, snapshot_at: object) -> object:
    if snapshot_at is not None:
        return snapshot_at
    if "snapshot_at" in frame.columns and frame["snapshot_at"].notna().any():
        return frame["snapshot_at"].dropna().iloc[0]
    return frame.attrs.get("snapshot_at") or pd.Timestamp.now(tz="UTC")


def _write_parquet(table: pa.Table, where: Any) -> None:
    # The sort order goes in the footer too, for engines that use it (Spark, DuckDB).
    order = sort_order(table)
    sorting = pq.SortingColumn.from_ordering(table.schema, order) if order else None
    pq.write_table(table, where, row_group_size=ROW_GROUP_ROWS, sorting_columns=sorting)


def _write_local(table: pa.Table, final: str, temporary: str) -> None:
    try:
        with open(temporary, "wb") as file:
            _write_parquet(table, file)
            file.flush()
            # On disk before the rename, so that a crash leaves the old state or the whole file.
            os.fsync(file.fileno())
        os.replace(temporary, final)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _write_object(location: Location, table: pa.Table, final: str) -> None:
    # An object store publishes an object whole when its upload completes, and a killed upload
    # never completes. The file is built in memory first so that the stream only ever sees it
    # whole. (A temporary object moved into place would cost a copy, and pyarrow would leave
    # folder marker objects behind when deleting it.)
    buffer = pa.BufferOutputStream()
    _write_parquet(table, buffer)
    with location.filesystem.open_output_stream(final) as stream:
        stream.write(buffer.getvalue())


def _write_moved(location: Location, table: pa.Table, final: str, temporary: str) -> None:
    filesystem = location.filesystem
    try:
        with filesystem.open_output_stream(temporary) as stream:
            _write_parquet(table, stream)
        filesystem.move(temporary, final)
    except BaseException:
        with contextlib.suppress(OSError):
            filesystem.delete_file(temporary)
        raise
