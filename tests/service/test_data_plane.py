"""The data plane (spec sections 3 and 4) through an unmodified boto3 ``iot-jobs-data`` client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import EXECUTION_KEYS, REBOOT, SUMMARY_KEYS, THING_ARN

T0 = 1_700_000_000  # the clock fixture's START, as the wire's integer epoch seconds

DEVICE_STATUSES = ["IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"]
ALL_STATUSES = [
    "QUEUED",
    "IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "REJECTED",
    "REMOVED",
    "CANCELED",
]
COMMAND_ARN = "arn:aws:iot:us-east-1:123456789012:command/reboot"


def payload(response: dict[str, Any]) -> dict[str, Any]:
    """The parsed response without botocore's ResponseMetadata."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def assert_error(excinfo: pytest.ExceptionInfo[Any], code: str, status: int) -> str:
    """Check the AWS error code and HTTP status; return the message."""
    response = excinfo.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    return str(response["Error"]["Message"])


def describe(data: Any, thing: str, job: str, **kwargs: Any) -> dict[str, Any]:
    return data.describe_job_execution(thingName=thing, jobId=job, **kwargs)["execution"]


def update(data: Any, thing: str, job: str, status: str, **kwargs: Any) -> dict[str, Any]:
    return payload(data.update_job_execution(thingName=thing, jobId=job, status=status, **kwargs))


def pending_ids(data: Any, thing: str) -> tuple[list[str], list[str]]:
    resp = data.get_pending_job_executions(thingName=thing)
    return (
        [s["jobId"] for s in resp["inProgressJobs"]],
        [s["jobId"] for s in resp["queuedJobs"]],
    )


@pytest.fixture
def one_job(make_things: Any, make_job: Any) -> tuple[str, str]:
    """Thing ``t1`` with one QUEUED execution of job ``j1`` (document REBOOT)."""
    make_things("t1")
    make_job("j1", ["t1"])
    return "t1", "j1"


def bring_to(
    status: str, data: Any, iot: Any, clock: Any, make_things: Any, make_job: Any
) -> tuple[str, str]:
    """Return (thing, job) of an execution in ``status``, reached the way the spec says."""
    thing, job = "t1", "j1"
    make_things(thing)
    if status == "REMOVED":
        iot.create_thing_group(thingGroupName="g1")
        iot.add_thing_to_thing_group(thingGroupName="g1", thingName=thing)
        iot.create_job(
            jobId=job,
            targets=["arn:aws:iot:us-east-1:123456789012:thinggroup/g1"],
            document=json.dumps(REBOOT),
            targetSelection="CONTINUOUS",
        )
        iot.remove_thing_from_thing_group(thingGroupName="g1", thingName=thing)
    elif status == "TIMED_OUT":
        make_job(job, [thing])
        data.start_next_pending_job_execution(thingName=thing, stepTimeoutInMinutes=1)
        clock.advance(61)
    else:
        make_job(job, [thing])
        if status == "CANCELED":
            iot.cancel_job_execution(jobId=job, thingName=thing)
        elif status != "QUEUED":
            data.update_job_execution(thingName=thing, jobId=job, status=status)
    assert describe(data, thing, job)["status"] == status
    return thing, job


# --- GetPendingJobExecutions -------------------------------------------------------------------


def test_get_pending_unknown_thing_is_200_with_empty_lists(data: Any) -> None:
    resp = data.get_pending_job_executions(thingName="nobody")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert payload(resp) == {"inProgressJobs": [], "queuedJobs": []}


def test_get_pending_known_thing_without_jobs_is_empty(data: Any, make_things: Any) -> None:
    make_things("t1")
    assert payload(data.get_pending_job_executions(thingName="t1")) == {
        "inProgressJobs": [],
        "queuedJobs": [],
    }


def test_get_pending_queued_summary_has_exact_keys(data: Any, one_job: tuple[str, str]) -> None:
    resp = data.get_pending_job_executions(thingName="t1")
    assert resp["inProgressJobs"] == []
    assert resp["queuedJobs"] == [
        {
            "jobId": "j1",
            "queuedAt": T0,
            "lastUpdatedAt": T0,
            "versionNumber": 1,
            "executionNumber": 1,
        }
    ]


def test_get_pending_in_progress_summary_has_exact_keys(
    data: Any, clock: Any, one_job: tuple[str, str]
) -> None:
    clock.advance(30)
    data.start_next_pending_job_execution(thingName="t1")
    resp = data.get_pending_job_executions(thingName="t1")
    assert resp["queuedJobs"] == []
    assert resp["inProgressJobs"] == [
        {
            "jobId": "j1",
            "queuedAt": T0,
            "startedAt": T0 + 30,
            "lastUpdatedAt": T0 + 30,
            "versionNumber": 2,
            "executionNumber": 1,
        }
    ]
    summary = resp["inProgressJobs"][0]
    assert "status" not in summary
    assert "thingName" not in summary
    assert set(summary) == SUMMARY_KEYS | {"startedAt"}


def test_get_pending_timestamps_are_integers(
    data: Any, clock: Any, one_job: tuple[str, str]
) -> None:
    clock.advance(12)
    data.start_next_pending_job_execution(thingName="t1")
    (summary,) = data.get_pending_job_executions(thingName="t1")["inProgressJobs"]
    for key in ("queuedAt", "startedAt", "lastUpdatedAt"):
        assert type(summary[key]) is int, key


