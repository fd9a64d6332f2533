"""History as a dataset: its layout and types, other engines reading it as is, filters pushed
down, never half a snapshot, old flat folders, and S3 through a local moto server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import fsspec
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.local import LocalFileSystem

from jobsnb import InvalidParameterError
from jobsnb.history import read_history, to_history
from jobsnb.schema import EXECUTION_COLUMNS, STATUS_DTYPE
from tests.helpers import dtypes_of
from tests.history_s3 import BUCKET, local_s3, object_keys

THINGS = [f"thing-{n:02d}" for n in range(12)]
JOBS = ["fw-1", "fw-2", "cfg-3"]
STATUSES = ["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED"]
#: Six snapshots five hours apart: three on 2026-11-28, three on 2026-11-29 (UTC).
STAMPS = [pd.Timestamp("2026-11-28 12:00", tz="UTC") + pd.Timedelta(hours=5 * i) for i in range(6)]
UTC_NS = "datetime64[ns, UTC]"


def executions(index: int) -> pd.DataFrame:
    """An executions frame at snapshot ``index``: every thing's execution of every job, the
    things in reverse order (the file sorts them), statuses moving on, one NA time a row."""
    rows = []
    for job_number, job in enumerate(JOBS):
        for number, thing in enumerate(reversed(THINGS)):
            status = STATUSES[min((number + index + job_number) // 3, 3)]
            rows.append(
                {
                    "thing_name": thing,
                    "job_id": job,
                    "execution_number": 1 + (number % 2) * (status == "FAILED"),
                    "status": status,
                    "status_details": {} if status == "QUEUED" else {"step": str(index)},
                    "queued_at": STAMPS[0] - pd.Timedelta(minutes=number),
                    "started_at": None if status == "QUEUED" else STAMPS[0],
                    "last_updated_at": STAMPS[index],
                    "approximate_seconds_before_timed_out": 600
                    if status == "IN_PROGRESS"
                    else None,
                    "version_number": 1 + STATUSES.index(status),
                }
            )
    frame = pd.DataFrame(rows)
    for column in ("queued_at", "started_at", "last_updated_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.astype(dtypes_of(EXECUTION_COLUMNS))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "rollout"
    for index, stamp in enumerate(STAMPS):
        to_history(executions(index), path, snapshot_at=stamp)
    return path


@pytest.fixture(scope="module")
def full(history: Path) -> pd.DataFrame:
    return read_history(history)


def files_of(path: Path) -> list[Path]:
    return sorted(path.rglob("*.parquet"))


# ---------------------------------------------------------------------------- layout and types
def test_each_snapshot_is_one_file_in_its_dates_hive_partition(history):
    relative = [f.relative_to(history).as_posix() for f in files_of(history)]
    assert [name.split("/")[0] for name in relative] == ["snapshot_date=2026-11-28"] * 3 + [
        "snapshot_date=2026-11-29"
    ] * 3
    assert relative[3].startswith("snapshot_date=2026-11-29/part-20261129T030000000000Z-")
    assert not [p for p in history.rglob("*") if p.is_file() and p.suffix != ".parquet"]


def test_files_hold_standard_types_sorted_by_job_then_thing(history):
    file = files_of(history)[0]
    schema = pq.read_schema(file)
    assert schema.field("snapshot_at").type == pa.timestamp("us", "UTC")
    assert schema.field("queued_at").type == pa.timestamp("us", "UTC")
    assert schema.field("status").type == pa.string()
    assert schema.field("status_details").type == pa.string()
    assert schema.field("version_number").type == pa.int64()
    assert b"pandas" not in (schema.metadata or {})
    assert "snapshot_date" not in schema.names  # in the folder name, as Hive has it
    table = pq.read_table(file)
    keys = list(zip(table["job_id"].to_pylist(), table["thing_name"].to_pylist(), strict=True))
    assert keys == sorted(keys)
    group = pq.ParquetFile(file).metadata.row_group(0)
    job, thing = schema.names.index("job_id"), schema.names.index("thing_name")
    assert (group.column(job).statistics.min, group.column(job).statistics.max) == ("cfg-3", "fw-2")
    assert [column.column_index for column in group.sorting_columns] == [job, thing]
    assert json.loads(table["status_details"][0].as_py()) == {"step": "0"}


def test_read_history_restores_jobsnb_types(full):
    assert list(full.columns) == ["snapshot_at", *dtypes_of(EXECUTION_COLUMNS)]
    assert dict(full.dtypes) == {"snapshot_at": UTC_NS} | dtypes_of(EXECUTION_COLUMNS)
    assert full["status"].dtype == STATUS_DTYPE
    assert full["snapshot_at"].unique().tolist() == STAMPS
    first = full[full["snapshot_at"] == STAMPS[0]].reset_index(drop=True)
    expected = executions(0).sort_values(["job_id", "thing_name"], ignore_index=True)
    pd.testing.assert_frame_equal(first.drop(columns="snapshot_at"), expected)


# ---------------------------------------------------------------------------- other engines
def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column in one type a column, in one row order, whatever read it."""
    out = {"snapshot_date": frame["snapshot_date"].astype(str).str[:10]}
    for column in ["snapshot_at", *dtypes_of(EXECUTION_COLUMNS)]:
        values = frame[column]
        if column.endswith("_at"):
            out[column] = pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]")
        elif pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype("Int64")
        else:
            out[column] = values.astype("string")
    keys = ["snapshot_at", "job_id", "thing_name"]
    return pd.DataFrame(out).sort_values(keys, ignore_index=True)


