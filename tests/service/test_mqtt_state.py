"""One state machine behind both transports: an execution changed over HTTPS (boto3's
iot-jobs-data client) and over MQTT (paho) is the same execution, its versionNumber one
sequence whichever transport moves it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import START, error_of
from tests.service.mqtt_clients import Device

pytestmark = pytest.mark.mqtt


def https_state(data: Any) -> tuple[str, dict[str, str], int]:
    execution = data.describe_job_execution(jobId="j1", thingName="t1")["execution"]
    return execution["status"], execution.get("statusDetails", {}), execution["versionNumber"]


def test_versions_continue_across_transports_both_ways(
    make_things: Any, make_job: Any, device: Callable[..., Device], data: Any
) -> None:
    make_things("t1")
    make_job("j1", ["t1"])
    dev = device("t1")
    assert dev.accepted("start-next")["execution"]["versionNumber"] == 2
    assert https_state(data) == ("IN_PROGRESS", {}, 2)

    data.update_job_execution(
        jobId="j1",
        thingName="t1",
        status="IN_PROGRESS",
        statusDetails={"via": "https"},
        expectedVersion=2,
    )
    stale = dev.rejected("j1/update", {"status": "IN_PROGRESS", "expectedVersion": 2})
    assert stale["code"] == "VersionMismatch"
    assert stale["executionState"] == {
        "status": "IN_PROGRESS",
        "statusDetails": {"via": "https"},
        "versionNumber": 3,
    }

    moved = dev.accepted(
        "j1/update",
        {
            "status": "IN_PROGRESS",
            "statusDetails": {"via": "mqtt"},
            "expectedVersion": 3,
            "includeJobExecutionState": True,
        },
    )
    assert moved["executionState"]["versionNumber"] == 4
    assert https_state(data) == ("IN_PROGRESS", {"via": "mqtt"}, 4)
    code, message, status = error_of(
        data.update_job_execution,
        jobId="j1",
        thingName="t1",
        status="SUCCEEDED",
        expectedVersion=3,
    )
    assert (code, status) == ("InvalidStateTransitionException", 409)
    assert "4" in message

    data.update_job_execution(jobId="j1", thingName="t1", status="SUCCEEDED", expectedVersion=4)
    described = dev.accepted("j1/get")["execution"]
    assert (described["status"], described["versionNumber"]) == ("SUCCEEDED", 5)
    refused = dev.rejected("j1/update", {"status": "IN_PROGRESS"})
    assert refused["code"] == "InvalidStateTransition"
    assert refused["executionState"]["versionNumber"] == 5


def test_https_changes_notify_the_mqtt_device(
    make_things: Any, make_job: Any, device: Callable[..., Device], data: Any
) -> None:
    make_things("t1")
    dev = device("t1")
    make_job("j1", ["t1"])
    make_job("j2", ["t1"])
    assert dev.next("notify-next")["execution"]["jobId"] == "j1"
    started = data.start_next_pending_job_execution(thingName="t1")["execution"]
    assert started["jobId"] == "j1"
    # MQTT's start-next finds the execution HTTPS started: the same one, not j2.
    again = dev.accepted("start-next")["execution"]
    assert (again["jobId"], again["versionNumber"]) == ("j1", 2)
    data.update_job_execution(jobId="j1", thingName="t1", status="FAILED")
    assert dev.next("notify-next")["execution"]["jobId"] == "j2"
    dev.accepted("j2/update", {"status": "SUCCEEDED"})
    assert data.get_pending_job_executions(thingName="t1")["queuedJobs"] == []
    assert dev.next("notify-next") == {"timestamp": int(START)}
