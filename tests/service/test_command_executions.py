"""Command executions over HTTP with boto3: StartCommandExecution against the registry,
GetCommandExecution's shapes, the device's side (in-process, as MQTT's response topic will be),
the cloud's timeout on the service clock, ListCommandExecutions and DeleteCommandExecution."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from jobsnb.service.errors import (
    InvalidStateTransitionException,
    ResourceNotFoundException,
    ValidationException,
)
from tests.helpers import START, THING_ARN

T1 = THING_ARN.format("t1")
NO_RESPONSE = {"reasonCode": "$NO_RESPONSE_FROM_DEVICE"}


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(START + seconds, UTC)


def refused(excinfo: Any, code: str, status: int, *words: str) -> None:
    error = excinfo.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    for word in words:
        assert word in error["Error"]["Message"], error["Error"]["Message"]


@pytest.fixture
def reboot(make_command: Any, make_things: Any) -> str:
    """Things t1 and t2, and the static command ``reboot``; its ARN."""
    make_things("t1", "t2")
    return str(make_command("reboot"))


@pytest.fixture
def start(data: Any, reboot: str) -> Any:
    def run(target: str = T1, **kwargs: Any) -> str:
        kwargs.setdefault("commandArn", reboot)
        return str(data.start_command_execution(targetArn=target, **kwargs)["executionId"])

    return run


def get(iot: Any, execution_id: str, target: str = T1, **kwargs: Any) -> dict[str, Any]:
    answer = iot.get_command_execution(executionId=execution_id, targetArn=target, **kwargs)
    answer.pop("ResponseMetadata")
    return dict(answer)


def test_a_new_execution_is_created_with_aws_defaults(iot: Any, start: Any, reboot: str) -> None:
    execution_id = start()
    assert get(iot, execution_id) == {
        "executionId": execution_id,
        "commandArn": reboot,
        "targetArn": T1,
        "status": "CREATED",
        "executionTimeoutSeconds": 10,
        "createdAt": at(0),
        "startedAt": at(0),
        "lastUpdatedAt": at(0),
        "timeToLive": at(180 * 24 * 3600),
    }


def test_dynamic_parameters_are_resolved_and_sent_to_the_device(
    iot: Any, data: Any, make_command: Any, make_things: Any, service: Any
) -> None:
    make_things("t1")
    arn = iot.create_command(
        commandId="logs",
        payloadTemplate=json.dumps(
            {
                "lines": "${aws:iot:commandexecution::parameter:lines}",
                "label": "since ${aws:iot:commandexecution::parameter:since}",
                "timeout": "${aws:iot:commandexecution::executionTimeoutSec}",
            }
        ),
        preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
        mandatoryParameters=[
            {"name": "lines", "type": "INTEGER"},
            {"name": "since", "type": "STRING", "defaultValue": {"S": "1h"}},
        ],
    )["commandArn"]
    sent: list[Any] = []
    service.backend.on_command(sent.append)
    execution_id = data.start_command_execution(
        targetArn=T1, commandArn=arn, parameters={"lines": {"I": 50}}, executionTimeoutSeconds=90
    )["executionId"]
    assert get(iot, execution_id)["parameters"] == {"lines": {"I": 50}, "since": {"S": "1h"}}
    (request,) = sent
    assert request.topic == f"$aws/commands/things/t1/executions/{execution_id}/request/json"
    assert json.loads(request.payload) == {"lines": 50, "label": "since 1h", "timeout": 90}
    assert (request.thing_name, request.command_id, request.created_at) == ("t1", "logs", START)


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"commandArn": "arn:aws:iot:us-east-1:123456789012:command/ghost"}, 404, ["ghost"]),
        ({"targetArn": THING_ARN.format("ghost")}, 404, ["ghost"]),
        ({"targetArn": "arn:aws:iot:us-east-1:123456789012:client/c1"}, 400, ["client"]),
        ({"targetArn": "arn:aws:iot:us-east-1:123456789012:thinggroup/g"}, 400, ["thing ARN"]),
        ({"commandArn": "arn:aws:iot:eu-west-1:123456789012:command/reboot"}, 400, ["command ARN"]),
        ({"executionTimeoutSeconds": 43201}, 400, ["executionTimeoutSeconds", "43200"]),
        ({"parameters": {"delay": {"I": 1}}}, 400, ["parameters.delay"]),
        ({"parameters": {"delay": {"I": 1, "S": "x"}}}, 400, ["exactly one"]),
        ({"parameters": {"delay": {"I": 2**31}}}, 400, ["parameters.delay.I"]),
    ],
    ids=[
        "unknown-command", "unknown-thing", "client-target", "group-target", "other-region",
        "timeout", "undeclared-parameter", "two-members", "int32",
    ],
)  # fmt: skip
def test_start_refusals(
    change: dict[str, Any], code: int, words: list[str], data_unchecked: Any, reboot: str
) -> None:
    kwargs = {"targetArn": T1, "commandArn": reboot, **change}
    shape = "ResourceNotFoundException" if code == 404 else "ValidationException"
    with pytest.raises(getattr(data_unchecked.exceptions, shape)) as excinfo:
        data_unchecked.start_command_execution(**kwargs)
    refused(excinfo, shape, code, *words)


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        (None, ["parameters.lines is required"]),
        ({"lines": {"S": "many"}}, ["parameters.lines", "INTEGER"]),
    ],
    ids=["missing", "wrong-type"],
)
def test_start_checks_the_mandatory_parameters(
    parameters: Any, words: list[str], iot: Any, data: Any, make_things: Any
) -> None:
    make_things("t1")
    arn = iot.create_command(
        commandId="logs",
        payloadTemplate='{"n": "${aws:iot:commandexecution::parameter:lines}"}',
        preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
        mandatoryParameters=[{"name": "lines", "type": "INTEGER"}],
    )["commandArn"]
    kwargs = {"targetArn": T1, "commandArn": arn}
    if parameters is not None:
        kwargs["parameters"] = parameters
    with pytest.raises(data.exceptions.ValidationException) as excinfo:
        data.start_command_execution(**kwargs)
    refused(excinfo, "ValidationException", 400, *words)


def test_a_deprecated_command_starts_nothing_until_restored(
    iot: Any, data: Any, start: Any
) -> None:
    iot.update_command(commandId="reboot", deprecated=True)
    with pytest.raises(data.exceptions.ValidationException) as excinfo:
        start()
    refused(excinfo, "ValidationException", 400, "deprecated")
    iot.update_command(commandId="reboot", deprecated=False)
    assert start()


def test_the_device_reports_progress_then_success_with_a_result(
    iot: Any, start: Any, service: Any, clock: Any
) -> None:
    execution_id, backend = start(executionTimeoutSeconds=60), service.backend
    clock.advance(5)
    backend.update_command_execution("t1", execution_id, "IN_PROGRESS")
    clock.advance(5)
    backend.update_command_execution(
        "t1", execution_id, "IN_PROGRESS", result={"step": {"s": "downloading"}}
    )
    assert get(iot, execution_id)["status"] == "IN_PROGRESS"
    assert "completedAt" not in get(iot, execution_id)
    clock.advance(5)
    backend.update_command_execution(
        "t1",
        execution_id,
        "SUCCEEDED",
        status_reason={"reasonCode": "DONE", "reasonDescription": "rebooted"},
        result={"uptime": {"s": "3 s"}, "clean": {"b": True}, "log": {"bin": "AAE="}},
    )
    done = get(iot, execution_id, includeResult=True)
    assert done["status"] == "SUCCEEDED"
    assert done["statusReason"] == {"reasonCode": "DONE", "reasonDescription": "rebooted"}
    assert done["result"] == {"uptime": {"S": "3 s"}, "clean": {"B": True}, "log": {"BIN": b"\0\1"}}
    assert (done["lastUpdatedAt"], done["completedAt"]) == (at(15), at(15))
    assert "result" not in get(iot, execution_id)
    clock.advance(60)  # the timer of a finished execution does nothing
    assert get(iot, execution_id)["status"] == "SUCCEEDED"
    with pytest.raises(InvalidStateTransitionException, match="final"):
        backend.update_command_execution("t1", execution_id, "FAILED")


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"thing_name": "t2"}, ResourceNotFoundException, ["t2"]),
        ({"status": "CREATED"}, ValidationException, ["status"]),
        ({"status_reason": {"reasonCode": "lower"}}, ValidationException, ["reasonCode"]),
        ({"status_reason": {"reasonDescription": "x"}}, ValidationException, ["reasonCode"]),
        ({"result": {}}, ValidationException, ["at least one"]),
        ({"result": {"k": {"S": "x"}}}, ValidationException, ["lowercase"]),
        ({"result": {"bad name": {"s": "x"}}}, ValidationException, ["result name"]),
    ],
    ids=["other-thing", "created", "reason-code", "no-code", "empty-result", "upper", "name"],
)
def test_device_report_refusals(
    kwargs: dict[str, Any], error: type[Exception], words: list[str], start: Any, service: Any
) -> None:
    arguments = {"thing_name": "t1", "execution_id": start(), "status": "SUCCEEDED", **kwargs}
    with pytest.raises(error) as excinfo:
        service.backend.update_command_execution(**arguments)
    for word in words:
        assert word in str(excinfo.value)


def test_the_cloud_times_out_at_exactly_the_timeout(iot: Any, start: Any, service: Any) -> None:
    execution_id = start(executionTimeoutSeconds=30)
    assert service.backend.next_due() == START + 30
    service.advance(29)
    assert get(iot, execution_id)["status"] == "CREATED"
    service.advance(1)
    timed_out = get(iot, execution_id)
    assert (timed_out["status"], timed_out["statusReason"]) == ("TIMED_OUT", NO_RESPONSE)
    assert (timed_out["lastUpdatedAt"], "completedAt" in timed_out) == (at(30), False)
    assert service.backend.next_due() is None
    service.advance(1)
    assert get(iot, execution_id)["lastUpdatedAt"] == at(30)


def test_a_device_report_after_the_clouds_timeout_is_accepted(
    iot: Any, start: Any, service: Any
) -> None:
    execution_id = start()
    service.advance(11)
    with pytest.raises(InvalidStateTransitionException, match="timed out"):
        service.backend.update_command_execution("t1", execution_id, "IN_PROGRESS")
    service.backend.update_command_execution("t1", execution_id, "SUCCEEDED")
    late = get(iot, execution_id)
    assert (late["status"], late["completedAt"], "statusReason" in late) == (
        "SUCCEEDED",
        at(11),
        False,
    )


def test_a_device_timeout_after_the_clouds_keeps_the_status_and_is_final(
    iot: Any, start: Any, service: Any
) -> None:
    execution_id, backend = start(), service.backend
    service.advance(10)
    backend.update_command_execution(
        "t1", execution_id, "TIMED_OUT", status_reason={"reasonCode": "DEVICE_TIMEOUT"}
    )
    final = get(iot, execution_id)
    assert (final["status"], final["statusReason"], final["completedAt"]) == (
        "TIMED_OUT",
        {"reasonCode": "DEVICE_TIMEOUT"},
        at(10),
    )
    with pytest.raises(InvalidStateTransitionException):
        backend.update_command_execution("t1", execution_id, "SUCCEEDED")


def test_a_timeout_the_device_reports_is_final(iot: Any, start: Any, service: Any) -> None:
    execution_id = start(executionTimeoutSeconds=100)
    service.backend.update_command_execution("t1", execution_id, "TIMED_OUT")
    service.advance(200)
    assert get(iot, execution_id)["completedAt"] == at(0)
    with pytest.raises(InvalidStateTransitionException):
        service.backend.update_command_execution("t1", execution_id, "SUCCEEDED")


def test_get_refuses_another_target_and_unknown_ids(
    iot: Any, iot_unchecked: Any, start: Any
) -> None:
    execution_id = start()
    for execution, target in ((execution_id, THING_ARN.format("t2")), ("nope", T1)):
        with pytest.raises(iot.exceptions.ResourceNotFoundException):
            iot.get_command_execution(executionId=execution, targetArn=target)
    with pytest.raises(iot_unchecked.exceptions.ValidationException) as excinfo:
        iot_unchecked.get_command_execution(executionId="a b", targetArn=T1)
    refused(excinfo, "ValidationException", 400, "executionId")


def test_delete_only_final_executions(iot: Any, start: Any, service: Any) -> None:
    execution_id = start()
    for advance in (0, 10):  # CREATED, then the cloud's TIMED_OUT: neither is final
        service.advance(advance)
        with pytest.raises(iot.exceptions.ConflictException) as excinfo:
            iot.delete_command_execution(executionId=execution_id, targetArn=T1)
        refused(excinfo, "ConflictException", 409, "not final")
    service.backend.update_command_execution("t1", execution_id, "FAILED")
    iot.delete_command_execution(executionId=execution_id, targetArn=T1)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        get(iot, execution_id)
    assert iot.list_command_executions(targetArn=T1)["commandExecutions"] == []
    iot.delete_command_execution(executionId=execution_id, targetArn=T1)  # gone: success


def test_value_conditions_are_checked_on_the_resolved_value(
    iot: Any, data: Any, make_things: Any
) -> None:
    make_things("t1")
    arn = iot.create_command(
        commandId="thermostat",
        payloadTemplate=json.dumps(
            {
                "t": "${aws:iot:commandexecution::parameter:temperature}",
                "mode": "${aws:iot:commandexecution::parameter:mode}",
            }
        ),
        preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
        mandatoryParameters=[
            {
                "name": "temperature",
                "type": "INTEGER",
                "defaultValue": {"I": 72},
                "valueConditions": [
                    {
                        "comparisonOperator": "IN_RANGE",
                        "operand": {"numberRange": {"min": "60", "max": "80"}},
                    }
                ],
            },
            {
                "name": "mode",
                "type": "STRING",
                "defaultValue": {"S": "ON"},
                "valueConditions": [
                    {"comparisonOperator": "IN_SET", "operand": {"strings": ["ON", "OFF"]}}
                ],
            },
        ],
    )["commandArn"]
    for parameters in ({}, {"temperature": {"I": 80}, "mode": {"S": "OFF"}}):
        kwargs = {"parameters": parameters} if parameters else {}
        assert data.start_command_execution(targetArn=T1, commandArn=arn, **kwargs)
    for parameters, words in (
        ({"temperature": {"I": 81}}, ["parameters.temperature", "IN_RANGE 60 to 80"]),
        ({"mode": {"S": "DIM"}}, ["parameters.mode", "IN_SET ON, OFF"]),
    ):
        with pytest.raises(data.exceptions.ValidationException) as excinfo:
            data.start_command_execution(targetArn=T1, commandArn=arn, parameters=parameters)
        refused(excinfo, "ValidationException", 400, "valueConditions", *words)
