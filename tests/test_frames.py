"""jobsnb.frames: real boto3 responses from the local service → typed DataFrames."""

from __future__ import annotations

import doctest
import json
import random
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest

import jobsnb.frames
import jobsnb.frames._display
import jobsnb.frames.calls
import jobsnb.frames.commands
import jobsnb.frames.executions
import jobsnb.frames.jobs
from benchmarks.frames import fleet_input, naive_pending_frame
from jobsnb.client.fanout import CallError
from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames import (
    COMMAND_COLUMNS,
    COMMAND_EXECUTION_COLUMNS,
    COMMAND_STATUS_DTYPE,
    ERROR_COLUMNS,
    EXECUTION_COLUMNS,
    JOB_EXECUTION_COLUMNS,
    JOB_SUMMARY_COLUMNS,
    PENDING_COLUMNS,
    STARTED_COMMAND_COLUMNS,
    STATUS_DTYPE,
    THING_ATTRIBUTE_COLUMNS,
    Column,
    command_executions_frame,
    commands_frame,
    empty_frame,
    errors_frame,
    executions_frame,
    format_duration,
    job_executions_frame,
    job_summary_frame,
    pending_frame,
    schema_markdown,
    started_commands_frame,
    styled,
    summaries_frame,
)
from jobsnb.limits import COMMAND_STATUSES, STATUSES

T0 = 1_700_000_000  # the clock fixture's start: 2023-11-14 22:13:20 UTC
ARN = "arn:aws:iot:us-east-1:123456789012:thing/{}"
SCHEMAS = [PENDING_COLUMNS, EXECUTION_COLUMNS, JOB_EXECUTION_COLUMNS, JOB_SUMMARY_COLUMNS]
SCHEMAS += [ERROR_COLUMNS, THING_ATTRIBUTE_COLUMNS]
SCHEMAS += [STARTED_COMMAND_COLUMNS, COMMAND_EXECUTION_COLUMNS, COMMAND_COLUMNS]


def utc(seconds: float) -> pd.Timestamp:
    return pd.Timestamp(seconds, unit="s", tz="UTC").as_unit("ns")


def schema(columns: tuple[Column, ...] | list[Column]) -> dict[str, str]:
    return {c.name: c.dtype for c in columns}


def assert_typed(frame: pd.DataFrame, columns: tuple[Column, ...] | list[Column]) -> None:
    """Columns, order and dtypes are the schema's; status is the full ordered categorical."""
    assert frame.dtypes.to_dict() == schema(columns)
    assert list(frame.columns) == [c.name for c in columns]
    assert isinstance(frame.index, pd.RangeIndex)
    if "status" in frame:
        commands = any(c.name == "command_id" for c in columns)
        expected, statuses = (
            (COMMAND_STATUS_DTYPE, COMMAND_STATUSES) if commands else (STATUS_DTYPE, STATUSES)
        )
        assert frame["status"].dtype == expected
        assert frame["status"].cat.categories.tolist() == list(statuses)
        assert frame["status"].cat.ordered
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            assert str(dtype.tz) == "UTC", name


def make_things(iot: Any, *names: str) -> None:
    for name in names:
        iot.create_thing(thingName=name)


def make_job(iot: Any, job_id: str, things: list[str], **kwargs: Any) -> None:
    targets = [ARN.format(name) for name in things]
    iot.create_job(jobId=job_id, targets=targets, document='{"op": "reboot"}', **kwargs)


def pending(data: Any, *things: str) -> list[tuple[str, dict[str, Any]]]:
    return [(thing, data.get_pending_job_executions(thingName=thing)) for thing in things]


def all_executions(iot: Any, job_id: str) -> list[dict[str, Any]]:
    pages = iot.get_paginator("list_job_executions_for_job").paginate(jobId=job_id)
    return [item for page in pages for item in page["executionSummaries"]]


# --- schema ---------------------------------------------------------------------------------


def test_status_dtype_is_all_eight_statuses_in_order() -> None:
    assert STATUS_DTYPE.categories.tolist() == list(STATUSES)
    assert STATUS_DTYPE.ordered
    assert len(STATUSES) == 8


@pytest.mark.parametrize("columns", SCHEMAS)
def test_empty_frame_has_the_schema(columns: tuple[Column, ...]) -> None:
    frame = empty_frame(columns)
    assert len(frame) == 0
    assert_typed(frame, columns)
    assert len({c.name for c in columns}) == len(columns)


