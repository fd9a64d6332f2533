"""The fleet client's writes against the local service: start_next and update, one thing or
hundreds, the resulting execution states, optimistic locking with expected_version, timers."""

from __future__ import annotations

import pandas as pd

import jobsnb
from jobsnb.frames import EXECUTION_COLUMNS
from tests.helpers import (
    assert_schema,
    fast_client,
    make_job,
    make_things,
    no_errors,
    utc,
)


def described(data, thing: str, job: str) -> dict:
    """The execution as the service holds it, through an unmodified boto3 client."""
    return data.describe_job_execution(thingName=thing, jobId=job)["execution"]


# --- start_next ----------------------------------------------------------------------------------


def test_start_next_starts_each_things_next_execution(service, iot, data):
    make_things(iot, ["a", "b", "idle"])
    make_job(iot, "job1", ["a", "b"])
    service.advance(10)
    make_job(iot, "job2", ["a"])
    service.advance(20)

    frame = jobsnb.connect(service).start_next(
        ["a", "b", "idle"],
        status_details={"step": "download"},
        step_timeout_minutes=5,
        progress=False,
    )

    no_errors(frame)
    assert_schema(frame, EXECUTION_COLUMNS)
    expected = pd.DataFrame(
        {
            "thing_name": ["a", "b", "idle"],
            "job_id": ["job1", "job1", None],
            "execution_number": [1, 1, None],
            "status": ["IN_PROGRESS", "IN_PROGRESS", None],
            "status_details": [{"step": "download"}, {"step": "download"}, {}],
            "queued_at": [utc(0), utc(0), pd.NaT],
            "started_at": [utc(30), utc(30), pd.NaT],
            "last_updated_at": [utc(30), utc(30), pd.NaT],
            "approximate_seconds_before_timed_out": [300, 300, None],
            "version_number": [2, 2, None],
        }
    ).astype({c.name: c.pandas_dtype for c in EXECUTION_COLUMNS})
    pd.testing.assert_frame_equal(frame, expected)
    for thing in ("a", "b"):
        state = described(data, thing, "job1")
        assert (state["status"], state["versionNumber"]) == ("IN_PROGRESS", 2)
    assert described(data, "a", "job2")["status"] == "QUEUED"
    assert service.request_counts["StartNextPendingJobExecution"] == 3


def test_start_next_on_a_running_execution_returns_it_unchanged(service, iot, data):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    client = jobsnb.connect(service)
    first = client.start_next("a", status_details={"step": "one"}, progress=False)
    service.advance(60)
    again = client.start_next("a", status_details={"step": "two"}, progress=False)
    assert again["version_number"].tolist() == [2]
    assert again["status_details"].tolist() == [{"step": "one"}]
    assert again["started_at"].tolist() == first["started_at"].tolist() == [utc(0)]


def test_start_next_over_hundreds_of_things_starts_each_once(service, iot, data):
    names = make_things(iot, [f"dev-{i:03d}" for i in range(400)], group="fleet")
    make_job(iot, "fw", group="fleet")
    frame = fast_client(service).start_next(names, progress=False)
    no_errors(frame)
    assert sorted(frame["thing_name"]) == names
    assert (frame["status"] == "IN_PROGRESS").all()
    assert (frame["version_number"] == 2).all()
    assert service.request_counts["StartNextPendingJobExecution"] == 400
    summary = iot.describe_job(jobId="fw")["job"]["jobProcessDetails"]
    assert summary["numberOfInProgressThings"] == 400


def test_a_step_timeout_from_start_next_times_the_execution_out(service, iot, data):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    client = jobsnb.connect(service)
    client.start_next("a", step_timeout_minutes=1, progress=False)
    service.advance(61)
    assert client.pending("a", progress=False).empty
    frame = client.describe([("a", "job1")], progress=False)
    assert frame["status"].tolist() == ["TIMED_OUT"]
    assert frame["approximate_seconds_before_timed_out"].isna().all()


# --- update --------------------------------------------------------------------------------------