def test_get_pending_excludes_terminal_and_other_things(
    data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1", "t2")
    for job in ("done", "failed", "rejected", "open", "other"):
        make_job(job, ["t2"] if job == "other" else ["t1"])
    update(data, "t1", "done", "SUCCEEDED")
    update(data, "t1", "failed", "FAILED")
    update(data, "t1", "rejected", "REJECTED")
    assert pending_ids(data, "t1") == ([], ["open"])
    assert pending_ids(data, "t2") == ([], ["other"])


def test_get_pending_excludes_canceled(
    data: Any, iot: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("keep", ["t1"])
    make_job("gone", ["t1"])
    iot.cancel_job_execution(jobId="gone", thingName="t1")
    assert pending_ids(data, "t1") == ([], ["keep"])


def test_get_pending_orders_in_progress_first_then_queued_by_queued_at(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    # Names sort the other way round from creation, so name order cannot pass by accident.
    for job in ("zulu", "yankee", "xray"):
        make_job(job, ["t1"])
        clock.advance(10)
    update(data, "t1", "xray", "IN_PROGRESS")
    assert pending_ids(data, "t1") == (["xray"], ["zulu", "yankee"])


def test_get_pending_ties_on_queued_at_keep_creation_order(
    data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    jobs = ["m", "c", "x", "a", "q"]
    for job in jobs:  # all at the same clock second
        make_job(job, ["t1"])
    assert pending_ids(data, "t1") == ([], jobs)


def test_get_pending_returns_at_most_ten_in_next_order(
    data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    jobs = [f"job-{n:02d}" for n in range(12)]
    for job in jobs:
        make_job(job, ["t1"])
    update(data, "t1", "job-11", "IN_PROGRESS")
    assert pending_ids(data, "t1") == (["job-11"], jobs[:9])


def test_get_pending_limit_counts_in_progress_before_queued(
    data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    jobs = [f"job-{n:02d}" for n in range(13)]
    for job in jobs:
        make_job(job, ["t1"])
    for job in jobs[10:]:
        update(data, "t1", job, "IN_PROGRESS")
    in_progress, queued = pending_ids(data, "t1")
    assert sorted(in_progress) == jobs[10:]
    assert queued == jobs[:7]


# --- StartNextPendingJobExecution ---------------------------------------------------------------


def test_start_next_moves_queued_to_in_progress(
    data: Any, clock: Any, one_job: tuple[str, str]
) -> None:
    clock.advance(45)
    resp = data.start_next_pending_job_execution(thingName="t1")
    assert payload(resp) == {
        "execution": {
            "jobId": "j1",
            "thingName": "t1",
            "status": "IN_PROGRESS",
            "statusDetails": {},
            "queuedAt": T0,
            "startedAt": T0 + 45,
            "lastUpdatedAt": T0 + 45,
            "versionNumber": 2,
            "executionNumber": 1,
            "jobDocument": json.dumps(REBOOT),
        }
    }
    assert pending_ids(data, "t1") == (["j1"], [])


def test_start_next_sets_given_status_details(data: Any, one_job: tuple[str, str]) -> None:
    details = {"step": "download", "progress": "0"}
    execution = data.start_next_pending_job_execution(thingName="t1", statusDetails=details)[
        "execution"
    ]
    assert execution["statusDetails"] == details
    assert describe(data, "t1", "j1")["statusDetails"] == details


def test_start_next_returns_the_job_document_string(
    data: Any, make_things: Any, make_job: Any
) -> None:
    document = '{"operation": "install", "url": "https://example.com/fw.bin", "n": [1, 2]}'
    make_things("t1")
    make_job("j1", ["t1"], document=document)
    execution = data.start_next_pending_job_execution(thingName="t1")["execution"]
    assert execution["jobDocument"] == document
    assert isinstance(execution["jobDocument"], str)


def test_start_next_nothing_pending_has_no_execution(data: Any, make_things: Any) -> None:
    make_things("t1")
    resp = data.start_next_pending_job_execution(thingName="t1")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert payload(resp) == {}


def test_start_next_after_all_terminal_has_no_execution(
    data: Any, one_job: tuple[str, str]
) -> None:
    update(data, "t1", "j1", "SUCCEEDED")
    assert payload(data.start_next_pending_job_execution(thingName="t1")) == {}


def test_start_next_returns_in_progress_one_unchanged(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"])
    make_job("j2", ["t1"])
    data.start_next_pending_job_execution(thingName="t1", statusDetails={"a": "1"})
    clock.advance(100)
    execution = data.start_next_pending_job_execution(thingName="t1", statusDetails={"b": "2"})[
        "execution"
    ]
    assert execution["jobId"] == "j1"
    assert execution["status"] == "IN_PROGRESS"
    assert execution["statusDetails"] == {"a": "1"}
    assert execution["versionNumber"] == 2
    assert execution["startedAt"] == T0
    assert execution["lastUpdatedAt"] == T0
    assert execution["jobDocument"] == json.dumps(REBOOT)
    assert describe(data, "t1", "j2")["status"] == "QUEUED"


def test_start_next_prefers_in_progress_over_older_queued(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("older", ["t1"])
    clock.advance(5)
    make_job("newer", ["t1"])
    update(data, "t1", "newer", "IN_PROGRESS", statusDetails={"k": "v"})
    execution = data.start_next_pending_job_execution(thingName="t1")["execution"]
    assert execution["jobId"] == "newer"
    assert execution["versionNumber"] == 2
    assert execution["statusDetails"] == {"k": "v"}


def test_start_next_picks_oldest_queued(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("zz-first", ["t1"])
    clock.advance(1)
    make_job("aa-second", ["t1"])
    assert data.start_next_pending_job_execution(thingName="t1")["execution"]["jobId"] == (
        "zz-first"
    )


def test_start_next_breaks_ties_by_creation_order(
    data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("zz-first", ["t1"])
    make_job("aa-second", ["t1"])
    execution = data.start_next_pending_job_execution(thingName="t1")["execution"]
    assert execution["jobId"] == "zz-first"
    update(data, "t1", "zz-first", "SUCCEEDED")
    execution = data.start_next_pending_job_execution(thingName="t1")["execution"]
    assert execution["jobId"] == "aa-second"


def test_start_next_only_touches_its_own_thing(data: Any, make_things: Any, make_job: Any) -> None:
    make_things("t1", "t2")
    make_job("j1", ["t1", "t2"])
    data.start_next_pending_job_execution(thingName="t1")
    assert describe(data, "t1", "j1")["status"] == "IN_PROGRESS"
    assert describe(data, "t2", "j1")["status"] == "QUEUED"
    assert describe(data, "t2", "j1")["versionNumber"] == 1


# --- DescribeJobExecution -----------------------------------------------------------------------


def test_describe_queued_execution_exact(data: Any, one_job: tuple[str, str]) -> None:
    resp = data.describe_job_execution(thingName="t1", jobId="j1")
    assert payload(resp) == {
        "execution": {
            "jobId": "j1",
            "thingName": "t1",
            "status": "QUEUED",
            "statusDetails": {},
            "queuedAt": T0,
            "lastUpdatedAt": T0,
            "versionNumber": 1,
            "executionNumber": 1,
            "jobDocument": json.dumps(REBOOT),
        }
    }


def test_describe_include_job_document_defaults_to_true(
    data: Any, one_job: tuple[str, str]
) -> None:
    assert describe(data, "t1", "j1")["jobDocument"] == json.dumps(REBOOT)
    assert describe(data, "t1", "j1", includeJobDocument=True)["jobDocument"] == json.dumps(REBOOT)


def test_describe_include_job_document_false_omits_it(data: Any, one_job: tuple[str, str]) -> None:
    execution = describe(data, "t1", "j1", includeJobDocument=False)
    assert "jobDocument" not in execution
    assert set(execution) == EXECUTION_KEYS


def test_describe_by_execution_number(data: Any, one_job: tuple[str, str]) -> None:
    execution = describe(data, "t1", "j1", executionNumber=1)
    assert execution["executionNumber"] == 1
    assert execution["status"] == "QUEUED"


def test_describe_terminal_execution_is_200(
    data: Any, clock: Any, one_job: tuple[str, str]
) -> None:
    data.start_next_pending_job_execution(thingName="t1")
    clock.advance(20)
    update(data, "t1", "j1", "SUCCEEDED", statusDetails={"result": "ok"})
    resp = data.describe_job_execution(thingName="t1", jobId="j1", includeJobDocument=False)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["execution"] == {
        "jobId": "j1",
        "thingName": "t1",
        "status": "SUCCEEDED",
        "statusDetails": {"result": "ok"},
        "queuedAt": T0,
        "startedAt": T0,
        "lastUpdatedAt": T0 + 20,
        "versionNumber": 3,
        "executionNumber": 1,
    }


@pytest.mark.parametrize("status", ["FAILED", "REJECTED", "CANCELED", "TIMED_OUT", "REMOVED"])
def test_describe_every_terminal_status_is_200(
    status: str, data: Any, iot: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    thing, job = bring_to(status, data, iot, clock, make_things, make_job)
    resp = data.describe_job_execution(thingName=thing, jobId=job)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["execution"]["status"] == status
    assert "approximateSecondsBeforeTimedOut" not in resp["execution"]


def test_describe_next_returns_next_pending_without_starting_it(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("first", ["t1"])
    clock.advance(3)
    make_job("second", ["t1"])
    execution = describe(data, "t1", "$next")
    assert execution["jobId"] == "first"
    assert execution["status"] == "QUEUED"
    assert execution["versionNumber"] == 1
    assert "startedAt" not in execution
    assert pending_ids(data, "t1") == ([], ["first", "second"])


def test_describe_next_prefers_in_progress(data: Any, make_things: Any, make_job: Any) -> None:
    make_things("t1")
    make_job("first", ["t1"])
    make_job("second", ["t1"])
    update(data, "t1", "second", "IN_PROGRESS")
    execution = describe(data, "t1", "$next")
    assert execution["jobId"] == "second"
    assert execution["status"] == "IN_PROGRESS"


def test_describe_next_nothing_pending_is_empty_200(data: Any, one_job: tuple[str, str]) -> None:
    update(data, "t1", "j1", "SUCCEEDED")
    resp = data.describe_job_execution(thingName="t1", jobId="$next")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert payload(resp) == {}


@pytest.mark.parametrize(
    ("thing", "job", "kwargs"),
    [
        ("t1", "nojob", {}),
        ("nobody", "j1", {}),
        ("t2", "j1", {}),  # a thing that exists but is not a target
        ("t1", "j1", {"executionNumber": 2}),
        ("t1", "j1", {"executionNumber": 99}),
    ],
)
def test_describe_unknown_is_404(
    thing: str, job: str, kwargs: dict[str, Any], data: Any, make_things: Any, one_job: Any
) -> None:
    make_things("t2")
    with pytest.raises(data.exceptions.ResourceNotFoundException) as excinfo:
        data.describe_job_execution(thingName=thing, jobId=job, **kwargs)
    assert_error(excinfo, "ResourceNotFoundException", 404)


@pytest.mark.parametrize(("status", "version"), [("CANCELED", 2), ("REMOVED", 2), ("TIMED_OUT", 3)])
def test_service_changes_bump_version(
    status: str,
    version: int,
    data: Any,
    iot: Any,
    clock: Any,
    make_things: Any,
    make_job: Any,
) -> None:
    thing, job = bring_to(status, data, iot, clock, make_things, make_job)
    assert describe(data, thing, job)["versionNumber"] == version


def test_forced_cancel_of_in_progress_bumps_version(
    data: Any, iot: Any, clock: Any, one_job: tuple[str, str]
) -> None:
    data.start_next_pending_job_execution(thingName="t1", statusDetails={"a": "1"})
    clock.advance(15)
    iot.cancel_job_execution(jobId="j1", thingName="t1", force=True)
    execution = describe(data, "t1", "j1")
    assert (execution["status"], execution["versionNumber"]) == ("CANCELED", 3)
    assert execution["lastUpdatedAt"] == T0 + 15
    with pytest.raises(data.exceptions.InvalidStateTransitionException):
        data.update_job_execution(thingName="t1", jobId="j1", status="SUCCEEDED")


# --- UpdateJobExecution: transitions ------------------------------------------------------------


@pytest.mark.parametrize("start", ["QUEUED", "IN_PROGRESS"])
@pytest.mark.parametrize("target", DEVICE_STATUSES)
def test_update_allowed_transitions(
    start: str, target: str, data: Any, iot: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    thing, job = bring_to(start, data, iot, clock, make_things, make_job)
    version = describe(data, thing, job)["versionNumber"]
    clock.advance(7)
    resp = update(data, thing, job, target, includeJobExecutionState=True)
    assert resp == {
        "executionState": {"status": target, "statusDetails": {}, "versionNumber": version + 1}
    }
    execution = describe(data, thing, job)
    assert execution["status"] == target
    assert execution["versionNumber"] == version + 1
    assert execution["lastUpdatedAt"] == T0 + 7


@pytest.mark.parametrize("start", ["QUEUED", "IN_PROGRESS"])
@pytest.mark.parametrize(
    ("target", "error", "status"),
    [
        ("QUEUED", "InvalidStateTransitionException", 409),
        ("TIMED_OUT", "InvalidRequestException", 400),
        ("CANCELED", "InvalidRequestException", 400),
        ("REMOVED", "InvalidRequestException", 400),
    ],
)
def test_update_forbidden_statuses_from_pending(
    start: str,
    target: str,
    error: str,
    status: int,
    data: Any,
    iot: Any,
    clock: Any,
    make_things: Any,
    make_job: Any,
) -> None:
    thing, job = bring_to(start, data, iot, clock, make_things, make_job)
    before = describe(data, thing, job)
    with pytest.raises(getattr(data.exceptions, error)) as excinfo:
        data.update_job_execution(thingName=thing, jobId=job, status=target)
    assert_error(excinfo, error, status)
    assert describe(data, thing, job) == before


@pytest.mark.parametrize(
    "start", ["SUCCEEDED", "FAILED", "REJECTED", "CANCELED", "TIMED_OUT", "REMOVED"]
)
@pytest.mark.parametrize("target", ALL_STATUSES)
def test_update_from_terminal_is_409(
    start: str, target: str, data: Any, iot: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    thing, job = bring_to(start, data, iot, clock, make_things, make_job)
    before = describe(data, thing, job)
    with pytest.raises(data.exceptions.InvalidStateTransitionException) as excinfo:
        data.update_job_execution(thingName=thing, jobId=job, status=target)
    assert_error(excinfo, "InvalidStateTransitionException", 409)
    assert describe(data, thing, job) == before


def test_update_unknown_status_value_is_400(data: Any, one_job: tuple[str, str]) -> None:
    with pytest.raises(data.exceptions.InvalidRequestException) as excinfo:
        data.update_job_execution(thingName="t1", jobId="j1", status="SUCCESS")
    assert_error(excinfo, "InvalidRequestException", 400)


def test_update_in_progress_to_in_progress_is_a_progress_report(
    data: Any, clock: Any, one_job: tuple[str, str]
) -> None:
    update(data, "t1", "j1", "IN_PROGRESS", statusDetails={"pct": "10"})
    clock.advance(60)
    update(data, "t1", "j1", "IN_PROGRESS", statusDetails={"pct": "50"})
    execution = describe(data, "t1", "j1")
    assert execution["status"] == "IN_PROGRESS"
    assert execution["statusDetails"] == {"pct": "50"}
    assert execution["versionNumber"] == 3
    assert execution["startedAt"] == T0  # set once, on the first IN_PROGRESS
    assert execution["lastUpdatedAt"] == T0 + 60


# --- UpdateJobExecution: responses, statusDetails, versions ------------------------------------


def test_update_without_flags_returns_empty(data: Any, one_job: tuple[str, str]) -> None:
    resp = data.update_job_execution(thingName="t1", jobId="j1", status="IN_PROGRESS")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert payload(resp) == {}


def test_update_flags_false_return_empty(data: Any, one_job: tuple[str, str]) -> None:
    assert (
        update(
            data,
            "t1",
            "j1",
            "IN_PROGRESS",
            includeJobExecutionState=False,
            includeJobDocument=False,
        )
        == {}
    )


def test_update_include_execution_state(data: Any, one_job: tuple[str, str]) -> None:
    resp = update(
        data, "t1", "j1", "IN_PROGRESS", statusDetails={"a": "b"}, includeJobExecutionState=True
    )
    assert resp == {
        "executionState": {"status": "IN_PROGRESS", "statusDetails": {"a": "b"}, "versionNumber": 2}
    }


def test_update_include_job_document(data: Any, one_job: tuple[str, str]) -> None:
    resp = update(data, "t1", "j1", "IN_PROGRESS", includeJobDocument=True)
    assert resp == {"jobDocument": json.dumps(REBOOT)}


def test_update_include_both(data: Any, one_job: tuple[str, str]) -> None:
    resp = update(
        data, "t1", "j1", "SUCCEEDED", includeJobDocument=True, includeJobExecutionState=True
    )
    assert resp == {
        "executionState": {"status": "SUCCEEDED", "statusDetails": {}, "versionNumber": 2},
        "jobDocument": json.dumps(REBOOT),
    }


def test_update_replaces_status_details_not_merges(data: Any, one_job: tuple[str, str]) -> None:
    update(data, "t1", "j1", "IN_PROGRESS", statusDetails={"a": "1", "b": "2"})
    update(data, "t1", "j1", "IN_PROGRESS", statusDetails={"c": "3"})
    assert describe(data, "t1", "j1")["statusDetails"] == {"c": "3"}


def test_update_keeps_status_details_when_omitted(data: Any, one_job: tuple[str, str]) -> None:
    update(data, "t1", "j1", "IN_PROGRESS", statusDetails={"a": "1"})
    resp = update(data, "t1", "j1", "SUCCEEDED", includeJobExecutionState=True)
    assert resp["executionState"] == {
        "status": "SUCCEEDED",
        "statusDetails": {"a": "1"},
        "versionNumber": 3,
    }


def test_update_empty_status_details_clears_them(data: Any, one_job: tuple[str, str]) -> None:
    update(data, "t1", "j1", "IN_PROGRESS", statusDetails={"a": "1"})
    update(data, "t1", "j1", "IN_PROGRESS", statusDetails={})
    assert describe(data, "t1", "j1")["statusDetails"] == {}


def test_update_every_accepted_update_bumps_version(
    data: Any, clock: Any, one_job: tuple[str, str]
) -> None:
    versions = []
    for n in range(5):
        clock.advance(1)
        state = update(
            data,
            "t1",
            "j1",
            "IN_PROGRESS",
            statusDetails={"n": str(n)},
            includeJobExecutionState=True,
        )
        versions.append(state["executionState"]["versionNumber"])
    assert versions == [2, 3, 4, 5, 6]
    execution = describe(data, "t1", "j1")
    assert execution["lastUpdatedAt"] == T0 + 5
    assert execution["startedAt"] == T0 + 1


def test_update_queued_straight_to_succeeded(
    data: Any, clock: Any, one_job: tuple[str, str]
) -> None:
    clock.advance(9)
    update(data, "t1", "j1", "SUCCEEDED", statusDetails={"r": "ok"})
    execution = describe(data, "t1", "j1")
    assert execution["status"] == "SUCCEEDED"
    assert execution["statusDetails"] == {"r": "ok"}
    assert execution["versionNumber"] == 2
    assert execution["lastUpdatedAt"] == T0 + 9
    assert pending_ids(data, "t1") == ([], [])


def test_update_matching_expected_version(data: Any, one_job: tuple[str, str]) -> None:
    update(data, "t1", "j1", "IN_PROGRESS", expectedVersion=1)
    resp = update(data, "t1", "j1", "SUCCEEDED", expectedVersion=2, includeJobExecutionState=True)
    assert resp["executionState"]["versionNumber"] == 3


def test_update_version_mismatch_is_409_naming_current_version(
    data: Any, one_job: tuple[str, str]
) -> None:
    for _ in range(6):
        update(data, "t1", "j1", "IN_PROGRESS")  # current version is now 7
    with pytest.raises(data.exceptions.InvalidStateTransitionException) as excinfo:
        data.update_job_execution(thingName="t1", jobId="j1", status="SUCCEEDED", expectedVersion=3)
    message = assert_error(excinfo, "InvalidStateTransitionException", 409)
    assert "VersionMismatch" in message
    assert "7" in message
    assert describe(data, "t1", "j1")["status"] == "IN_PROGRESS"
    assert describe(data, "t1", "j1")["versionNumber"] == 7


def test_update_by_execution_number(data: Any, one_job: tuple[str, str]) -> None:
    resp = update(data, "t1", "j1", "IN_PROGRESS", executionNumber=1, includeJobExecutionState=True)
    assert resp["executionState"]["status"] == "IN_PROGRESS"


@pytest.mark.parametrize(
    ("thing", "job", "kwargs"),
    [
        ("t1", "nojob", {}),
        ("nobody", "j1", {}),
        ("t2", "j1", {}),
        ("t1", "j1", {"executionNumber": 2}),
    ],
)
def test_update_unknown_execution_is_404(
    thing: str, job: str, kwargs: dict[str, Any], data: Any, make_things: Any, one_job: Any
) -> None:
    make_things("t2")
    with pytest.raises(data.exceptions.ResourceNotFoundException) as excinfo:
        data.update_job_execution(thingName=thing, jobId=job, status="IN_PROGRESS", **kwargs)
    assert_error(excinfo, "ResourceNotFoundException", 404)


# --- UpdateJobExecution: the order of the checks ------------------------------------------------


def test_check_order_not_found_before_everything(data: Any, one_job: tuple[str, str]) -> None:
    with pytest.raises(data.exceptions.ResourceNotFoundException):
        data.update_job_execution(
            thingName="t1",
            jobId="nojob",
            status="TIMED_OUT",
            expectedVersion=42,
            statusDetails={"bad key": "x"},
            stepTimeoutInMinutes=0,
        )


def test_check_order_version_before_terminal(data: Any, one_job: tuple[str, str]) -> None:
    update(data, "t1", "j1", "SUCCEEDED")
    with pytest.raises(data.exceptions.InvalidStateTransitionException) as excinfo:
        data.update_job_execution(
            thingName="t1", jobId="j1", status="IN_PROGRESS", expectedVersion=1
        )
    message = assert_error(excinfo, "InvalidStateTransitionException", 409)
    assert "VersionMismatch" in message


def test_check_order_version_before_forbidden_status(data: Any, one_job: tuple[str, str]) -> None:
    with pytest.raises(data.exceptions.InvalidStateTransitionException) as excinfo:
        data.update_job_execution(thingName="t1", jobId="j1", status="CANCELED", expectedVersion=5)
    assert "VersionMismatch" in assert_error(excinfo, "InvalidStateTransitionException", 409)


def test_check_order_version_before_input_limits(data: Any, one_job: tuple[str, str]) -> None:
    with pytest.raises(data.exceptions.InvalidStateTransitionException) as excinfo:
        data.update_job_execution(
            thingName="t1",
            jobId="j1",
            status="IN_PROGRESS",
            expectedVersion=5,
            stepTimeoutInMinutes=0,
        )
    assert "VersionMismatch" in assert_error(excinfo, "InvalidStateTransitionException", 409)


@pytest.mark.parametrize("target", ["TIMED_OUT", "CANCELED", "REMOVED"])
def test_check_order_terminal_before_forbidden_status(
    target: str, data: Any, one_job: tuple[str, str]
) -> None:
    update(data, "t1", "j1", "FAILED")
    with pytest.raises(data.exceptions.InvalidStateTransitionException) as excinfo:
        data.update_job_execution(thingName="t1", jobId="j1", status=target)
    message = assert_error(excinfo, "InvalidStateTransitionException", 409)
    assert "VersionMismatch" not in message


def test_check_order_terminal_before_input_limits(data: Any, one_job: tuple[str, str]) -> None:
    update(data, "t1", "j1", "REJECTED")
    with pytest.raises(data.exceptions.InvalidStateTransitionException):
        data.update_job_execution(
            thingName="t1", jobId="j1", status="IN_PROGRESS", statusDetails={"a.b": "x"}
        )


def test_check_order_queued_status_before_input_limits(data: Any, one_job: tuple[str, str]) -> None:
    with pytest.raises(data.exceptions.InvalidStateTransitionException):
        data.update_job_execution(
            thingName="t1", jobId="j1", status="QUEUED", stepTimeoutInMinutes=99999
        )


# --- Input limits -------------------------------------------------------------------------------

GOOD_THING_NAMES = ["a", "Thing_1-x", "a:b:c", "x" * 128, "0123456789"]
BAD_THING_NAMES = ["x" * 129, "bad.name", "bad name", "bad@name", "a#b", "a?b", "caf\u00e9", "a+b"]


@pytest.mark.parametrize("name", GOOD_THING_NAMES)
def test_valid_thing_names_are_accepted(
    name: str, data: Any, make_things: Any, make_job: Any
) -> None:
    assert payload(data.get_pending_job_executions(thingName=name)) == {
        "inProgressJobs": [],
        "queuedJobs": [],
    }
    make_things(name)
    make_job("j1", [name])
    assert describe(data, name, "j1")["thingName"] == name
    assert data.start_next_pending_job_execution(thingName=name)["execution"]["thingName"] == name


@pytest.mark.parametrize("name", BAD_THING_NAMES)
@pytest.mark.parametrize("operation", ["get_pending", "start_next", "describe"])
def test_invalid_thing_names_are_400(name: str, operation: str, data: Any, one_job: Any) -> None:
    calls = {
        "get_pending": lambda: data.get_pending_job_executions(thingName=name),
        "start_next": lambda: data.start_next_pending_job_execution(thingName=name),
        "describe": lambda: data.describe_job_execution(thingName=name, jobId="j1"),
    }
    with pytest.raises(data.exceptions.InvalidRequestException) as excinfo:
        calls[operation]()
    assert_error(excinfo, "InvalidRequestException", 400)


def test_empty_thing_name_is_400(data_unchecked: Any) -> None:
    with pytest.raises(data_unchecked.exceptions.InvalidRequestException):
        data_unchecked.get_pending_job_executions(thingName="")


GOOD_JOB_IDS = ["j", "Job_1-x", "j" * 64]
BAD_JOB_IDS = ["j" * 65, "job.1", "job 1", "job:1", "$prev", "j\u00f6b"]


@pytest.mark.parametrize("job", GOOD_JOB_IDS)
def test_valid_job_ids_are_accepted(job: str, data: Any, make_things: Any, make_job: Any) -> None:
    make_things("t1")
    make_job(job, ["t1"])
    assert describe(data, "t1", job)["jobId"] == job
    assert (
        update(data, "t1", job, "IN_PROGRESS", includeJobExecutionState=True)["executionState"][
            "status"
        ]
        == "IN_PROGRESS"
    )


@pytest.mark.parametrize("job", BAD_JOB_IDS)
def test_invalid_job_ids_on_describe_are_400(job: str, data: Any, one_job: Any) -> None:
    with pytest.raises(data.exceptions.InvalidRequestException) as excinfo:
        data.describe_job_execution(thingName="t1", jobId=job)
    assert_error(excinfo, "InvalidRequestException", 400)


GOOD_DETAILS = [
    {f"k{n}": "v" for n in range(10)},
    {"k" * 128: "v"},
    {"a:b_c-D9": "v"},
    {"k": "v" * 1024},
    {"k": "\u00e9" * 1024},
    {"k": "h\u00e9llo w\u00f6rld \u65e5\u672c, 100% {json: [1]}"},
]
BAD_DETAILS = [
    {f"k{n}": "v" for n in range(11)},
    {"k" * 129: "v"},
    {"a.b": "v"},
    {"a b": "v"},
    {"k\u00e9": "v"},
    {"": "v"},
    {"k": ""},
    {"k": "v" * 1025},
    {"k": "line\nbreak"},
    {"k": "tab\there"},
    {"k": "nul\x00"},
    {"k": "del\x7f"},
    {"k": "\x1b[31mred"},
]


@pytest.mark.parametrize("details", GOOD_DETAILS, ids=range(len(GOOD_DETAILS)))
def test_valid_status_details_accepted_by_update(
    details: dict[str, str], data: Any, one_job: Any
) -> None:
    update(data, "t1", "j1", "IN_PROGRESS", statusDetails=details)
    assert describe(data, "t1", "j1")["statusDetails"] == details


@pytest.mark.parametrize("details", GOOD_DETAILS, ids=range(len(GOOD_DETAILS)))
def test_valid_status_details_accepted_by_start_next(
    details: dict[str, str], data: Any, one_job: Any
) -> None:
    execution = data.start_next_pending_job_execution(thingName="t1", statusDetails=details)[
        "execution"
    ]
    assert execution["statusDetails"] == details


@pytest.mark.parametrize("details", BAD_DETAILS, ids=range(len(BAD_DETAILS)))
def test_invalid_status_details_rejected_by_update(
    details: dict[str, str], data_unchecked: Any, data: Any, one_job: Any
) -> None:
    with pytest.raises(data_unchecked.exceptions.InvalidRequestException) as excinfo:
        data_unchecked.update_job_execution(
            thingName="t1", jobId="j1", status="IN_PROGRESS", statusDetails=details
        )
    assert_error(excinfo, "InvalidRequestException", 400)
    execution = describe(data, "t1", "j1")
    assert (execution["status"], execution["versionNumber"]) == ("QUEUED", 1)


@pytest.mark.parametrize("details", BAD_DETAILS, ids=range(len(BAD_DETAILS)))
def test_invalid_status_details_rejected_by_start_next(
    details: dict[str, str], data_unchecked: Any, data: Any, one_job: Any
) -> None:
    with pytest.raises(data_unchecked.exceptions.InvalidRequestException) as excinfo:
        data_unchecked.start_next_pending_job_execution(thingName="t1", statusDetails=details)
    assert_error(excinfo, "InvalidRequestException", 400)
    execution = describe(data, "t1", "j1")
    assert (execution["status"], execution["versionNumber"]) == ("QUEUED", 1)


@pytest.mark.parametrize("minutes", [1, 10080, -1])
def test_valid_step_timeout_accepted_by_update(minutes: int, data: Any, one_job: Any) -> None:
    update(data, "t1", "j1", "IN_PROGRESS", stepTimeoutInMinutes=minutes)
    assert describe(data, "t1", "j1")["status"] == "IN_PROGRESS"


@pytest.mark.parametrize("minutes", [0, 10081, -2, -10080])
def test_invalid_step_timeout_rejected_by_update(minutes: int, data: Any, one_job: Any) -> None:
    with pytest.raises(data.exceptions.InvalidRequestException) as excinfo:
        data.update_job_execution(
            thingName="t1", jobId="j1", status="IN_PROGRESS", stepTimeoutInMinutes=minutes
        )
    assert_error(excinfo, "InvalidRequestException", 400)
    assert describe(data, "t1", "j1")["status"] == "QUEUED"


@pytest.mark.parametrize("minutes", [1, 10080])
def test_valid_step_timeout_accepted_by_start_next(minutes: int, data: Any, one_job: Any) -> None:
    execution = data.start_next_pending_job_execution(thingName="t1", stepTimeoutInMinutes=minutes)[
        "execution"
    ]
    assert execution["status"] == "IN_PROGRESS"
    assert execution["approximateSecondsBeforeTimedOut"] == minutes * 60


@pytest.mark.parametrize("minutes", [0, 10081, -1, -2])
def test_invalid_step_timeout_rejected_by_start_next(minutes: int, data: Any, one_job: Any) -> None:
    with pytest.raises(data.exceptions.InvalidRequestException) as excinfo:
        data.start_next_pending_job_execution(thingName="t1", stepTimeoutInMinutes=minutes)
    assert_error(excinfo, "InvalidRequestException", 400)
    assert describe(data, "t1", "j1")["status"] == "QUEUED"


# --- StartCommandExecution ----------------------------------------------------------------------


def test_start_command_execution_returns_an_execution_id(
    data: Any, make_things: Any, make_command: Any
) -> None:
    (arn,) = make_things("t1")
    make_command("reboot")
    resp = data.start_command_execution(targetArn=arn, commandArn=COMMAND_ARN)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(payload(resp)) == {"executionId"}
    assert isinstance(resp["executionId"], str)
    assert resp["executionId"]


def test_start_command_execution_without_token_makes_new_executions(
    data: Any, make_things: Any, make_command: Any
) -> None:
    (arn,) = make_things("t1")
    make_command("reboot")
    first = data.start_command_execution(targetArn=arn, commandArn=COMMAND_ARN)["executionId"]
    second = data.start_command_execution(targetArn=arn, commandArn=COMMAND_ARN)["executionId"]
    assert first != second


def test_start_command_execution_same_token_is_idempotent(
    data: Any, make_things: Any, make_command: Any
) -> None:
    (arn,) = make_things("t1")
    make_command("reboot", parameters=("delay",))
    kwargs = {
        "targetArn": arn,
        "commandArn": COMMAND_ARN,
        "parameters": {"delay": {"I": 5}},
        "executionTimeoutSeconds": 30,
        "clientToken": "token-1",
    }
    first = data.start_command_execution(**kwargs)["executionId"]
    second = data.start_command_execution(**kwargs)["executionId"]
    assert first == second
    other = data.start_command_execution(**{**kwargs, "clientToken": "token-2"})["executionId"]
    assert other != first


@pytest.mark.parametrize(
    "change",
    [
        {"parameters": {"delay": {"I": 6}}},
        {"executionTimeoutSeconds": 31},
        {"commandArn": "arn:aws:iot:us-east-1:123456789012:command/other"},
        {"targetArn": THING_ARN.format("t2")},
    ],
)
def test_start_command_execution_same_token_different_params_conflicts(
    change: dict[str, Any], data: Any, make_things: Any, make_command: Any
) -> None:
    (arn, _) = make_things("t1", "t2")
    make_command("reboot", parameters=("delay",))
    make_command("other", parameters=("delay",))
    kwargs = {
        "targetArn": arn,
        "commandArn": COMMAND_ARN,
        "parameters": {"delay": {"I": 5}},
        "executionTimeoutSeconds": 30,
        "clientToken": "token-1",
    }
    data.start_command_execution(**kwargs)
    with pytest.raises(data.exceptions.ConflictException) as excinfo:
        data.start_command_execution(**{**kwargs, **change})
    assert_error(excinfo, "ConflictException", 409)


def test_start_command_execution_unknown_target_is_404(data: Any, make_command: Any) -> None:
    make_command("reboot")
    with pytest.raises(data.exceptions.ResourceNotFoundException) as excinfo:
        data.start_command_execution(targetArn=THING_ARN.format("ghost"), commandArn=COMMAND_ARN)
    assert_error(excinfo, "ResourceNotFoundException", 404)


@pytest.mark.parametrize(
    "change",
    [
        {"targetArn": "not-an-arn"},
        {"commandArn": "not-an-arn"},
        {"executionTimeoutSeconds": 0},
        {"clientToken": "t" * 65},
        {"clientToken": "has space"},
        {"parameters": {}},
    ],
    ids=["target", "command", "timeout", "token-length", "token-chars", "empty-parameters"],
)
def test_start_command_execution_bad_input_is_validation_exception(
    change: dict[str, Any], data_unchecked: Any, make_things: Any, make_command: Any
) -> None:
    (arn,) = make_things("t1")
    make_command("reboot")
    kwargs = {"targetArn": arn, "commandArn": COMMAND_ARN, **change}
    with pytest.raises(data_unchecked.exceptions.ValidationException) as excinfo:
        data_unchecked.start_command_execution(**kwargs)
    assert_error(excinfo, "ValidationException", 400)


# --- interplay with the control plane -----------------------------------------------------------


def test_cancel_job_without_force_leaves_in_progress_to_the_device(
    data: Any, iot: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1", "t2")
    make_job("j1", ["t1", "t2"])
    data.start_next_pending_job_execution(thingName="t1")
    iot.cancel_job(jobId="j1")
    assert describe(data, "t2", "j1")["status"] == "CANCELED"
    assert pending_ids(data, "t2") == ([], [])
    assert pending_ids(data, "t1") == (["j1"], [])
    state = update(data, "t1", "j1", "SUCCEEDED", includeJobExecutionState=True)
    assert state["executionState"] == {
        "status": "SUCCEEDED",
        "statusDetails": {},
        "versionNumber": 3,
    }


def test_large_unicode_document_round_trips(data: Any, make_things: Any, make_job: Any) -> None:
    document = json.dumps(
        {"blob": "\u00e9\u65e5" * 3000, "steps": list(range(500))}, ensure_ascii=False
    )
    make_things("t1")
    make_job("j1", ["t1"], document=document)
    assert data.start_next_pending_job_execution(thingName="t1")["execution"]["jobDocument"] == (
        document
    )
    assert describe(data, "t1", "j1")["jobDocument"] == document
    assert update(data, "t1", "j1", "SUCCEEDED", includeJobDocument=True) == {
        "jobDocument": document
    }