def test_job_summary_columns_cover_every_status() -> None:
    names = [c.name for c in JOB_SUMMARY_COLUMNS]
    assert names[:5] == ["job_id", "job_status", "target_selection", "things", "attempts"]
    assert names[5:13] == [f"things_{s.lower()}" for s in STATUSES]
    assert names[13:21] == [f"attempts_{s.lower()}" for s in STATUSES]
    schedule = ["scheduled_start_at", "next_window_at", "scheduled_end_at", "end_behavior"]
    assert names[21:] == schedule


def test_schema_markdown_has_a_row_per_column() -> None:
    text = schema_markdown()
    for columns in SCHEMAS:
        for column in columns:
            assert f"| `{column.name}` | `{column.dtype}` | {column.description} |" in text
    assert "| `detail_<key>` | `string` | Optional." in text
    assert text.count("| column | dtype | meaning |") == len(SCHEMAS)
    assert text.endswith("|\n")


def test_docstring_examples_run() -> None:
    modules = [
        jobsnb.frames,
        jobsnb.frames._display,
        jobsnb.frames.calls,
        jobsnb.frames.commands,
        jobsnb.frames.executions,
        jobsnb.frames.jobs,
    ]
    results = [doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE) for m in modules]
    assert sum(result.attempted for result in results) >= 9
    assert sum(result.failed for result in results) == 0


@pytest.mark.parametrize(
    ("build", "columns"),
    [
        (lambda: pending_frame([], utc(T0)), PENDING_COLUMNS),
        (lambda: summaries_frame([], [], [], utc(T0)), PENDING_COLUMNS),
        (lambda: executions_frame([]), EXECUTION_COLUMNS),
        (lambda: job_executions_frame("j1", []), JOB_EXECUTION_COLUMNS),
        (lambda: job_summary_frame([]), JOB_SUMMARY_COLUMNS),
        (lambda: errors_frame([]), ERROR_COLUMNS),
        (lambda: started_commands_frame([]), STARTED_COMMAND_COLUMNS),
        (lambda: command_executions_frame([]), COMMAND_EXECUTION_COLUMNS),
        (lambda: commands_frame([]), COMMAND_COLUMNS),
    ],
)
def test_empty_input_gives_the_empty_frame(build: Any, columns: tuple[Column, ...]) -> None:
    frame = build()
    assert_typed(frame, columns)
    pd.testing.assert_frame_equal(frame, empty_frame(columns))


# --- pending --------------------------------------------------------------------------------


@pytest.fixture
def fleet(iot: Any, data: Any, clock: Any) -> list[tuple[str, dict[str, Any]]]:
    """t1: j1 IN_PROGRESS (started at T0+20), j2 and j3 QUEUED; t2: j1 QUEUED; t3: nothing."""
    make_things(iot, "t1", "t2", "t3")
    make_job(iot, "j1", ["t1", "t2"])
    clock.advance(10)
    make_job(iot, "j2", ["t1"])
    clock.advance(5)
    make_job(iot, "j3", ["t1"])
    clock.advance(5)
    data.start_next_pending_job_execution(thingName="t1")
    clock.advance(100)
    return pending(data, "t1", "t3", "t2")


def test_pending_frame_from_the_service(fleet: list[tuple[str, dict[str, Any]]]) -> None:
    snapshot = utc(T0 + 120)
    frame = pending_frame(fleet, snapshot)
    assert_typed(frame, PENDING_COLUMNS)
    assert frame["thing_name"].tolist() == ["t1", "t1", "t1", "t2"]
    assert frame["job_id"].tolist() == ["j1", "j2", "j3", "j1"]
    assert frame["status"].tolist() == ["IN_PROGRESS", "QUEUED", "QUEUED", "QUEUED"]
    assert frame["queue_position"].tolist() == [0, 1, 2, 0]
    assert frame["queued_at"].tolist() == [utc(T0), utc(T0 + 10), utc(T0 + 15), utc(T0)]
    assert frame["started_at"].iloc[0] == utc(T0 + 20)
    assert frame["started_at"].iloc[1:].isna().all()
    assert frame["last_updated_at"].tolist() == [utc(T0 + 20), utc(T0 + 10), utc(T0 + 15), utc(T0)]
    assert frame["version_number"].tolist() == [2, 1, 1, 1]
    assert frame["execution_number"].tolist() == [1, 1, 1, 1]
    assert (frame["snapshot_at"] == snapshot).all()
    assert frame.attrs["snapshot_at"] == snapshot
    assert frame["queue_age"].tolist() == [timedelta(seconds=s) for s in (120, 110, 105, 120)]
    assert (frame["queue_age"] == frame["snapshot_at"] - frame["queued_at"]).all()
    assert frame["in_progress_for"].iloc[0] == timedelta(seconds=100)
    assert frame["in_progress_for"].iloc[1:].isna().all()
    # The order is the one StartNext follows: a thing's queue_position 0 is what it picks.
    assert frame["status"].value_counts().to_dict() == {
        s: {"IN_PROGRESS": 1, "QUEUED": 3}.get(s, 0) for s in STATUSES
    }


