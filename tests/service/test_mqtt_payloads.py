"""The jobs topics' payloads as AWS documents them ("Jobs device MQTT API"), through paho.

Every request topic's accepted and rejected answer, and ``jobs/notify`` / ``jobs/notify-next``
on each thing that moves a thing's pending list: the keys, their types, timestamps as integer
epoch seconds on the service clock, the clientToken echoed only when sent, the job document as a
JSON object. A notification that must not come is shown absent by the next one that does (the
service sends a thing's messages in the order it made them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import GROUP_ARN, REBOOT, START
from tests.service.mqtt_clients import Device

pytestmark = pytest.mark.mqtt

T0 = int(START)
#: A JobExecution's members in the MQTT API (developer guide, "Jobs device MQTT and HTTPS APIs").
EXECUTION_KEYS = {
    "jobId",
    "thingName",
    "jobDocument",
    "status",
    "statusDetails",
    "queuedAt",
    "startedAt",
    "lastUpdatedAt",
    "versionNumber",
    "executionNumber",
    "approximateSecondsBeforeTimedOut",
}
SUMMARY_KEYS = {
    "jobId",
    "queuedAt",
    "startedAt",
    "lastUpdatedAt",
    "versionNumber",
    "executionNumber",
}
TIMES = ("queuedAt", "startedAt", "lastUpdatedAt", "timestamp")


def check_times(shape: dict[str, Any]) -> None:
    for key in TIMES:
        if key in shape:
            assert type(shape[key]) is int, (key, shape)
            assert shape[key] >= T0, (key, shape)


def check_execution(shape: dict[str, Any], job_id: str, thing: str, status: str) -> None:
    assert set(shape) <= EXECUTION_KEYS, set(shape) - EXECUTION_KEYS
    assert {"jobId", "thingName", "status", "queuedAt", "lastUpdatedAt"} <= set(shape)
    assert (shape["jobId"], shape["thingName"], shape["status"]) == (job_id, thing, status)
    assert type(shape["versionNumber"]) is int
    assert type(shape["executionNumber"]) is int
    assert isinstance(shape.get("statusDetails", {}), dict)
    check_times(shape)


def check_summary(shape: dict[str, Any], job_id: str) -> None:
    assert set(shape) <= SUMMARY_KEYS, set(shape) - SUMMARY_KEYS
    assert {"jobId", "queuedAt", "lastUpdatedAt", "versionNumber", "executionNumber"} <= set(shape)
    assert shape["jobId"] == job_id
    check_times(shape)


@pytest.fixture
def one_job(make_things: Callable[..., Any], make_job: Callable[..., str]) -> None:
    make_things("t1")
    make_job("j1", ["t1"], document={"operation": "reboot", "after": [1, 2]})


# --- accepted ------------------------------------------------------------------------------------


def test_get_pending_lists_summaries_and_echoes_the_token(
    make_things: Any, make_job: Any, device: Callable[..., Device]
) -> None:
    make_things("t1")
    make_job("j1", ["t1"])
    make_job("j2", ["t1"])
    dev = device("t1")
    dev.accepted("start-next")
    answer = dev.accepted("get", {"clientToken": "tok-1"})
    assert set(answer) == {"inProgressJobs", "queuedJobs", "timestamp", "clientToken"}
    assert answer["clientToken"] == "tok-1"
    assert answer["timestamp"] == T0
    [running] = answer["inProgressJobs"]
    [queued] = answer["queuedJobs"]
    check_summary(running, "j1")
    check_summary(queued, "j2")
    assert running["startedAt"] == T0
    assert "startedAt" not in queued
    empty_payload = dev.accepted("get", b"")
    assert empty_payload == {k: v for k, v in answer.items() if k != "clientToken"}


def test_no_client_token_no_client_token_key(one_job: None, device: Callable[..., Device]) -> None:
    dev = device("t1")
    for levels in ("get", "j1/get", "$next/get", "start-next"):
        assert "clientToken" not in dev.accepted(levels, {}), levels
    assert "clientToken" not in dev.accepted("j1/update", {"status": "SUCCEEDED"})
    assert "clientToken" not in dev.rejected("j1/update", {"status": "QUEUED"})


def test_start_next_answers_the_execution_with_its_document_as_an_object(
    one_job: None, device: Callable[..., Device], clock: Any
) -> None:
    dev = device("t1")
    clock.advance(5)
    answer = dev.accepted(
        "start-next",
        {"clientToken": "c-1", "statusDetails": {"phase": "download"}, "stepTimeoutInMinutes": 10},
    )
    assert set(answer) == {"execution", "timestamp", "clientToken"}
    execution = answer["execution"]
    check_execution(execution, "j1", "t1", "IN_PROGRESS")
    assert execution["jobDocument"] == {"operation": "reboot", "after": [1, 2]}
    assert execution["statusDetails"] == {"phase": "download"}
    assert (execution["queuedAt"], execution["startedAt"], execution["lastUpdatedAt"]) == (
        T0,
        T0 + 5,
        T0 + 5,
    )
    assert answer["timestamp"] == T0 + 5
    assert execution["versionNumber"] == 2
    assert execution["approximateSecondsBeforeTimedOut"] == 600


def test_start_next_with_nothing_pending_has_no_execution(
    make_things: Any, device: Callable[..., Device]
) -> None:
    make_things("t1")
    dev = device("t1")
    assert dev.accepted("start-next", {"clientToken": "c"}) == {"timestamp": T0, "clientToken": "c"}
    assert dev.accepted("$next/get") == {"timestamp": T0}


def test_describe_by_id_and_next_with_and_without_the_document(
    one_job: None, device: Callable[..., Device]
) -> None:
    dev = device("t1")
    by_id = dev.accepted("j1/get", {"clientToken": "d"})
    assert set(by_id) == {"execution", "timestamp", "clientToken"}
    check_execution(by_id["execution"], "j1", "t1", "QUEUED")
    assert by_id["execution"]["jobDocument"] == {"operation": "reboot", "after": [1, 2]}
    assert dev.accepted("$next/get")["execution"] == by_id["execution"]
    bare = dev.accepted("j1/get", {"includeJobDocument": False, "executionNumber": 1})
    assert "jobDocument" not in bare["execution"]
    assert "startedAt" not in bare["execution"]


def test_update_answers_state_and_document_only_when_asked(
    one_job: None, device: Callable[..., Device]
) -> None:
    dev = device("t1")
    dev.accepted("start-next")
    plain = dev.accepted("j1/update", {"status": "IN_PROGRESS", "clientToken": "u"})
    assert plain == {"timestamp": T0, "clientToken": "u"}
    full = dev.accepted(
        "j1/update",
        {
            "status": "SUCCEEDED",
            "statusDetails": {"result": "ok"},
            "expectedVersion": 3,
            "includeJobExecutionState": True,
            "includeJobDocument": True,
        },
    )
    assert set(full) == {"executionState", "jobDocument", "timestamp"}
    assert full["executionState"] == {
        "status": "SUCCEEDED",
        "statusDetails": {"result": "ok"},
        "versionNumber": 4,
    }
    assert full["jobDocument"] == {"operation": "reboot", "after": [1, 2]}


# --- rejected ------------------------------------------------------------------------------------


def check_rejected(answer: dict[str, Any], code: str, *words: str) -> None:
    assert {"code", "message", "timestamp"} <= set(answer)
    assert set(answer) <= {"code", "message", "timestamp", "clientToken", "executionState"}
    assert answer["code"] == code, answer
    assert type(answer["timestamp"]) is int
    for word in words:
        assert word in answer["message"], (word, answer["message"])


def test_version_mismatch_carries_the_current_execution_state(
    one_job: None, device: Callable[..., Device]
) -> None:
    dev = device("t1")
    dev.accepted("start-next", {"statusDetails": {"step": "1"}})
    answer = dev.rejected(
        "j1/update", {"status": "SUCCEEDED", "expectedVersion": 9, "clientToken": "v"}
    )
    check_rejected(answer, "VersionMismatch", "9", "2")
    assert answer["clientToken"] == "v"
    assert answer["executionState"] == {
        "status": "IN_PROGRESS",
        "statusDetails": {"step": "1"},
        "versionNumber": 2,
    }


def test_invalid_state_transition_carries_the_execution_state(
    one_job: None, device: Callable[..., Device]
) -> None:
    dev = device("t1")
    dev.accepted("j1/update", {"status": "FAILED"})
    answer = dev.rejected("j1/update", {"status": "IN_PROGRESS"})
    check_rejected(answer, "InvalidStateTransition")
    assert answer["executionState"] == {"status": "FAILED", "statusDetails": {}, "versionNumber": 2}


@pytest.mark.parametrize(
    ("levels", "payload"),
    [("nope/get", {}), ("nope/update", {"status": "SUCCEEDED"})],
)
def test_unknown_job_is_resource_not_found(
    one_job: None, device: Callable[..., Device], levels: str, payload: dict[str, Any]
) -> None:
    answer = device("t1").rejected(levels, {**payload, "clientToken": "n"})
    check_rejected(answer, "ResourceNotFound", "nope")
    assert answer["clientToken"] == "n"
    assert "executionState" not in answer


def test_unknown_thing_is_resource_not_found(device: Callable[..., Device]) -> None:
    check_rejected(device("ghost").rejected("j1/get"), "ResourceNotFound")


# --- notify and notify-next ---------------------------------------------------------------------


def test_queued_started_succeeded_notify_in_order(
    make_things: Any, make_job: Any, device: Callable[..., Device], clock: Any
) -> None:
    make_things("t1")
    dev = device("t1")
    make_job("j1", ["t1"])
    queued = dev.next("notify")
    assert set(queued) == {"timestamp", "jobs"}
    assert queued["timestamp"] == T0
    assert set(queued["jobs"]) == {"QUEUED"}
    check_summary(queued["jobs"]["QUEUED"][0], "j1")
    first = dev.next("notify-next")
    assert set(first) == {"timestamp", "execution"}
    check_execution(first["execution"], "j1", "t1", "QUEUED")
    assert first["execution"]["jobDocument"] == REBOOT

    clock.advance(3)
    dev.accepted("start-next")
    running = dev.next("notify")
    assert set(running["jobs"]) == {"IN_PROGRESS"}
    assert running["jobs"]["IN_PROGRESS"][0]["startedAt"] == T0 + 3

    dev.accepted("j1/update", {"status": "SUCCEEDED"})
    assert dev.next("notify") == {"timestamp": T0 + 3, "jobs": {}}
    # The start did not change which execution is next: the next notify-next is the last one.
    assert dev.next("notify-next") == {"timestamp": T0 + 3}


def test_second_job_notifies_the_list_but_not_the_next(
    make_things: Any, make_job: Any, device: Callable[..., Device]
) -> None:
    make_things("t1")
    dev = device("t1")
    make_job("j1", ["t1"])
    make_job("j2", ["t1"])
    assert [len(dev.next("notify")["jobs"]["QUEUED"]) for _ in range(2)] == [1, 2]
    assert dev.next("notify-next")["execution"]["jobId"] == "j1"
    dev.accepted("j1/update", {"status": "REJECTED"})
    assert dev.next("notify-next")["execution"]["jobId"] == "j2"


def test_in_progress_detail_updates_do_not_notify(
    one_job: None, device: Callable[..., Device], make_job: Any
) -> None:
    dev = device("t1")
    dev.accepted("start-next")
    assert list(dev.next("notify")["jobs"]) == ["IN_PROGRESS"]
    for step in range(3):
        dev.accepted("j1/update", {"status": "IN_PROGRESS", "statusDetails": {"step": str(step)}})
    make_job("j2", ["t1"])
    # The next notify is j2's arrival, the next notify-next j1's end: nothing came between.
    notify = dev.next("notify")
    assert [s["jobId"] for s in notify["jobs"]["QUEUED"]] == ["j2"]
    assert notify["jobs"]["IN_PROGRESS"][0]["versionNumber"] == 5
    dev.accepted("j1/update", {"status": "SUCCEEDED"})
    assert dev.next("notify-next")["execution"]["jobId"] == "j2"
    assert dev.unread("notify-next") == []


def test_cancel_job_notifies(
    one_job: None, device: Callable[..., Device], iot: Any, clock: Any
) -> None:
    dev = device("t1")
    dev.accepted("start-next")
    assert list(dev.next("notify")["jobs"]) == ["IN_PROGRESS"]
    clock.advance(7)
    iot.cancel_job(jobId="j1", force=True)
    assert dev.next("notify") == {"timestamp": T0 + 7, "jobs": {}}
    assert dev.next("notify-next") == {"timestamp": T0 + 7}


def test_step_timeout_notifies(
    one_job: None, device: Callable[..., Device], service: Any, data: Any
) -> None:
    dev = device("t1")
    dev.accepted("start-next", {"stepTimeoutInMinutes": 1})
    assert "IN_PROGRESS" in dev.next("notify")["jobs"]
    service.advance(61)
    assert dev.next("notify") == {"timestamp": T0 + 61, "jobs": {}}
    assert dev.next("notify-next") == {"timestamp": T0 + 61}
    described = data.describe_job_execution(jobId="j1", thingName="t1")["execution"]
    assert described["status"] == "TIMED_OUT"


def test_rollout_release_notifies_the_released_thing(
    make_things: Any, make_job: Any, device: Callable[..., Device], service: Any, data: Any
) -> None:
    make_things("t1", "t2")
    devices = {name: device(name) for name in ("t1", "t2")}
    make_job("j1", ["t1", "t2"], jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    pending = {n: data.get_pending_job_executions(thingName=n)["queuedJobs"] for n in devices}
    [waiting] = [name for name, queued in pending.items() if not queued]
    service.advance(60)
    notify = devices[waiting].next("notify")
    assert notify["timestamp"] == T0 + 60
    assert notify["jobs"]["QUEUED"][0]["queuedAt"] == T0 + 60
    released = devices[waiting].next("notify-next")["execution"]
    check_execution(released, "j1", waiting, "QUEUED")


def test_leaving_a_continuous_jobs_group_removes_and_notifies(
    make_things: Any, device: Callable[..., Device], iot: Any, clock: Any
) -> None:
    make_things("t1")
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t1")
    dev = device("t1")
    iot.create_job(
        jobId="j1",
        targets=[GROUP_ARN.format("g")],
        document='{"op": "x"}',
        targetSelection="CONTINUOUS",
    )
    assert "QUEUED" in dev.next("notify")["jobs"]
    assert dev.next("notify-next")["execution"]["jobDocument"] == {"op": "x"}
    clock.advance(2)
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="t1")
    assert dev.next("notify") == {"timestamp": T0 + 2, "jobs": {}}
    assert dev.next("notify-next") == {"timestamp": T0 + 2}
    described = iot.describe_job_execution(jobId="j1", thingName="t1")["execution"]
    assert described["status"] == "REMOVED"


def test_delete_job_execution_notifies(
    one_job: None, make_job: Any, device: Callable[..., Device], iot: Any
) -> None:
    make_job("j2", ["t1"])
    dev = device("t1")
    dev.accepted("start-next")
    assert list(dev.next("notify")["jobs"]) == ["IN_PROGRESS", "QUEUED"]
    iot.delete_job_execution(jobId="j1", thingName="t1", executionNumber=1, force=True)
    notify = dev.next("notify")
    assert list(notify["jobs"]) == ["QUEUED"]
    assert [s["jobId"] for s in notify["jobs"]["QUEUED"]] == ["j2"]
    assert dev.next("notify-next")["execution"]["jobId"] == "j2"
