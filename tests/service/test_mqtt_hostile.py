"""Hostile bytes over MQTT: each bad request is answered on ``/rejected`` with AWS's code and a
message naming the field and the rule; a publish AWS's broker would refuse closes the
connection and ``broker.refused`` says why. After each, the service keeps serving others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.service.mqtt_clients import WAIT, Device, jobs_topic

pytestmark = pytest.mark.mqtt


@pytest.fixture
def devices(
    make_things: Any, make_job: Any, device: Callable[..., Device]
) -> tuple[Device, Device]:
    """t1 (the hostile one) with job j1 started, and t2 (a bystander) with job j2 queued."""
    make_things("t1", "t2")
    make_job("j1", ["t1"])
    make_job("j2", ["t2"])
    hostile, bystander = device("t1"), device("t2")
    hostile.accepted("start-next")
    return hostile, bystander


def still_served(bystander: Device) -> None:
    answer = bystander.accepted("get", {"clientToken": "still-here"})
    assert [job["jobId"] for job in answer["queuedJobs"]] == ["j2"]


@pytest.mark.parametrize(
    ("levels", "payload", "code", "words"),
    [
        ("get", b"not json", "InvalidJson", ["not valid JSON"]),
        ("get", b"[1, 2]", "InvalidJson", ["JSON object"]),
        ("start-next", b'{"clientToken": "\xff\xfe"}', "InvalidJson", ["UTF-8"]),
        ("get", b"[" * 5000 + b"]" * 5000, "InvalidJson", ["nest", "64"]),
        ("j1/get", b'{"a":' * 100 + b"1" + b"}" * 100, "InvalidJson", ["nest", "64"]),
        ("j1/update", b'{"status": NaN}', "InvalidJson", ["NaN"]),
        ("j1/update", {"status": 5}, "InvalidRequest", ["status", "string"]),
        ("j1/update", {"status": "DONE"}, "InvalidRequest", ["status", "IN_PROGRESS"]),
        ("j1/update", {}, "InvalidRequest", ["status", "required"]),
        (
            "j1/update",
            {"status": "IN_PROGRESS", "statusDetails": {"a": 1}},
            "InvalidRequest",
            ["statusDetails"],
        ),
        (
            "j1/update",
            {"status": "IN_PROGRESS", "statusDetails": {"big": "x" * 100_000}},
            "InvalidRequest",
            ["statusDetails", "1024"],
        ),
        (
            "j1/update",
            {"status": "IN_PROGRESS", "expectedVersion": "2"},
            "InvalidRequest",
            ["expectedVersion", "integer"],
        ),
        (
            "j1/update",
            {"status": "IN_PROGRESS", "includeJobDocument": "yes"},
            "InvalidRequest",
            ["includeJobDocument", "boolean"],
        ),
        (
            "start-next",
            {"stepTimeoutInMinutes": "ten"},
            "InvalidRequest",
            ["stepTimeoutInMinutes", "integer"],
        ),
        ("j1/get", {"executionNumber": True}, "InvalidRequest", ["executionNumber", "integer"]),
        ("get", {"clientToken": 5}, "InvalidRequest", ["clientToken", "string"]),
        ("get", {"clientToken": "x" * 65}, "InvalidRequest", ["clientToken", "64"]),
        ("frob", {}, "InvalidTopic", ["frob"]),
        ("j1/delete", {}, "InvalidTopic", ["j1/delete"]),
        ("j1/get/more", {}, "InvalidTopic", ["j1/get/more"]),
        ("$next/update", {"status": "SUCCEEDED"}, "InvalidRequest", ["$next"]),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_bad_request_is_rejected_naming_the_field(
    devices: tuple[Device, Device],
    levels: str,
    payload: dict[str, Any] | bytes,
    code: str,
    words: list[str],
) -> None:
    hostile, bystander = devices
    answer = hostile.rejected(levels, payload)
    assert answer["code"] == code, answer
    for word in words:
        assert word in answer["message"], (word, answer["message"])
    assert not hostile.closed.is_set()
    still_served(bystander)
    assert hostile.accepted("j1/get")["execution"]["versionNumber"] == 2


def test_rejected_token_is_echoed_but_not_a_bad_one(devices: tuple[Device, Device]) -> None:
    hostile, _ = devices
    assert hostile.rejected("j1/update", {"status": 1, "clientToken": "ok"})["clientToken"] == "ok"
    assert "clientToken" not in hostile.rejected("get", {"clientToken": ["a"]})


@pytest.mark.parametrize(
    "topic",
    [
        jobs_topic("t1", "notify"),
        jobs_topic("t1", "notify-next"),
        jobs_topic("t1", "get", "accepted"),
        jobs_topic("t1", "j1", "update", "rejected"),
        jobs_topic("t2", "notify-next"),
        "$aws/events/job/j1/completed",
    ],
)
def test_publish_on_a_reserved_topic_closes_the_connection(
    devices: tuple[Device, Device], service: Any, topic: str
) -> None:
    hostile, bystander = devices
    hostile.publish(topic, b'{"timestamp": 1, "jobs": {}}')
    assert hostile.closed.wait(WAIT)
    assert service.mqtt.broker.refused == [f"client 't1' refused: may not publish on {topic}"]
    still_served(bystander)
    # The bystander heard nothing forged.
    assert bystander.unread("notify-next") == []
    assert bystander.unread("notify") == []


def test_payload_over_aws_size_limit_closes_the_connection(
    devices: tuple[Device, Device], service: Any
) -> None:
    hostile, bystander = devices
    hostile.publish(jobs_topic("t1", "get"), b'{"pad": "' + b"x" * (128 * 1024) + b'"}')
    assert hostile.closed.wait(WAIT)
    [refusal] = service.mqtt.broker.refused
    assert "128 KB" in refusal
    still_served(bystander)


def test_payload_at_aws_size_limit_is_answered(devices: tuple[Device, Device]) -> None:
    hostile, _ = devices
    padding = 128 * 1024 - len(b'{"pad": ""}')
    answer = hostile.accepted("get", b'{"pad": "' + b"x" * padding + b'"}')
    assert [job["jobId"] for job in answer["inProgressJobs"]] == ["j1"]
