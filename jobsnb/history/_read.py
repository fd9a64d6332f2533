"""Reading a history back: the snapshots, jobs, things, times and columns asked for, and no more.

Filters are pyarrow dataset expressions, so they reach the files before any row does:
``since``/``until`` skip whole ``snapshot_date`` partitions by their folder names, then whole files
by their ``snapshot_at`` statistics; ``jobs``/``things`` skip row groups by their ``job_id`` and
``thing_name`` statistics (each file is sorted by both); ``columns`` reads only those columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from os import PathLike
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from jobsnb.exceptions import InvalidParameterError
from jobsnb.history._arrow import DICTIONARY_COLUMNS, frame_from_table, standard_table
from jobsnb.history._location import PARTITION, PARTITIONING, Location, locate, utc_time
from jobsnb.limits import check_job_id, check_thing_name

__all__ = ["read_history"]

Names = str | Iterable[str]
Time = pd.Timestamp | datetime | str

_PARTITION_SCHEMA = PARTITIONING.schema
_FORMAT = ds.ParquetFileFormat(
    read_options=ds.ParquetReadOptions(dictionary_columns=set(DICTIONARY_COLUMNS))
)


def read_history(
    path: str | PathLike[str],
    *,
    jobs: Names | None = None,
    things: Names | None = None,
    since: Time | None = None,
    until: Time | None = None,
    columns: Names | None = None,
    filesystem: Any = None,
) -> pd.DataFrame:
    """The snapshots of the history at ``path``, oldest first, with jobsnb's types restored.

    Parameters
    ----------
    path
        The history: a folder, or a URL such as ``s3://bucket/prefix``. S3 is reached through
        pyarrow with the AWS SDK's usual settings (credentials and region from the environment,
        ``~/.aws`` or the instance role); a custom endpoint (MinIO, LocalStack, moto) from
        ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``.
    jobs, things
        Only the rows of these job ids / thing names (one name or a list of them).
    since, until
        Only the snapshots taken at ``since`` or later and before ``until``: timezone-aware times
        (Timestamp, datetime or ISO text with an offset).
    columns
        Only these columns (one name or a list); ``snapshot_at`` always comes first.
    filesystem
        A :class:`pyarrow.fs.FileSystem` or fsspec filesystem to read through, with ``path``
        a path on it (``bucket/prefix``; a scheme is dropped); by default the one ``path``
        names. For S3 with other credentials than the default ones, e.g. a boto3 session's::

            credentials = session.get_credentials().get_frozen_credentials()
            filesystem = pyarrow.fs.S3FileSystem(
                access_key=credentials.access_key,
                secret_key=credentials.secret_key,
                session_token=credentials.token,
                region=session.region_name,
            )

    Returns
    -------
    pandas.DataFrame
        ``snapshot_at`` (``datetime64[ns, UTC]``) first, then the snapshots' own columns:
        ``status`` as the ordered categorical :data:`jobsnb.schema.STATUS_DTYPE`,
        ``status_details`` as dicts (rows with the same details share one dict: copy it before
        changing it), whole numbers as ``Int64``, text as ``string``. Rows of a snapshot come
        sorted by ``job_id`` then ``thing_name``. Empty, with the columns, when nothing matches.

    Raises
    ------
    InvalidParameterError
        A bad argument (before any file is read), a column the history does not have, or a
        ``path`` that holds no snapshots.

    Notes
    -----
    Histories written by earlier jobsnb versions (``snapshot-*.parquet`` files directly in the
    folder) are read too, but whole and then filtered. To convert one to the partitioned layout::

        for _, snapshot in read_history(old).groupby("snapshot_at"):
            to_history(snapshot, new)

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from jobsnb.history import read_history, to_history
    >>> folder = tempfile.mkdtemp()
    >>> frame = pd.DataFrame({"thing_name": ["t1", "t2"], "job_id": ["fw-2", "cfg-9"],
    ...                       "status": ["QUEUED", "IN_PROGRESS"]})
    >>> for hour in (8, 9):
    ...     _ = to_history(frame, folder, snapshot_at=pd.Timestamp(2026, 11, 29, hour, tz="UTC"))
    >>> read_history(folder, jobs="fw-2", since="2026-11-29T08:30Z", columns="status")
                    snapshot_at  status
    0 2026-11-29 09:00:00+00:00  QUEUED
    """
    job_ids = _names(jobs, "jobs", check_job_id)
    thing_names = _names(things, "things", check_thing_name)
    start = None if since is None else utc_time(since, "since")
    end = None if until is None else utc_time(until, "until")
    if start is not None and end is not None and end <= start:
        raise InvalidParameterError("until", f"must be later than since ({start})", until)
    wanted = _names(columns, "columns", _check_column)
    location = locate(path, filesystem)

    dataset = _discover(location)
    fragments = list(dataset.get_fragments(filter=_dates(start, end)))
    legacy = [f for f in fragments if f.path.rpartition("/")[0] == location.root]
    current = [f for f in fragments if f.path.rpartition("/")[0] != location.root]
    rows = _rows(job_ids, thing_names, start, end)
    tables = []
    if current:
        schema = pa.unify_schemas(
            [f.physical_schema for f in current], promote_options="permissive"
        )
        _require(schema, job_ids, thing_names)
        selected = ds.FileSystemDataset(current, schema, _FORMAT, location.filesystem)
        tables.append(selected.to_table(columns=_projection(schema, wanted), filter=rows))
    if legacy:
        whole = _read_legacy(location, legacy)
        _require(whole.schema, job_ids, thing_names)
        tables.append(ds.dataset(whole).to_table(_projection(whole.schema, wanted), filter=rows))
    if not tables:
        # Nothing matched: the columns and types of the newest file, without its rows.
        newest = max(dataset.get_fragments(), key=lambda fragment: fragment.path)
        schema = standard_table(newest.physical_schema.empty_table()).schema
        tables.append(schema.empty_table().select(_projection(schema, wanted)))
    if len(tables) > 1:
        tables = [pa.concat_tables(map(standard_table, tables), promote_options="permissive")]
    return frame_from_table(tables.pop())


def _names(value: Names | None, field: str, check: Callable[[Any, str], str]) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise InvalidParameterError(field, "must be a name or a list of names", value)
    names = [check(name, field) for name in value]
    if not names:
        raise InvalidParameterError(field, "must name at least one; None means all", value)
    return names


def _check_column(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(field, "must be column names (non-empty strings)", value)
    return value


def _discover(location: Location) -> ds.FileSystemDataset:
    """The history's snapshot files, listed but not opened.

    The files are those every engine reads: ``*.parquet`` with no part of their path starting
    with ``.`` or ``_`` (so never a snapshot still being written). No footer is read until the
    filters have chosen files (a dataset without a schema would read the first file's).
    """
    selector = pafs.FileSelector(location.root, recursive=True, allow_not_found=True)
    files = sorted(
        info.path
        for info in location.filesystem.get_file_info(selector)
        if info.is_file and info.path.endswith(".parquet") and not _hidden(location, info.path)
    )
    if not files:
        raise InvalidParameterError(
            "path", "holds no snapshots (no Parquet files)", location.url(location.root)
        )
    return ds.dataset(
        files,
        schema=_PARTITION_SCHEMA,
        filesystem=location.filesystem,
        format=_FORMAT,
        partitioning=PARTITIONING,
        partition_base_dir=location.root,
    )


def _hidden(location: Location, path: str) -> bool:
    relative = path[len(location.root) :].strip("/")
    return any(part.startswith((".", "_")) for part in relative.split("/"))


def _dates(start: pd.Timestamp | None, end: pd.Timestamp | None) -> pc.Expression:
    """The partitions that may hold snapshots in [start, end)."""
    keep = pc.scalar(True)
    if start is not None:
        keep &= pc.field(PARTITION) >= pa.scalar(start.date(), pa.date32())
    if end is not None:
        keep &= pc.field(PARTITION) <= pa.scalar(end.date(), pa.date32())
    return keep


def _rows(
    job_ids: list[str] | None,
    thing_names: list[str] | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pc.Expression:
    keep = pc.scalar(True)
    if job_ids is not None:
        keep &= pc.field("job_id").isin(job_ids)
    if thing_names is not None:
        keep &= pc.field("thing_name").isin(thing_names)
    if start is not None:
        keep &= pc.field("snapshot_at") >= pa.scalar(start.value, pa.timestamp("ns", "UTC"))
    if end is not None:
        keep &= pc.field("snapshot_at") < pa.scalar(end.value, pa.timestamp("ns", "UTC"))
    return keep


def _projection(schema: pa.Schema, wanted: list[str] | None) -> list[str]:
    names: list[str] = schema.names
    if wanted is None:
        return names
    missing = [name for name in wanted if name not in names]
    if missing:
        raise InvalidParameterError(
            "columns", f"must be columns of the history: {', '.join(names)}", missing
        )
    return ["snapshot_at", *dict.fromkeys(name for name in wanted if name != "snapshot_at")]


def _require(schema: pa.Schema, job_ids: list[str] | None, thing_names: list[str] | None) -> None:
    for field, column, asked in (
        ("jobs", "job_id", job_ids),
        ("things", "thing_name", thing_names),
    ):
        if asked is not None and column not in schema.names:
            raise InvalidParameterError(field, f"needs a {column} column in the history", asked)


def _read_legacy(location: Location, fragments: list[ds.Fragment]) -> pa.Table:
    tables = [pq.read_table(f.path, filesystem=location.filesystem) for f in fragments]
    return pa.concat_tables([standard_table(t) for t in tables], promote_options="permissive")
