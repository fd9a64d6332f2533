"""The fleet client's reads against the local service: connect, pending, describe, executions,
job_summary; exact values and dtypes, time from the service's (manual) clock."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

import jobsnb
from jobsnb.client import FleetClient
from jobsnb.frames import (
    ERROR_COLUMNS,
    EXECUTION_COLUMNS,
    JOB_EXECUTION_COLUMNS,
    JOB_SUMMARY_COLUMNS,
    PENDING_COLUMNS,
    STATUS_DTYPE,
    Column,
)
from jobsnb.limits import STATUSES
from jobsnb.service import LocalJobsService
from jobsnb.service.faults import FaultInjector
from tests.helpers import (
    DOCUMENT,
    REGION,
    assert_schema,
    before_call,
    dtypes_of,
    fast_client,
    make_job,
    make_things,
    no_errors,
    utc,
)

# --- connect -------------------------------------------------------------------------------------


def test_connect_takes_a_url_the_service_object_or_the_endpoint_keyword(service, iot):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    for client in (
        jobsnb.connect(service.url),
        jobsnb.connect(service),
        jobsnb.connect(endpoint_url=service.url),
    ):
        assert isinstance(client, FleetClient)
        assert client.endpoint_url == service.url
        assert client.pending("a", progress=False)["job_id"].tolist() == ["job1"]


def test_connect_without_data_endpoint_finds_it_through_describe_endpoint(service, iot):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    client = jobsnb.connect(control_endpoint_url=service.url, region_name=REGION)
    assert service.request_counts.get("DescribeEndpoint") == 1
    assert client.endpoint_url == service.url
    assert client.pending(["a"], progress=False)["job_id"].tolist() == ["job1"]


# --- pending -------------------------------------------------------------------------------------


def test_pending_rows_times_and_ages_follow_the_service_clock(service, iot, data):
    make_things(iot, ["a", "b", "c"])
    make_job(iot, "job1", ["a", "b"])  # queued at START
    service.advance(30)
    make_job(iot, "job2", ["a"])  # queued at START + 30
    service.advance(60)
    data.start_next_pending_job_execution(thingName="b")  # started at START + 90
    service.advance(45)  # snapshot at START + 135

    frame = jobsnb.connect(service).pending(["a", "b", "c"], progress=False)

    no_errors(frame)
    assert_schema(frame, PENDING_COLUMNS)
    snapshot = utc(135)
    assert frame.attrs["snapshot_at"] == snapshot
    expected = pd.DataFrame(
        {
            "thing_name": ["a", "a", "b"],
            "job_id": ["job1", "job2", "job1"],
            "status": ["QUEUED", "QUEUED", "IN_PROGRESS"],
            "queue_position": [0, 1, 0],
            "queued_at": [utc(0), utc(30), utc(0)],
            "started_at": [pd.NaT, pd.NaT, utc(90)],
            "last_updated_at": [utc(0), utc(30), utc(90)],
            "version_number": [1, 1, 2],
            "execution_number": [1, 1, 1],
            "snapshot_at": [snapshot] * 3,
            "queue_age": pd.to_timedelta([135, 105, 135], unit="s"),
            "in_progress_for": pd.to_timedelta([None, None, 45], unit="s"),
        }
    ).astype(dtypes_of(PENDING_COLUMNS))
    pd.testing.assert_frame_equal(frame, expected)


def test_pending_in_progress_first_and_at_most_ten_per_thing(service, iot, data):
    make_things(iot, ["a"])
    for n in range(12):
        make_job(iot, f"job{n:02d}", ["a"])
        service.advance(1)
    data.start_next_pending_job_execution(thingName="a")  # job00
    frame = jobsnb.connect(service).pending("a", progress=False)
    assert len(frame) == 10
    assert frame["status"].tolist() == ["IN_PROGRESS"] + ["QUEUED"] * 9
    assert frame["job_id"].tolist() == [f"job{n:02d}" for n in range(10)]
    assert frame["queue_position"].tolist() == list(range(10))
    assert frame["queue_age"].dt.total_seconds().tolist() == [12.0 - n for n in range(10)]


def test_pending_with_nothing_pending_is_empty_with_the_schema(service, iot):
    make_things(iot, ["a"])
    frame = jobsnb.connect(service).pending(["a", "never-created"], progress=False)
    no_errors(frame)
    assert frame.empty
    assert_schema(frame, PENDING_COLUMNS)
    assert_schema(frame.jobsnb.errors, ERROR_COLUMNS)
    assert service.request_counts["GetPendingJobExecutions"] == 2


def test_pending_accepts_a_name_a_series_or_a_frame_and_asks_once_per_thing(service, iot):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    assert client.pending("a", progress=False)["thing_name"].tolist() == ["a"]
    assert service.request_counts["GetPendingJobExecutions"] == 1
    from_series = client.pending(pd.Series(["b", "a", "b", "a"]), progress=False)
    assert from_series["thing_name"].tolist() == ["b", "a"]
    assert service.request_counts["GetPendingJobExecutions"] == 3
    from_frame = client.pending(from_series, progress=False)
    pd.testing.assert_frame_equal(from_frame, from_series)


def test_pending_over_a_fleet_answers_every_thing_exactly_once(service, iot):
    names = make_things(iot, [f"sensor-{i:03d}" for i in range(300)], group="fleet")
    make_job(iot, "fw", group="fleet")
    make_job(iot, "cfg", names[::3])
    frame = fast_client(service).pending(names, progress=False)
    no_errors(frame)
    assert service.request_counts["GetPendingJobExecutions"] == 300
    assert frame["thing_name"].value_counts().to_dict() == {
        name: 2 if i % 3 == 0 else 1 for i, name in enumerate(names)
    }
    assert not frame.duplicated(["thing_name", "job_id"]).any()


# --- pending with details (what the control panel's table shows) -------------------------------

DETAILED_COLUMNS = [*PENDING_COLUMNS, Column("status_details", "object", "From the later read.")]


def test_pending_with_details_adds_status_details_and_the_current_version(service, iot, data):
    make_things(iot, ["a", "b", "idle"])
    make_job(iot, "job1", ["a", "b"])
    service.advance(10)
    make_job(iot, "job2", ["a"])
    data.start_next_pending_job_execution(thingName="a", statusDetails={"progress": "40%"})
    client = jobsnb.connect(service)
    plain = client.pending(["a", "b", "idle"], progress=False)

    frame = client.pending(["a", "b", "idle"], details=True, progress=False)

    no_errors(frame)
    assert_schema(frame, DETAILED_COLUMNS)
    pd.testing.assert_frame_equal(frame.drop(columns="status_details"), plain)
    assert frame["status_details"].tolist() == [{"progress": "40%"}, {}, {}]
    assert frame.jobsnb.snapshot_at == plain.jobsnb.snapshot_at
    # One DescribeJobExecution per pending execution; none for the idle thing.
    assert service.request_counts["DescribeJobExecution"] == 3
    assert service.request_counts["GetPendingJobExecutions"] == 6


def test_pending_with_details_takes_status_and_version_from_the_later_read(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    # Between the two reads the device "a" starts its execution (version 2).
    before_call(
        client.data,
        "DescribeJobExecution",
        lambda: data.update_job_execution(
            thingName="a", jobId="job1", status="IN_PROGRESS", statusDetails={"step": "1"}
        ),
    )

    frame = client.pending(["a", "b"], details=True, progress=False)

    no_errors(frame)
    assert frame[["thing_name", "status", "version_number", "status_details"]].values.tolist() == [
        ["a", "IN_PROGRESS", 2, {"step": "1"}],
        ["b", "QUEUED", 1, {}],
    ]
    assert frame["status"].dtype == STATUS_DTYPE
    assert frame["queue_position"].tolist() == [0, 0]  # as the pending read saw them


def test_pending_with_details_keeps_the_pending_row_when_its_describe_failed(service, iot):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service, retry=jobsnb.RetryPolicy(max_attempts=1))
    before_call(
        client.data,
        "DescribeJobExecution",
        lambda: setattr(service, "faults", FaultInjector(1.0)),
    )

    frame = client.pending(["a", "b"], details=True, progress=False, on_error="ignore")

    assert_schema(frame, DETAILED_COLUMNS)
    assert frame[["thing_name", "status", "version_number", "status_details"]].values.tolist() == [
        ["a", "QUEUED", 1, {}],
        ["b", "QUEUED", 1, {}],
    ]
    errors = frame.jobsnb.errors
    assert errors[["thing_name", "job_id", "operation"]].values.tolist() == [
        ["a", "job1", "DescribeJobExecution"],
        ["b", "job1", "DescribeJobExecution"],
    ]
    assert client.last_errors.equals(errors)


def test_pending_with_details_of_nothing_pending_is_empty_with_the_schema(service, iot):
    make_things(iot, ["a"])
    frame = jobsnb.connect(service).pending("a", details=True, progress=False)
    no_errors(frame)
    assert frame.empty
    assert_schema(frame, DETAILED_COLUMNS)
    assert service.request_counts.get("DescribeJobExecution", 0) == 0


# --- describe ------------------------------------------------------------------------------------


def test_describe_a_pending_frame_gives_every_field(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"], timeoutConfig={"inProgressTimeoutInMinutes": 60})
    service.advance(10)
    data.start_next_pending_job_execution(
        thingName="a",
        statusDetails={"step": "download", "progressPct": "40"},
        stepTimeoutInMinutes=5,
    )
    service.advance(20)
    client = jobsnb.connect(service)
    pending = client.pending(["a", "b"], progress=False)

    frame = client.describe(pending, progress=False)

    no_errors(frame)
    assert_schema(frame, EXECUTION_COLUMNS)
    expected = pd.DataFrame(
        {
            "thing_name": ["a", "b"],
            "job_id": ["job1", "job1"],
            "execution_number": [1, 1],
            "status": ["IN_PROGRESS", "QUEUED"],
            "status_details": [{"step": "download", "progressPct": "40"}, {}],
            "queued_at": [utc(0), utc(0)],
            "started_at": [utc(10), pd.NaT],
            "last_updated_at": [utc(10), utc(0)],
            "approximate_seconds_before_timed_out": [300 - 20, None],
            "version_number": [2, 1],
        }
    ).astype(dtypes_of(EXECUTION_COLUMNS))
    pd.testing.assert_frame_equal(frame, expected)
    assert service.request_counts["DescribeJobExecution"] == 2


def test_describe_flattens_details_and_adds_the_document_on_request(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    data.start_next_pending_job_execution(thingName="a", statusDetails={"step": "download"})
    data.start_next_pending_job_execution(thingName="b", statusDetails={"attempt": "2"})

    frame = jobsnb.connect(service).describe(
        [("a", "job1"), ("b", "job1")],
        include_document=True,
        flatten_details=True,
        progress=False,
    )

    base = [c.name for c in EXECUTION_COLUMNS]
    assert list(frame.columns) == [*base, "job_document", "detail_attempt", "detail_step"]
    assert frame["job_document"].tolist() == [DOCUMENT, DOCUMENT]
    assert json.loads(frame["job_document"][0]) == {"operation": "update", "version": "2.1"}
    assert frame["detail_step"].tolist() == ["download", pd.NA]
    assert frame["detail_attempt"].tolist() == [pd.NA, "2"]
    for column in ("job_document", "detail_attempt", "detail_step"):
        assert frame[column].dtype == pd.StringDtype()
    assert frame["status_details"].tolist() == [{"step": "download"}, {"attempt": "2"}]


def test_describe_takes_tuples_dicts_and_execution_numbers(service, iot, data):
    make_things(iot, ["a"])
    make_job(
        iot,
        "job1",
        ["a"],
        jobExecutionsRetryConfig={
            "criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]
        },
    )
    data.start_next_pending_job_execution(thingName="a")
    data.update_job_execution(thingName="a", jobId="job1", status="FAILED")  # retry: execution 2

    frame = jobsnb.connect(service).describe(
        [("a", "job1", 1), ("a", "job1", 2), {"thing_name": "a", "job_id": "job1"}],
        progress=False,
    )

    assert frame["execution_number"].tolist() == [1, 2, 2]
    assert frame["status"].tolist() == ["FAILED", "QUEUED", "QUEUED"]
    assert frame["version_number"].tolist() == [3, 1, 1]
    assert frame["started_at"].isna().tolist() == [False, True, True]


def test_describe_unknown_executions_are_error_rows_and_the_rest_is_answered(service, iot):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    client = jobsnb.connect(service)
    frame = client.describe(
        [("a", "job1"), ("a", "no-such-job"), ("ghost", "job1"), ("a", "job1", 7)],
        progress=False,
        on_error="ignore",
    )
    assert frame["thing_name"].tolist() == ["a"]
    errors = frame.jobsnb.errors
    assert_schema(errors, ERROR_COLUMNS)
    rows = errors.sort_values(["thing_name", "job_id"]).to_dict("records")
    assert [(r["thing_name"], r["job_id"]) for r in rows] == [
        ("a", "job1"),
        ("a", "no-such-job"),
        ("ghost", "job1"),
    ]
    for row in rows:
        assert row["operation"] == "DescribeJobExecution"
        assert row["error_code"] == "ResourceNotFoundException"
        assert row["http_status"] == 404
        assert row["attempts"] == 1  # a 404 is not retried
        assert row["message"]
    pd.testing.assert_frame_equal(client.last_errors, errors)


# --- executions and job_summary (control plane) --------------------------------------------------


def test_executions_lists_every_status_across_pages(service, iot, data):
    names = make_things(iot, [f"dev-{i:03d}" for i in range(260)], group="fleet")
    make_job(iot, "fw", group="fleet")
    service.advance(5)
    outcomes = {"dev-000": "SUCCEEDED", "dev-001": "FAILED", "dev-002": "REJECTED"}
    for thing, status in outcomes.items():
        data.update_job_execution(thingName=thing, jobId="fw", status=status)
    data.start_next_pending_job_execution(thingName="dev-003")
    iot.cancel_job_execution(jobId="fw", thingName="dev-004")

    client = fast_client(service)
    frame = client.executions("fw", progress=False)

    no_errors(frame)
    assert_schema(frame, JOB_EXECUTION_COLUMNS)
    assert service.request_counts["ListJobExecutionsForJob"] == 2  # 250 + 10
    assert sorted(frame["thing_name"]) == names
    by_thing = frame.set_index("thing_name")["status"].astype(str).to_dict()
    expected = dict.fromkeys(names, "QUEUED") | outcomes
    expected |= {"dev-003": "IN_PROGRESS", "dev-004": "CANCELED"}
    assert by_thing == expected
    assert frame["status"].value_counts()[list(STATUSES)].tolist() == [255, 1, 1, 1, 0, 1, 1, 0]
    assert (frame["job_id"] == "fw").all()
    assert (frame["queued_at"] == utc(0)).all()
    row = frame.set_index("thing_name").loc["dev-003"]
    assert row["started_at"] == utc(5)
    assert row["retry_attempt"] == 0

    succeeded = client.executions("fw", status="SUCCEEDED", progress=False)
    assert succeeded["thing_name"].tolist() == ["dev-000"]
    nothing = client.executions("fw", status="TIMED_OUT", progress=False)
    assert nothing.empty
    assert_schema(nothing, JOB_EXECUTION_COLUMNS)


def test_executions_describe_adds_the_data_plane_fields(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    data.start_next_pending_job_execution(thingName="a", statusDetails={"step": "flash"})
    frame = jobsnb.connect(service).executions("job1", describe=True, progress=False)
    no_errors(frame)
    frame = frame.sort_values("thing_name", ignore_index=True)
    assert frame["status_details"].tolist() == [{"step": "flash"}, {}]
    assert frame["version_number"].tolist() == [2, 1]
    assert frame["version_number"].dtype == "Int64"
    assert frame["status"].dtype == STATUS_DTYPE
    assert (frame["described_status"].astype(str) == frame["status"].astype(str)).all()
    assert service.request_counts["DescribeJobExecution"] == 2


def test_executions_of_several_jobs_and_an_unknown_one(service, iot):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    make_job(iot, "job2", ["b"])
    frame = jobsnb.connect(service).executions(
        ["job1", "job2", "missing"], progress=False, on_error="ignore"
    )
    pairs = sorted(zip(frame["job_id"], frame["thing_name"], strict=True))
    assert pairs == [("job1", "a"), ("job1", "b"), ("job2", "b")]
    errors = frame.jobsnb.errors
    assert errors["job_id"].tolist() == ["missing"]
    assert errors["operation"].tolist() == ["ListJobExecutionsForJob"]
    assert errors["error_code"].tolist() == ["ResourceNotFoundException"]


def test_job_summary_counts_things_not_attempts(service, iot, data):
    make_things(iot, ["a", "b", "c", "d"])
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
    make_job(iot, "job1", ["a", "b", "c"], jobExecutionsRetryConfig=retry)
    make_job(iot, "job2", ["d"], targetSelection="SNAPSHOT")
    data.update_job_execution(thingName="a", jobId="job1", status="FAILED")  # → execution 2
    data.update_job_execution(thingName="a", jobId="job1", status="SUCCEEDED")
    data.update_job_execution(thingName="b", jobId="job1", status="SUCCEEDED")
    data.update_job_execution(thingName="c", jobId="job1", status="REJECTED")

    frame = jobsnb.connect(service).job_summary(["job1", "job2"], progress=False)

    no_errors(frame)
    assert_schema(frame, JOB_SUMMARY_COLUMNS)
    rows = frame.set_index("job_id")
    job1 = rows.loc["job1"]
    assert job1["job_status"] == "COMPLETED"
    assert job1["target_selection"] == "SNAPSHOT"
    assert (job1["things"], job1["attempts"]) == (3, 4)
    things = {s: job1[f"things_{s.lower()}"] for s in STATUSES}
    attempts = {s: job1[f"attempts_{s.lower()}"] for s in STATUSES}
    assert things == dict.fromkeys(STATUSES, 0) | {"SUCCEEDED": 2, "REJECTED": 1}
    assert attempts == dict.fromkeys(STATUSES, 0) | {"SUCCEEDED": 2, "FAILED": 1, "REJECTED": 1}
    job2 = rows.loc["job2"]
    assert (job2["job_status"], job2["things"], job2["things_queued"]) == ("IN_PROGRESS", 1, 1)


def test_job_summary_of_an_unknown_job_is_an_error_row(service, iot):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    frame = jobsnb.connect(service).job_summary(["job1", "nope"], progress=False, on_error="ignore")
    assert frame["job_id"].tolist() == ["job1"]
    errors = frame.jobsnb.errors
    assert errors[["job_id", "operation", "error_code"]].values.tolist() == [
        ["nope", "DescribeJob", "ResourceNotFoundException"]
    ]
    only_unknown = jobsnb.connect(service).job_summary("nope", progress=False, on_error="ignore")
    assert only_unknown.empty
    assert_schema(only_unknown, JOB_SUMMARY_COLUMNS)


@pytest.mark.parametrize(
    ("method", "columns"),
    [("pending", PENDING_COLUMNS), ("describe", EXECUTION_COLUMNS)],
)
def test_every_call_failing_still_gives_the_schema(method, columns, clock):
    with LocalJobsService(clock=clock, fault_rate=1.0, seed=3) as failing:
        client = jobsnb.connect(failing, retry=jobsnb.RetryPolicy(max_attempts=1))
        argument: Any = ["a"] if method == "pending" else [("a", "job1")]
        frame = getattr(client, method)(argument, progress=False, on_error="ignore")
    assert frame.empty
    assert_schema(frame, columns)
    assert frame.jobsnb.errors["error_code"].tolist() == ["ServiceUnavailableException"]


# --- things and groups (control plane) -----------------------------------------------------------


def test_things_lists_every_thing_across_pages_and_a_groups_members(service, iot):
    names = make_things(iot, [f"dev-{i:03d}" for i in range(260)])
    make_things(iot, ["dev-001", "dev-002"], group="canary")
    iot.create_thing(thingName="lab-1", attributePayload={"attributes": {"site": "lab"}})
    iot.create_thing_group(thingGroupName="empty")
    client = fast_client(service)

    assert sorted(client.things()) == sorted([*names, "lab-1"])
    assert service.request_counts["ListThings"] == 2
    assert sorted(client.things("canary")) == ["dev-001", "dev-002"]
    assert client.things("empty") == []
    assert client.things(attribute=("site", "lab")) == ["lab-1"]
    assert sorted(client.groups()) == ["canary", "empty"]


def test_things_then_pending_covers_a_whole_group(service, iot):
    make_things(iot, ["a", "b", "c"], group="fleet")
    make_job(iot, "fw", group="fleet")
    client = jobsnb.connect(service)
    frame = client.pending(client.things("fleet"), progress=False)
    assert sorted(frame["thing_name"]) == ["a", "b", "c"]


def test_things_bad_arguments_raise_before_any_call(service):
    client = jobsnb.connect(service)
    with pytest.raises(jobsnb.InvalidParameterError, match="group"):
        client.things("no spaces")
    with pytest.raises(jobsnb.InvalidParameterError, match="attribute"):
        client.things("fleet", attribute=("site", "lab"))
    assert service.request_count == 0


def test_client_frames_concatenate_with_their_errors(service: Any) -> None:
    client = jobsnb.connect(service)
    ok = client.pending(["sensor-1"], progress=False)
    bad = client.describe([("sensor-1", "no-such-job")], progress=False, on_error="ignore")
    assert len(bad.jobsnb.errors) == 1
    both = pd.concat([ok, ok], ignore_index=True)
    assert list(both.columns) == list(ok.columns)
    assert pd.concat([bad, bad]).shape[1] == bad.shape[1]