def test_pyarrow_duckdb_and_polars_read_the_dataset_as_is(history, full):
    glob = f"{history.as_posix()}/**/*.parquet"
    by_pyarrow = ds.dataset(history, format="parquet", partitioning="hive").to_table().to_pandas()
    by_duckdb = duckdb.sql(f"select * from read_parquet('{glob}', hive_partitioning = true)").df()
    by_polars = pl.scan_parquet(glob, hive_partitioning=True).collect().to_pandas()
    ours = full.assign(
        snapshot_date=full["snapshot_at"].dt.strftime("%Y-%m-%d"),
        status_details=[json.dumps(d, sort_keys=True) for d in full["status_details"]],
    )
    expected = _comparable(ours)
    assert len(expected) == 6 * len(JOBS) * len(THINGS)
    assert expected["started_at"].isna().any()
    assert expected["approximate_seconds_before_timed_out"].isna().any()
    for frame in (by_pyarrow, by_duckdb, by_polars):
        pd.testing.assert_frame_equal(_comparable(frame), expected)
    types = duckdb.sql(f"select distinct typeof(snapshot_date) from read_parquet('{glob}')")
    assert types.fetchall() == [("DATE",)]


# ---------------------------------------------------------------------------- filters
FILTERS: list[dict[str, Any]] = [
    {"jobs": "fw-2"},
    {"jobs": ["fw-1", "cfg-3"], "things": "thing-07"},
    {"things": ["thing-00", "thing-11"]},
    {"since": STAMPS[-1]},
    {"jobs": "fw-2", "since": STAMPS[-1]},
    {"since": "2026-11-28T22:00:00+00:00", "until": STAMPS[4]},
    {"since": STAMPS[1].tz_convert("Asia/Tokyo"), "until": pd.Timestamp("2026-11-29 05:00Z")},
    {"until": STAMPS[1]},
    {"columns": ["status", "thing_name"], "jobs": "cfg-3"},
    {"columns": "status_details", "until": STAMPS[2]},
    {"jobs": "no-such-job"},
    {"since": "2027-01-01T00:00Z"},
]


def pandas_filtered(full: pd.DataFrame, asked: dict[str, Any]) -> pd.DataFrame:
    keep = pd.Series(True, index=full.index)
    for field, column in (("jobs", "job_id"), ("things", "thing_name")):
        if field in asked:
            names = [asked[field]] if isinstance(asked[field], str) else asked[field]
            keep &= full[column].isin(names)
    if "since" in asked:
        keep &= full["snapshot_at"] >= pd.Timestamp(asked["since"])
    if "until" in asked:
        keep &= full["snapshot_at"] < pd.Timestamp(asked["until"])
    out = full[keep]
    if "columns" in asked:
        columns = [asked["columns"]] if isinstance(asked["columns"], str) else asked["columns"]
        out = out[["snapshot_at", *columns]]
    return out.reset_index(drop=True)


