"""The command registry over HTTP with boto3: CreateCommand, GetCommand, ListCommands,
UpdateCommand and DeleteCommand, their shapes, paging, filters and refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import START, THING_ARN

ARN = "arn:aws:iot:us-east-1:123456789012:command/{}"
TEMPLATE = '{"lines": "${aws:iot:commandexecution::parameter:lines}"}'
DYNAMIC = {
    "payloadTemplate": TEMPLATE,
    "preprocessor": {"awsJsonSubstitution": {"outputFormat": "JSON"}},
    "mandatoryParameters": [{"name": "lines", "type": "INTEGER", "defaultValue": {"I": 10}}],
}
HALF_DAY = 12 * 3600


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(START + seconds, UTC)


def refused(excinfo: Any, code: str, status: int, *words: str) -> None:
    error = excinfo.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    for word in words:
        assert word in error["Error"]["Message"], error["Error"]["Message"]


def test_create_and_get_a_static_command(iot: Any) -> None:
    created = iot.create_command(
        commandId="reboot",
        namespace="AWS-IoT",
        displayName="Reboot",
        description="Restart now",
        payload={"content": b'{"op": "reboot"}', "contentType": "application/json"},
    )
    assert {k: v for k, v in created.items() if k != "ResponseMetadata"} == {
        "commandId": "reboot",
        "commandArn": ARN.format("reboot"),
    }
    got = iot.get_command(commandId="reboot")
    got.pop("ResponseMetadata")
    assert got == {
        "commandId": "reboot",
        "commandArn": ARN.format("reboot"),
        "namespace": "AWS-IoT",
        "displayName": "Reboot",
        "description": "Restart now",
        "payload": {"content": b'{"op": "reboot"}', "contentType": "application/json"},
        "createdAt": at(0),
        "lastUpdatedAt": at(0),
        "deprecated": False,
        "pendingDeletion": False,
    }


def test_create_and_get_a_dynamic_command(iot: Any) -> None:
    iot.create_command(commandId="logs", **DYNAMIC)
    got = iot.get_command(commandId="logs")
    assert got["payloadTemplate"] == TEMPLATE
    assert got["preprocessor"] == DYNAMIC["preprocessor"]
    assert got["mandatoryParameters"] == DYNAMIC["mandatoryParameters"]
    assert "payload" not in got


def test_a_command_id_in_use_is_a_conflict_naming_it(iot: Any, make_command: Any) -> None:
    make_command("reboot")
    with pytest.raises(iot.exceptions.ConflictException) as excinfo:
        make_command("reboot")
    refused(excinfo, "ConflictException", 409, "reboot")
    assert excinfo.value.response["resourceId"] == "reboot"


def test_an_unknown_command_is_not_found(iot: Any) -> None:
    with pytest.raises(iot.exceptions.ResourceNotFoundException) as excinfo:
        iot.get_command(commandId="ghost")
    refused(excinfo, "ResourceNotFoundException", 404, "ghost")


STATIC = {"payload": {"content": b"{}"}}


def _conditions(kind: str | None, operator: str, operand: dict[str, Any]) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": "lines"}
    if kind is not None:
        parameter["type"] = kind
    parameter["valueConditions"] = [{"comparisonOperator": operator, "operand": operand}]
    return {**DYNAMIC, "mandatoryParameters": [parameter]}


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"namespace": "AWS-IoT-FleetWise", **STATIC}, ["does not support", "FleetWise"]),
        ({"roleArn": "arn:aws:iam::123456789012:role/r", **STATIC}, ["roleArn"]),
        ({"tags": [{"Key": "k", "Value": "v"}], **STATIC}, ["does not support tags"]),
        ({}, ["payload", "payloadTemplate"]),
        ({**STATIC, **DYNAMIC}, ["Exactly one of payload and payloadTemplate"]),
        ({"payload": {"content": b"x" * (32 * 1024 + 1)}}, ["payload.content", "32768"]),
        ({"payload": {"content": b"{}", "contentType": "json"}}, ["payload.contentType"]),
        ({**STATIC, "mandatoryParameters": [{"name": "x"}]}, ["mandatoryParameters"]),
        ({**DYNAMIC, "payloadTemplate": "{not json"}, ["payloadTemplate", "JSON"]),
        ({**DYNAMIC, "payloadTemplate": '{"a": 1}'}, ["placeholder"]),
        ({**DYNAMIC, "preprocessor": None}, ["preprocessor is required"]),
        (
            {**DYNAMIC, "preprocessor": {"awsJsonSubstitution": {"outputFormat": "CBOR"}}},
            ["does not support", "CBOR"],
        ),
        ({**DYNAMIC, "mandatoryParameters": None}, ["mandatoryParameters is required"]),
        ({**DYNAMIC, "mandatoryParameters": [{"name": "other"}]}, ["'lines'", "placeholder"]),
        (
            {**DYNAMIC, "mandatoryParameters": [{"name": "lines"}, {"name": "lines"}]},
            ["declared twice"],
        ),
        (
            {
                **DYNAMIC,
                "mandatoryParameters": [
                    {"name": "lines", "type": "INTEGER", "defaultValue": {"S": "ten"}}
                ],
            },
            ["defaultValue", "INTEGER"],
        ),
        (_conditions(None, "EQUALS", {"number": "1"}), ["valueConditions", "type"]),
        (_conditions("BOOLEAN", "EQUALS", {"number": "1"}), ["valueConditions", "type"]),
        (_conditions("STRING", "LESS_THAN", {"string": "a"}), ["comparisonOperator"]),
        (_conditions("INTEGER", "EQUALS", {"number": "ten"}), ["operand.number"]),
        (
            _conditions("INTEGER", "IN_RANGE", {"numberRange": {"min": "9", "max": "1"}}),
            ["numberRange.min"],
        ),
        (_conditions("STRING", "IN_SET", {"strings": ["a"] * 11}), ["operand.strings", "10"]),
        ({**DYNAMIC, "mandatoryParameters": [{"name": "lines", "value": {"I": 1}}]}, ["value"]),
        ({**STATIC, "displayName": "d" * 65}, ["displayName", "64"]),
        ({**STATIC, "description": "line\nbreak"}, ["description", "control"]),
    ],
    ids=[
        "fleetwise",
        "role-arn",
        "tags",
        "no-payload",
        "both-payloads",
        "payload-size",
        "content-type",
        "parameters-with-payload",
        "template-not-json",
        "template-no-placeholder",
        "no-preprocessor",
        "cbor",
        "no-parameters",
        "undeclared-placeholder",
        "duplicate-name",
        "default-type",
        "conditions-untyped",
        "conditions-boolean",
        "string-operator",
        "operand-number",
        "range-order",
        "set-size",
        "value",
        "display-name",
        "description",
    ],
)
def test_create_refusals_name_the_field(
    kwargs: dict[str, Any], words: list[str], iot_unchecked: Any
) -> None:
    arguments = {k: v for k, v in kwargs.items() if v is not None}
    with pytest.raises(iot_unchecked.exceptions.ValidationException) as excinfo:
        iot_unchecked.create_command(commandId="c1", **arguments)
    refused(excinfo, "ValidationException", 400, *words)
    with pytest.raises(iot_unchecked.exceptions.ResourceNotFoundException):
        iot_unchecked.get_command(commandId="c1")


def test_a_malformed_command_id_is_refused(iot_unchecked: Any) -> None:
    with pytest.raises(iot_unchecked.exceptions.ValidationException) as excinfo:
        iot_unchecked.create_command(commandId="no spaces", payload={"content": b"{}"})
    refused(excinfo, "ValidationException", 400, "commandId")


def _ids(page: dict[str, Any]) -> list[str]:
    return [command["commandId"] for command in page["commands"]]


def test_list_commands_newest_first_paged_and_ascending(
    iot: Any, make_command: Any, clock: Any
) -> None:
    for name in ("c1", "c2", "c3", "c4", "c5"):
        make_command(name)
        clock.advance(1)
    assert _ids(iot.list_commands()) == ["c5", "c4", "c3", "c2", "c1"]
    assert _ids(iot.list_commands(sortOrder="ASCENDING")) == ["c1", "c2", "c3", "c4", "c5"]
    first = iot.list_commands(maxResults=2)
    second = iot.list_commands(maxResults=2, nextToken=first["nextToken"])
    make_command("c6")  # a command created meanwhile shifts no page handed out
    third = iot.list_commands(maxResults=2, nextToken=second["nextToken"])
    assert (_ids(first), _ids(second), _ids(third)) == (["c5", "c4"], ["c3", "c2"], ["c1"])
    assert "nextToken" not in third
    summary = iot.list_commands(sortOrder="ASCENDING", maxResults=1)["commands"][0]
    assert set(summary) == {
        "commandArn", "commandId", "deprecated", "createdAt", "lastUpdatedAt", "pendingDeletion"
    }  # fmt: skip
    pages = iot.get_paginator("list_commands").paginate(PaginationConfig={"PageSize": 4})
    assert [c for page in pages for c in _ids(page)] == ["c6", "c5", "c4", "c3", "c2", "c1"]


def test_list_commands_filters(iot: Any, make_command: Any) -> None:
    make_command("static")
    iot.create_command(commandId="logs", **DYNAMIC)
    assert _ids(iot.list_commands(commandParameterName="lines")) == ["logs"]
    assert _ids(iot.list_commands(namespace="AWS-IoT")) == ["logs", "static"]
    assert _ids(iot.list_commands(namespace="AWS-IoT-FleetWise")) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"maxResults": 0}, {"maxResults": 101}, {"sortOrder": "SIDEWAYS"}, {"nextToken": "bogus"}],
    ids=["zero", "over-100", "sort-order", "token"],
)
def test_list_commands_refusals(kwargs: dict[str, Any], iot_unchecked: Any) -> None:
    with pytest.raises(iot_unchecked.exceptions.ValidationException) as excinfo:
        iot_unchecked.list_commands(**kwargs)
    refused(excinfo, "ValidationException", 400, next(iter(kwargs)))


def test_update_command_edits_deprecates_and_restores(
    iot: Any, make_command: Any, clock: Any
) -> None:
    make_command("reboot")
    clock.advance(30)
    updated = iot.update_command(commandId="reboot", displayName="Reboot", description="now")
    updated.pop("ResponseMetadata")
    assert updated == {
        "commandId": "reboot",
        "displayName": "Reboot",
        "description": "now",
        "deprecated": False,
        "lastUpdatedAt": at(30),
    }
    clock.advance(30)
    assert iot.update_command(commandId="reboot", deprecated=True)["deprecated"] is True
    assert iot.get_command(commandId="reboot")["deprecated"] is True
    with pytest.raises(iot.exceptions.ConflictException) as excinfo:
        iot.update_command(commandId="reboot", description="edited while deprecated")
    refused(excinfo, "ConflictException", 409, "deprecated")
    restored = iot.update_command(commandId="reboot", deprecated=False, description="back")
    assert (restored["deprecated"], restored["description"]) == (False, "back")
    assert iot.get_command(commandId="reboot")["lastUpdatedAt"] == at(60)


def test_update_an_unknown_command_is_not_found(iot: Any) -> None:
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.update_command(commandId="ghost", description="x")


def test_delete_schedules_the_removal_twelve_hours_on(
    iot: Any, data: Any, make_command: Any, make_things: Any, service: Any, clock: Any
) -> None:
    make_command("reboot")
    (thing,) = make_things("t1")
    assert iot.delete_command(commandId="reboot")["statusCode"] == 202
    assert service.backend.next_due() == START + HALF_DAY
    assert iot.get_command(commandId="reboot")["pendingDeletion"] is True
    assert _ids(iot.list_commands()) == []
    assert iot.delete_command(commandId="reboot")["statusCode"] == 202
    with pytest.raises(data.exceptions.ValidationException) as excinfo:
        data.start_command_execution(targetArn=thing, commandArn=ARN.format("reboot"))
    refused(excinfo, "ValidationException", 400, "pending deletion")
    for call in (
        lambda: iot.update_command(commandId="reboot", description="x"),
        lambda: iot.create_command(commandId="reboot", payload={"content": b"{}"}),
    ):
        with pytest.raises(iot.exceptions.ConflictException):
            call()
    clock.advance(HALF_DAY - 1)
    assert iot.get_command(commandId="reboot")["pendingDeletion"] is True
    clock.advance(1)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.get_command(commandId="reboot")
    make_command("reboot")  # the id is free again
    assert iot.get_command(commandId="reboot")["pendingDeletion"] is False


def test_a_command_deprecated_twelve_hours_ago_is_deleted_at_once(
    iot: Any, make_command: Any, clock: Any
) -> None:
    make_command("old")
    make_command("recent")
    iot.update_command(commandId="old", deprecated=True)
    clock.advance(HALF_DAY - 1)
    iot.update_command(commandId="recent", deprecated=True)
    clock.advance(1)
    deleted = iot.delete_command(commandId="old")
    assert (deleted["statusCode"], deleted["ResponseMetadata"]["HTTPStatusCode"]) == (204, 204)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.get_command(commandId="old")
    assert iot.delete_command(commandId="recent")["statusCode"] == 202
    assert iot.delete_command(commandId="never-was")["statusCode"] == 204


def test_executions_outlive_their_command(
    iot: Any, data: Any, make_command: Any, make_things: Any, clock: Any
) -> None:
    arn = make_command("reboot")
    (thing,) = make_things("t1")
    started = data.start_command_execution(targetArn=thing, commandArn=arn)["executionId"]
    iot.update_command(commandId="reboot", deprecated=True)
    clock.advance(HALF_DAY)
    iot.delete_command(commandId="reboot")
    execution = iot.get_command_execution(executionId=started, targetArn=THING_ARN.format("t1"))
    assert (execution["commandArn"], execution["status"]) == (arn, "TIMED_OUT")


def test_the_payload_content_is_any_bytes(iot: Any) -> None:
    blob = bytes(range(256))
    iot.create_command(
        commandId="firmware", payload={"content": blob, "contentType": "application/octet-stream"}
    )
    assert iot.get_command(commandId="firmware")["payload"]["content"] == blob
