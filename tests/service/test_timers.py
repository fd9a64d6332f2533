"""Timers (spec section 5) and retries (section 4), moved by the service clock: no sleeping."""

from __future__ import annotations

from typing import Any

import pytest

T0 = 1_700_000_000  # the clock fixture's START
TIMEOUT_KEY = "approximateSecondsBeforeTimedOut"


def describe(data: Any, thing: str = "t1", job: str = "j1", **kwargs: Any) -> dict[str, Any]:
    return data.describe_job_execution(thingName=thing, jobId=job, **kwargs)["execution"]


def start_next(data: Any, thing: str = "t1", **kwargs: Any) -> dict[str, Any]:
    return data.start_next_pending_job_execution(thingName=thing, **kwargs)["execution"]


def update(data: Any, status: str, thing: str = "t1", job: str = "j1", **kwargs: Any) -> Any:
    return data.update_job_execution(thingName=thing, jobId=job, status=status, **kwargs)


def retry_config(*criteria: tuple[str, int]) -> dict[str, Any]:
    return {
        "criteriaList": [
            {"failureType": failure, "numberOfRetries": retries} for failure, retries in criteria
        ]
    }


@pytest.fixture
def job_timeout(make_things: Any, make_job: Any) -> Any:
    """``job_timeout(minutes)`` makes job j1 on t1 with that in-progress timeout (None: none)."""

    def make(minutes: int | None, **kwargs: Any) -> None:
        make_things("t1")
        if minutes is not None:
            kwargs["timeoutConfig"] = {"inProgressTimeoutInMinutes": minutes}
        make_job("j1", ["t1"], **kwargs)

    return make


# --- in-progress timeout from the job's timeoutConfig --------------------------------------------


