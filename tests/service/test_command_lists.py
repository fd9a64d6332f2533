"""ListCommandExecutions over HTTP with boto3 (its rules, filters, order and paging), and the
commands through the AWS CLI."""

from __future__ import annotations

import base64
import json
import subprocess
from typing import Any

import pytest

from tests.helpers import START, THING_ARN

T1, T2 = THING_ARN.format("t1"), THING_ARN.format("t2")


def ids(page: dict[str, Any]) -> list[str]:
    return [summary["executionId"] for summary in page["commandExecutions"]]


@pytest.fixture
def history(iot: Any, data: Any, make_command: Any, make_things: Any, service: Any) -> Any:
    """Five executions a minute apart (2023-11-14 22:13 UTC on): reboot on t1, t2, t1, t2, then
    logs on t1; the first and third succeed 30 s after their start, the fifth fails at once."""
    make_things("t1", "t2")
    reboot, logs = make_command("reboot"), make_command("logs")
    started = []
    for number, (target, command) in enumerate(
        [(T1, reboot), (T2, reboot), (T1, reboot), (T2, reboot), (T1, logs)]
    ):
        started.append(
            data.start_command_execution(
                targetArn=target, commandArn=command, executionTimeoutSeconds=3600
            )["executionId"]
        )
        if number == 4:
            service.backend.update_command_execution("t1", started[-1], "FAILED")
        service.advance(30)
        if number in (0, 2):
            service.backend.update_command_execution("t1", started[-1], "SUCCEEDED")
        service.advance(30)
    return started, reboot, logs


def test_by_command_or_by_target_newest_first(iot: Any, history: Any) -> None:
    started, reboot, _ = history
    listed = iot.list_command_executions(commandArn=reboot)
    assert ids(listed) == started[3::-1]
    assert ids(iot.list_command_executions(targetArn=T1)) == [started[4], started[2], started[0]]
    assert ids(iot.list_command_executions(targetArn=T1, sortOrder="ASCENDING")) == started[0::2]
    summary = listed["commandExecutions"][-1]
    assert set(summary) == {
        "commandArn", "executionId", "targetArn", "status", "createdAt", "startedAt", "completedAt"
    }  # fmt: skip
    assert summary["status"] == "SUCCEEDED"


def test_status_and_namespace_filters(iot: Any, history: Any) -> None:
    started, reboot, _ = history
    succeeded = iot.list_command_executions(commandArn=reboot, status="SUCCEEDED")
    assert ids(succeeded) == [started[2], started[0]]
    assert ids(iot.list_command_executions(targetArn=T1, status="FAILED")) == [started[4]]
    assert ids(iot.list_command_executions(targetArn=T1, namespace="AWS-IoT-FleetWise")) == []


def test_started_time_filter(iot: Any, history: Any) -> None:
    # Started at 22:13:20, 22:14:20, ... : "after 22:14" keeps the 2nd on, "before 22:16" the
    # first three.
    started, reboot, _ = history
    window = {"after": "2023-11-14T22:14", "before": "2023-11-14T22:16"}
    listed = iot.list_command_executions(
        commandArn=reboot, startedTimeFilter=window, sortOrder="ASCENDING"
    )
    assert ids(listed) == started[1:3]


def test_completed_time_filter_orders_by_completion(iot: Any, history: Any) -> None:
    started, _, _ = history
    listed = iot.list_command_executions(
        targetArn=T1, completedTimeFilter={"after": "2023-11-14T22:13"}
    )
    # completed at 22:13:50, 22:15:50 and 22:17:20: newest completion first
    assert ids(listed) == [started[4], started[2], started[0]]
    assert all(summary["completedAt"] for summary in listed["commandExecutions"])


