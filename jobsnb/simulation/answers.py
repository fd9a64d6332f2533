"""The fleet's devices answering their commands over MQTT, as a seed decides.

AWS publishes each command execution on its device's
``$aws/commands/things/{thing}/executions/{executionId}/request/...`` topic and the device
answers on ``.../response/json``. :class:`CommandAnswers` is one paho-mqtt client that stands in
for every device of the fleet on both: the answers of each execution come from a generator
seeded by (seed, thing, command, the moment it arrived), so the same seed gives each device the
same answers however time is advanced.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from jobsnb.exceptions import JobsnbError
from jobsnb.service import LocalJobsService
from jobsnb.simulation.commands import COMMANDS
from jobsnb.simulation.config import FleetConfig
from jobsnb.simulation.subscription import FleetClient

__all__ = ["ANSWERS", "REQUESTS", "CommandAnswers", "CommandsLostError"]

#: A report: (thing, execution id, status, statusReason, result).
Report = tuple[str, str, str, dict[str, str] | None, dict[str, Any] | None]
_FAILURES = (
    ("LOW_BATTERY", "Battery below 10%: command deferred"),
    ("DISK_FULL", "No space left to stage the command"),
)
#: The devices' subscription to their command requests, all of them in one filter, and to the
#: answers to their responses.
REQUESTS = "$aws/commands/things/+/executions/+/request/#"
ANSWERS = "$aws/commands/things/+/executions/+/response/+/json"
#: AWS's default executionTimeoutSeconds: what a device assumes of a command it does not know.
_DEFAULT_TIMEOUT = 10


class CommandsLostError(JobsnbError):
    """Command requests or answers the service sent did not reach the fleet's client in time."""


@dataclass(frozen=True)
class _Request:
    """A command request as its device reads it off the topic: which command, with what."""

    thing_name: str
    execution_id: str
    command_id: str
    parameters: dict[str, Any]
    timeout: int


class CommandAnswers:
    """The fleet's devices answering, over MQTT, the commands the service sends them.

    One paho-mqtt client stands in for the devices' subscriptions to
    ``$aws/commands/things/{thing}/executions/+/request/#`` and publishes each device's
    response on its ``.../response/json`` topic. As with notify-next
    (:class:`~jobsnb.simulation.notices.NextNotices`), the history is a function of the seed
    because the fleet reads the requests only once every one the service sent has arrived
    (:meth:`catch_up`, counting ``service.mqtt.notifications_sent["commands"]``), and moves the
    clock only once the service answered every response it published (:meth:`answer_due`).

    Parameters
    ----------
    service
        A started local service with MQTT (``LocalJobsService(mqtt=True, mqtt_tls_port=None)``).
    seed, config
        The plan's seed and distributions.
    devices
        The names of the fleet's devices: only they answer.
    timeout
        Real seconds to wait for the next message before giving up.

    Attributes
    ----------
    errors
        The responses the service rejected (the execution deleted meanwhile, say).
    """

    def __init__(
        self,
        service: LocalJobsService,
        seed: int,
        config: FleetConfig,
        devices: set[str],
        timeout: float = 30.0,
    ) -> None:
        self._seed, self._config, self._devices = seed, config, devices
        self._heap: list[tuple[float, int, Report]] = []
        self._seq = itertools.count()
        self.errors: list[str] = []
        self._works = {command.command_id: command.work_seconds for command in COMMANDS}
        self._catalogue = {
            (command.payload or command.template or {}).get("operation"): command
            for command in COMMANDS
        }
        self._requests: list[tuple[str, bytes]] = []
        self._received = self._answered = self._published = 0
        self._client = FleetClient(
            service, "commands", [REQUESTS, ANSWERS], self._message, CommandsLostError, timeout
        )
        self._endpoint = self._client.endpoint
        # The broker keeps no request for a new subscriber: count from what was sent so far.
        self._baseline = self._sent()

    @property
    def timeout(self) -> float:
        """Real seconds to wait for the next message before giving up."""
        return self._client.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._client.timeout = seconds

    def _sent(self) -> int:
        return self._endpoint.notifications_sent.get("commands", 0)

    def _message(self, message: mqtt.MQTTMessage) -> None:
        # On paho's network thread: keep the request, or the answer's verdict.
        levels = message.topic.split("/")
        if levels[6] == "request":
            self._received += 1
            self._requests.append((message.topic, bytes(message.payload)))
        else:
            self._answered += 1
            if levels[7] == "rejected":
                answer = json.loads(message.payload)
                self.errors.append(
                    f"{levels[3]} {levels[5]}: {answer.get('error')}: {answer.get('errorMessage')}"
                )

    def catch_up(self, now: float) -> None:
        """Take in every command request the service has sent so far, received at ``now``."""
        self._client.wait_for(
            lambda: self._received, self._sent() - self._baseline, "command requests"
        )
        with self._client.arrived:
            requests, self._requests = self._requests, []
        # By thing: a fan-out's threads start a run's executions in any order.
        for topic, payload in sorted(requests):
            request = self._read(topic, payload)
            if request.thing_name in self._devices:
                for at, report in self._answers(request, now):
                    heapq.heappush(self._heap, (at, next(self._seq), report))

    def _read(self, topic: str, payload: bytes) -> _Request:
        levels = topic.split("/")
        try:
            body = json.loads(payload)
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        command = self._catalogue.get(body.get("operation"))
        lines = body.get("lines")
        parameters = {"lines": {"I": lines}} if isinstance(lines, int) else {}
        if command is None:
            return _Request(levels[3], levels[5], "other", parameters, _DEFAULT_TIMEOUT)
        return _Request(
            levels[3], levels[5], command.command_id, parameters, command.timeout_seconds
        )

    def _answers(self, request: _Request, created: float) -> list[tuple[float, Report]]:
        config, thing, execution_id = self._config, request.thing_name, request.execution_id
        # Not the execution id: a fan-out's calls number their executions in whatever order its
        # threads ran, and the same seed must give each device the same answer.
        moment = f"{request.command_id}/{created!r}"
        rng = random.Random(f"{self._seed}/{thing}/command/{moment}")
        timeout = request.timeout
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
        return self._heap[0][0] if self._heap else math.inf

    def answer_due(self, now: float) -> None:
        """Publish every answer due by ``now``, in time order; return once the service took them.

        The service took a response when its accepted or rejected answer arrived.
        """
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, (thing, execution_id, status, reason, result) = heapq.heappop(heap)
            body: dict[str, Any] = {"status": status}
            if reason is not None:
                body["statusReason"] = reason
            if result is not None:
                body["result"] = result
            topic = f"$aws/commands/things/{thing}/executions/{execution_id}/response/json"
            self._published += 1
            self._client.client.publish(topic, json.dumps(body), qos=0)
        self._client.wait_for(
            lambda: self._answered, self._published, "answers to the devices' responses"
        )

    def close(self) -> None:
        """Disconnect the client and stop its network thread."""
        self._client.close()
