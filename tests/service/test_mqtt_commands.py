"""AWS IoT Commands over MQTT: the request a device receives per content type, its response
seen by boto3's GetCommandExecution, and the service's rejected answers (paho devices)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from jobsnb.service import LocalJobsService
from tests.helpers import running_mosquitto
from tests.service.mqtt_clients import WAIT, Device

pytestmark = pytest.mark.mqtt

THING_ARN = "arn:aws:iot:us-east-1:123456789012:thing/{}"
_OUTCOMES = ("accepted", "rejected")


def commands_topic(thing: str, *levels: str) -> str:
    return "/".join(("$aws/commands/things", thing, "executions", *levels))


def commander(port: int, thing: str) -> Device:
    """A device subscribed to its commands' requests and the answers to its responses."""
    return Device(port, thing, subscribe=(commands_topic(thing, "#"),))


def respond(dev: Device, execution_id: str, body: dict[str, Any] | bytes) -> tuple[str, Any]:
    """Publish a response; return ("accepted" | "rejected", the decoded answer)."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    dev.publish(commands_topic(dev.thing, execution_id, "response", "json"), payload)
    return answer(dev, execution_id)


def answer(dev: Device, execution_id: str) -> tuple[str, Any]:
    """The answer to the device's last response on ``execution_id``."""
    topic, payload = dev.first_of(
        *(commands_topic(dev.thing, execution_id, "response", o, "json") for o in _OUTCOMES)
    )
    return topic.split("/")[-2], json.loads(payload)


def start(data: Any, thing: str, command_arn: str, **kwargs: Any) -> str:
    started = data.start_command_execution(
        targetArn=THING_ARN.format(thing), commandArn=command_arn, **kwargs
    )
    return str(started["executionId"])


@pytest.fixture
def dev(service: LocalJobsService, make_things: Any) -> Any:
    make_things("t1", "t2")
    assert service.mqtt is not None
    made = commander(service.mqtt.port, "t1")
    yield made
    made.close()


@pytest.mark.parametrize(
    ("content_type", "suffix"),
    [
        ("application/json", ("json",)),
        ("application/cbor", ("cbor",)),
        ("text/plain", ()),
        (None, ()),
    ],
)
def test_the_request_topic_names_the_payload_format(
    dev: Device, iot: Any, data: Any, content_type: str | None, suffix: tuple[str, ...]
) -> None:
    payload: dict[str, Any] = {"content": b"\xa1\x62op\x66reboot"}
    if content_type is not None:
        payload["contentType"] = content_type
    arn = iot.create_command(commandId="reboot", payload=payload)["commandArn"]
    execution_id = start(data, "t1", arn)
    assert (
        dev.raw(commands_topic("t1", execution_id, "request", *suffix)) == b"\xa1\x62op\x66reboot"
    )
    assert dev.topics() == {}  # one request, on that topic alone


def test_a_dynamic_command_arrives_rendered_on_the_json_topic(
    dev: Device, make_command: Any, data: Any
) -> None:
    arn = make_command("set-rate", parameters=("rate",))
    execution_id = start(data, "t1", arn, parameters={"rate": {"L": 5}})
    assert json.loads(dev.raw(commands_topic("t1", execution_id, "request", "json"))) == {"rate": 5}


def test_requests_without_a_subscriber_are_not_sent(
    service: LocalJobsService, dev: Device, make_command: Any, data: Any
) -> None:
    assert service.mqtt is not None
    arn = make_command()
    start(data, "t2", arn)  # nobody listens to t2's commands
    execution_id = start(data, "t1", arn)
    dev.raw(commands_topic("t1", execution_id, "request", "json"))
    assert service.mqtt.notifications_sent["commands"] == 1


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED", "REJECTED"])
def test_a_devices_response_is_what_get_command_execution_shows(
    dev: Device, make_command: Any, data: Any, iot: Any, clock: Any, status: str
) -> None:
    execution_id = start(data, "t1", make_command())
    dev.raw(commands_topic("t1", execution_id, "request", "json"))
    clock.advance(3)
    outcome, accepted = respond(dev, execution_id, {"status": "IN_PROGRESS"})
    assert (outcome, accepted) == (
        "accepted",
        {"executionId": execution_id, "status": "IN_PROGRESS", "timestamp": 1_700_000_003},
    )
    clock.advance(2)
    body = {
        "status": status,
        "statusReason": {"reasonCode": "E_42", "reasonDescription": "why"},
        "result": {"uptime": {"s": "41 days"}, "clean": {"b": True}, "blob": {"bin": "AAE="}},
    }
    assert respond(dev, execution_id, body)[1]["status"] == status
    got = iot.get_command_execution(
        executionId=execution_id, targetArn=THING_ARN.format("t1"), includeResult=True
    )
    assert got["status"] == status
    assert got["statusReason"] == {"reasonCode": "E_42", "reasonDescription": "why"}
    assert got["result"] == {
        "uptime": {"S": "41 days"},
        "clean": {"B": True},
        "blob": {"BIN": b"\x00\x01"},
    }
    assert got["completedAt"].timestamp() == 1_700_000_005