def test_pending_frame_next_order_is_start_next_order(
    fleet: list[tuple[str, dict[str, Any]]], data: Any
) -> None:
    frame = pending_frame(fleet, utc(T0 + 120))
    t1 = frame[frame["thing_name"] == "t1"]
    # Finish what t1 runs; StartNext then picks queue_position 1.
    data.update_job_execution(thingName="t1", jobId="j1", status="SUCCEEDED")
    started = data.start_next_pending_job_execution(thingName="t1")["execution"]
    assert started["jobId"] == t1.loc[t1["queue_position"] == 1, "job_id"].item()


def test_pending_frame_single_row_and_other_zone_snapshot(iot: Any, data: Any) -> None:
    make_things(iot, "solo")
    make_job(iot, "only", ["solo"])
    snapshot = pd.Timestamp("2023-11-14 17:14:20", tz="America/New_York")
    frame = pending_frame(pending(data, "solo"), snapshot)
    assert_typed(frame, PENDING_COLUMNS)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["thing_name"], row["job_id"], row["status"]) == ("solo", "only", "QUEUED")
    assert row["snapshot_at"] == utc(T0 + 60)
    assert str(row["snapshot_at"].tz) == "UTC"
    assert row["queue_age"] == timedelta(seconds=60)
    assert pd.isna(row["in_progress_for"])
    assert pd.isna(row["started_at"])


def test_pending_frame_of_idle_things_is_empty_and_typed(iot: Any, data: Any) -> None:
    make_things(iot, "idle")
    frame = pending_frame(pending(data, "idle", "unknown"), utc(T0))
    assert_typed(frame, PENDING_COLUMNS)
    assert len(frame) == 0


def test_snapshot_at_must_be_timezone_aware(fleet: list[tuple[str, dict[str, Any]]]) -> None:
    with pytest.raises(InvalidParameterError, match="snapshot_at") as excinfo:
        pending_frame(fleet, pd.Timestamp("2023-11-14 22:15:20"))
    assert excinfo.value.field == "snapshot_at"


def test_summaries_frame_checks_its_arguments() -> None:
    summary = {"jobId": "j", "queuedAt": T0, "lastUpdatedAt": T0}
    with pytest.raises(InvalidParameterError, match="same length"):
        summaries_frame(["a", "b"], [summary], ["QUEUED"], utc(T0))
    with pytest.raises(InvalidParameterError, match="statuses") as excinfo:
        summaries_frame(["a"], [summary], ["PENDING"], utc(T0))
    assert excinfo.value.value == "PENDING"


def test_summaries_frame_tolerates_missing_keys() -> None:
    frame = summaries_frame(["a"], [{"jobId": "j"}], ["QUEUED"], utc(T0))
    assert_typed(frame, PENDING_COLUMNS)
    row = frame.iloc[0]
    assert row["job_id"] == "j"
    assert pd.isna(row["queued_at"])
    assert pd.isna(row["queue_age"])
    assert pd.isna(row["version_number"])


def test_in_progress_for_is_only_for_in_progress_rows() -> None:
    summary = {"jobId": "j", "queuedAt": T0, "startedAt": T0 + 10, "lastUpdatedAt": T0 + 10}
    frame = summaries_frame(["a", "a"], [summary] * 2, ["IN_PROGRESS", "QUEUED"], utc(T0 + 70))
    assert frame["in_progress_for"].iloc[0] == timedelta(minutes=1)
    assert pd.isna(frame["in_progress_for"].iloc[1])
    assert frame["started_at"].tolist() == [utc(T0 + 10)] * 2


