"""Conflicts: an update refused because the execution changed since it was read is told apart
from other refusals by the execution's current state (the executionState the refusal carries,
else one DescribeJobExecution of each refused execution), never by the error's wording;
frame.jobsnb.conflicts gives that state (described, times included)."""

from __future__ import annotations

import pandas as pd
import pytest

import jobsnb
from jobsnb import FanoutError, JobsnbWarning, RetryPolicy
from jobsnb.frames import EXECUTION_COLUMNS
from jobsnb.schema import Column
from jobsnb.service.errors import InvalidStateTransitionException
from jobsnb.service.faults import FaultInjector
from tests.helpers import assert_schema, before_call, fast_client, make_job, make_things, utc

#: frame.jobsnb.conflicts' columns: the execution's current state and the version expected.
CONFLICT_COLUMNS = [
    *EXECUTION_COLUMNS[:3],
    Column("expected_version", "Int64", "What the update expected."),
    *EXECUTION_COLUMNS[3:],
]


def described(data, thing: str, job: str) -> dict:
    return data.describe_job_execution(thingName=thing, jobId=job)["execution"]


def test_an_execution_changed_meanwhile_is_a_conflict_with_its_current_state(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    seen = client.pending(["a", "b"], progress=False)  # versions 1, 1
    service.advance(20)
    # Meanwhile the device "a" reports progress: its version moves to 2.
    data.update_job_execution(
        thingName="a", jobId="job1", status="IN_PROGRESS", statusDetails={"step": "device"}
    )

    frame = client.update(seen, "FAILED", progress=False, on_error="ignore")

    assert frame["thing_name"].tolist() == ["b"]
    conflicts = frame.jobsnb.conflicts
    assert_schema(conflicts, CONFLICT_COLUMNS)
    expected = pd.DataFrame(
        {
            "thing_name": ["a"],
            "job_id": ["job1"],
            "execution_number": [1],
            "expected_version": [1],
            "status": ["IN_PROGRESS"],
            "status_details": [{"step": "device"}],
            "queued_at": [utc(0)],
            "started_at": [utc(20)],
            "last_updated_at": [utc(20)],
            "approximate_seconds_before_timed_out": [None],
            "version_number": [2],
        }
    ).astype({c.name: c.pandas_dtype for c in CONFLICT_COLUMNS})
    pd.testing.assert_frame_equal(conflicts, expected)
    # The refusal is still an error row (the call failed), and nothing was overwritten.
    assert frame.jobsnb.errors[["thing_name", "error_code"]].values.tolist() == [
        ["a", "InvalidStateTransitionException"]
    ]
    # One DescribeJobExecution, of the refused execution only.
    assert service.request_counts["DescribeJobExecution"] == 1
    assert described(data, "a", "job1")["status"] == "IN_PROGRESS"
    # Conflicts ride in attrs as records: update frames still concatenate.
    assert len(pd.concat([frame, frame], ignore_index=True)) == 2


def test_a_terminal_execution_at_the_expected_version_is_a_failure_not_a_conflict(
    service, iot, data
):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    data.update_job_execution(thingName="a", jobId="job1", status="SUCCEEDED")  # version 2
    client = jobsnb.connect(service)
    seen = client.describe([("a", "job1")], progress=False)
    assert seen[["status", "version_number"]].values.tolist() == [["SUCCEEDED", 2]]

    frame = client.update(seen, "FAILED", progress=False, on_error="ignore")  # expects 2

    assert frame.empty
    assert frame.jobsnb.errors[["thing_name", "error_code"]].values.tolist() == [
        ["a", "InvalidStateTransitionException"]
    ]
    conflicts = frame.jobsnb.conflicts
    assert conflicts.empty
    assert_schema(conflicts, CONFLICT_COLUMNS)
    # The read only: the refusal's executionState showed the expected version, no check.
    assert service.request_counts["DescribeJobExecution"] == 1


def test_an_execution_finished_by_someone_else_meanwhile_is_a_conflict(service, iot, data):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    client = jobsnb.connect(service)
    seen = client.pending("a", progress=False)
    data.update_job_execution(thingName="a", jobId="job1", status="SUCCEEDED")

    frame = client.update(seen, "FAILED", progress=False, on_error="ignore")

    conflicts = frame.jobsnb.conflicts
    assert conflicts[["expected_version", "status", "version_number"]].values.tolist() == [
        [1, "SUCCEEDED", 2]
    ]


def test_refusals_without_an_expected_version_are_failures_and_cost_no_describe(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    data.update_job_execution(thingName="a", jobId="job1", status="SUCCEEDED")
    client = jobsnb.connect(service)

    frame = client.update(
        [("a", "job1"), ("b", "job1")], "FAILED", progress=False, on_error="ignore"
    )

    assert frame["thing_name"].tolist() == ["b"]
    assert frame.jobsnb.errors["thing_name"].tolist() == ["a"]
    assert frame.jobsnb.conflicts.empty
    assert service.request_counts.get("DescribeJobExecution", 0) == 0


def test_many_updates_conflicts_and_failures_apart_in_one_batch_of_checks(service, iot, data):
    names = make_things(iot, [f"dev-{i:02d}" for i in range(30)])
    make_job(iot, "job1", names)
    client = fast_client(service, workers=8)
    seen = client.pending(names, progress=False)
    for name in names[:10]:  # changed meanwhile: conflicts
        data.update_job_execution(thingName=name, jobId="job1", status="IN_PROGRESS")
    frame = client.update(seen, "IN_PROGRESS", progress=False, on_error="ignore")
    # The same frame again: now every execution has moved on since it was read.
    again = client.update(seen, "SUCCEEDED", progress=False, on_error="ignore")

    assert sorted(frame["thing_name"]) == names[10:]
    assert sorted(frame.jobsnb.conflicts["thing_name"]) == names[:10]
    assert (frame.jobsnb.conflicts["version_number"] == 2).all()
    assert sorted(again.jobsnb.conflicts["thing_name"]) == names
    assert len(again.jobsnb.errors) == 30
    # One describe per conflict (for its full state): 10, then 30; none for the 20 that went
    # through.
    assert service.request_counts["DescribeJobExecution"] == 40


def test_a_refusal_whose_check_failed_is_a_failure_and_the_check_is_an_error(service):
    arn = service.backend.create_thing("a").arn
    service.backend.create_job("job1", targets=[arn], document="{}")
    client = jobsnb.connect(service, retry=RetryPolicy(max_attempts=1))
    seen = client.pending("a", progress=False)
    service.backend.update_job_execution("a", "job1", "IN_PROGRESS")
    # The service starts failing just as the client checks the refused execution.
    before_call(
        client.data, "DescribeJobExecution", lambda: setattr(service, "faults", FaultInjector(1.0))
    )

    frame = client.update(seen, "FAILED", progress=False, on_error="ignore")

    assert frame.jobsnb.conflicts.empty  # undecided: not called a conflict
    errors = frame.jobsnb.errors
    assert errors[["operation", "error_code"]].values.tolist() == [
        ["UpdateJobExecution", "InvalidStateTransitionException"],
        ["DescribeJobExecution", "ServiceUnavailableException"],
    ]


def test_conflicts_warn_and_raise_like_every_failed_call(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    client = jobsnb.connect(service)
    seen = client.pending(["a", "b"], progress=False)
    data.update_job_execution(thingName="a", jobId="job1", status="IN_PROGRESS")

    with pytest.warns(JobsnbWarning, match="InvalidStateTransitionException") as caught:
        client.update(seen[seen.thing_name == "a"], "FAILED", progress=False)
    assert caught[0].filename == __file__
    with pytest.raises(FanoutError) as raised:
        client.update(seen, "SUCCEEDED", progress=False, on_error="raise")
    assert raised.value.partial["thing_name"].tolist() == ["b"]
    assert raised.value.partial.jobsnb.conflicts["thing_name"].tolist() == ["a"]


def test_frames_of_other_calls_have_no_conflicts(service, iot):
    make_things(iot, ["a"])
    make_job(iot, "job1", ["a"])
    frame = jobsnb.connect(service).pending("a", progress=False)
    conflicts = frame.jobsnb.conflicts
    assert conflicts.empty
    assert_schema(conflicts, CONFLICT_COLUMNS)


def test_refusals_that_carry_their_execution_state_cost_no_describe(service, iot, data):
    names = make_things(iot, [f"dev-{i}" for i in range(5)])
    make_job(iot, "job1", names)
    client = fast_client(service)
    seen = client.pending(names, progress=False)
    for name in names:  # each report lands at version 1 -> 2
        data.update_job_execution(
            thingName=name, jobId="job1", status="SUCCEEDED", expectedVersion=1
        )
    done = client.describe(seen, progress=False)  # SUCCEEDED at version 2
    before = service.request_counts["DescribeJobExecution"]

    frame = client.update(done, "FAILED", progress=False, on_error="ignore")

    assert len(frame.jobsnb.errors) == 5
    assert set(frame.jobsnb.errors["error_code"]) == {"InvalidStateTransitionException"}
    assert frame.jobsnb.conflicts.empty
    assert service.request_counts["UpdateJobExecution"] == 10
    assert service.request_counts["DescribeJobExecution"] == before


def test_without_execution_state_in_refusals_each_refused_execution_is_described(
    service, iot, data, monkeypatch
):
    # An endpoint that does not send executionState: the client falls back to describing.
    monkeypatch.setattr(InvalidStateTransitionException, "members", lambda self: {})
    make_things(iot, ["a", "b"])
    make_job(iot, "job1", ["a", "b"])
    data.update_job_execution(thingName="a", jobId="job1", status="SUCCEEDED")
    data.update_job_execution(thingName="b", jobId="job1", status="IN_PROGRESS")
    client = jobsnb.connect(service)
    seen = client.describe([("a", "job1"), ("b", "job1")], progress=False)  # versions 2, 2
    data.update_job_execution(thingName="b", jobId="job1", status="IN_PROGRESS")  # b: 3

    frame = client.update(seen, "FAILED", progress=False, on_error="ignore")

    assert frame.jobsnb.errors["thing_name"].tolist() == ["a", "b"]
    assert frame.jobsnb.conflicts[["thing_name", "version_number"]].values.tolist() == [["b", 3]]
    assert service.request_counts["DescribeJobExecution"] == 2 + 2  # the read, then 2 checks
