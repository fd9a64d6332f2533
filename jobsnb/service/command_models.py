"""Commands and command executions: state and AWS's shapes, no HTTP.

A :class:`Command` is the registry's reusable payload (static ``payload``, or a
``payloadTemplate`` whose placeholders StartCommandExecution's ``parameters`` fill); a
:class:`CommandExecution` is one run of it on one thing. :class:`CommandRequest` is what the
device receives: the payload on its request topic.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from jobsnb.limits import COMMAND_PARAMETER_MEMBERS
from jobsnb.service.command_conditions import failed
from jobsnb.service.command_values import json_value
from jobsnb.service.errors import ValidationException

__all__ = [
    "PLACEHOLDER",
    "TERMINAL_COMMAND_STATUSES",
    "TIMEOUT_PLACEHOLDER",
    "TIME_TO_LIVE",
    "Command",
    "CommandExecution",
    "CommandRequest",
]

#: A payload template's placeholder for parameter ``NAME``: ``PLACEHOLDER + NAME + "}"``.
PLACEHOLDER = "${aws:iot:commandexecution::parameter:"
#: A payload template's placeholder for the execution's timeout in seconds.
TIMEOUT_PLACEHOLDER = "${aws:iot:commandexecution::executionTimeoutSec}"
#: Statuses a device's report makes final (TIMED_OUT only when the device reports it).
TERMINAL_COMMAND_STATUSES = ("SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT")
#: decision: AWS keeps executions "six months" (timeToLive); the service says 180 days.
TIME_TO_LIVE = 180 * 24 * 3600.0

_FORMATS = {"application/json": "json", "application/cbor": "cbor"}


@dataclass(eq=False)
class Command:
    """One command of the registry (GetCommand's shape, ListCommands' summary)."""

    command_id: str
    arn: str
    created_at: float
    payload: bytes | None = None
    content_type: str | None = None
    payload_template: str | None = None
    preprocessor: dict[str, Any] | None = None
    mandatory_parameters: list[dict[str, Any]] | None = None
    display_name: str | None = None
    description: str | None = None
    deprecated: bool = False
    deprecated_at: float | None = None
    deletes_at: float | None = None
    removed: bool = False
    last_updated_at: float = field(default=0.0)

    @property
    def pending_deletion(self) -> bool:
        """True from a DeleteCommand that scheduled the deletion until the removal."""
        return self.deletes_at is not None

    def describe(self) -> dict[str, object]:
        """GetCommand's response."""
        body: dict[str, object] = {
            "commandId": self.command_id,
            "commandArn": self.arn,
            "namespace": "AWS-IoT",
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "deprecated": self.deprecated,
            "pendingDeletion": self.pending_deletion,
        }
        for key, value in (("displayName", self.display_name), ("description", self.description)):
            if value is not None:
                body[key] = value
        if self.payload is not None:
            payload: dict[str, object] = {"content": base64.b64encode(self.payload).decode()}
            if self.content_type is not None:
                payload["contentType"] = self.content_type
            body["payload"] = payload
        if self.payload_template is not None:
            body["payloadTemplate"] = self.payload_template
            body["preprocessor"] = self.preprocessor
            body["mandatoryParameters"] = self.mandatory_parameters
        return body

    def summary(self) -> dict[str, object]:
        """ListCommands' ``CommandSummary``."""
        body: dict[str, object] = {
            "commandArn": self.arn,
            "commandId": self.command_id,
            "deprecated": self.deprecated,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "pendingDeletion": self.pending_deletion,
        }
        if self.display_name is not None:
            body["displayName"] = self.display_name
        return body

    def has_parameter(self, name: str) -> bool:
        """True when ``name`` is one of the command's mandatory parameters."""
        return any(p["name"] == name for p in self.mandatory_parameters or ())

    def resolve(self, given: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
        """The execution's parameters: ``given`` checked against the mandatory parameters.

        A parameter the command does not declare is refused; a declared one not given takes
        its ``defaultValue`` (ValidationException without one); the value must carry the member
        its declared ``type`` names and meet its ``valueConditions``.
        """
        declared = {p["name"]: p for p in self.mandatory_parameters or ()}
        given = given or {}
        for name in given:
            if name not in declared:
                raise ValidationException(
                    f"parameters.{name} is not a mandatory parameter of command {self.command_id}."
                )
        resolved: dict[str, dict[str, Any]] = {}
        for name, spec in declared.items():
            value = given.get(name, spec.get("defaultValue"))
            if value is None:
                raise ValidationException(
                    f"parameters.{name} is required by command {self.command_id} "
                    "(it has no defaultValue)."
                )
            kind = spec.get("type")
            if kind is not None and COMMAND_PARAMETER_MEMBERS[kind] not in value:
                raise ValidationException(
                    f"parameters.{name} must be of type {kind} ({COMMAND_PARAMETER_MEMBERS[kind]})."
                )
            unmet = failed(value, spec.get("valueConditions", ()))
            if unmet is not None:
                raise ValidationException(
                    f"parameters.{name} does not meet its valueConditions ({unmet})."
                )
            resolved[name] = value
        return resolved

    def render(self, parameters: dict[str, dict[str, Any]], timeout_seconds: int) -> bytes:
        """The payload a device receives: the static one, or the template filled in.

        decision: a JSON string that is exactly one placeholder becomes the parameter's JSON
        value (a number stays a number); a placeholder inside a longer string becomes its text.
        """
        if self.payload is not None:
            return self.payload
        assert self.payload_template is not None
        values = {PLACEHOLDER + name + "}": json_value(v) for name, v in parameters.items()}
        values[TIMEOUT_PLACEHOLDER] = timeout_seconds
        texts = {key: v if isinstance(v, str) else json.dumps(v) for key, v in values.items()}
        # One pass: a value that spells a placeholder stays text, never filled in again.
        placeholders = re.compile("|".join(map(re.escape, texts)))

        def fill(node: Any) -> Any:
            if isinstance(node, dict):
                return {key: fill(item) for key, item in node.items()}
            if isinstance(node, list):
                return [fill(item) for item in node]
            if isinstance(node, str):
                if node in values:
                    return values[node]
                return placeholders.sub(lambda found: texts[found.group()], node)
            return node

        filled = fill(json.loads(self.payload_template))
        return json.dumps(filled, separators=(",", ":")).encode()

    @property
    def request_format(self) -> str | None:
        """The request topic's last level: ``json``, ``cbor``, or None for other content."""
        if self.payload_template is not None:
            return "json"
        return _FORMATS.get(self.content_type or "")


@dataclass(frozen=True)
class CommandRequest:
    """One command execution as its device receives it (the MQTT request, in-process)."""

    execution_id: str
    thing_name: str
    command_id: str
    command_arn: str
    topic: str
    payload: bytes
    content_type: str | None
    parameters: dict[str, dict[str, Any]]
    created_at: float
    execution_timeout_seconds: int


@dataclass(eq=False)
class CommandExecution:
    """One command run on one thing (GetCommandExecution's shape, the list's summary).

    ``completed_at`` is set when the device reports a final status; a TIMED_OUT the cloud set
    leaves it unset, which is what keeps that execution open to the device's report.
    """

    execution_id: str
    command_arn: str
    target_arn: str
    thing_name: str
    created_at: float
    timeout_seconds: int
    parameters: dict[str, dict[str, Any]]
    status: str = "CREATED"
    status_reason: dict[str, str] | None = None
    result: dict[str, dict[str, Any]] | None = None
    completed_at: float | None = None
    deleted: bool = False
    last_updated_at: float = 0.0

    @property
    def terminal(self) -> bool:
        """True once the device reported SUCCEEDED, FAILED, REJECTED or TIMED_OUT."""
        return self.completed_at is not None

    @property
    def deadline(self) -> float:
        """When the cloud times the execution out, counted from its creation."""
        return self.created_at + self.timeout_seconds

    def _times(self, body: dict[str, object]) -> dict[str, object]:
        # decision: the timer runs from creation, so startedAt is createdAt (as AWS's
        # ListCommandExecutions example shows for executions no device answered).
        body["createdAt"] = self.created_at
        body["startedAt"] = self.created_at
        if self.completed_at is not None:
            body["completedAt"] = self.completed_at
        return body

    def describe(self, include_result: bool) -> dict[str, object]:
        """GetCommandExecution's response (``result`` only when ``include_result``)."""
        body: dict[str, object] = {
            "executionId": self.execution_id,
            "commandArn": self.command_arn,
            "targetArn": self.target_arn,
            "status": self.status,
            "executionTimeoutSeconds": self.timeout_seconds,
            "lastUpdatedAt": self.last_updated_at,
            "timeToLive": self.created_at + TIME_TO_LIVE,
        }
        if self.status_reason is not None:
            body["statusReason"] = dict(self.status_reason)
        if include_result and self.result is not None:
            body["result"] = {name: dict(value) for name, value in self.result.items()}
        if self.parameters:
            body["parameters"] = {name: dict(value) for name, value in self.parameters.items()}
        return self._times(body)

    def summary(self) -> dict[str, object]:
        """ListCommandExecutions' ``CommandExecutionSummary``."""
        return self._times(
            {
                "commandArn": self.command_arn,
                "executionId": self.execution_id,
                "targetArn": self.target_arn,
                "status": self.status,
            }
        )