@pytest.mark.parametrize("shuffle", [False, True])
def test_summaries_frame_equals_the_naive_way(shuffle: bool) -> None:
    thing_names, summaries, statuses = fleet_input(3_000)
    if shuffle:  # things interleaved: queue_position still counts earlier rows of the thing
        rows = list(zip(thing_names, summaries, statuses, strict=True))
        random.Random(7).shuffle(rows)
        thing_names, summaries, statuses = (list(column) for column in zip(*rows, strict=True))
    snapshot = utc(T0 + 3_600)
    fast = summaries_frame(thing_names, summaries, statuses, snapshot)
    naive = naive_pending_frame(thing_names, summaries, statuses, snapshot)
    pd.testing.assert_frame_equal(fast, naive)
    assert fast["in_progress_for"].notna().sum() == 300
    assert fast["queue_position"].max() == 9


def test_summaries_frame_equals_the_naive_way_on_service_data(
    fleet: list[tuple[str, dict[str, Any]]],
) -> None:
    names, summaries, statuses = [], [], []
    for thing, response in fleet:
        for status, key in (("IN_PROGRESS", "inProgressJobs"), ("QUEUED", "queuedJobs")):
            for summary in response[key]:
                names.append(thing)
                summaries.append(summary)
                statuses.append(status)
    snapshot = utc(T0 + 120)
    naive = naive_pending_frame(names, summaries, statuses, snapshot)
    pd.testing.assert_frame_equal(pending_frame(fleet, snapshot), naive)


# --- executions (data plane) ------------------------------------------------------------------


def test_executions_frame_from_describe_and_start_next(iot: Any, data: Any, clock: Any) -> None:
    make_things(iot, "t1", "t2")
    make_job(iot, "j1", ["t1"], timeoutConfig={"inProgressTimeoutInMinutes": 10})
    clock.advance(30)
    data.start_next_pending_job_execution(thingName="t1", statusDetails={"progress": "10%"})
    clock.advance(60)
    described = data.describe_job_execution(thingName="t1", jobId="j1")["execution"]
    nothing = data.start_next_pending_job_execution(thingName="t2").get("execution")
    assert nothing is None
    frame = executions_frame([("t1", described), ("t2", nothing)])
    assert_typed(frame, EXECUTION_COLUMNS)
    first, second = frame.iloc[0], frame.iloc[1]
    assert (first["thing_name"], first["job_id"], first["status"]) == ("t1", "j1", "IN_PROGRESS")
    assert first["execution_number"] == 1
    assert first["status_details"] == {"progress": "10%"}
    assert first["queued_at"] == utc(T0)
    assert first["started_at"] == utc(T0 + 30)
    assert first["last_updated_at"] == utc(T0 + 30)
    assert first["approximate_seconds_before_timed_out"] == 540
    assert first["version_number"] == 2
    # Nothing to start for t2: a row with the thing and NA, not a missing row.
    assert second["thing_name"] == "t2"
    assert second["status_details"] == {}
    for name in ("job_id", "execution_number", "status", "queued_at", "version_number"):
        assert pd.isna(second[name]), name
    assert frame["status_details"].notna().all()
    # The frame holds its own dicts, not the response's.
    frame.loc[0, "status_details"]["progress"] = "changed"
    assert described["statusDetails"] == {"progress": "10%"}


