"""The sandbox's commands, observed from outside: its devices answer them on the service clock."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3

import jobsnb
from jobsnb.simulation.config import FleetConfig
from tests.helpers import CREDENTIALS, NO_RETRIES, REGION, THING_ARN


def _clients(sb: Any) -> tuple[Any, Any]:
    def client(name: str) -> Any:
        return boto3.client(
            name, endpoint_url=sb.url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
        )

    return client("iot"), client("iot-jobs-data")


def command_history(sb: Any) -> list[tuple[Any, ...]]:
    """Every command execution an operator can see, with its status, reason and result."""
    iot, _ = _clients(sb)
    rows = []
    for page in iot.get_paginator("list_commands").paginate(sortOrder="ASCENDING"):
        for command in page["commands"]:
            pages = iot.get_paginator("list_command_executions").paginate(
                commandArn=command["commandArn"], sortOrder="ASCENDING"
            )
            for listed in pages:
                for summary in listed["commandExecutions"]:
                    execution = iot.get_command_execution(
                        executionId=summary["executionId"],
                        targetArn=summary["targetArn"],
                        includeResult=True,
                    )
                    rows.append(
                        (
                            command["commandId"],
                            execution["executionId"],
                            execution["targetArn"].rsplit("/", 1)[1],
                            execution["status"],
                            execution.get("statusReason", {}).get("reasonCode"),
                            execution.get("result"),
                            str(execution["createdAt"]),
                            str(execution.get("completedAt")),
                        )
                    )
    return rows


def test_the_sandbox_registers_reboot_and_collect_logs() -> None:
    with jobsnb.sandbox(things=30, seed=1, warm_up=0) as sb:
        iot, _ = _clients(sb)
        commands = {c["commandId"]: c for c in iot.list_commands()["commands"]}
        logs = iot.get_command(commandId="collect-logs")
    assert sorted(commands) == ["collect-logs", "reboot"]
    assert commands["reboot"]["commandArn"] == "arn:aws:iot:us-east-1:123456789012:command/reboot"
    assert [p["name"] for p in logs["mandatoryParameters"]] == ["lines", "since"]


def test_devices_answer_commands_some_succeed_some_time_out_the_same_per_seed() -> None:
    with jobsnb.sandbox(things=300, seed=9, warm_up=0) as one:
        one.advance("2h")
        first = command_history(one)
        counts = one.command_status_counts()
    with jobsnb.sandbox(things=300, seed=9, warm_up="30min") as two:
        for _ in range(6):
            two.advance("15min")
        second = command_history(two)
    with jobsnb.sandbox(things=300, seed=10, warm_up="2h") as other:
        third = command_history(other)
    assert first == second
    assert first != third
    statuses = Counter(row[3] for row in first)
    assert statuses == Counter(counts)
    assert {"SUCCEEDED", "TIMED_OUT", "FAILED", "REJECTED"} <= set(statuses)
    reasons = {row[3]: row[4] for row in first}
    assert reasons["TIMED_OUT"] == "$NO_RESPONSE_FROM_DEVICE"
    succeeded = [row for row in first if row[3] == "SUCCEEDED"]
    assert all(row[5] and "uptime_seconds" in row[5] for row in succeeded)
    assert {row[0] for row in first} == {"reboot", "collect-logs"}


def test_a_late_answer_overrides_the_clouds_timeout() -> None:
    # seed 7 has devices that answer only after the cloud timed them out (command_late_rate).
    with jobsnb.sandbox(things=300, seed=7, warm_up="2h") as sb:
        iot, _ = _clients(sb)
        late = [
            execution
            for row in command_history(sb)
            if row[3] == "SUCCEEDED"
            for execution in [
                iot.get_command_execution(executionId=row[1], targetArn=THING_ARN.format(row[2]))
            ]
            if (execution["completedAt"] - execution["createdAt"]).total_seconds()
            > execution["executionTimeoutSeconds"]
        ]
    assert late


def test_devices_answer_commands_a_user_starts_too() -> None:
    config = FleetConfig(command_silence_rate=0, command_failure_rate=0,
                         command_rejection_rate=0, command_late_rate=0)  # fmt: skip
    with jobsnb.sandbox(things=10, seed=3, warm_up=0, config=config) as sb:
        iot, data = _clients(sb)
        thing = sb.things[0]
        arn = iot.get_command(commandId="reboot")["commandArn"]
        started = data.start_command_execution(
            targetArn=THING_ARN.format(thing), commandArn=arn, executionTimeoutSeconds=300
        )["executionId"]
        before = iot.get_command_execution(executionId=started, targetArn=THING_ARN.format(thing))
        sb.advance("5min")
        after = iot.get_command_execution(
            executionId=started, targetArn=THING_ARN.format(thing), includeResult=True
        )
    assert before["status"] == "CREATED"
    assert after["status"] == "SUCCEEDED"
    assert after["statusReason"] == {"reasonCode": "OK", "reasonDescription": "Done"}
    assert "clean_shutdown" in after["result"]


def test_a_seed_gives_each_device_the_same_answer_whatever_order_a_fan_out_ran_in() -> None:
    """A fleet client's threads number the executions in any order; the answers follow the
    device, so the same seed gives each thing the same outcome (the reverse order proves it)."""

    def outcomes(order: slice) -> dict[str, str]:
        with jobsnb.sandbox(things=60, seed=5, warm_up="10min") as sb:
            iot, data = _clients(sb)
            arn = iot.get_command(commandId="reboot")["commandArn"]
            started = {
                thing: data.start_command_execution(
                    targetArn=THING_ARN.format(thing), commandArn=arn, executionTimeoutSeconds=60
                )["executionId"]
                for thing in sb.things[order]
            }
            sb.advance("3min")
            return {
                thing: iot.get_command_execution(
                    executionId=execution, targetArn=THING_ARN.format(thing)
                )["status"]
                for thing, execution in started.items()
            }

    forward, backward = outcomes(slice(None)), outcomes(slice(None, None, -1))
    assert forward == backward
    assert len(set(forward.values())) > 1, forward  # not all alike: the draws differ per device


def test_the_devices_receive_and_answer_commands_over_mqtt() -> None:
    """Every request reached the fleet's MQTT client as the service sent it, and every answer
    went back on a response topic: the service counts both."""
    with jobsnb.sandbox(things=300, seed=9, warm_up="2h") as sb:
        endpoint = sb.service.mqtt
        assert endpoint is not None
        executions = command_history(sb)
        answered = dict(endpoint.broker.commands.counts)
        sent = endpoint.notifications_sent["commands"]
    assert sent == len(executions)
    reported = [row for row in executions if row[3] not in ("CREATED", "TIMED_OUT")]
    assert answered["accepted"] >= len(reported) > 0
