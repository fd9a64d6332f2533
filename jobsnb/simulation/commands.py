"""The commands of a simulated fleet: the registry's catalogue, the operator's runs, the answers.

:func:`plan_commands` decides, from the seed alone, the commands the operator creates in the
registry (``reboot``, static JSON; ``collect-logs``, a payload template with ``lines`` and
``since`` parameters) and when it runs them on which devices. Its generator is its own, so the
jobs' plan is the one a seed gave before commands existed.

:class:`~jobsnb.simulation.answers.CommandAnswers` is the devices' side. As with AWS, the
service publishes each command on its device's MQTT request topic and the device answers on its
response topic: one paho client stands in for the fleet's devices on both. Every execution a
fleet device is sent, by the plan's operator or by anyone else, gets answers drawn from a
generator seeded by (seed, thing, command, the moment it arrived): most SUCCEEDED with a
``result``, some FAILED or REJECTED with a ``statusReason``, some silent so that the cloud
times them out, a few late, after the cloud's TIMED_OUT (which AWS lets a device override).
``collect-logs`` reports
IN_PROGRESS first.

Examples
--------
>>> from jobsnb.simulation.plan import plan_fleet
>>> plan = plan_fleet(100, seed=1)
>>> [command.command_id for command in plan.commands]
['reboot', 'collect-logs']
>>> [(run.command_id, len(run.targets)) for run in plan.command_runs]
[('reboot', 3), ('collect-logs', 3), ('collect-logs', 1)]
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jobsnb.simulation.config import FleetConfig

__all__ = ["COMMANDS", "CommandRun", "PlannedCommand", "plan_commands"]

_MINUTE = 60.0
_PARAMETER = "${aws:iot:commandexecution::parameter:%s}"


@dataclass(frozen=True)
class PlannedCommand:
    """A command of the registry, as the operator creates it (CreateCommand's arguments).

    Parameters
    ----------
    command_id, display_name, description
        The command.
    timeout_seconds
        The ``executionTimeoutSeconds`` the operator starts it with.
    payload
        A static JSON payload; None for a dynamic command.
    template, parameters
        A dynamic command's payload template and its mandatory parameters.
    work_seconds
        The median time a device takes to answer it (log-normal).
    """

    command_id: str
    display_name: str
    description: str
    timeout_seconds: int
    payload: dict[str, Any] | None = None
    template: dict[str, Any] | None = None
    parameters: tuple[dict[str, Any], ...] = ()
    work_seconds: float = 15.0

    def create_command_kwargs(self) -> dict[str, Any]:
        """CreateCommand's arguments, as boto3 takes them."""
        kwargs: dict[str, Any] = {
            "commandId": self.command_id,
            "namespace": "AWS-IoT",
            "displayName": self.display_name,
            "description": self.description,
        }
        if self.payload is not None:
            content = json.dumps(self.payload).encode()
            kwargs["payload"] = {"content": content, "contentType": "application/json"}
        else:
            kwargs["payloadTemplate"] = json.dumps(self.template)
            kwargs["preprocessor"] = {"awsJsonSubstitution": {"outputFormat": "JSON"}}
            kwargs["mandatoryParameters"] = [dict(p) for p in self.parameters]
        return kwargs


#: The registry's commands in every sandbox.
COMMANDS = (
    PlannedCommand(
        "reboot",
        "Reboot",
        "Restart the device now.",
        timeout_seconds=120,
        payload={"operation": "reboot", "delay_seconds": 5},
        work_seconds=20.0,
    ),
    PlannedCommand(
        "collect-logs",
        "Collect logs",
        "Upload the device's recent log lines.",
        timeout_seconds=600,
        template={
            "operation": "collect_logs",
            "lines": _PARAMETER % "lines",
            "since": _PARAMETER % "since",
        },
        parameters=(
            {"name": "lines", "type": "INTEGER", "defaultValue": {"I": 500}},
            {"name": "since", "type": "STRING", "defaultValue": {"S": "1h"}},
        ),
        work_seconds=90.0,
    ),
)


@dataclass(frozen=True)
class CommandRun:
    """The operator starting a command on some devices ``at`` seconds in.

    Parameters
    ----------
    at, command_id, targets
        When, which command, on which devices (thing names).
    parameters
        StartCommandExecution's ``parameters`` (None: the command's defaults).
    timeout_seconds
        Its ``executionTimeoutSeconds``.
    """

    at: float
    command_id: str
    targets: tuple[str, ...]
    timeout_seconds: int
    parameters: dict[str, Any] | None = field(default=None)


def plan_commands(
    config: FleetConfig, devices: Sequence[str], seed: int
) -> tuple[tuple[PlannedCommand, ...], tuple[CommandRun, ...]]:
    """The registry's commands and the operator's runs of them, from ``seed`` alone.

    A reboot of a few devices 20-30 minutes in, log collections 30-45 minutes in and 70-90
    minutes in; each run targets ``config.command_share`` of ``devices`` (at least one, at most
    100), drawn without repeats.
    """
    rng = random.Random(f"jobsnb-commands/{seed}")
    size = min(100, max(1, round(len(devices) * config.command_share)))
    runs = []
    for (command, low, high), count in zip(
        ((COMMANDS[0], 20, 30), (COMMANDS[1], 30, 45), (COMMANDS[1], 70, 90)),
        (size, size, max(1, size // 2)),
        strict=True,
    ):
        at = round(rng.uniform(low, high) * _MINUTE)
        targets = tuple(rng.sample(list(devices), min(count, len(devices))))
        parameters = None
        if command.parameters:
            parameters = {"lines": {"I": rng.choice((100, 500, 2000))}}
        runs.append(
            CommandRun(at, command.command_id, targets, command.timeout_seconds, parameters)
        )
    return COMMANDS, tuple(runs)