def test_paging(iot: Any, history: Any) -> None:
    started, reboot, _ = history
    first = iot.list_command_executions(commandArn=reboot, maxResults=3)
    second = iot.list_command_executions(
        commandArn=reboot, maxResults=3, nextToken=first["nextToken"]
    )
    assert (ids(first), ids(second), "nextToken" in second) == (
        started[3:0:-1],
        started[:1],
        False,
    )
    pages = iot.get_paginator("list_command_executions").paginate(
        targetArn=T2, sortOrder="ASCENDING", PaginationConfig={"PageSize": 1}
    )
    assert [i for page in pages for i in ids(page)] == started[1:4:2]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({}, ["Exactly one of commandArn and targetArn"]),
        ({"targetArn": T2, "commandArn": "x"}, ["Exactly one"]),
        (
            {"targetArn": T1, "startedTimeFilter": {}, "completedTimeFilter": {}},
            ["At most one of startedTimeFilter and completedTimeFilter"],
        ),
        ({"targetArn": T1, "startedTimeFilter": {"after": "today"}}, ["startedTimeFilter.after"]),
        ({"targetArn": T1, "maxResults": 0}, ["maxResults"]),
        ({"targetArn": T1, "maxResults": 101}, ["maxResults"]),
        ({"targetArn": T1, "status": "DONE"}, ["status"]),
        ({"targetArn": T1, "sortOrder": "UP"}, ["sortOrder"]),
        ({"commandArn": "not-an-arn"}, ["commandArn"]),
    ],
    ids=[
        "neither", "both", "two-filters", "time-format", "zero", "over-100", "status", "sort",
        "command-arn",
    ],
)  # fmt: skip
def test_refusals_name_the_rule(
    kwargs: dict[str, Any], words: list[str], iot_unchecked: Any, history: Any
) -> None:
    with pytest.raises(iot_unchecked.exceptions.ValidationException) as excinfo:
        iot_unchecked.list_command_executions(**kwargs)
    for word in words:
        assert word in excinfo.value.response["Error"]["Message"]


def test_an_unknown_command_is_not_found(iot: Any) -> None:
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.list_command_executions(commandArn="arn:aws:iot:us-east-1:123456789012:command/ghost")


def _output(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_the_aws_cli_creates_starts_and_reads_a_command(
    aws_cli: Any, make_things: Any, service: Any
) -> None:
    make_things("t1")
    payload = json.dumps({"content": '{"op": "reboot"}', "contentType": "application/json"})
    created = _output(
        aws_cli("iot", "create-command", "--command-id", "reboot", "--payload", payload)
    )
    assert created == {
        "commandId": "reboot",
        "commandArn": "arn:aws:iot:us-east-1:123456789012:command/reboot",
    }
    got = _output(aws_cli("iot", "get-command", "--command-id", "reboot"))
    assert base64.b64decode(got["payload"]["content"]) == b'{"op": "reboot"}'
    started = _output(
        aws_cli(
            "iot-jobs-data", "start-command-execution", "--command-arn", created["commandArn"],
            "--target-arn", T1, "--execution-timeout-seconds", "60",
        )
    )  # fmt: skip
    service.backend.update_command_execution(
        "t1", started["executionId"], "SUCCEEDED", result={"uptime": {"s": "5 s"}}
    )
    execution = _output(
        aws_cli(
            "iot", "get-command-execution", "--execution-id", started["executionId"],
            "--target-arn", T1, "--include-result",
        )
    )  # fmt: skip
    assert (execution["status"], execution["result"]) == ("SUCCEEDED", {"uptime": {"S": "5 s"}})
    assert execution["createdAt"] == START
    listed = _output(aws_cli("iot", "list-command-executions", "--target-arn", T1))
    assert [e["executionId"] for e in listed["commandExecutions"]] == [started["executionId"]]
    deleted = _output(aws_cli("iot", "delete-command", "--command-id", "reboot"))
    assert deleted == {"statusCode": 202}
    refused = aws_cli("iot", "get-command", "--command-id", "nope")
    assert refused.returncode != 0
    assert "ResourceNotFoundException" in refused.stderr