@pytest.mark.parametrize("asked", FILTERS, ids=lambda asked: ",".join(asked))
def test_filters_return_exactly_pandas_own_filtering(history, full, asked):
    got = read_history(history, **asked)
    pd.testing.assert_frame_equal(got, pandas_filtered(full, asked))


class CountingFileSystem(LocalFileSystem):
    """A local fsspec filesystem that counts the bytes read from each partition's files."""

    cachable = False  # fsspec would otherwise hand every test the same instance

    def __init__(self) -> None:
        super().__init__()
        self.read: dict[str, int] = {}

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        file = super()._open(path, mode, **kwargs)
        if "r" in mode:
            name = Path(path).parent.name
            self.read.setdefault(name, 0)
            original = file.read

            def counted(*args: Any) -> bytes:
                data: bytes = original(*args)
                self.read[name] += len(data)
                return data

            file.read = counted
        return file


def test_since_and_until_skip_other_dates_folders_unopened(history):
    everything = CountingFileSystem()
    read_history(history.as_posix(), filesystem=everything)
    last_day = CountingFileSystem()
    read_history(history.as_posix(), since=STAMPS[-1], filesystem=last_day)
    first_day = CountingFileSystem()
    read_history(history.as_posix(), jobs="fw-2", until=STAMPS[1], filesystem=first_day)

    assert set(everything.read) == {"snapshot_date=2026-11-28", "snapshot_date=2026-11-29"}
    assert set(last_day.read) == {"snapshot_date=2026-11-29"}
    assert set(first_day.read) == {"snapshot_date=2026-11-28"}


def test_jobs_and_columns_read_only_their_row_groups_and_column_chunks(tmp_path):
    """A snapshot big enough for several row groups: one job's rows sit in a few of them."""
    copies = 3000
    one = executions(0)
    big = one.iloc[list(range(len(one))) * copies].reset_index(drop=True)
    suffix = pd.Series(range(copies)).repeat(len(one)).astype("string")
    big["thing_name"] = big["thing_name"] + "-" + suffix.to_numpy()
    file = to_history(big, tmp_path, snapshot_at=STAMPS[0])
    groups = pq.ParquetFile(file).metadata.num_row_groups
    fragment = next(ds.dataset(file, format="parquet").get_fragments())
    kept = fragment.split_by_row_group(filter=ds.field("job_id") == "fw-2")
    assert groups >= 3
    assert 1 <= len(kept) < groups

    read: dict[str, int] = {}
    for name, asked in (("all", {}), ("job", {"jobs": "fw-2"}), ("column", {"columns": "status"})):
        counting = CountingFileSystem()
        got = read_history(tmp_path.as_posix(), filesystem=counting, **asked)
        read[name] = sum(counting.read.values())
        if name == "all":
            everything = got
        else:
            pd.testing.assert_frame_equal(got, pandas_filtered(everything, asked))
    assert read["job"] < read["all"] * 0.7
    assert read["column"] < read["all"] * 0.2


def test_nothing_matching_gives_an_empty_frame_with_the_columns_and_types(history, full):
    for asked in ({"since": "2030-01-01T00:00Z"}, {"jobs": "no-such-job"}):
        empty = read_history(history, **asked)
        assert empty.empty
        assert dict(empty.dtypes) == dict(full.dtypes)


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({"jobs": "not a job id"}, "jobs"),
        ({"jobs": []}, "jobs"),
        ({"jobs": 7}, "jobs"),
        ({"things": ["thing-1", "spaces are not allowed"]}, "things"),
        ({"since": pd.Timestamp("2026-11-29")}, "since"),
        ({"since": "yesterday-ish"}, "since"),
        ({"until": "2026-11-29T00:00"}, "until"),
        ({"since": STAMPS[2], "until": STAMPS[1]}, "until"),
        ({"since": STAMPS[2], "until": STAMPS[2]}, "until"),
        ({"columns": ["status", 3]}, "columns"),
        ({"filesystem": "s3"}, "filesystem"),
    ],
)
def test_bad_arguments_raise_before_any_file_is_read(tmp_path, asked, field):
    missing = tmp_path / "not-there"
    with pytest.raises(InvalidParameterError) as raised:
        read_history(missing, **asked)
    assert raised.value.field == field
    assert not missing.exists()