def test_a_response_after_the_clouds_timeout_is_taken(
    dev: Device, make_command: Any, data: Any, iot: Any, clock: Any
) -> None:
    execution_id = start(data, "t1", make_command(), executionTimeoutSeconds=5)
    clock.advance(6)
    assert respond(dev, execution_id, {"status": "SUCCEEDED"})[1]["status"] == "SUCCEEDED"
    got = iot.get_command_execution(executionId=execution_id, targetArn=THING_ARN.format("t1"))
    assert got["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("body", "error", "names"),
    [
        (b"{not json", "InvalidJson", "not accepted"),
        (b"[1]", "InvalidJson", "JSON object"),
        ({}, "InvalidRequest", "status is required"),
        ({"status": 3}, "InvalidRequest", "status is required"),
        ({"status": "DONE"}, "InvalidRequest", "status must be one of"),
        ({"status": "CREATED"}, "InvalidRequest", "status must be one of"),
        ({"status": "FAILED", "statusReason": "x"}, "InvalidRequest", "statusReason must be"),
        (
            {"status": "FAILED", "statusReason": {"reasonCode": "bad code"}},
            "InvalidRequest",
            "reasonCode",
        ),
        ({"status": "SUCCEEDED", "result": {"n": {"s": 5}}}, "InvalidRequest", "result.n"),
        ({"status": "SUCCEEDED", "result": {"n": {"S": "x"}}}, "InvalidRequest", "lowercase"),
        ({"status": "SUCCEEDED", "result": []}, "InvalidRequest", "result must have"),
        ({"status": "SUCCEEDED", "reason": "x"}, "InvalidRequest", "unknown member 'reason'"),
    ],
)
def test_a_malformed_response_is_rejected_naming_the_rule(
    dev: Device, make_command: Any, data: Any, iot: Any, body: Any, error: str, names: str
) -> None:
    execution_id = start(data, "t1", make_command())
    outcome, rejected = respond(dev, execution_id, body)
    assert outcome == "rejected"
    assert (rejected["error"], rejected["executionId"]) == (error, execution_id)
    assert names in rejected["errorMessage"]
    assert rejected["timestamp"] == 1_700_000_000
    got = iot.get_command_execution(executionId=execution_id, targetArn=THING_ARN.format("t1"))
    assert got["status"] == "CREATED"


def test_unknown_and_final_executions_are_rejected(
    service: LocalJobsService, dev: Device, make_command: Any, data: Any
) -> None:
    assert service.mqtt is not None
    outcome, rejected = respond(dev, "no-such-execution", {"status": "SUCCEEDED"})
    assert (outcome, rejected["error"]) == ("rejected", "ResourceNotFound")
    other = start(data, "t2", make_command())  # t2's execution, answered by t1
    assert respond(dev, other, {"status": "SUCCEEDED"})[1]["error"] == "ResourceNotFound"
    execution_id = start(data, "t1", "arn:aws:iot:us-east-1:123456789012:command/reboot")
    assert respond(dev, execution_id, {"status": "FAILED"})[0] == "accepted"
    outcome, rejected = respond(dev, execution_id, {"status": "SUCCEEDED"})
    assert (outcome, rejected["error"]) == ("rejected", "InvalidStateTransition")
    assert "is final (FAILED)" in rejected["errorMessage"]
    assert service.mqtt.broker.commands.counts == {"accepted": 1, "rejected": 3}


def test_in_progress_after_the_clouds_timeout_is_rejected(
    dev: Device, make_command: Any, data: Any, clock: Any
) -> None:
    execution_id = start(data, "t1", make_command(), executionTimeoutSeconds=1)
    clock.advance(2)
    outcome, rejected = respond(dev, execution_id, {"status": "IN_PROGRESS"})
    assert (outcome, rejected["error"]) == ("rejected", "InvalidStateTransition")


def test_a_cbor_response_is_rejected_naming_the_json_topic(
    dev: Device, make_command: Any, data: Any
) -> None:
    execution_id = start(data, "t1", make_command())
    dev.publish(commands_topic("t1", execution_id, "response", "cbor"), b"\xa1\x66status")
    outcome, rejected = answer(dev, execution_id)
    assert (outcome, rejected["error"]) == ("rejected", "InvalidRequest")
    assert rejected["errorMessage"].startswith("The local service reads command responses in JSON")
    assert f"{execution_id}/response/json" in rejected["errorMessage"]


