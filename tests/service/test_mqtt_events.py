"""The jobs events on ``$aws/events/...`` and the quotas and faults shared with HTTPS.

Events go out only while UpdateEventConfigurations enables their type; their payloads follow the
developer guide's "Jobs events" examples. An event that must not come is shown absent by the
next one that does (the service sends its messages in the order it made them).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import START, THING_ARN
from tests.service.mqtt_clients import Device

pytestmark = pytest.mark.mqtt

T0 = int(START)
EVENTS = ("$aws/events/#",)


def enable(iot: Any, *types: str) -> None:
    iot.update_event_configurations(eventConfigurations={kind: {"Enabled": True} for kind in types})


def event(watcher: Device, topic: str) -> dict[str, Any]:
    message = json.loads(watcher.raw(topic))
    assert type(message["timestamp"]) is int
    assert message["timestamp"] >= T0
    uuid.UUID(message.pop("eventId"))
    return dict(message)


def test_execution_events_carry_the_thing_status_and_details(
    make_things: Any, make_job: Any, device: Callable[..., Device], iot: Any, clock: Any
) -> None:
    make_things("t1", "t2")
    enable(iot, "JOB_EXECUTION")
    watcher = device("watcher", subscribe=EVENTS)
    make_job("j1", ["t1", "t2"])
    t1 = device("t1")
    t1.accepted("start-next")
    clock.advance(5)
    t1.accepted("j1/update", {"status": "FAILED", "statusDetails": {"why": "disk"}})
    assert event(watcher, "$aws/events/jobExecution/j1/failed") == {
        "eventType": "JOB_EXECUTION",
        "timestamp": T0 + 5,
        "operation": "failed",
        "jobId": "j1",
        "thingArn": THING_ARN.format("t1"),
        "status": "FAILED",
        "statusDetails": {"why": "disk"},
    }
    iot.cancel_job_execution(jobId="j1", thingName="t2")
    assert event(watcher, "$aws/events/jobExecution/j1/canceled")["thingArn"] == THING_ARN.format(
        "t2"
    )
    iot.delete_job_execution(jobId="j1", thingName="t2", executionNumber=1)
    assert event(watcher, "$aws/events/jobExecution/j1/deleted")["status"] == "CANCELED"


def test_job_events_completed_canceled_and_deleted(
    make_things: Any, make_job: Any, device: Callable[..., Device], iot: Any, clock: Any
) -> None:
    make_things("t1", "t2")
    enable(iot, "JOB")
    watcher = device("watcher", subscribe=EVENTS)
    make_job("j1", ["t1"], description="firmware 2")
    t1 = device("t1")
    t1.accepted("start-next")
    clock.advance(3)
    t1.accepted("j1/update", {"status": "SUCCEEDED"})
    completed = event(watcher, "$aws/events/job/j1/completed")
    assert completed["status"] == "COMPLETED"
    assert completed["description"] == "firmware 2"
    assert completed["targets"] == [THING_ARN.format("t1")]
    assert completed["targetSelection"] == "SNAPSHOT"
    assert completed["createdAt"] == T0 * 1000  # a job's times in milliseconds, as AWS's example
    assert completed["completedAt"] == (T0 + 3) * 1000
    assert completed["jobProcessDetails"]["numberOfSucceededThings"] == 1
    assert completed["jobProcessDetails"]["numberOfFailedThings"] == 0

    make_job("j2", ["t2"])
    iot.cancel_job(jobId="j2", comment="bad build")
    assert event(watcher, "$aws/events/job/j2/cancellation_in_progress")["status"] == "IN_PROGRESS"
    canceled = event(watcher, "$aws/events/job/j2/canceled")
    assert (canceled["status"], canceled["comment"]) == ("CANCELED", "bad build")
    iot.delete_job(jobId="j2")
    deleting = event(watcher, "$aws/events/job/j2/deletion_in_progress")
    assert (deleting["operation"], deleting["status"]) == (
        "deletion_in_progress",
        "DELETION_IN_PROGRESS",
    )
    assert event(watcher, "$aws/events/job/j2/deleted")["jobId"] == "j2"
    assert set(watcher.topics()) == set()


def test_no_event_while_its_type_is_disabled(
    make_things: Any, make_job: Any, device: Callable[..., Device], iot: Any
) -> None:
    make_things("t1")
    watcher = device("watcher", subscribe=EVENTS)
    make_job("j1", ["t1"])
    iot.cancel_job(jobId="j1")  # no JOB event: the type is off, as on a new AWS account
    enable(iot, "JOB_EXECUTION")
    iot.delete_job(jobId="j1")  # JOB still off; its execution's deletion is an event
    event(watcher, "$aws/events/jobExecution/j1/deleted")
    assert [topic for topic, _ in watcher.received] == ["$aws/events/jobExecution/j1/deleted"]


@pytest.mark.mqtt(throttle_rps=0.001)
def test_mqtt_requests_share_the_https_quota(
    make_things: Any, device: Callable[..., Device], data: Any
) -> None:
    make_things("t1")
    dev = device("t1")
    dev.accepted("get")  # the one request of the bucket's burst
    refused = dev.rejected("get", {"clientToken": "again"})
    assert (refused["code"], refused["clientToken"]) == ("RequestThrottled", "again")
    with pytest.raises(data.exceptions.ThrottlingException):
        data.get_pending_job_executions(thingName="t1")  # the same reads bucket


@pytest.mark.mqtt(fault_rate=1.0)
def test_a_simulated_fault_answers_internal_error(
    make_things: Any, device: Callable[..., Device]
) -> None:
    make_things("t1")
    refused = device("t1").rejected("start-next")
    assert refused["code"] == "InternalError"
    assert "simulated fault" in refused["message"]