def test_unknown_columns_and_missing_paths_raise_naming_them(history, tmp_path):
    with pytest.raises(InvalidParameterError, match=r"columns: must be columns of the history"):
        read_history(history, columns=["status", "no_such_column"])
    for path in (tmp_path / "not-there", tmp_path):
        with pytest.raises(InvalidParameterError, match="path: holds no snapshots"):
            read_history(path)
    with pytest.raises(InvalidParameterError, match="pass filesystem="):
        read_history("nosuchscheme://bucket/history")


# ---------------------------------------------------------------------------- never half a file
WRITER = textwrap.dedent(
    """
    import sys, time
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from jobsnb.history import _write, to_history

    def half_then_hang(table, where):
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        data = buffer.getvalue().to_pybytes()
        where.write(data[: len(data) // 2])
        where.flush()
        print("half written", flush=True)
        time.sleep(600)

    frame = pd.DataFrame({"thing_name": ["a", "b"], "job_id": ["j", "j"], "status": ["QUEUED"] * 2})
    to_history(frame, sys.argv[1], snapshot_at=pd.Timestamp("2026-11-29 01:00", tz="UTC"))
    _write._write_parquet = half_then_hang
    to_history(frame, sys.argv[1], snapshot_at=pd.Timestamp("2026-11-29 02:00", tz="UTC"))
    """
)


@pytest.fixture
def killed_writer(tmp_path: Path) -> Path:
    """A history whose writer was killed (SIGKILL) halfway through its second snapshot."""
    path = tmp_path / "history"
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    ) as writer:
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "half written"
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait()
    return path


def test_a_writer_killed_midway_leaves_nothing_any_reader_sees(killed_writer):
    partition = killed_writer / "snapshot_date=2026-11-29"
    left = sorted(p.name for p in partition.iterdir())
    assert len(left) == 2
    assert re.fullmatch(r"\.part-20261129T020000000000Z-\w+\.parquet\.tmp", left[0])
    assert re.fullmatch(r"part-20261129T010000000000Z-\w+\.parquet", left[1])

    history = read_history(killed_writer)
    assert history["snapshot_at"].tolist() == [pd.Timestamp("2026-11-29 01:00", tz="UTC")] * 2
    glob = f"{killed_writer.as_posix()}/**/*.parquet"
    assert duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchall() == [(2,)]
    assert pl.scan_parquet(glob, hive_partitioning=True).collect().height == 2
    assert ds.dataset(killed_writer, format="parquet").count_rows() == 2

    # Appending goes on as if nothing happened.
    to_history(history.tail(1), killed_writer, snapshot_at=pd.Timestamp("2026-11-29 03:00Z"))
    assert len(read_history(killed_writer)) == 3


