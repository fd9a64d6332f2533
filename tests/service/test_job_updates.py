"""UpdateJob, AssociateTargetsWithJob, isConcurrent, and CreateJob's unsupported fields,
driven by an unmodified boto3 ``iot`` client over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from jobsnb.service import ManualClock
from tests.helpers import GROUP_ARN, MINUTE, START, THING_ARN, error_of, make_job, make_things

ROLLOUT_1 = {"maximumPerMinute": 1}


def job_of(iot: Any, job_id: str) -> dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]  # type: ignore[no-any-return]


def statuses(iot: Any, job_id: str) -> dict[str, str]:
    summaries = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
    return {s["thingArn"].rsplit("/", 1)[1]: s["jobExecutionSummary"]["status"] for s in summaries}


# ---------------------------------------------------------------------------- UpdateJob
def test_update_job_changes_description_and_configs(iot: Any, clock: ManualClock) -> None:
    make_job(iot, "j1", make_things(iot, ["t1"]))
    clock.advance(30)
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]}
    abort = {
        "criteriaList": [
            {
                "failureType": "ALL",
                "action": "CANCEL",
                "thresholdPercentage": 50,
                "minNumberOfExecutedThings": 1,
            }
        ]
    }
    iot.update_job(
        jobId="j1",
        description="second thoughts",
        timeoutConfig={"inProgressTimeoutInMinutes": 5},
        jobExecutionsRetryConfig=retry,
        abortConfig=abort,
    )
    job = job_of(iot, "j1")
    assert job["description"] == "second thoughts"
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 5}
    assert job["jobExecutionsRetryConfig"] == retry
    assert job["abortConfig"]["criteriaList"][0]["failureType"] == "ALL"
    assert job["lastUpdatedAt"].timestamp() == START + 30
    assert job["createdAt"].timestamp() == START


def test_update_job_leaves_what_it_is_not_given(iot: Any) -> None:
    make_job(
        iot,
        "j1",
        make_things(iot, ["t1"]),
        description="d",
        timeoutConfig={"inProgressTimeoutInMinutes": 7},
    )
    iot.update_job(jobId="j1", description="e")
    job = job_of(iot, "j1")
    assert (job["description"], job["timeoutConfig"]) == ("e", {"inProgressTimeoutInMinutes": 7})


def test_a_new_timeout_applies_to_executions_started_afterwards(
    iot: Any, data: Any, clock: ManualClock
) -> None:
    make_job(iot, "j1", make_things(iot, ["t1", "t2"]))
    data.start_next_pending_job_execution(thingName="t1")
    iot.update_job(jobId="j1", timeoutConfig={"inProgressTimeoutInMinutes": 1})
    data.start_next_pending_job_execution(thingName="t2")
    clock.advance(2 * MINUTE)
    assert statuses(iot, "j1") == {"t1": "IN_PROGRESS", "t2": "TIMED_OUT"}


def test_a_new_rollout_paces_the_things_not_yet_released(iot: Any, clock: ManualClock) -> None:
    make_job(
        iot, "j1", make_things(iot, [f"t{i}" for i in range(6)]),
        jobExecutionsRolloutConfig=ROLLOUT_1,
    )  # fmt: skip
    assert len(statuses(iot, "j1")) == 1
    iot.update_job(jobId="j1", jobExecutionsRolloutConfig={"maximumPerMinute": 3})
    assert job_of(iot, "j1")["jobExecutionsRolloutConfig"] == {"maximumPerMinute": 3}
    clock.advance(MINUTE)
    assert len(statuses(iot, "j1")) == 4
    clock.advance(MINUTE)
    assert len(statuses(iot, "j1")) == 6


def test_a_bad_config_changes_nothing(iot: Any) -> None:
    make_job(iot, "j1", make_things(iot, ["t1"]), description="d")
    code, message, status = error_of(
        iot.update_job,
        jobId="j1",
        description="e",
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
        jobExecutionsRolloutConfig={"maximumPerMinute": 5000},
    )
    assert (code, status) == ("InvalidRequestException", 400)
    assert "maximumPerMinute" in message
    job = job_of(iot, "j1")
    assert job["description"] == "d"
    assert "timeoutConfig" not in job


@pytest.mark.parametrize("how", ["completed", "canceled"])
def test_a_finished_job_cannot_be_updated(iot: Any, data: Any, how: str) -> None:
    make_job(iot, "j1", make_things(iot, ["t1"]))
    if how == "canceled":
        iot.cancel_job(jobId="j1")
    else:
        data.update_job_execution(thingName="t1", jobId="j1", status="SUCCEEDED")
    code, message, status = error_of(iot.update_job, jobId="j1", description="x")
    assert (code, status) == ("InvalidRequestException", 400)
    assert message == f"Job j1 is {how.upper()} and cannot be updated."


def test_update_job_of_an_unknown_or_deleted_job_is_not_found(iot: Any) -> None:
    make_job(iot, "j1", make_things(iot, ["t1"]))
    iot.delete_job(jobId="j1", force=True)
    for job_id in ("j1", "nope"):
        code, _, status = error_of(iot.update_job, jobId=job_id, description="x")
        assert (code, status) == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("namespaceId", {"namespaceId": "ns"}),
    ],
)
def test_update_job_refuses_what_the_service_does_not_implement(
    iot: Any, field: str, kwargs: dict[str, Any]
) -> None:
    make_job(iot, "j1", make_things(iot, ["t1"]))
    assert error_of(iot.update_job, jobId="j1", **kwargs) == (
        "InvalidRequestException",
        f"The local service does not support {field}.",
        400,
    )


# ---------------------------------------------------------------------------- AssociateTargets
def test_associate_targets_queues_the_new_things(iot: Any, clock: ManualClock) -> None:
    make_things(iot, ["t1"])
    make_things(iot, ["g1", "g2"], group="fleet")
    make_things(iot, ["t9"])
    make_job(iot, "j1", ["t1"], targetSelection="CONTINUOUS")
    clock.advance(10)
    answer = iot.associate_targets_with_job(
        jobId="j1", targets=[GROUP_ARN.format("fleet"), THING_ARN.format("t9")], comment="more"
    )
    assert (answer["jobId"], answer["jobArn"].endswith(":job/j1")) == ("j1", True)
    assert statuses(iot, "j1") == dict.fromkeys(["t1", "g1", "g2", "t9"], "QUEUED")
    job = job_of(iot, "j1")
    assert job["targets"] == [
        THING_ARN.format("t1"), GROUP_ARN.format("fleet"), THING_ARN.format("t9")
    ]  # fmt: skip
    assert (job["comment"], job["lastUpdatedAt"].timestamp()) == ("more", START + 10)
    # the job follows the new group like one it was created with
    make_things(iot, ["g3"])
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="g3")
    assert statuses(iot, "j1")["g3"] == "QUEUED"


def test_associated_targets_go_through_the_rollout(iot: Any, clock: ManualClock) -> None:
    make_things(iot, ["t1", "t2", "t3"])
    make_job(iot, "j1", ["t1"], targetSelection="CONTINUOUS", jobExecutionsRolloutConfig=ROLLOUT_1)
    clock.advance(MINUTE)
    iot.associate_targets_with_job(jobId="j1", targets=[THING_ARN.format(n) for n in ("t2", "t3")])
    assert set(statuses(iot, "j1")) == {"t1", "t2"}
    assert job_of(iot, "j1")["isConcurrent"] is True
    clock.advance(MINUTE)
    assert set(statuses(iot, "j1")) == {"t1", "t2", "t3"}
    assert job_of(iot, "j1")["isConcurrent"] is False


def test_associate_targets_needs_a_continuous_job_in_progress(iot: Any) -> None:
    make_things(iot, ["t1", "t2"])
    make_job(iot, "snap", ["t1"])
    code, message, status = error_of(
        iot.associate_targets_with_job, jobId="snap", targets=[THING_ARN.format("t2")]
    )
    assert (code, status) == ("InvalidRequestException", 400)
    assert "CONTINUOUS" in message
    assert "SNAPSHOT" in message
    make_job(iot, "cont", ["t1"], targetSelection="CONTINUOUS")
    iot.cancel_job(jobId="cont")
    code, message, _ = error_of(
        iot.associate_targets_with_job, jobId="cont", targets=[THING_ARN.format("t2")]
    )
    assert code == "InvalidRequestException"
    assert "CANCELED" in message


def test_associate_targets_allows_100_targets_in_all(iot: Any) -> None:
    names = make_things(iot, [f"t{i}" for i in range(101)])
    make_job(iot, "j1", names[:60], targetSelection="CONTINUOUS")
    iot.associate_targets_with_job(jobId="j1", targets=[THING_ARN.format(n) for n in names[60:100]])
    code, message, status = error_of(
        iot.associate_targets_with_job, jobId="j1", targets=[THING_ARN.format("t100")]
    )
    assert (code, status) == ("LimitExceededException", 410)
    assert "101 targets" in message
    assert len(job_of(iot, "j1")["targets"]) == 100


def test_associate_targets_unknown_job_or_target(iot: Any) -> None:
    make_things(iot, ["t1"])
    make_job(iot, "j1", ["t1"], targetSelection="CONTINUOUS")
    for job_id, target in (("nope", THING_ARN.format("t1")), ("j1", GROUP_ARN.format("nope"))):
        code, _, status = error_of(iot.associate_targets_with_job, jobId=job_id, targets=[target])
        assert (code, status) == ("ResourceNotFoundException", 404)
    assert job_of(iot, "j1")["targets"] == [THING_ARN.format("t1")]
    assert error_of(
        iot.associate_targets_with_job, jobId="j1", targets=["t1"], namespaceId="ns"
    ) == ("InvalidRequestException", "The local service does not support namespaceId.", 400)


# ---------------------------------------------------------------------------- isConcurrent
def test_is_concurrent_while_the_rollout_has_things_to_release(
    iot: Any, clock: ManualClock
) -> None:
    make_job(iot, "j1", make_things(iot, ["t1", "t2"]), jobExecutionsRolloutConfig=ROLLOUT_1)
    make_job(iot, "j2", ["t1"])
    summaries = {s["jobId"]: s["isConcurrent"] for s in iot.list_jobs()["jobs"]}
    assert summaries == {"j1": True, "j2": False}
    assert job_of(iot, "j1")["isConcurrent"] is True
    clock.advance(MINUTE)
    assert job_of(iot, "j1")["isConcurrent"] is False


def test_a_canceled_rollout_is_not_concurrent(iot: Any) -> None:
    make_job(iot, "j1", make_things(iot, ["t1", "t2"]), jobExecutionsRolloutConfig=ROLLOUT_1)
    iot.cancel_job(jobId="j1")
    assert job_of(iot, "j1")["isConcurrent"] is False


# ---------------------------------------------------------------------------- CreateJob
UNSUPPORTED = {
    "documentSource": "https://s3.us-east-1.amazonaws.com/bucket/doc.json",
    "tags": [{"Key": "k", "Value": "v"}],
    "namespaceId": "ns",
    "destinationPackageVersions": ["arn:aws:iot:us-east-1:123456789012:package/p/version/1"],
}


@pytest.mark.parametrize("field", sorted(UNSUPPORTED))
def test_create_job_refuses_every_field_it_does_not_implement(iot: Any, field: str) -> None:
    make_things(iot, ["t1"])
    assert error_of(
        iot.create_job,
        jobId="j1",
        targets=[THING_ARN.format("t1")],
        document="{}",
        **{field: UNSUPPORTED[field]},
    ) == ("InvalidRequestException", f"The local service does not support {field}.", 400)
    assert iot.list_jobs()["jobs"] == []


def test_create_job_takes_every_field_it_implements(iot: Any) -> None:
    make_things(iot, ["t1"])
    iot.create_job(
        jobId="j1",
        targets=[THING_ARN.format("t1")],
        document="{}",
        description="d",
        targetSelection="SNAPSHOT",
        jobExecutionsRolloutConfig={"maximumPerMinute": 10},
        abortConfig={
            "criteriaList": [
                {
                    "failureType": "FAILED",
                    "action": "CANCEL",
                    "thresholdPercentage": 10,
                    "minNumberOfExecutedThings": 1,
                }
            ]
        },
        timeoutConfig={"inProgressTimeoutInMinutes": 5},
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "ALL", "numberOfRetries": 1}]},
        presignedUrlConfig={"roleArn": "arn:aws:iam::123456789012:role/jobs-s3"},
    )
    job = job_of(iot, "j1")
    assert job["status"] == "IN_PROGRESS"
    assert job["presignedUrlConfig"] == {
        "roleArn": "arn:aws:iam::123456789012:role/jobs-s3",
        "expiresInSec": 3600,
    }
