"""Snapshots over time: client frames stamped, appended to a Parquet dataset, read back typed."""

from __future__ import annotations

import pandas as pd
import pytest

import jobsnb
from jobsnb import InvalidParameterError
from jobsnb.frames import EXECUTION_COLUMNS, PENDING_COLUMNS, STATUS_DTYPE
from jobsnb.history import read_history, to_history
from tests.helpers import dtypes_of, make_job, make_things, utc

UTC_NS = "datetime64[ns, UTC]"


def test_pending_snapshots_round_trip_with_their_types(service, iot, data, tmp_path):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    service.advance(60)
    first = client.pending(["a", "b"], progress=False)
    data.start_next_pending_job_execution(thingName="a")
    service.advance(60)
    second = client.pending(["a", "b"], progress=False)

    # Written newest first: reading puts them in time order all the same.
    to_history(second, tmp_path)
    to_history(first, tmp_path)
    history = read_history(tmp_path)

    assert len(list(tmp_path.rglob("*.parquet"))) == 2
    others = {k: v for k, v in dtypes_of(PENDING_COLUMNS).items() if k != "snapshot_at"}
    assert list(history.columns) == ["snapshot_at", *others]
    assert dict(history.dtypes) == {"snapshot_at": UTC_NS} | others
    assert history["status"].dtype == STATUS_DTYPE
    assert history["snapshot_at"].tolist() == [utc(60)] * 2 + [utc(120)] * 2
    assert history["status"].astype(str).tolist() == ["QUEUED"] * 2 + ["IN_PROGRESS", "QUEUED"]
    assert history["in_progress_for"].dt.total_seconds().tolist()[2] == 60
    expected = pd.concat([first, second], ignore_index=True)[history.columns]
    pd.testing.assert_frame_equal(history, expected)


def test_describe_snapshots_keep_status_details_as_dicts(service, iot, data, tmp_path):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    data.start_next_pending_job_execution(thingName="a", statusDetails={"step": "1", "of": "3"})
    frame = client.describe([("a", "job1"), ("b", "job1")], progress=False)

    to_history(frame, tmp_path, snapshot_at=utc(0))
    data.update_job_execution(thingName="a", jobId="job1", status="IN_PROGRESS")
    to_history(
        client.describe([("a", "job1"), ("b", "job1")], progress=False),
        tmp_path,
        snapshot_at=utc(3600).tz_convert("Europe/Paris"),
    )
    history = read_history(tmp_path)

    assert history["snapshot_at"].dtype == UTC_NS
    assert history["snapshot_at"].tolist() == [utc(0)] * 2 + [utc(3600)] * 2
    assert history["status_details"].tolist() == [{"of": "3", "step": "1"}, {}] * 2
    assert history["version_number"].tolist() == [2, 1, 3, 1]
    expected = {"snapshot_at": UTC_NS} | dtypes_of(EXECUTION_COLUMNS)
    assert dict(history.dtypes) == expected


def test_snapshot_times_are_utc_nanoseconds_whatever_their_unit(service, iot, tmp_path):
    """Frames' times are datetime64[ns, UTC]; a stamp given as a date (unit "s") or taken from
    the local clock (unit "us") must not turn the history's snapshot_at into another unit."""
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    frame = jobsnb.connect(service).describe([("a", "job1")], progress=False)
    to_history(frame, tmp_path / "dated", snapshot_at=pd.Timestamp("2026-01-01", tz="UTC"))
    to_history(frame, tmp_path / "now")  # a describe frame has no time of its own: now
    for name in ("dated", "now"):
        assert read_history(tmp_path / name)["snapshot_at"].dtype == UTC_NS


def test_reading_an_empty_dataset_or_writing_a_naive_time_raises(tmp_path):
    with pytest.raises(InvalidParameterError, match="path"):
        read_history(tmp_path)
    frame = pd.DataFrame({"thing_name": ["a"]})
    with pytest.raises(InvalidParameterError, match="snapshot_at"):
        to_history(frame, tmp_path, snapshot_at=pd.Timestamp("2026-01-01"))
    assert not list(tmp_path.iterdir())


def test_an_empty_snapshot_keeps_the_types(service, iot, tmp_path):
    make_things(iot, ["a"])
    client = jobsnb.connect(service)
    empty = client.pending("a", progress=False)
    to_history(empty, tmp_path)
    make_job(iot, "job1", ["a"])
    to_history(client.pending("a", progress=False), tmp_path, snapshot_at=utc(10))
    history = read_history(tmp_path)
    assert len(history) == 1
    assert history["status"].dtype == STATUS_DTYPE
    assert history["version_number"].dtype == "Int64"
    assert history["snapshot_at"].dtype == UTC_NS


def test_client_snapshot_appends_pending_to_the_history(service, iot, data, tmp_path):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    first = client.snapshot(["a", "b"], tmp_path, progress=False)
    service.advance(120)
    data.start_next_pending_job_execution(thingName="b")
    second = client.snapshot(["a", "b"], tmp_path, progress=False)
    history = read_history(tmp_path)
    assert len(list(tmp_path.rglob("*.parquet"))) == 2
    assert history["snapshot_at"].tolist() == [utc(0)] * 2 + [utc(120)] * 2
    assert history["status"].astype(str).tolist() == ["QUEUED", "QUEUED", "QUEUED", "IN_PROGRESS"]
    assert history["queue_age"].dt.total_seconds().tolist() == [0, 0, 120, 120]
    expected = pd.concat([first, second], ignore_index=True)[history.columns]
    pd.testing.assert_frame_equal(history, expected)