def test_executions_frame_document_and_flattened_details(iot: Any, data: Any) -> None:
    make_things(iot, "t1", "t2", "t3")
    make_job(iot, "j1", ["t1", "t2", "t3"])
    details = {"stepName": "download", "step-name": "a", "Progress:pct": "40", "b": "x"}
    data.update_job_execution(
        thingName="t1", jobId="j1", status="IN_PROGRESS", statusDetails=details
    )
    data.update_job_execution(
        thingName="t2", jobId="j1", status="FAILED", statusDetails={"step_name": "flash"}
    )
    records = [
        (thing, data.describe_job_execution(thingName=thing, jobId="j1")["execution"])
        for thing in ("t1", "t2", "t3")
    ]
    frame = executions_frame(records, include_document=True, flatten_details=True)
    detail_names = ["detail_b", "detail_progress_pct", "detail_step_name"]
    detail_names += ["detail_step_name_2", "detail_step_name_3"]
    optional = ["job_document", *detail_names]
    assert list(frame.columns) == [c.name for c in EXECUTION_COLUMNS] + optional
    assert all(frame[name].dtype == "string" for name in optional)
    assert_typed(frame[[c.name for c in EXECUTION_COLUMNS]], EXECUTION_COLUMNS)
    assert [json.loads(doc) for doc in frame["job_document"]] == [{"op": "reboot"}] * 3
    # Clashing keys are numbered in sorted key order: "step-name", "stepName", "step_name".
    assert frame["detail_progress_pct"].tolist() == ["40", pd.NA, pd.NA]
    assert frame["detail_step_name"].tolist() == ["a", pd.NA, pd.NA]
    assert frame["detail_step_name_2"].tolist() == ["download", pd.NA, pd.NA]
    assert frame["detail_step_name_3"].tolist() == [pd.NA, "flash", pd.NA]
    assert frame["detail_b"].tolist() == ["x", pd.NA, pd.NA]
    assert frame["status"].tolist() == ["IN_PROGRESS", "FAILED", "QUEUED"]


def test_executions_frame_flattens_each_key_once() -> None:
    records = [("a", {"statusDetails": {"k": "1"}}), ("b", {"statusDetails": {"k": "2"}})]
    frame = executions_frame(records, flatten_details=True)
    assert frame["detail_k"].tolist() == ["1", "2"]
    assert list(executions_frame([], flatten_details=True).columns) == [
        c.name for c in EXECUTION_COLUMNS
    ]


def test_executions_frame_from_update_execution_state(iot: Any, data: Any) -> None:
    make_things(iot, "t1")
    make_job(iot, "j1", ["t1"])
    response = data.update_job_execution(
        thingName="t1", jobId="j1", status="SUCCEEDED", includeJobExecutionState=True
    )
    state = {"jobId": "j1", **response["executionState"]}
    frame = executions_frame([("t1", state)], include_document=True)
    row = frame.iloc[0]
    assert (row["job_id"], row["status"], row["version_number"]) == ("j1", "SUCCEEDED", 2)
    assert row["status_details"] == {}
    for name in ("execution_number", "queued_at", "started_at", "job_document"):
        assert pd.isna(row[name]), name


def test_executions_frame_refuses_an_unknown_status() -> None:
    with pytest.raises(InvalidParameterError, match="QUEUED, IN_PROGRESS"):
        executions_frame([("t1", {"status": "PAUSED"})])


# --- commands -----------------------------------------------------------------------------------


def test_command_status_dtype_is_the_models_six_in_order() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("iot")
    assert list(COMMAND_STATUSES) == model.shape_for("CommandExecutionStatus").enum
    assert COMMAND_STATUS_DTYPE.categories.tolist() == list(COMMAND_STATUSES)
    assert COMMAND_STATUS_DTYPE.ordered


def test_command_executions_frame_reads_typed_values_and_any_zone() -> None:
    eastern = timezone(timedelta(hours=-5))
    full = {
        "executionId": "e-1",
        "commandArn": "arn:aws:iot:us-east-1:123456789012:command/reboot",
        "targetArn": ARN.format("t1"),
        "status": "FAILED",
        "statusReason": {"reasonCode": "DISK_FULL", "reasonDescription": "no room"},
        "result": {"out": {"S": "x"}, "ok": {"B": False}, "raw": {"BIN": b"\x00"}},
        "parameters": {"n": {"I": 1}, "big": {"L": 2**40}, "u": {"UL": "7"}, "d": {"D": 0.5}},
        "executionTimeoutSeconds": 30,
        "createdAt": datetime(2023, 11, 14, 17, 13, 20, tzinfo=eastern),
        "completedAt": datetime(2023, 11, 14, 22, 13, 50),  # naive: read as UTC
    }
    summary = {"executionId": "e-2", "targetArn": "arn:aws:iot:us-east-1:1:client/c1"}
    frame = command_executions_frame([full, summary])
    assert_typed(frame, COMMAND_EXECUTION_COLUMNS)
    first, second = frame.iloc[0], frame.iloc[1]
    assert (first["thing_name"], first["command_id"], first["status"]) == ("t1", "reboot", "FAILED")
    assert (first["status_reason_code"], first["status_reason_description"]) == (
        "DISK_FULL",
        "no room",
    )
    assert first["result"] == {"out": "x", "ok": False, "raw": b"\x00"}
    assert first["parameters"] == {"n": 1, "big": 2**40, "u": 7, "d": 0.5}
    assert first["created_at"] == utc(T0)
    assert first["completed_at"] == utc(T0 + 30)
    assert pd.isna(first["started_at"])
    # A summary (ListCommandExecutions) lacks most fields; a client target has no thing name.
    assert pd.isna(second["thing_name"])
    assert pd.isna(second["status"])
    assert second["target_arn"] == "arn:aws:iot:us-east-1:1:client/c1"
    assert second["result"] == {}
    assert second["parameters"] == {}
    assert frame["status"].cat.categories.tolist() == list(COMMAND_STATUSES)
    assert (frame["status"] > "IN_PROGRESS").tolist() == [True, False]


