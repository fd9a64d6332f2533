"""The command registry: CreateCommand, GetCommand, ListCommands, UpdateCommand, DeleteCommand.

A base of :class:`~jobsnb.service.backend.JobsBackend` (through
:class:`~jobsnb.service.command_executions.CommandExecutions`). Only the ``AWS-IoT`` namespace
is served: ``AWS-IoT-FleetWise`` commands, and ``roleArn`` (FleetWise's), are refused.

Decisions where AWS is silent:

* A deletion that AWS schedules (the command is not deprecated, or was deprecated less than
  the 12-hour maximum execution timeout ago: 202) removes the command 12 hours after the
  DeleteCommand, on the service clock; meanwhile GetCommand shows ``pendingDeletion``,
  ListCommands leaves it out, UpdateCommand and CreateCommand with its id answer
  ConflictException and StartCommandExecution ValidationException. DeleteCommand of a command
  that does not exist answers 204 (the model lists no ResourceNotFoundException).
* UpdateCommand may not edit a deprecated command (ConflictException) unless the same call
  restores it (``deprecated=false``).
* Executions outlive their command: GetCommandExecution still answers after the removal.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from jobsnb.limits import COMMAND_PARAMETER_MEMBERS, COMMAND_PARAMETER_NAME_PATTERN
from jobsnb.service import strict_json
from jobsnb.service.command_conditions import check_conditions
from jobsnb.service.command_models import (
    PLACEHOLDER,
    TIMEOUT_PLACEHOLDER,
    Command,
    CommandExecution,
)
from jobsnb.service.command_values import (
    NAMESPACES,
    SORT_ORDERS,
    check_command_id,
    check_enum,
    check_parameter_value,
    check_text,
)
from jobsnb.service.engine import Engine
from jobsnb.service.errors import ConflictException, ResourceNotFoundException, ValidationException
from jobsnb.service.locking import operation
from jobsnb.service.paging import page
from jobsnb.service.things import ThingRegistry

__all__ = [
    "DEFAULT_COMMAND_PAGE",
    "MAX_PAYLOAD",
    "MAX_TIMEOUT_SECONDS",
    "CommandRegistry",
    "page_in_order",
]

#: The largest payload or payload template, in bytes (AWS's developer guide: 32 KB).
MAX_PAYLOAD = 32 * 1024
#: The longest execution timeout (AWS: 12 hours); also how long a scheduled deletion waits.
MAX_TIMEOUT_SECONDS = 12 * 3600
#: ListCommands' default page size (its model: 25); ListCommandExecutions uses it too.
DEFAULT_COMMAND_PAGE = 25

_CONTENT_TYPE = re.compile(r"[^/\s]+/[^/\s]+")
_PLACEHOLDERS = re.compile(re.escape(PLACEHOLDER) + r"([^}]*)\}")

T = TypeVar("T")
R = TypeVar("R")


def _before(index: int) -> str:
    return base64.urlsafe_b64encode(f"before:{index}".encode()).decode()


def page_in_order(
    items: Sequence[T],
    convert: Callable[[T], R | None],
    next_token: str | None,
    max_results: int | None,
    descending: bool,
) -> tuple[list[R], str | None]:
    """One page of ``items`` (oldest first) in either order, up to 100 a page (default 25).

    Descending pages count from the end a token saw, so items appended meanwhile do not shift
    the pages already handed out, as they do not ascending (:func:`~.paging.page`).
    """
    size = DEFAULT_COMMAND_PAGE if max_results is None else max_results
    if not descending:
        return page(items, convert, next_token, size, limit=100)
    if not 1 <= size <= 100:
        raise ValidationException("maxResults must be between 1 and 100")
    end = len(items)
    if next_token:
        try:
            prefix, _, number = base64.urlsafe_b64decode(next_token).decode().partition(":")
            end = int(number)
        except (ValueError, UnicodeError):
            prefix = ""
        if prefix != "before" or not 0 <= end <= len(items):
            raise ValidationException(f"Invalid nextToken: {next_token!r}")
    found: list[R] = []
    index = end - 1
    while index >= 0 and len(found) < size:
        converted = convert(items[index])
        index -= 1
        if converted is not None:
            found.append(converted)
    while index >= 0 and convert(items[index]) is None:
        index -= 1
    return found, (_before(index + 1) if index >= 0 else None)


def _mandatory_parameters(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise ValidationException(
            "mandatoryParameters is required with a payloadTemplate: a non-empty list."
        )
    checked: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        where = f"mandatoryParameters[{index}]"
        if not isinstance(item, dict):
            raise ValidationException(f"{where} must be an object.")
        if item.get("value") is not None:
            raise ValidationException(
                "The local service does not support mandatoryParameters.value."
            )
        unknown = set(item) - {"name", "type", "defaultValue", "description", "valueConditions"}
        if unknown:
            raise ValidationException(f"{where} has unknown member {sorted(unknown)[0]}.")
        name = item.get("name")
        if not isinstance(name, str) or not COMMAND_PARAMETER_NAME_PATTERN.fullmatch(name):
            raise ValidationException(f"{where}.name must be 1-192 characters of [.$a-zA-Z0-9_-].")
        if any(p["name"] == name for p in checked):
            raise ValidationException(f"{where}.name {name!r} is declared twice.")
        spec: dict[str, Any] = {"name": name}
        kind = item.get("type")
        if kind is not None:
            if kind not in COMMAND_PARAMETER_MEMBERS:
                raise ValidationException(
                    f"{where}.type must be one of {', '.join(COMMAND_PARAMETER_MEMBERS)}."
                )
            spec["type"] = kind
        default = item.get("defaultValue")
        if default is not None:
            spec["defaultValue"] = check_parameter_value(default, f"{where}.defaultValue")
            if kind is not None and COMMAND_PARAMETER_MEMBERS[kind] not in spec["defaultValue"]:
                raise ValidationException(f"{where}.defaultValue must be of type {kind}.")
        if item.get("valueConditions") is not None:
            spec["valueConditions"] = check_conditions(item["valueConditions"], kind, where)
        description = check_text(item.get("description"), f"{where}.description", 2028)
        if description is not None:
            spec["description"] = description
        checked.append(spec)
    return checked


def _template(
    template: object, preprocessor: object, parameters: object
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    if not isinstance(template, str) or len(template.encode()) > MAX_PAYLOAD:
        raise ValidationException(
            f"payloadTemplate must be a string of at most {MAX_PAYLOAD} bytes."
        )
    try:
        # The request body's own rules: a template nested past them would fail its rendering.
        strict_json.loads(template)
    except strict_json.JsonRefused as error:
        raise ValidationException(f"payloadTemplate must be valid JSON: {error}") from None
    names = _PLACEHOLDERS.findall(template)
    if not names and TIMEOUT_PLACEHOLDER not in template:
        raise ValidationException("payloadTemplate must contain at least one placeholder.")
    substitution = preprocessor.get("awsJsonSubstitution") if isinstance(preprocessor, dict) else {}
    output = substitution.get("outputFormat") if isinstance(substitution, dict) else None
    if output == "CBOR":
        raise ValidationException(
            "The local service does not support preprocessor.awsJsonSubstitution.outputFormat CBOR."
        )
    if output != "JSON":
        raise ValidationException(
            "preprocessor is required with a payloadTemplate: "
            "{awsJsonSubstitution: {outputFormat: JSON}}."
        )
    declared = _mandatory_parameters(parameters)
    for name in names:
        if not any(p["name"] == name for p in declared):
            raise ValidationException(
                f"payloadTemplate placeholder {name!r} is not a mandatoryParameters name."
            )
    return template, {"awsJsonSubstitution": {"outputFormat": "JSON"}}, declared


class CommandRegistry(ThingRegistry, Engine):
    """The commands of one account and region, with the timers their deletions set.

    Examples
    --------
    >>> from jobsnb.service import JobsBackend, ManualClock
    >>> backend = JobsBackend(ManualClock(1_700_000_000))
    >>> backend.create_command("reboot", payload=b"{}").arn
    'arn:aws:iot:us-east-1:123456789012:command/reboot'
    >>> backend.delete_command("reboot"), backend.get_command("reboot").pending_deletion
    (202, True)
    """

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.command_list: list[Command] = []
        self._command_timers: list[tuple[float, int, Command | CommandExecution]] = []
        self._command_seq = itertools.count()

    def _schedule_command_timer(self, due: float, target: Command | CommandExecution) -> None:
        heapq.heappush(self._command_timers, (due, next(self._command_seq), target))

    def _command(self, command_id: str) -> Command:
        check_command_id(command_id)
        command = self.commands.get(command_id)
        if command is None:
            raise ResourceNotFoundException(f"Command {command_id} does not exist.")
        return command

    def _remove_command(self, command: Command) -> None:
        command.removed = True
        if self.commands.get(command.command_id) is command:
            del self.commands[command.command_id]

    @operation
    def create_command(
        self,
        command_id: str,
        payload: bytes | None = None,
        content_type: str | None = None,
        payload_template: str | None = None,
        preprocessor: dict[str, Any] | None = None,
        mandatory_parameters: list[dict[str, Any]] | None = None,
        display_name: str | None = None,
        description: str | None = None,
    ) -> Command:
        """Create a command with a static ``payload`` or a ``payload_template``; return it.

        Raises
        ------
        ConflictException
            When a command with ``command_id`` exists (pending deletion included).
        ValidationException
            When an input breaks AWS's rules, naming the field and the rule.
        """
        check_command_id(command_id)
        if command_id in self.commands:
            raise ConflictException(f"Command {command_id} already exists.", command_id)
        if (payload is None) == (payload_template is None):
            raise ValidationException("Exactly one of payload and payloadTemplate is required.")
        now = self.now()
        command = Command(command_id, self._arn("command", command_id), now, last_updated_at=now)
        command.display_name = check_text(display_name, "displayName", 64)
        command.description = check_text(description, "description", 2028)
        if payload is not None:
            if not payload or len(payload) > MAX_PAYLOAD:
                raise ValidationException(f"payload.content is required: 1 to {MAX_PAYLOAD} bytes.")
            for name, value in (("mandatoryParameters", mandatory_parameters),
                                ("preprocessor", preprocessor)):  # fmt: skip
                if value is not None:
                    raise ValidationException(f"{name} goes with a payloadTemplate, not a payload.")
            if content_type is not None and not _CONTENT_TYPE.fullmatch(content_type):
                raise ValidationException("payload.contentType must be type/subtype.")
            command.payload, command.content_type = payload, content_type
        else:
            command.payload_template, command.preprocessor, command.mandatory_parameters = (
                _template(payload_template, preprocessor, mandatory_parameters)
            )
        self.commands[command_id] = command
        self.command_list.append(command)
        return command

    @operation
    def get_command(self, command_id: str) -> Command:
        """The command; ResourceNotFoundException when there is none (or it was removed)."""
        return self._command(command_id)

    @operation
    def list_commands(
        self,
        namespace: str | None = None,
        command_parameter_name: str | None = None,
        sort_order: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> tuple[list[Command], str | None]:
        """One page of commands, newest first unless ``sort_order`` is ASCENDING.

        Commands pending deletion are left out (AWS's developer guide); ``namespace``
        AWS-IoT-FleetWise lists none; ``command_parameter_name`` keeps the commands declaring
        that mandatory parameter.
        """
        check_enum(namespace, "namespace", NAMESPACES)
        check_enum(sort_order, "sortOrder", SORT_ORDERS)

        def keep(command: Command) -> Command | None:
            if command.removed or command.pending_deletion or namespace == "AWS-IoT-FleetWise":
                return None
            if command_parameter_name is not None and not command.has_parameter(
                command_parameter_name
            ):
                return None
            return command

        return page_in_order(
            self.command_list, keep, next_token, max_results, sort_order != "ASCENDING"
        )

    @operation
    def update_command(
        self,
        command_id: str,
        display_name: str | None = None,
        description: str | None = None,
        deprecated: bool | None = None,
    ) -> Command:
        """Change the display name or description, or deprecate or restore; return it.

        Raises
        ------
        ResourceNotFoundException
            When the command does not exist.
        ConflictException
            When it is pending deletion, or deprecated and not restored by this call but edited.
        """
        command = self._command(command_id)
        display_name = check_text(display_name, "displayName", 64)
        description = check_text(description, "description", 2028)
        if command.pending_deletion:
            raise ConflictException(f"Command {command_id} is pending deletion.", command_id)
        edits = display_name is not None or description is not None
        if edits and command.deprecated and deprecated is not False:
            raise ConflictException(
                f"Command {command_id} is deprecated: restore it (deprecated=false) to edit it.",
                command_id,
            )
        now = self.now()
        if deprecated is not None and deprecated != command.deprecated:
            command.deprecated = deprecated
            command.deprecated_at = now if deprecated else None
            command.last_updated_at = now
        if display_name is not None:
            command.display_name = display_name
        if description is not None:
            command.description = description
        if edits:
            command.last_updated_at = now
        return command

    @operation
    def delete_command(self, command_id: str) -> int:
        """Delete the command; return the HTTP status AWS answers (204 removed, 202 scheduled)."""
        check_command_id(command_id)
        command = self.commands.get(command_id)
        if command is None:
            return 204
        now = self.now()
        if command.pending_deletion:
            return 202
        if command.deprecated_at is not None and now - command.deprecated_at >= MAX_TIMEOUT_SECONDS:
            self._remove_command(command)
            return 204
        command.deletes_at = now + MAX_TIMEOUT_SECONDS
        command.last_updated_at = now
        self._schedule_command_timer(command.deletes_at, command)
        return 202
