"""The commands of a simulated fleet: the registry's catalogue, the operator's runs, the answers.

:func:`plan_commands` decides, from the seed alone, the commands the operator creates in the
registry (``reboot``, static JSON; ``collect-logs``, a payload template with ``lines`` and
``since`` parameters) and when it runs them on which devices. Its generator is its own, so the
jobs' plan is the one a seed gave before commands existed.

:class:`CommandAnswers` is the devices' side. AWS pushes a command to its device over MQTT and
the device answers on the response topic; the local service has neither, so the answers listen
to the backend's ``on_command`` hook (the request topic) and report through its
``update_command_execution`` (the response topic). Every execution a fleet device is sent, by
the plan's operator or by anyone else, gets answers drawn from a generator seeded by (seed,
thing, command, the moment it was created): most SUCCEEDED with a ``result``, some FAILED or
REJECTED with a ``statusReason``, some silent so that the cloud times them out, a few late,
after the cloud's TIMED_OUT (which AWS lets a device override). ``collect-logs`` reports
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

import heapq
import itertools
import json
import math
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobsnb.simulation.config import FleetConfig

__all__ = ["COMMANDS", "CommandAnswers", "CommandRun", "PlannedCommand", "plan_commands"]

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


#: A report: (thing, execution id, status, statusReason, result).
Report = tuple[str, str, str, dict[str, str] | None, dict[str, Any] | None]
_FAILURES = (
    ("LOW_BATTERY", "Battery below 10%: command deferred"),
    ("DISK_FULL", "No space left to stage the command"),
)


class CommandAnswers:
    """The fleet's devices answering the commands the service sends them.

    Parameters
    ----------
    seed, config
        The plan's seed and distributions.
    devices
        The names of the fleet's devices: only they answer.
    update
        The backend's ``update_command_execution``: the response topic, in-process.
    """

    def __init__(
        self,
        seed: int,
        config: FleetConfig,
        devices: set[str],
        update: Callable[..., Any],
    ) -> None:
        self._seed, self._config, self._devices, self._update = seed, config, devices, update
        self._heap: list[tuple[float, int, Report]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self.errors: list[str] = []
        self._works = {command.command_id: command.work_seconds for command in COMMANDS}

    def received(self, request: Any) -> None:
        """The backend's ``on_command`` hook: draw the device's answers (no backend call)."""
        if request.thing_name not in self._devices:
            return
        for at, report in self._answers(request):
            with self._lock:
                heapq.heappush(self._heap, (at, next(self._seq), report))

    def _answers(self, request: Any) -> list[tuple[float, Report]]:
        config, thing, execution_id = self._config, request.thing_name, request.execution_id
        # Not the execution id: a fan-out's calls number their executions in whatever order its
        # threads ran, and the same seed must give each device the same answer.
        moment = f"{request.command_id}/{request.created_at!r}"
        rng = random.Random(f"{self._seed}/{thing}/command/{moment}")
        created, timeout = request.created_at, request.execution_timeout_seconds
        work = self._works.get(request.command_id, 15.0) * rng.lognormvariate(0.0, 0.5)
        draw = rng.random()
        answers: list[tuple[float, Report]] = []
        if request.command_id == "collect-logs":
            started = created + min(work / 3, timeout / 2)
            answers.append((started, (thing, execution_id, "IN_PROGRESS", None, None)))
        if draw < config.command_silence_rate:
            return answers  # gone quiet: the cloud times it out
        draw -= config.command_silence_rate
        at = created + min(work, timeout * 0.9)
        if draw < config.command_failure_rate:
            code, text = rng.choice(_FAILURES)
            reason = {"reasonCode": code, "reasonDescription": text}
            answers.append((at, (thing, execution_id, "FAILED", reason, None)))
        elif draw < config.command_failure_rate + config.command_rejection_rate:
            reason = {"reasonCode": "BUSY", "reasonDescription": "Another command is running"}
            answers.append((at, (thing, execution_id, "REJECTED", reason, None)))
        else:
            if draw > 1 - config.command_silence_rate - config.command_late_rate:
                at = created + timeout + work  # after the cloud's TIMED_OUT
            result: dict[str, Any] = {"uptime_seconds": {"s": str(rng.randrange(60, 3_000_000))}}
            if request.command_id == "collect-logs":
                lines = request.parameters.get("lines", {}).get("I", 500)
                result["archive"] = {"s": f"s3://fleet-logs/{thing}/{execution_id}.gz"}
                result["lines"] = {"s": str(rng.randrange(1, lines + 1))}
            else:
                result["clean_shutdown"] = {"b": rng.random() < 0.95}
            reason = {"reasonCode": "OK", "reasonDescription": "Done"}
            answers.append((at, (thing, execution_id, "SUCCEEDED", reason, result)))
        return answers

    def next_due(self) -> float:
        """When the next answer is due (infinity when none is)."""
        with self._lock:
            return self._heap[0][0] if self._heap else math.inf

    def answer_due(self, now: float) -> None:
        """Report every answer due by ``now``, in time order."""
        while True:
            with self._lock:
                if not self._heap or self._heap[0][0] > now:
                    return
                _, _, (thing, execution_id, status, reason, result) = heapq.heappop(self._heap)
            try:
                self._update(thing, execution_id, status, status_reason=reason, result=result)
            except Exception as error:  # deleted meanwhile, say: the device's message is lost
                self.errors.append(f"{thing} {execution_id} {status}: {error}")
