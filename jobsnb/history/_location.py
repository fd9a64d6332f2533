"""Where a history lives: a local folder or a URL, the filesystem that reaches it, its file names.

Local paths use pyarrow's local filesystem; URLs (``s3://bucket/prefix``, ``gs://``,
``abfs://``, ``hdfs://``) pyarrow's own filesystems, which need no other package and follow the
AWS SDK's settings: credentials and region from the environment or ``~/.aws``, and a custom S3
endpoint from ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``. Anything else is reached by passing
``filesystem=``: a :class:`pyarrow.fs.FileSystem` or an fsspec filesystem.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from jobsnb.exceptions import InvalidParameterError

__all__ = [
    "PARTITION",
    "PARTITIONING",
    "Location",
    "locate",
    "partition_value",
    "snapshot_file",
    "utc_time",
]

#: The Hive partition key: the snapshot's date in UTC (``snapshot_date=2026-11-29``).
PARTITION = "snapshot_date"
PARTITIONING = ds.partitioning(pa.schema([(PARTITION, pa.date32())]), flavor="hive")


@dataclass(frozen=True)
class Location:
    """A history's root on its filesystem; ``prefix`` turns filesystem paths back into URLs."""

    filesystem: pafs.FileSystem
    root: str
    prefix: str

    @property
    def local(self) -> bool:
        """Whether a rename is atomic here (a local disk), as opposed to an object store."""
        return isinstance(self.filesystem, pafs.LocalFileSystem)

    @property
    def object_store(self) -> bool:
        """Whether folders are only key prefixes here (S3, GCS, Azure): none need making."""
        return self.filesystem.type_name in {"s3", "gcs", "abfs"}

    def url(self, path: str) -> str:
        """``path`` as the user would name it: a local path, or a URL with its scheme."""
        return self.prefix + path


def locate(path: str | PathLike[str], filesystem: Any = None) -> Location:
    """Resolve ``path`` (a folder or a URL) and ``filesystem`` to a :class:`Location`."""
    if not isinstance(path, str | PathLike):
        raise InvalidParameterError("path", "must be a folder or a URL (s3://bucket/prefix)", path)
    text = os.fspath(path)
    scheme, _, rest = text.partition("://") if "://" in text else ("", "", text)
    prefix = f"{scheme}://" if scheme else ""
    if filesystem is not None:
        if not isinstance(filesystem, pafs.FileSystem):
            if not callable(getattr(filesystem, "open", None)):
                raise InvalidParameterError(
                    "filesystem",
                    "must be a pyarrow.fs.FileSystem or an fsspec filesystem",
                    filesystem,
                )
            filesystem = pafs.PyFileSystem(pafs.FSSpecHandler(filesystem))
        return Location(filesystem, rest.rstrip("/"), prefix)
    if not scheme:
        return Location(pafs.LocalFileSystem(), Path(text).absolute().as_posix(), "")
    try:
        resolved, root = pafs.FileSystem.from_uri(text)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise InvalidParameterError(
            "path",
            f"pyarrow cannot open {scheme}:// URLs ({error}); pass filesystem= (a "
            "pyarrow.fs.FileSystem or an fsspec filesystem) to reach it",
            text,
        ) from None
    return Location(resolved, root.rstrip("/"), prefix)


def utc_time(value: object, field: str) -> pd.Timestamp:
    """``value`` as a UTC nanosecond Timestamp; it must carry a timezone."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise InvalidParameterError(
            field, "must be a time (Timestamp, datetime or ISO text)", value
        )
    if stamp.tzinfo is None:
        raise InvalidParameterError(
            field, "must be timezone-aware, e.g. pd.Timestamp('2026-11-29', tz='UTC')", value
        )
    return stamp.tz_convert("UTC").as_unit("ns")


def partition_value(stamp: pd.Timestamp) -> str:
    """The ``snapshot_date`` partition a snapshot taken at ``stamp`` (UTC) goes in."""
    return stamp.strftime("%Y-%m-%d")


def snapshot_file(location: Location, stamp: pd.Timestamp) -> tuple[str, str]:
    """The final path of a new snapshot's file and the temporary name it is written under.

    The temporary name starts with ``.`` and does not end in ``.parquet``, so that pyarrow,
    Spark and Athena (which skip names starting with ``.`` or ``_``) and ``*.parquet`` globs
    (DuckDB, Polars) never read a file still being written.
    """
    folder = f"{location.root}/{PARTITION}={partition_value(stamp)}"
    name = f"part-{stamp.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:12]}.parquet"
    return f"{folder}/{name}", f"{folder}/.{name}.tmp"
