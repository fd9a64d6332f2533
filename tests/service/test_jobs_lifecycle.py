"""Job lifecycle: target selection, completion, rollout, abort and retry (spec sections 4 and 6).

Time moves only through ``service.advance``; nothing here sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import ACCOUNT, REGION

DOC = '{"operation":"update"}'


def thing_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/{name}"


def group_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/{name}"


def make_things(iot: Any, *names: str) -> list[str]:
    return [iot.create_thing(thingName=n)["thingArn"] for n in names]


def make_group(iot: Any, group: str, *names: str) -> str:
    arn = iot.create_thing_group(thingGroupName=group)["thingGroupArn"]
    make_things(iot, *names)
    for n in names:
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=n)
    return arn  # type: ignore[no-any-return]


def make_job(iot: Any, job_id: str, names: list[str], **kwargs: Any) -> None:
    arns = make_things(iot, *names)
    iot.create_job(jobId=job_id, targets=arns, document=DOC, **kwargs)


def status(iot: Any, thing: str, job_id: str, **kwargs: Any) -> str:
    ex = iot.describe_job_execution(thingName=thing, jobId=job_id, **kwargs)["execution"]
    return ex["status"]  # type: ignore[no-any-return]


def job(iot: Any, job_id: str) -> dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]  # type: ignore[no-any-return]


def pending_ids(data: Any, thing: str) -> list[str]:
    resp = data.get_pending_job_executions(thingName=thing)
    return [s["jobId"] for s in resp["inProgressJobs"] + resp["queuedJobs"]]


def has_execution(iot: Any, thing: str, job_id: str) -> bool:
    try:
        iot.describe_job_execution(thingName=thing, jobId=job_id)
    except iot.exceptions.ResourceNotFoundException:
        return False
    return True


# --- SNAPSHOT vs CONTINUOUS --------------------------------------------------------------------


def test_thing_added_later_gets_execution_only_for_continuous(iot, data):
    garn = make_group(iot, "g", "early")
    iot.create_job(jobId="snap", targets=[garn], document=DOC)
    iot.create_job(jobId="cont", targets=[garn], document=DOC, targetSelection="CONTINUOUS")
    assert sorted(pending_ids(data, "early")) == ["cont", "snap"]

    make_things(iot, "late")
    assert pending_ids(data, "late") == []
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="late")

    assert pending_ids(data, "late") == ["cont"]
    assert not has_execution(iot, "late", "snap")
    ex = iot.describe_job_execution(thingName="late", jobId="cont")["execution"]
    assert (ex["status"], ex["executionNumber"], ex["versionNumber"]) == ("QUEUED", 1, 1)
    assert job(iot, "cont")["jobProcessDetails"]["numberOfQueuedThings"] == 2
    assert job(iot, "snap")["jobProcessDetails"]["numberOfQueuedThings"] == 1
    arns = [
        s["thingArn"] for s in iot.list_job_executions_for_job(jobId="cont")["executionSummaries"]
    ]
    assert sorted(arns) == [thing_arn("early"), thing_arn("late")]


def test_thing_added_to_group_by_arn_later_joins_continuous_job(iot, data):
    garn = make_group(iot, "g", "a")
    iot.create_job(jobId="cont", targets=[garn], document=DOC, targetSelection="CONTINUOUS")
    (barn,) = make_things(iot, "b")
    iot.add_thing_to_thing_group(thingGroupArn=garn, thingArn=barn)
    assert pending_ids(data, "b") == ["cont"]


def test_removed_thing_pending_execution_becomes_removed_for_continuous(iot, data):
    garn = make_group(iot, "g", "stay", "leave")
    iot.create_job(jobId="cont", targets=[garn], document=DOC, targetSelection="CONTINUOUS")
    iot.create_job(jobId="snap", targets=[garn], document=DOC)

    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="leave")

    ex = iot.describe_job_execution(thingName="leave", jobId="cont")["execution"]
    assert ex["status"] == "REMOVED"
    assert ex["versionNumber"] == 2
    assert status(iot, "leave", "snap") == "QUEUED"
    assert status(iot, "stay", "cont") == "QUEUED"
    assert pending_ids(data, "leave") == ["snap"]
    details = job(iot, "cont")["jobProcessDetails"]
    assert details["numberOfRemovedThings"] == 1
    assert details["numberOfQueuedThings"] == 1
    with pytest.raises(data.exceptions.InvalidStateTransitionException):
        data.update_job_execution(thingName="leave", jobId="cont", status="IN_PROGRESS")


def test_snapshot_job_completes_when_all_executions_terminal(iot, data, service):
    make_job(iot, "job1", ["a", "b", "c"])
    data.update_job_execution(thingName="a", jobId="job1", status="SUCCEEDED")
    data.update_job_execution(thingName="b", jobId="job1", status="IN_PROGRESS")
    assert job(iot, "job1")["status"] == "IN_PROGRESS"
    data.update_job_execution(thingName="c", jobId="job1", status="REJECTED")
    assert job(iot, "job1")["status"] == "IN_PROGRESS"
    service.advance(30)
    data.update_job_execution(thingName="b", jobId="job1", status="FAILED")
    done = job(iot, "job1")
    assert done["status"] == "COMPLETED"
    details = done["jobProcessDetails"]
    assert details["numberOfSucceededThings"] == 1
    assert details["numberOfFailedThings"] == 1
    assert details["numberOfRejectedThings"] == 1
    assert details["numberOfInProgressThings"] == 0
    assert details["numberOfQueuedThings"] == 0
    listed = iot.list_jobs(status="COMPLETED")["jobs"]
    assert [j["jobId"] for j in listed] == ["job1"]


def test_continuous_job_never_completes(iot, data):
    garn = make_group(iot, "g", "a", "b")
    iot.create_job(jobId="cont", targets=[garn], document=DOC, targetSelection="CONTINUOUS")
    data.update_job_execution(thingName="a", jobId="cont", status="SUCCEEDED")
    data.update_job_execution(thingName="b", jobId="cont", status="FAILED")
    assert job(iot, "cont")["status"] == "IN_PROGRESS"


# --- rollout -----------------------------------------------------------------------------------


def released(data: Any, names: list[str], job_id: str) -> int:
    return sum(job_id in pending_ids(data, n) for n in names)


def test_rollout_maximum_per_minute_releases_gradually(iot, data, service):
    names = [f"t{i}" for i in range(7)]
    make_job(iot, "roll", names, jobExecutionsRolloutConfig={"maximumPerMinute": 2})
    counts = [released(data, names, "roll")]
    for _ in range(4):
        service.advance(60)
        counts.append(released(data, names, "roll"))
    # After k whole minutes at least 2k and at most 2(k+1) executions are out.
    for minutes, count in enumerate(counts):
        assert min(7, 2 * minutes) <= count <= min(7, 2 * (minutes + 1)), counts
    assert counts[0] >= 1
    assert counts == sorted(counts)
    assert counts[-1] == 7


def test_rollout_releases_nothing_more_without_clock_moving(iot, data, service):
    names = [f"t{i}" for i in range(5)]
    make_job(iot, "roll", names, jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    before = released(data, names, "roll")
    assert before == 1
    for _ in range(3):
        assert released(data, names, "roll") == 1
    service.advance(5 * 60)
    assert released(data, names, "roll") == 5


def test_rollout_released_executions_are_queued_and_counted(iot, data, service):
    names = [f"t{i}" for i in range(4)]
    make_job(iot, "roll", names, jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    assert job(iot, "roll")["jobProcessDetails"]["numberOfQueuedThings"] == 1
    service.advance(60)
    assert job(iot, "roll")["jobProcessDetails"]["numberOfQueuedThings"] == 2


def test_canceled_rollout_releases_nothing_more(iot, data, service):
    names = [f"t{i}" for i in range(4)]
    make_job(iot, "roll", names, jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    assert released(data, names, "roll") == 1
    iot.cancel_job(jobId="roll")
    service.advance(10 * 60)
    assert released(data, names, "roll") == 0
    statuses = [
        s["jobExecutionSummary"]["status"]
        for s in iot.list_job_executions_for_job(jobId="roll")["executionSummaries"]
    ]
    assert "QUEUED" not in statuses
    assert "CANCELED" in statuses


def test_without_rollout_all_are_queued_at_once(iot, data):
    names = [f"t{i}" for i in range(6)]
    make_job(iot, "all", names)
    assert released(data, names, "all") == 6


# --- abort -------------------------------------------------------------------------------------


def abort_config(failure_type: str, threshold: float, minimum: int) -> dict[str, Any]:
    return {
        "criteriaList": [
            {
                "failureType": failure_type,
                "action": "CANCEL",
                "thresholdPercentage": threshold,
                "minNumberOfExecutedThings": minimum,
            }
        ]
    }


def test_abort_cancels_only_still_queued_executions(iot, data):
    names = [f"t{i}" for i in range(8)]
    make_job(iot, "job1", names, abortConfig=abort_config("FAILED", 50.0, 3))
    data.update_job_execution(thingName="t0", jobId="job1", status="IN_PROGRESS")
    data.update_job_execution(thingName="t1", jobId="job1", status="FAILED")
    # Two things reached so far: below the minimum, whatever counts as executed.
    assert [status(iot, n, "job1") for n in names[2:]] == ["QUEUED"] * 6
    data.update_job_execution(thingName="t2", jobId="job1", status="FAILED")
    if status(iot, "t3", "job1") == "QUEUED":
        data.update_job_execution(thingName="t3", jobId="job1", status="FAILED")
    # At least three executed and all of the finished ones failed: the job is aborted.
    assert status(iot, "t0", "job1") == "IN_PROGRESS"
    assert status(iot, "t1", "job1") == "FAILED"
    assert status(iot, "t2", "job1") == "FAILED"
    assert status(iot, "t3", "job1") in ("FAILED", "CANCELED")
    assert [status(iot, n, "job1") for n in names[4:]] == ["CANCELED"] * 4
    for n in names[4:]:
        assert pending_ids(data, n) == []
    details = job(iot, "job1")["jobProcessDetails"]
    assert details["numberOfInProgressThings"] == 1
    assert details["numberOfQueuedThings"] == 0
    assert details["numberOfCanceledThings"] + details["numberOfFailedThings"] == 7
    # The device that was already working may still report its outcome.
    data.update_job_execution(thingName="t0", jobId="job1", status="SUCCEEDED")
    assert status(iot, "t0", "job1") == "SUCCEEDED"


def test_abort_waits_for_minimum_executed_things(iot, data):
    names = [f"t{i}" for i in range(8)]
    make_job(iot, "job1", names, abortConfig=abort_config("FAILED", 50.0, 5))
    for n in names[:3]:
        data.update_job_execution(thingName=n, jobId="job1", status="FAILED")
    assert [status(iot, n, "job1") for n in names[3:]] == ["QUEUED"] * 5
    assert job(iot, "job1")["status"] == "IN_PROGRESS"


def test_abort_needs_threshold_percentage(iot, data):
    names = [f"t{i}" for i in range(6)]
    make_job(iot, "job1", names, abortConfig=abort_config("FAILED", 80.0, 2))
    data.update_job_execution(thingName="t0", jobId="job1", status="SUCCEEDED")
    data.update_job_execution(thingName="t1", jobId="job1", status="SUCCEEDED")
    data.update_job_execution(thingName="t2", jobId="job1", status="FAILED")
    assert [status(iot, n, "job1") for n in names[3:]] == ["QUEUED"] * 3


def test_abort_counts_only_its_failure_type(iot, data):
    names = [f"t{i}" for i in range(6)]
    make_job(iot, "only-failed", names, abortConfig=abort_config("FAILED", 50.0, 2))
    iot.create_job(
        jobId="any",
        targets=[thing_arn(n) for n in names],
        document=DOC,
        abortConfig=abort_config("ALL", 50.0, 2),
    )
    for n in names[:3]:
        data.update_job_execution(thingName=n, jobId="only-failed", status="REJECTED")
        if status(iot, n, "any") == "QUEUED":
            data.update_job_execution(thingName=n, jobId="any", status="REJECTED")
    assert [status(iot, n, "only-failed") for n in names[3:]] == ["QUEUED"] * 3
    assert [status(iot, n, "any") for n in names[3:]] == ["CANCELED"] * 3


# --- retries -----------------------------------------------------------------------------------


def counters(iot: Any, job_id: str) -> dict[str, int]:
    details = job(iot, job_id)["jobProcessDetails"]
    return {k: v for k, v in details.items() if k.startswith("numberOf") and v}


def retry_config(failure_type: str, retries: int) -> dict[str, Any]:
    return {"criteriaList": [{"failureType": failure_type, "numberOfRetries": retries}]}


def test_retry_on_failure_creates_new_executions_and_counts_attempts(iot, data):
    make_job(
        iot,
        "job1",
        ["t"],
        jobExecutionsRetryConfig=retry_config("FAILED", 2),
    )
    data.update_job_execution(
        thingName="t", jobId="job1", status="FAILED", statusDetails={"why": "disk"}
    )

    latest = iot.describe_job_execution(thingName="t", jobId="job1")["execution"]
    assert latest["status"] == "QUEUED"
    assert latest["executionNumber"] == 2
    assert latest["versionNumber"] == 1
    assert latest.get("statusDetails", {}).get("detailsMap", {}) == {}
    assert status(iot, "t", "job1", executionNumber=1) == "FAILED"
    pending = data.get_pending_job_executions(thingName="t")["queuedJobs"]
    assert [(s["jobId"], s["executionNumber"], s["versionNumber"]) for s in pending] == [
        ("job1", 2, 1)
    ]
    summaries = iot.list_job_executions_for_thing(thingName="t", status="QUEUED")
    (summary,) = summaries["executionSummaries"]
    assert summary["jobExecutionSummary"]["executionNumber"] == 2
    assert summary["jobExecutionSummary"]["retryAttempt"] == 1
    assert counters(iot, "job1") == {"numberOfFailedThings": 1, "numberOfQueuedThings": 1}
    assert job(iot, "job1")["status"] == "IN_PROGRESS"

    data.update_job_execution(thingName="t", jobId="job1", status="FAILED")
    latest = iot.describe_job_execution(thingName="t", jobId="job1")["execution"]
    assert (latest["status"], latest["executionNumber"]) == ("QUEUED", 3)
    assert counters(iot, "job1") == {"numberOfFailedThings": 2, "numberOfQueuedThings": 1}

    started = data.start_next_pending_job_execution(thingName="t")["execution"]
    assert (started["executionNumber"], started["versionNumber"]) == (3, 2)
    data.update_job_execution(thingName="t", jobId="job1", status="FAILED")
    latest = iot.describe_job_execution(thingName="t", jobId="job1")["execution"]
    assert (latest["status"], latest["executionNumber"]) == ("FAILED", 3)
    assert counters(iot, "job1") == {"numberOfFailedThings": 3}
    assert job(iot, "job1")["status"] == "COMPLETED"
    assert pending_ids(data, "t") == []


@pytest.mark.parametrize("final", ["REJECTED", "SUCCEEDED"])
def test_rejected_and_succeeded_are_never_retried(iot, data, final):
    make_job(
        iot,
        "job1",
        ["t"],
        jobExecutionsRetryConfig=retry_config("ALL", 3),
    )
    data.update_job_execution(thingName="t", jobId="job1", status=final)
    latest = iot.describe_job_execution(thingName="t", jobId="job1")["execution"]
    assert (latest["status"], latest["executionNumber"]) == (final, 1)
    assert job(iot, "job1")["status"] == "COMPLETED"


def test_retry_on_timeout(iot, data, service):
    make_job(
        iot,
        "job1",
        ["t"],
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
        jobExecutionsRetryConfig=retry_config("TIMED_OUT", 1),
    )
    data.start_next_pending_job_execution(thingName="t")
    service.advance(61)
    assert status(iot, "t", "job1", executionNumber=1) == "TIMED_OUT"
    latest = iot.describe_job_execution(thingName="t", jobId="job1")["execution"]
    assert (latest["status"], latest["executionNumber"]) == ("QUEUED", 2)
    assert counters(iot, "job1") == {"numberOfTimedOutThings": 1, "numberOfQueuedThings": 1}


def test_failed_criteria_does_not_retry_timeouts(iot, data, service):
    make_job(
        iot,
        "job1",
        ["t"],
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
        jobExecutionsRetryConfig=retry_config("FAILED", 2),
    )
    data.start_next_pending_job_execution(thingName="t")
    service.advance(61)
    latest = iot.describe_job_execution(thingName="t", jobId="job1")["execution"]
    assert (latest["status"], latest["executionNumber"]) == ("TIMED_OUT", 1)
    assert job(iot, "job1")["status"] == "COMPLETED"


# --- more target-selection edges ---------------------------------------------------------------


def test_thing_targeted_directly_and_through_group_gets_one_execution(iot, data):
    garn = make_group(iot, "g", "both", "member")
    iot.create_job(jobId="job1", targets=[thing_arn("both"), garn], document=DOC)
    assert pending_ids(data, "both") == ["job1"]
    summaries = iot.list_job_executions_for_job(jobId="job1")["executionSummaries"]
    assert sorted(s["thingArn"] for s in summaries) == [thing_arn("both"), thing_arn("member")]
    assert job(iot, "job1")["jobProcessDetails"]["numberOfQueuedThings"] == 2


def test_thing_in_two_target_groups_gets_one_continuous_execution(iot, data):
    g1 = make_group(iot, "g1", "a")
    g2 = make_group(iot, "g2", "b")
    iot.create_job(jobId="cont", targets=[g1, g2], document=DOC, targetSelection="CONTINUOUS")
    iot.add_thing_to_thing_group(thingGroupName="g2", thingName="a")
    make_things(iot, "c")
    iot.add_thing_to_thing_group(thingGroupName="g1", thingName="c")
    iot.add_thing_to_thing_group(thingGroupName="g2", thingName="c")
    assert pending_ids(data, "a") == ["cont"]
    assert pending_ids(data, "c") == ["cont"]
    summaries = iot.list_job_executions_for_job(jobId="cont")["executionSummaries"]
    assert sorted(s["thingArn"] for s in summaries) == [thing_arn(n) for n in "abc"]


def test_removed_thing_in_progress_execution_becomes_removed(iot, data):
    garn = make_group(iot, "g", "busy", "done")
    iot.create_job(jobId="cont", targets=[garn], document=DOC, targetSelection="CONTINUOUS")
    data.start_next_pending_job_execution(thingName="busy")
    data.update_job_execution(thingName="done", jobId="cont", status="SUCCEEDED")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="busy")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="done")
    busy = iot.describe_job_execution(thingName="busy", jobId="cont")["execution"]
    assert (busy["status"], busy["versionNumber"]) == ("REMOVED", 3)
    done = iot.describe_job_execution(thingName="done", jobId="cont")["execution"]
    assert (done["status"], done["versionNumber"]) == ("SUCCEEDED", 2)
    assert pending_ids(data, "busy") == []
    details = job(iot, "cont")["jobProcessDetails"]
    assert (details["numberOfRemovedThings"], details["numberOfSucceededThings"]) == (1, 1)


def test_canceled_continuous_job_gives_no_execution_to_new_members(iot, data):
    garn = make_group(iot, "g", "a")
    iot.create_job(jobId="cont", targets=[garn], document=DOC, targetSelection="CONTINUOUS")
    iot.cancel_job(jobId="cont")
    make_things(iot, "late")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="late")
    assert pending_ids(data, "late") == []
    assert not has_execution(iot, "late", "cont")


def test_service_changes_bump_version(iot, data, service):
    names = ["t0", "t1", "t2"]
    make_job(
        iot,
        "job1",
        names,
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
        abortConfig=abort_config("TIMED_OUT", 10.0, 1),
    )
    data.start_next_pending_job_execution(thingName="t0")
    service.advance(61)
    timed_out = iot.describe_job_execution(thingName="t0", jobId="job1")["execution"]
    assert (timed_out["status"], timed_out["versionNumber"]) == ("TIMED_OUT", 3)
    for n in names[1:]:
        aborted = iot.describe_job_execution(thingName=n, jobId="job1")["execution"]
        assert (aborted["status"], aborted["versionNumber"]) == ("CANCELED", 2)