def test_command_executions_frame_refuses_an_unknown_status() -> None:
    with pytest.raises(InvalidParameterError, match="CREATED, IN_PROGRESS"):
        command_executions_frame([{"status": "QUEUED"}])


# --- control plane ------------------------------------------------------------------------------


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone is America/New_York (boto3's tzlocal reads it when parsing)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


SUMMER = 1_720_000_000  # 2024-07-03 09:46:40 UTC, when New York is on EDT (UTC-4)


def retried_job(iot: Any, data: Any, clock: Any) -> None:
    """j1 on t1..t4 with one retry on failure, created at T0 (November: EST, UTC-5).

    t1 FAILED then retried (execution 2, QUEUED); t2 SUCCEEDED; t3 REJECTED; t4 IN_PROGRESS,
    started in July (EDT).
    """
    make_things(iot, "t1", "t2", "t3", "t4")
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
    make_job(iot, "j1", ["t1", "t2", "t3", "t4"], jobExecutionsRetryConfig=retry)
    clock.advance(40)
    data.update_job_execution(thingName="t1", jobId="j1", status="FAILED")
    data.update_job_execution(thingName="t2", jobId="j1", status="SUCCEEDED")
    data.update_job_execution(thingName="t3", jobId="j1", status="REJECTED")
    clock.set(SUMMER)
    data.start_next_pending_job_execution(thingName="t4")


@pytest.mark.usefixtures("new_york")
def test_job_executions_frame_converts_local_times_to_utc(iot: Any, data: Any, clock: Any) -> None:
    retried_job(iot, data, clock)
    items = all_executions(iot, "j1")
    queued = items[0]["jobExecutionSummary"]["queuedAt"]
    assert queued.utcoffset() == timedelta(hours=-5)  # boto3 really gave local (EST) times
    frame = job_executions_frame("j1", items)
    assert_typed(frame, JOB_EXECUTION_COLUMNS)
    frame = frame.sort_values("thing_name", ignore_index=True)
    assert frame["job_id"].tolist() == ["j1"] * 4
    assert frame["thing_name"].tolist() == ["t1", "t2", "t3", "t4"]
    assert frame["status"].tolist() == ["QUEUED", "SUCCEEDED", "REJECTED", "IN_PROGRESS"]
    assert frame["execution_number"].tolist() == [2, 1, 1, 1]
    assert frame["retry_attempt"].tolist() == [1, 0, 0, 0]
    assert frame["queued_at"].tolist() == [utc(T0 + 40), utc(T0), utc(T0), utc(T0)]
    assert frame["started_at"].isna().tolist() == [True, True, True, False]
    assert frame["started_at"].iloc[3] == utc(SUMMER)  # EDT, one hour off EST
    assert frame["last_updated_at"].tolist() == [utc(T0 + 40)] * 3 + [utc(SUMMER)]


def test_job_summary_frame_counts_things_and_attempts(iot: Any, data: Any, clock: Any) -> None:
    retried_job(iot, data, clock)
    make_things(iot, "t5")
    make_job(iot, "j2", ["t5"], targetSelection="CONTINUOUS")
    jobs = [
        (iot.describe_job(jobId=j)["job"], job_executions_frame(j, all_executions(iot, j)))
        for j in ("j1", "j2")
    ]
    frame = job_summary_frame(jobs)
    assert_typed(frame, JOB_SUMMARY_COLUMNS)
    schedule = ["scheduled_start_at", "next_window_at", "scheduled_end_at", "end_behavior"]
    assert frame[schedule].isna().all().all()  # jobs without a schedulingConfig
    j1, j2 = (frame.drop(columns=schedule).iloc[i].to_dict() for i in (0, 1))
    expected_things = {"queued": 1, "in_progress": 1, "succeeded": 1, "rejected": 1}
    expected_attempts = {**expected_things, "failed": 1}
    assert j1 == {
        "job_id": "j1",
        "job_status": "IN_PROGRESS",
        "target_selection": "SNAPSHOT",
        "things": 4,
        "attempts": 5,
        **{f"things_{s.lower()}": expected_things.get(s.lower(), 0) for s in STATUSES},
        **{f"attempts_{s.lower()}": expected_attempts.get(s.lower(), 0) for s in STATUSES},
    }
    assert (j2["job_id"], j2["target_selection"], j2["things"], j2["attempts"]) == (
        "j2",
        "CONTINUOUS",
        1,
        1,
    )
    things = frame[[f"things_{s.lower()}" for s in STATUSES]].sum(axis=1)
    attempts = frame[[f"attempts_{s.lower()}" for s in STATUSES]].sum(axis=1)
    assert (things == frame["things"]).all()
    assert (attempts == frame["attempts"]).all()


def test_job_summary_frame_uses_each_things_latest_execution() -> None:
    def item(thing: str, status: str, number: int) -> dict[str, Any]:
        summary = {"status": status, "executionNumber": number, "retryAttempt": number - 1}
        return {"thingArn": ARN.format(thing), "jobExecutionSummary": summary}

    executions = job_executions_frame(
        "j1", [item("a", "QUEUED", 2), item("a", "FAILED", 1), item("b", "SUCCEEDED", 1)]
    )
    job = {"jobId": "j1", "status": "IN_PROGRESS", "targetSelection": "SNAPSHOT"}
    row = job_summary_frame([(job, executions)]).iloc[0]
    assert (row["things"], row["things_queued"], row["things_failed"]) == (2, 1, 0)
    assert row["things_succeeded"] == 1
    # No jobProcessDetails: the attempt counters are unknown, not zero.
    assert pd.isna(row["attempts"])
    assert pd.isna(row["attempts_failed"])


def test_job_summary_frame_refuses_another_jobs_executions() -> None:
    executions = job_executions_frame("j2", [{"thingArn": ARN.format("a")}])
    with pytest.raises(InvalidParameterError, match="j1"):
        job_summary_frame([({"jobId": "j1"}, executions)])


# --- errors -------------------------------------------------------------------------------------


def test_errors_frame() -> None:
    errors = [
        CallError("t1", "j1", "DescribeJobExecution", "ResourceNotFoundException", "no", 1, 404),
        CallError("t2", None, "GetPendingJobExecutions", "EndpointConnectionError", "down", 5),
    ]
    frame = errors_frame(errors)
    assert_typed(frame, ERROR_COLUMNS)
    assert frame.to_dict("list") == {
        "thing_name": ["t1", "t2"],
        "job_id": ["j1", None],
        "operation": ["DescribeJobExecution", "GetPendingJobExecutions"],
        "error_code": ["ResourceNotFoundException", "EndpointConnectionError"],
        "message": ["no", "down"],
        "attempts": [1, 5],
        "http_status": [404, None],
    }
    assert frame["job_id"].isna().tolist() == [False, True]
    assert frame["http_status"].isna().tolist() == [False, True]


# --- frames shown to people: frame.jobsnb.styled() ------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (pd.Timedelta(seconds=0), "0s"),
        (pd.Timedelta(seconds=35.9), "35s"),
        (pd.Timedelta(minutes=12, seconds=54), "12m 54s"),
        (pd.Timedelta(hours=2, minutes=5, seconds=59), "2h 05m"),
        (pd.Timedelta(days=3, hours=4, minutes=30), "3d 4h"),
        (timedelta(minutes=1), "1m 00s"),
        (-pd.Timedelta(hours=1), "-1h 00m"),
        (pd.NaT, ""),
        (None, ""),
    ],
)
def test_format_duration(duration: Any, text: str) -> None:
    assert format_duration(duration) == text


