"""AWS IoT Commands over MQTT: the request a device receives, the response it publishes.

When StartCommandExecution creates an execution, the service publishes the command's payload on
``$aws/commands/things/{thing}/executions/{executionId}/request/{format}`` (``json`` for
application/json and payload templates, ``cbor`` for application/cbor, no format level for any
other content type: the developer guide's "Commands topics"), through the endpoint's ordered
outbox, and only while a subscription matches it.

The device answers on ``.../executions/{executionId}/response/json`` with
``{"status", "statusReason": {"reasonCode", "reasonDescription"}, "result": {name: {"s"|"b"|
"bin": value}}}``; the service applies it with
:meth:`~jobsnb.service.command_executions.CommandExecutions.update_command_execution` and
answers that client alone on ``.../response/accepted/json`` or ``.../response/rejected/json``.
AWS does not publish those two payloads; the service's decisions:

* accepted: ``{"executionId", "status", "timestamp"}`` (the status now recorded);
* rejected: ``{"executionId", "error", "errorMessage", "timestamp"}`` with ``error`` one of
  InvalidJson, InvalidRequest (a missing or malformed member, a response in CBOR: the service
  reads JSON only), ResourceNotFound (no such execution of this thing) and
  InvalidStateTransition (a final execution, IN_PROGRESS after the cloud's TIMED_OUT).

Examples
--------
>>> from jobsnb.service import JobsBackend, ManualClock
>>> backend = JobsBackend(ManualClock(1_700_000_000))
>>> _ = backend.create_thing("t1")
>>> command = backend.create_command("reboot", payload=b'{"op": "reboot"}',
...                                  content_type="application/json")
>>> execution_id = backend.start_command_execution(backend.thing_arn("t1"), command.arn)
>>> topic, answer = CommandTopics(backend).answer(
...     f"$aws/commands/things/t1/executions/{execution_id}/response/json",
...     b'{"status": "SUCCEEDED", "result": {"uptime": {"s": "41 days"}}}')
>>> import json
>>> topic.endswith("/response/accepted/json"), json.loads(answer)["status"]
(True, 'SUCCEEDED')
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from jobsnb.service.errors import (
    AwsError,
    InvalidStateTransitionException,
    ResourceNotFoundException,
)
from jobsnb.service.mqtt.notifications import Send, Wants
from jobsnb.service.mqtt.payloads import encode
from jobsnb.service.mqtt.refusals import ANSWERS, Refused, json_object

if TYPE_CHECKING:
    from jobsnb.service.backend import JobsBackend
    from jobsnb.service.command_models import CommandRequest

__all__ = [
    "RESPONSE_FILTER",
    "CommandRequests",
    "CommandTopics",
    "command_thing",
    "response_target",
]

#: Every thing's response topics (the answers, one level deeper, do not match).
RESPONSE_FILTER = "$aws/commands/things/+/executions/+/response/+"
_PREFIX = ["$aws", "commands", "things"]
_MEMBERS = {"status", "statusReason", "result"}

_log = logging.getLogger("jobsnb.service.mqtt")


def command_thing(topic: str) -> str | None:
    """The thing a ``$aws/commands/things/{thing}/...`` topic names, or None for another topic."""
    levels = topic.split("/")
    return levels[3] if len(levels) > 4 and levels[:3] == _PREFIX else None


def response_target(topic: str) -> tuple[str, str, str] | None:
    """(thing, execution id, format) of a response topic a device may publish on, or None.

    Only ``.../executions/{executionId}/response/{format}``: the request topics and the answers
    are the service's own.
    """
    levels = topic.split("/")
    if (
        len(levels) != 8
        or levels[:3] != _PREFIX
        or levels[4] != "executions"
        or levels[6] != "response"
        or levels[7] in ANSWERS
        or not all(levels[3:8])
    ):
        return None
    return levels[3], levels[5], levels[7]


class CommandTopics:
    """Answers the devices' command responses from the backend (thread-safe, as it is).

    Parameters
    ----------
    backend
        The service's backend.
    """

    def __init__(self, backend: JobsBackend) -> None:
        self.backend = backend
        self.counts = {"accepted": 0, "rejected": 0}

    def answer(self, topic: str, payload: bytes) -> tuple[str, bytes]:
        """The answer topic and payload for a device's response on ``topic``."""
        target = response_target(topic)
        assert target is not None, topic
        thing, execution_id, form = target
        base = topic.rsplit("/", 1)[0]
        answer: dict[str, Any] = {"executionId": execution_id}
        try:
            if form != "json":
                raise Refused(
                    "InvalidRequest",
                    f"The local service reads command responses in JSON only: publish on "
                    f"{base}/json, not {base}/{form}.",
                )
            body = _body(payload)
            status = body.get("status")
            if not isinstance(status, str):
                raise Refused("InvalidRequest", "status is required and must be a string.")
            # As over HTTPS, the answer is made under the lock its operation took.
            with self.backend.lock:
                execution = self.backend.update_command_execution(
                    thing,
                    execution_id,
                    status,
                    status_reason=body.get("statusReason"),
                    result=body.get("result"),
                )
                answer.update(status=execution.status, timestamp=int(self.backend.now()))
        except Refused as refusal:
            return self._rejected(base, answer, refusal)
        except AwsError as error:
            return self._rejected(base, answer, _refusal(error))
        except Exception as error:  # a bug of ours answers InternalError, as AWS's would
            _log.exception("command response on %s failed", topic)
            return self._rejected(
                base, answer, Refused("InternalError", f"Internal error: {type(error).__name__}")
            )
        self.counts["accepted"] += 1
        return f"{base}/accepted/json", encode(answer)

    def _rejected(self, base: str, answer: dict[str, Any], refusal: Refused) -> tuple[str, bytes]:
        self.counts["rejected"] += 1
        answer.update(
            error=refusal.code, errorMessage=refusal.message, timestamp=int(self.backend.now())
        )
        return f"{base}/rejected/json", encode(answer)


def _body(payload: bytes) -> dict[str, Any]:
    body = json_object(payload, "response")
    unknown = sorted(set(body) - _MEMBERS)
    if unknown:
        raise Refused(
            "InvalidRequest",
            f"The response has unknown member {unknown[0]!r}: it takes status, statusReason "
            "and result.",
        )
    return body


def _refusal(error: AwsError) -> Refused:
    if isinstance(error, ResourceNotFoundException):
        return Refused("ResourceNotFound", error.message)
    if isinstance(error, InvalidStateTransitionException):
        return Refused("InvalidStateTransition", error.message)
    return Refused("InvalidRequest", error.message)  # ValidationException: the members


#: Hands a message (topic, payload) to the broker's outbox; Wants: whether a topic has a
#: subscriber (as for the notifications).


class CommandRequests:
    """Publishes each command execution started on its device's request topic.

    Parameters
    ----------
    backend
        The service's backend (its ``on_command`` hook).
    send, wants
        The endpoint's outbox and subscription check; ``wants=None``: every topic. ``sent``
        counts the requests sent.
    """

    def __init__(self, backend: JobsBackend, send: Send, wants: Wants | None = None) -> None:
        self.send, self.wants = send, wants
        self.sent = 0
        self.close = backend.on_command(self._started)

    def _started(self, request: CommandRequest) -> None:
        # Under the backend's lock, in the order the executions were created.
        if self.wants is None or self.wants(request.topic):
            self.sent += 1
            self.send(request.topic, request.payload)