def test_the_answer_goes_to_the_responding_client_alone(
    service: LocalJobsService, dev: Device, make_command: Any, data: Any
) -> None:
    assert service.mqtt is not None
    watcher = Device(service.mqtt.port, "watcher", subscribe=(commands_topic("t1", "#"),))
    try:
        execution_id = start(data, "t1", make_command())
        watcher.raw(commands_topic("t1", execution_id, "request", "json"))  # requests broadcast
        assert respond(dev, execution_id, {"status": "SUCCEEDED"})[0] == "accepted"
        # The watcher's next message is the next request: it never saw t1's answer.
        second = start(data, "t1", "arn:aws:iot:us-east-1:123456789012:command/reboot")
        watcher.raw(commands_topic("t1", second, "request", "json"))
        assert [topic for topic, _ in watcher.received] == [
            commands_topic("t1", execution_id, "request", "json"),
            commands_topic("t1", second, "request", "json"),
        ]
    finally:
        watcher.close()


@pytest.mark.parametrize(
    "levels",
    [
        ("x", "request", "json"),
        ("x", "response", "accepted", "json"),
        ("x", "response", "rejected", "json"),
        ("x", "response", "json", "extra"),
    ],
)
def test_publishing_on_the_services_commands_topics_closes_the_connection(
    service: LocalJobsService, dev: Device, levels: tuple[str, ...]
) -> None:
    assert service.mqtt is not None
    dev.publish(commands_topic("t1", *levels), b"{}")
    assert dev.closed.wait(WAIT)
    assert service.mqtt.broker.refused[-1].endswith(
        f"may not publish on {commands_topic('t1', *levels)}"
    )


# ----------------------------------------------------------------- mutual TLS
def _issue(iot: Any, service: LocalJobsService, tmp_path: Path, thing: str) -> tuple[str, str, str]:
    assert service.mqtt is not None
    credentials = iot.create_keys_and_certificate(setAsActive=True)
    iot.attach_thing_principal(thingName=thing, principal=credentials["certificateArn"])
    cert, key = tmp_path / f"{thing}.pem", tmp_path / f"{thing}.key"
    cert.write_text(credentials["certificatePem"])
    key.write_text(credentials["keyPair"]["PrivateKey"])
    return str(service.mqtt.ca_file), str(cert), str(key)


@pytest.mark.mqtt(mqtt_tls_port=0)
def test_over_tls_a_device_answers_its_own_commands_only(
    service: LocalJobsService,
    iot: Any,
    data: Any,
    make_things: Any,
    make_command: Any,
    device: Callable[..., Device],
    tmp_path: Path,
) -> None:
    make_things("t1", "t2")
    mine = device(
        "t1", tls=_issue(iot, service, tmp_path, "t1"), subscribe=(commands_topic("t1", "#"),)
    )
    assert not mine.subscribe(commands_topic("t2", "#"))
    arn = make_command()
    own = start(data, "t1", arn)
    mine.raw(commands_topic("t1", own, "request", "json"))
    assert respond(mine, own, {"status": "SUCCEEDED"})[0] == "accepted"
    theirs = start(data, "t2", arn)
    mine.publish(commands_topic("t2", theirs, "response", "json"), b'{"status": "SUCCEEDED"}')
    assert mine.closed.wait(WAIT)
    assert service.mqtt is not None
    refused = commands_topic("t2", theirs, "response", "json")
    assert service.mqtt.broker.refused[-1] == f"client 't1' refused: may not publish on {refused}"
    got = iot.get_command_execution(executionId=theirs, targetArn=THING_ARN.format("t2"))
    assert got["status"] == "CREATED"


# ----------------------------------------------------------------- a team's Mosquitto
def test_commands_run_through_an_attached_mosquitto(tmp_path: Path) -> None:
    with running_mosquitto(tmp_path) as url, LocalJobsService(mqtt=url) as service:
        assert service.mqtt is not None
        clients = {
            name: boto3.client(
                name,
                endpoint_url=service.url,
                region_name="us-east-1",
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )
            for name in ("iot", "iot-jobs-data")
        }
        clients["iot"].create_thing(thingName="dev-1")
        arn = clients["iot"].create_command(
            commandId="reboot", payload={"content": b'{"op":1}', "contentType": "application/json"}
        )["commandArn"]
        dev = commander(service.mqtt.port, "dev-1")
        try:
            execution_id = start(clients["iot-jobs-data"], "dev-1", arn)
            assert dev.raw(commands_topic("dev-1", execution_id, "request", "json")) == b'{"op":1}'
            assert respond(dev, execution_id, {"status": "SUCCEEDED"})[0] == "accepted"
            assert respond(dev, execution_id, {"status": "FAILED"})[1]["error"] == (
                "InvalidStateTransition"
            )
        finally:
            dev.close()
        got = clients["iot"].get_command_execution(
            executionId=execution_id, targetArn=THING_ARN.format("dev-1")
        )
        assert got["status"] == "SUCCEEDED"