def _cells(table: Any) -> list[list[str]]:
    """The display text of every body cell, row by row (what the notebook shows)."""
    return [
        [cell["display_value"] for cell in row[1:]]
        for row in table._translate(False, False)["body"]
    ]


def test_styled_writes_durations_times_and_counts_for_people(
    iot: Any, data: Any, clock: Any
) -> None:
    iot.create_thing(thingName="sensor-0042")
    iot.create_job(jobId="fw-2", targets=[ARN.format("sensor-0042")], document="{}")
    clock.advance(12 * 60 + 54.25)
    frame = pending_frame(
        [("sensor-0042", data.get_pending_job_executions(thingName="sensor-0042"))],
        pd.Timestamp(clock.now(), unit="s", tz="UTC"),
    )
    table = frame.jobsnb.styled()
    row = dict(zip(frame.columns, _cells(table)[0], strict=True))

    assert row["queue_age"] == "12m 54s"
    assert row["queued_at"] == "2023-11-14 22:13:20 UTC"  # to the second, in UTC
    assert row["in_progress_for"] == ""  # NaT
    assert row["status"] == "QUEUED"
    assert row["version_number"] == "1"
    shown = table.to_html()
    assert "border-left: 4px solid #999999" in shown  # QUEUED in the charts' grey
    assert "white-space: nowrap" in shown
    assert "0 days" not in shown
    assert ".000000" not in shown