def test_files_other_engines_skip_are_skipped_too(tmp_path):
    to_history(executions(0), tmp_path, snapshot_at=STAMPS[0])
    partition = tmp_path / "snapshot_date=2026-11-28"
    (tmp_path / "README.md").write_text("rollout history")
    (tmp_path / "_SUCCESS").write_text("")
    (partition / ".DS_Store").write_bytes(b"\0")
    (partition / ".part-x.parquet.tmp").write_bytes(b"PAR1 half")
    for hidden in ("_temporary", ".checkpoints"):
        (partition / hidden).mkdir()
        (partition / hidden / "part-0.parquet").write_bytes(b"PAR1 half")
    assert len(read_history(tmp_path)) == len(JOBS) * len(THINGS)


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    from jobsnb.history import _write

    def fail(table: pa.Table, where: Any) -> None:
        where.write(b"PAR1 and then the disk filled up")
        raise OSError("No space left on device")

    monkeypatch.setattr(_write, "_write_parquet", fail)
    with pytest.raises(OSError, match="No space"):
        to_history(executions(0), tmp_path, snapshot_at=STAMPS[0])
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# ---------------------------------------------------------------------------- old flat folders
def test_old_flat_folder_histories_are_read_and_can_be_converted(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    for index in (0, 1):
        frame = executions(index).assign(snapshot_at=STAMPS[index])
        frame["status_details"] = [json.dumps(d, sort_keys=True) for d in frame["status_details"]]
        frame["status"] = frame["status"].astype("string")
        frame.to_parquet(old / f"snapshot-{index}.parquet", index=False)  # as jobsnb 0.x wrote

    history = read_history(old)
    assert history["snapshot_at"].unique().tolist() == STAMPS[:2]
    assert dict(history.dtypes) == {"snapshot_at": UTC_NS} | dtypes_of(EXECUTION_COLUMNS)
    assert history["status_details"].iloc[-1] == {"step": "1"}
    one = read_history(old, jobs="fw-1", since=STAMPS[1], columns="status")
    assert list(one.columns) == ["snapshot_at", "status"]
    assert len(one) == len(THINGS)

    new = tmp_path / "new"
    for _, snapshot in history.groupby("snapshot_at"):
        to_history(snapshot, new)
    assert len(files_of(new)) == 2
    pd.testing.assert_frame_equal(
        read_history(new),
        history.sort_values(["snapshot_at", "job_id", "thing_name"], ignore_index=True),
    )

    # A snapshot appended to an old folder lands in a partition; both are read together.
    to_history(executions(2), old, snapshot_at=STAMPS[2])
    assert read_history(old)["snapshot_at"].unique().tolist() == STAMPS[:3]


# ---------------------------------------------------------------------------- S3
@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with local_s3() as url:
        yield url


def test_s3_round_trip_through_a_local_endpoint(s3, full):
    url = f"s3://{BUCKET}/fleet/history"
    written = [
        to_history(executions(index), url, snapshot_at=stamp) for index, stamp in enumerate(STAMPS)
    ]
    keys = object_keys(s3)
    assert [f"s3://{BUCKET}/{key}" for key in keys] == written
    assert keys[0].startswith("fleet/history/snapshot_date=2026-11-28/part-20261128T120000")

    pd.testing.assert_frame_equal(read_history(url), full)
    asked = {"jobs": "fw-2", "since": STAMPS[-1], "columns": ["status"]}
    pd.testing.assert_frame_equal(read_history(url, **asked), pandas_filtered(full, asked))


def test_s3_through_an_explicit_pyarrow_or_fsspec_filesystem(s3, full, monkeypatch):
    url = f"s3://{BUCKET}/explicit"
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")  # the endpoint comes from the filesystem alone
    pyarrow_s3 = pafs.S3FileSystem(endpoint_override=s3, region="us-east-1")
    for index, stamp in enumerate(STAMPS[:2]):
        to_history(executions(index), url, snapshot_at=stamp, filesystem=pyarrow_s3)
    s3fs = fsspec.filesystem("s3", endpoint_url=s3, skip_instance_cache=True)
    to_history(executions(2), f"{BUCKET}/explicit", snapshot_at=STAMPS[2], filesystem=s3fs)
    got = read_history(f"{BUCKET}/explicit", filesystem=s3fs, until=STAMPS[3])
    pd.testing.assert_frame_equal(got, pandas_filtered(full, {"until": STAMPS[3]}))
    assert all(key.endswith(".parquet") for key in object_keys(s3) if "explicit" in key)


def test_s3_endpoint_from_the_generic_aws_endpoint_url(s3, monkeypatch):
    url = f"s3://{BUCKET}/generic"
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3)
    to_history(executions(0), url, snapshot_at=STAMPS[0])
    assert read_history(url, things="thing-03")["job_id"].tolist() == sorted(JOBS)


def test_a_failed_s3_write_leaves_no_object(s3, monkeypatch):
    from jobsnb.history import _write

    def fail(table: pa.Table, where: Any) -> None:
        where.write(b"PAR1 and then the connection dropped")
        raise OSError("Connection reset by peer")

    before = object_keys(s3)
    monkeypatch.setattr(_write, "_write_parquet", fail)
    with pytest.raises(OSError, match="Connection reset"):
        to_history(executions(0), f"s3://{BUCKET}/failed", snapshot_at=STAMPS[0])
    assert object_keys(s3) == before