def test_update_a_frame_of_executions_reports_their_new_state(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    started = client.start_next(["a", "b"], status_details={"step": "flash"}, progress=False)
    service.advance(30)

    frame = client.update(started, "SUCCEEDED", status_details={"result": "ok"}, progress=False)

    no_errors(frame)
    assert_schema(frame, EXECUTION_COLUMNS)
    assert frame["thing_name"].tolist() == ["a", "b"]
    assert frame["job_id"].tolist() == ["job1", "job1"]
    assert frame["status"].tolist() == ["SUCCEEDED", "SUCCEEDED"]
    assert frame["version_number"].tolist() == [3, 3]
    assert frame["status_details"].tolist() == [{"result": "ok"}] * 2
    for thing in ("a", "b"):
        state = described(data, thing, "job1")
        assert (state["status"], state["versionNumber"]) == ("SUCCEEDED", 3)
        assert state["lastUpdatedAt"] == utc(30).timestamp()
    # The frame's version_number was sent as expectedVersion.
    assert service.request_counts["UpdateJobExecution"] == 2


def test_update_accepts_a_list_of_pairs(service, iot, data):
    """The issue: update(executions, ...) takes a DataFrame *or a list*; a list of (thing, job)
    pairs has no execution numbers, and must still give the resulting states."""
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    frame = jobsnb.connect(service).update(
        [("a", "job1"), {"thing_name": "b", "job_id": "job1"}], "IN_PROGRESS", progress=False
    )
    no_errors(frame)
    assert frame["thing_name"].tolist() == ["a", "b"]
    assert frame["status"].tolist() == ["IN_PROGRESS", "IN_PROGRESS"]
    assert frame["version_number"].tolist() == [2, 2]
    assert described(data, "b", "job1")["status"] == "IN_PROGRESS"


def test_update_with_execution_numbers_addresses_that_execution(service, iot, data):
    make_things(iot, ["a"])
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
    make_job(iot, "job1", ["a"], jobExecutionsRetryConfig=retry)
    data.update_job_execution(thingName="a", jobId="job1", status="FAILED")
    client = jobsnb.connect(service)
    frame = client.update([("a", "job1", 2)], "REJECTED", progress=False)
    assert frame["execution_number"].tolist() == [2]
    assert frame["status"].tolist() == ["REJECTED"]
    old = client.update([("a", "job1", 1)], "SUCCEEDED", progress=False, on_error="ignore")
    assert old.empty
    assert old.jobsnb.errors["error_code"].tolist() == ["InvalidStateTransitionException"]


def test_update_with_a_stale_frame_is_refused_and_changes_nothing(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    snapshot = client.describe([("a", "job1"), ("b", "job1")], progress=False)  # versions 1, 1
    # Meanwhile the device "a" reports progress: its version moves to 2.
    data.update_job_execution(
        thingName="a", jobId="job1", status="IN_PROGRESS", statusDetails={"step": "device"}
    )

    frame = client.update(snapshot, "FAILED", progress=False, on_error="ignore")

    assert frame["thing_name"].tolist() == ["b"]
    assert frame["status"].tolist() == ["FAILED"]
    errors = frame.jobsnb.errors
    assert errors["thing_name"].tolist() == ["a"]
    assert errors["job_id"].tolist() == ["job1"]
    assert errors["operation"].tolist() == ["UpdateJobExecution"]
    assert errors["error_code"].tolist() == ["InvalidStateTransitionException"]
    assert errors["http_status"].tolist() == [409]
    assert errors["attempts"].tolist() == [1]  # a conflict is not retried
    assert "VersionMismatch" in errors["message"][0]
    state = described(data, "a", "job1")
    assert (state["status"], state["versionNumber"]) == ("IN_PROGRESS", 2)
    assert state["statusDetails"] == {"step": "device"}


def test_update_expected_version_int_or_none(service, iot, data):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    client = jobsnb.connect(service)
    stale = client.describe([("a", "job1")], progress=False)
    data.update_job_execution(thingName="a", jobId="job1", status="IN_PROGRESS")  # version 2
    wrong = client.update(
        stale, "IN_PROGRESS", expected_version=5, on_error="ignore", progress=False
    )
    assert wrong.jobsnb.errors["error_code"].tolist() == ["InvalidStateTransitionException"]
    right = client.update(stale, "IN_PROGRESS", expected_version=2, progress=False)
    assert right["version_number"].tolist() == [3]
    unchecked = client.update(stale, "SUCCEEDED", expected_version=None, progress=False)
    assert unchecked["version_number"].tolist() == [4]
    assert described(data, "a", "job1")["status"] == "SUCCEEDED"


def test_update_a_terminal_execution_is_an_error_row(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    data.update_job_execution(thingName="a", jobId="job1", status="SUCCEEDED")
    frame = jobsnb.connect(service).update(
        [("a", "job1", 1), ("b", "job1", 1)],
        "FAILED",
        expected_version=None,
        progress=False,
        on_error="ignore",
    )
    assert frame.jobsnb.errors[["thing_name", "error_code"]].values.tolist() == [
        ["a", "InvalidStateTransitionException"]
    ]
    assert described(data, "a", "job1")["status"] == "SUCCEEDED"
    assert described(data, "b", "job1")["status"] == "FAILED"


def test_update_step_timeout_sets_and_minus_one_cancels_the_step_timer(service, iot, data):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    client = jobsnb.connect(service)
    started = client.start_next("a", step_timeout_minutes=2, progress=False)
    longer = client.update(started, "IN_PROGRESS", step_timeout_minutes=10, progress=False)
    assert described(data, "a", "job1")["approximateSecondsBeforeTimedOut"] == 600
    client.update(longer, "IN_PROGRESS", step_timeout_minutes=-1, progress=False)
    assert "approximateSecondsBeforeTimedOut" not in described(data, "a", "job1")
    service.advance(3600)
    assert described(data, "a", "job1")["status"] == "IN_PROGRESS"


def test_update_on_a_start_next_frame_skips_the_things_that_were_idle(service, iot, data):
    make_things(iot, ["a", "idle"])
    make_job(iot, "job1", ["a"])
    client = jobsnb.connect(service)
    started = client.start_next(["a", "idle"], progress=False)
    assert started["job_id"].isna().tolist() == [False, True]

    done = client.update(started, status="SUCCEEDED", progress=False)

    assert done["thing_name"].tolist() == ["a"]
    assert done["status"].tolist() == ["SUCCEEDED"]
    assert described(data, "a", "job1")["status"] == "SUCCEEDED"
    assert done.jobsnb.errors.empty