def test_in_progress_timer_does_not_run_while_queued(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(10)
    assert TIMEOUT_KEY not in describe(data)
    clock.advance(7 * 24 * 3600)
    execution = describe(data)
    assert execution["status"] == "QUEUED"
    assert TIMEOUT_KEY not in execution


def test_in_progress_timer_starts_at_start_next(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(10)
    clock.advance(5)
    assert start_next(data)[TIMEOUT_KEY] == 600
    clock.advance(120)
    assert describe(data)[TIMEOUT_KEY] == 480
    clock.advance(479)
    execution = describe(data)
    assert execution["status"] == "IN_PROGRESS"
    assert execution[TIMEOUT_KEY] == 1


def test_in_progress_timer_starts_at_update_to_in_progress(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(2)
    update(data, "IN_PROGRESS")
    assert describe(data)[TIMEOUT_KEY] == 120
    clock.advance(121)
    assert describe(data)["status"] == "TIMED_OUT"


def test_in_progress_timeout_sets_timed_out(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(10)
    start_next(data, statusDetails={"step": "1"})
    clock.advance(601)
    execution = describe(data)
    assert execution["status"] == "TIMED_OUT"
    assert execution["versionNumber"] == 3  # queued 1, started 2, timed out 3
    assert execution["statusDetails"] == {"step": "1"}
    assert TIMEOUT_KEY not in execution


def test_progress_reports_do_not_extend_in_progress_timer(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(10)
    start_next(data)
    for _ in range(5):
        clock.advance(100)
        update(data, "IN_PROGRESS", statusDetails={"alive": "yes"})
    assert describe(data)[TIMEOUT_KEY] == 100
    clock.advance(101)
    assert describe(data)["status"] == "TIMED_OUT"


def test_service_advance_applies_timers(
    data: Any, iot: Any, service: Any, job_timeout: Any
) -> None:
    job_timeout(1)
    start_next(data)
    service.advance(61)
    pending = data.get_pending_job_executions(thingName="t1")
    assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])
    control = iot.describe_job_execution(jobId="j1", thingName="t1")["execution"]
    assert control["status"] == "TIMED_OUT"


def test_clock_advance_then_update_sees_timed_out(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(1)
    start_next(data)
    clock.advance(61)  # no request in between: the update itself must apply the timer first
    with pytest.raises(data.exceptions.InvalidStateTransitionException):
        update(data, "SUCCEEDED")
    assert describe(data)["status"] == "TIMED_OUT"


def test_clock_advance_then_start_next_skips_timed_out(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], timeoutConfig={"inProgressTimeoutInMinutes": 1})
    make_job("j2", ["t1"])
    assert start_next(data)["jobId"] == "j1"
    clock.advance(61)
    execution = start_next(data)
    assert execution["jobId"] == "j2"
    assert execution["status"] == "IN_PROGRESS"


def test_no_timer_means_no_approximate_seconds(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(None)
    assert TIMEOUT_KEY not in start_next(data)
    clock.advance(30 * 24 * 3600)
    execution = describe(data)
    assert execution["status"] == "IN_PROGRESS"
    assert TIMEOUT_KEY not in execution


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
def test_terminal_execution_has_no_timer(
    final: str, data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(10)
    start_next(data, stepTimeoutInMinutes=5)
    update(data, final)
    assert TIMEOUT_KEY not in describe(data)
    clock.advance(601)
    execution = describe(data)
    assert execution["status"] == final
    assert TIMEOUT_KEY not in execution


# --- step timers --------------------------------------------------------------------------------


def test_step_timer_from_start_next(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(None)
    assert start_next(data, stepTimeoutInMinutes=5)[TIMEOUT_KEY] == 300
    clock.advance(299)
    assert describe(data)[TIMEOUT_KEY] == 1
    clock.advance(2)
    execution = describe(data)
    assert execution["status"] == "TIMED_OUT"
    assert execution["versionNumber"] == 3


def test_step_timer_from_update(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(None)
    update(data, "IN_PROGRESS", stepTimeoutInMinutes=3)
    assert describe(data)[TIMEOUT_KEY] == 180
    clock.advance(181)
    assert describe(data)["status"] == "TIMED_OUT"


def test_step_timer_replaced_by_update(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(None)
    start_next(data, stepTimeoutInMinutes=5)
    clock.advance(60)
    update(data, "IN_PROGRESS", stepTimeoutInMinutes=10)
    assert describe(data)[TIMEOUT_KEY] == 600
    clock.advance(300)  # past the first step deadline
    execution = describe(data)
    assert execution["status"] == "IN_PROGRESS"
    assert execution[TIMEOUT_KEY] == 300
    clock.advance(301)
    assert describe(data)["status"] == "TIMED_OUT"


def test_step_timer_can_be_shortened(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(None)
    start_next(data, stepTimeoutInMinutes=60)
    update(data, "IN_PROGRESS", stepTimeoutInMinutes=1)
    assert describe(data)[TIMEOUT_KEY] == 60
    clock.advance(61)
    assert describe(data)["status"] == "TIMED_OUT"


def test_update_without_step_timeout_keeps_step_timer(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(None)
    start_next(data, stepTimeoutInMinutes=5)
    clock.advance(60)
    update(data, "IN_PROGRESS", statusDetails={"pct": "20"})
    assert describe(data)[TIMEOUT_KEY] == 240
    clock.advance(241)
    assert describe(data)["status"] == "TIMED_OUT"


def test_minus_one_removes_step_timer(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(None)
    start_next(data, stepTimeoutInMinutes=5)
    update(data, "IN_PROGRESS", stepTimeoutInMinutes=-1)
    assert TIMEOUT_KEY not in describe(data)
    clock.advance(10 * 24 * 3600)
    execution = describe(data)
    assert execution["status"] == "IN_PROGRESS"
    assert TIMEOUT_KEY not in execution


def test_minus_one_leaves_in_progress_timer(data: Any, clock: Any, job_timeout: Any) -> None:
    job_timeout(60)
    assert start_next(data, stepTimeoutInMinutes=5)[TIMEOUT_KEY] == 300
    clock.advance(100)
    update(data, "IN_PROGRESS", stepTimeoutInMinutes=-1)
    assert describe(data)[TIMEOUT_KEY] == 3500
    clock.advance(3499)
    assert describe(data)["status"] == "IN_PROGRESS"
    clock.advance(2)
    assert describe(data)["status"] == "TIMED_OUT"


def test_step_timer_nearer_than_in_progress_deadline(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(60)
    assert start_next(data, stepTimeoutInMinutes=5)[TIMEOUT_KEY] == 300
    clock.advance(301)
    assert describe(data)["status"] == "TIMED_OUT"


def test_step_timer_never_extends_past_in_progress_deadline(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(10)
    assert start_next(data, stepTimeoutInMinutes=60)[TIMEOUT_KEY] == 600
    clock.advance(601)
    assert describe(data)["status"] == "TIMED_OUT"


def test_later_step_timer_is_capped_by_in_progress_deadline(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(10)
    start_next(data)
    clock.advance(300)
    update(data, "IN_PROGRESS", stepTimeoutInMinutes=10)
    assert describe(data)[TIMEOUT_KEY] == 300
    clock.advance(301)
    assert describe(data)["status"] == "TIMED_OUT"


def test_start_next_on_in_progress_restarts_step_timer(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(None)
    start_next(data, stepTimeoutInMinutes=5, statusDetails={"a": "1"})
    clock.advance(120)
    assert describe(data)[TIMEOUT_KEY] == 180
    execution = start_next(data, stepTimeoutInMinutes=5)
    assert execution["versionNumber"] == 2
    assert execution["statusDetails"] == {"a": "1"}
    assert execution[TIMEOUT_KEY] == 300
    clock.advance(299)
    assert describe(data)["status"] == "IN_PROGRESS"
    clock.advance(2)
    assert describe(data)["status"] == "TIMED_OUT"


def test_start_next_on_in_progress_without_step_keeps_timer(
    data: Any, clock: Any, job_timeout: Any
) -> None:
    job_timeout(None)
    start_next(data, stepTimeoutInMinutes=5)
    clock.advance(120)
    assert start_next(data)[TIMEOUT_KEY] == 180


# --- retries ------------------------------------------------------------------------------------


def test_failed_is_retried_as_execution_two(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("FAILED", 2)))
    start_next(data, statusDetails={"a": "b"})
    clock.advance(10)
    update(data, "FAILED", statusDetails={"error": "disk"})
    latest = describe(data, includeJobDocument=False)
    assert latest == {
        "jobId": "j1",
        "thingName": "t1",
        "status": "QUEUED",
        "statusDetails": {},
        "queuedAt": T0 + 10,
        "lastUpdatedAt": T0 + 10,
        "versionNumber": 1,
        "executionNumber": 2,
    }
    pending = data.get_pending_job_executions(thingName="t1")
    assert pending["inProgressJobs"] == []
    assert pending["queuedJobs"] == [
        {
            "jobId": "j1",
            "queuedAt": T0 + 10,
            "lastUpdatedAt": T0 + 10,
            "versionNumber": 1,
            "executionNumber": 2,
        }
    ]


def test_describe_execution_number_one_returns_the_failed_one(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("FAILED", 1)))
    start_next(data)
    clock.advance(10)
    update(data, "FAILED", statusDetails={"error": "disk"})
    old = describe(data, executionNumber=1, includeJobDocument=False)
    assert old == {
        "jobId": "j1",
        "thingName": "t1",
        "status": "FAILED",
        "statusDetails": {"error": "disk"},
        "queuedAt": T0,
        "startedAt": T0,
        "lastUpdatedAt": T0 + 10,
        "versionNumber": 3,
        "executionNumber": 1,
    }
    assert describe(data, executionNumber=2)["status"] == "QUEUED"


def test_retried_execution_runs_like_a_new_one(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("FAILED", 1)))
    start_next(data)
    update(data, "FAILED")
    clock.advance(30)
    execution = start_next(data, statusDetails={"try": "2"})
    assert (execution["executionNumber"], execution["versionNumber"]) == (2, 2)
    assert execution["startedAt"] == T0 + 30
    assert execution["statusDetails"] == {"try": "2"}
    state = update(data, "SUCCEEDED", includeJobExecutionState=True)["executionState"]
    assert state == {"status": "SUCCEEDED", "statusDetails": {"try": "2"}, "versionNumber": 3}
    assert describe(data, executionNumber=1)["status"] == "FAILED"


def test_update_of_old_execution_number_is_terminal_409(
    data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("FAILED", 1)))
    update(data, "FAILED")
    with pytest.raises(data.exceptions.InvalidStateTransitionException):
        update(data, "IN_PROGRESS", executionNumber=1)
    state = update(data, "IN_PROGRESS", includeJobExecutionState=True)["executionState"]
    assert state["versionNumber"] == 2
    assert describe(data)["executionNumber"] == 2


def test_retry_is_queued_behind_older_queued_jobs(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("FAILED", 1)))
    make_job("j2", ["t1"])
    clock.advance(5)
    update(data, "FAILED")
    pending = data.get_pending_job_executions(thingName="t1")
    assert [s["jobId"] for s in pending["queuedJobs"]] == ["j2", "j1"]


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_number_of_retries_is_respected(
    retries: int, data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("FAILED", retries)))
    for attempt in range(1, retries + 2):
        execution = start_next(data)
        assert (execution["jobId"], execution["executionNumber"]) == ("j1", attempt)
        update(data, "FAILED")
    assert describe(data)["executionNumber"] == retries + 1
    assert describe(data)["status"] == "FAILED"
    assert "execution" not in data.start_next_pending_job_execution(thingName="t1")
    with pytest.raises(data.exceptions.ResourceNotFoundException):
        describe(data, executionNumber=retries + 2)


@pytest.mark.parametrize("criteria", ["TIMED_OUT", "ALL"])
def test_timed_out_is_retried(
    criteria: str, data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config((criteria, 1)))
    start_next(data, stepTimeoutInMinutes=1, statusDetails={"a": "b"})
    clock.advance(61)
    latest = describe(data)
    assert (latest["executionNumber"], latest["status"]) == (2, "QUEUED")
    assert (latest["versionNumber"], latest["statusDetails"]) == (1, {})
    assert TIMEOUT_KEY not in latest
    assert describe(data, executionNumber=1)["status"] == "TIMED_OUT"


def test_in_progress_timeout_is_retried(
    data: Any, service: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job(
        "j1",
        ["t1"],
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
        jobExecutionsRetryConfig=retry_config(("TIMED_OUT", 1)),
    )
    start_next(data)
    service.advance(61)
    pending = data.get_pending_job_executions(thingName="t1")
    assert [(s["jobId"], s["executionNumber"]) for s in pending["queuedJobs"]] == [("j1", 2)]
    # the retried attempt gets the same in-progress timeout, and no third attempt follows
    assert start_next(data)[TIMEOUT_KEY] == 60
    service.advance(61)
    assert describe(data)["status"] == "TIMED_OUT"
    assert describe(data)["executionNumber"] == 2


@pytest.mark.parametrize("criteria", ["FAILED", "ALL"])
def test_failed_retried_under_failed_and_all(
    criteria: str, data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config((criteria, 1)))
    update(data, "FAILED")
    assert describe(data)["executionNumber"] == 2


def test_failed_not_retried_under_timed_out_criteria(
    data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("TIMED_OUT", 3)))
    update(data, "FAILED")
    latest = describe(data)
    assert (latest["executionNumber"], latest["status"]) == (1, "FAILED")


def test_timed_out_not_retried_under_failed_criteria(
    data: Any, clock: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("FAILED", 3)))
    start_next(data, stepTimeoutInMinutes=1)
    clock.advance(61)
    latest = describe(data)
    assert (latest["executionNumber"], latest["status"]) == (1, "TIMED_OUT")


@pytest.mark.parametrize("final", ["REJECTED", "SUCCEEDED"])
def test_rejected_and_succeeded_never_retried(
    final: str, data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("ALL", 5)))
    start_next(data)
    update(data, final)
    latest = describe(data)
    assert (latest["executionNumber"], latest["status"]) == (1, final)
    pending = data.get_pending_job_executions(thingName="t1")
    assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])


def test_rejected_never_retried_even_with_failed_criteria(
    data: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job(
        "j1",
        ["t1"],
        jobExecutionsRetryConfig=retry_config(("FAILED", 5), ("TIMED_OUT", 5)),
    )
    update(data, "REJECTED")
    assert describe(data)["executionNumber"] == 1
    with pytest.raises(data.exceptions.ResourceNotFoundException):
        describe(data, executionNumber=2)


def test_canceled_never_retried(data: Any, iot: Any, make_things: Any, make_job: Any) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("ALL", 5)))
    iot.cancel_job_execution(jobId="j1", thingName="t1")
    latest = describe(data)
    assert (latest["executionNumber"], latest["status"]) == (1, "CANCELED")


def test_retry_attempt_counts_up_in_the_control_plane(
    data: Any, iot: Any, make_things: Any, make_job: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"], jobExecutionsRetryConfig=retry_config(("FAILED", 2)))

    def latest() -> tuple[int, int]:
        listed = iot.list_job_executions_for_job(jobId="j1")["executionSummaries"]
        summary = max(
            (s["jobExecutionSummary"] for s in listed), key=lambda s: s["executionNumber"]
        )
        return summary["executionNumber"], summary["retryAttempt"]

    assert latest() == (1, 0)
    update(data, "FAILED")
    assert latest() == (2, 1)
    update(data, "FAILED")
    assert latest() == (3, 2)


# --- rollout, as the devices see it -------------------------------------------------------------


def test_rollout_releases_executions_by_the_service_clock(
    data: Any, service: Any, make_things: Any, make_job: Any
) -> None:
    things = ["t1", "t2", "t3"]
    make_things(*things)
    make_job("j1", things, jobExecutionsRolloutConfig={"maximumPerMinute": 1})

    def queued_at() -> list[int]:
        return sorted(
            summary["queuedAt"]
            for thing in things
            for summary in data.get_pending_job_executions(thingName=thing)["queuedJobs"]
        )

    assert queued_at() == [T0]
    service.advance(30)
    assert queued_at() == [T0]
    service.advance(30)
    assert queued_at() == [T0, T0 + 60]
    service.advance(60)
    assert queued_at() == [T0, T0 + 60, T0 + 120]
    service.advance(600)
    assert queued_at() == [T0, T0 + 60, T0 + 120]