def test_styled_shows_describe_counts_as_integers_and_timedelta_quantiles() -> None:
    ages = pd.Series(pd.to_timedelta([60, 120, 7500], unit="s"))
    waits = ages.groupby(["fw-2", "fw-2", "fw-3"]).describe()
    cells = _cells(styled(waits[["count", "50%", "max"]]))
    assert cells == [["2", "1m 30s", "2m 00s"], ["1", "2h 05m", "2h 05m"]]
    minutes = pd.DataFrame({"count": [52.0], "50%": [12.25]})
    assert _cells(styled(minutes, precision=2)) == [["52", "12.25"]]


def test_styled_shows_messages_whole_and_wraps_them_between_words() -> None:
    message = "Rate exceeded while calling DescribeJobExecution for this thing; " * 3
    frame = errors_frame([CallError("sensor-0042", "fw-2", "DescribeJobExecution",
                                    "ThrottlingException", message, 5, 429)])  # fmt: skip
    table = styled(frame)
    shown = table.to_html()
    assert message.strip() in shown  # not cut to pandas' 50 characters
    rules = {
        selector.strip().split(" ")[-1]: body
        for selector, body in re.findall(r"#T_\w+\s+([^{]+)\{([^}]*)\}", shown)
    }
    message_rule = rules[f"td.col{list(frame.columns).index('message')}"]
    assert "white-space: normal;" in message_rule
    assert "word-break: normal;" in message_rule  # between words, never inside a name
    name_rule = rules[f"td.col{list(frame.columns).index('thing_name')}"]
    assert "white-space" not in name_rule  # the table's nowrap: a name never wraps
    assert "white-space: nowrap;" in rules["td"]


def test_styled_formats_indexes_headers_and_details() -> None:
    at = pd.to_datetime(
        ["2026-01-01 10:00:00.123456", "2026-01-01 10:06:00"], utc=True, format="ISO8601"
    )
    counts = pd.DataFrame(
        {"QUEUED": [3, 1], "SUCCEEDED": [0, 2]}, index=pd.Index(at, name="snapshot_at")
    )
    table = styled(counts)
    shown = table.to_html()
    assert "2026-01-01 10:00:00 UTC" in shown
    assert "123456" not in shown
    assert "border-bottom: 3px solid #009E73" in shown  # the SUCCEEDED header
    details = pd.DataFrame({"status_details": [{"progress": "40%", "step": "download"}, {}]})
    assert _cells(styled(details)) == [["progress: 40%, step: download"], [""]]


def test_styled_shows_at_most_max_rows_and_says_so() -> None:
    frame = pd.DataFrame({"n": range(120)})
    table = styled(frame)
    assert len(table.data) == 50
    assert "first 50 of 120 rows" in table.to_html()
    assert len(styled(frame, max_rows=None).data) == 120
    with pytest.raises(InvalidParameterError, match="max_rows"):
        styled(frame, max_rows=0)
    assert frame.equals(pd.DataFrame({"n": range(120)}))  # the frame itself is not changed
