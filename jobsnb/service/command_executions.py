"""Command executions: StartCommandExecution, the cloud's timer and the device's side.

A base of :class:`~jobsnb.service.backend.JobsBackend`. An execution starts CREATED, with a
timer from its creation (``executionTimeoutSeconds``, 10 by default, at most 12 hours, as AWS's
developer guide says). Its device reports through :meth:`CommandExecutions.
update_command_execution` (MQTT's response topic, in-process) and learns of it through
:meth:`CommandExecutions.on_command` (MQTT's request topic, in-process).

The status rules, from AWS's developer guide: a device may report IN_PROGRESS (again and again),
SUCCEEDED, FAILED, REJECTED or TIMED_OUT; the last four are final. When the timer expires first
the cloud sets TIMED_OUT with reason ``$NO_RESPONSE_FROM_DEVICE``, and that is not final: the
device may still report SUCCEEDED, FAILED, REJECTED, or TIMED_OUT (which keeps the status and
takes the device's reason), not IN_PROGRESS. ``completedAt`` is the time of the device's final
report. A refused report raises InvalidStateTransitionException (MQTT's ``response/rejected``).

Decisions where AWS is silent:

* Targets are things of this account and region (no MQTT client ids, no groups).
* Execution ids are UUIDs drawn from a counter, so that a seeded simulation replays the same ids.
* A device's report replaces ``statusReason`` and ``result`` when it gives them and keeps them
  when it does not, except the cloud's ``$NO_RESPONSE_FROM_DEVICE``, which any report replaces.
* ``startedAt`` is ``createdAt`` (the timer runs from creation; AWS's ListCommandExecutions
  example shows them equal) and ``timeToLive`` is 180 days after it (AWS: "six months").
"""

from __future__ import annotations

import hashlib
import heapq
import json
import uuid
from collections.abc import Callable
from typing import Any

from jobsnb.limits import MAX_TARGET_ARN_LENGTH
from jobsnb.service.command_models import Command, CommandExecution, CommandRequest
from jobsnb.service.command_queries import CommandExecutionQueries
from jobsnb.service.command_values import (
    check_command_id,
    check_parameters,
    check_result,
    check_status_reason,
)
from jobsnb.service.commands import MAX_TIMEOUT_SECONDS, CommandRegistry
from jobsnb.service.errors import (
    ConflictException,
    InvalidStateTransitionException,
    ResourceNotFoundException,
    ValidationException,
)
from jobsnb.service.locking import operation

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "NO_RESPONSE", "CommandExecutions", "CommandListener"]

#: Called with each execution started, as its device would receive it, under the lock.
CommandListener = Callable[[CommandRequest], None]

#: AWS's default ``executionTimeoutSeconds``.
DEFAULT_TIMEOUT_SECONDS = 10
#: The cloud's reason for the TIMED_OUT it sets.
NO_RESPONSE = "$NO_RESPONSE_FROM_DEVICE"

_DEVICE_STATUSES = ("IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT")
_IDS = uuid.UUID("6c1f2f5e-4b1a-4f0e-9a57-0c6d3c3f1d2a")


class CommandExecutions(CommandExecutionQueries):
    """The executions of the registry's commands, their timers and their devices' reports.

    Examples
    --------
    >>> from jobsnb.service import JobsBackend, ManualClock
    >>> backend = JobsBackend(ManualClock(1_700_000_000))
    >>> _ = backend.create_thing("t1")
    >>> command = backend.create_command("reboot", payload=b'{"op": "reboot"}')
    >>> sent = []
    >>> _ = backend.on_command(sent.append)
    >>> execution_id = backend.start_command_execution(backend.thing_arn("t1"), command.arn)
    >>> sent[0].topic == f"$aws/commands/things/t1/executions/{execution_id}/request"
    True
    >>> backend.update_command_execution("t1", execution_id, "SUCCEEDED").status
    'SUCCEEDED'
    """

    def __init__(self) -> None:
        CommandRegistry.__init__(self)
        self.command_executions: dict[str, CommandExecution] = {}
        self._executions_by: dict[str, list[CommandExecution]] = {}
        self._by_token: dict[str, tuple[str, str]] = {}
        self._command_listeners: list[CommandListener] = []
        self._started = 0

    # ----------------------------------------------------------------- hook and timers
    def on_command(self, listener: CommandListener) -> Callable[[], None]:
        """Call ``listener(request)`` for every execution started from now on.

        ``request`` is a :class:`~jobsnb.service.command_models.CommandRequest`: what the
        device would receive on its request topic. Calls come while the lock is held, so a
        listener only records what it is told; it must not call the backend. Returns a
        function that removes the listener.
        """
        with self.lock:
            self._command_listeners.append(listener)

        def remove() -> None:
            with self.lock:
                if listener in self._command_listeners:
                    self._command_listeners.remove(listener)

        return remove

    def tick(self) -> float:
        """Apply what fell due: the engine's timers, then deletions and execution timeouts."""
        with self.lock:
            now = super().tick()
            timers = self._command_timers
            while timers and timers[0][0] <= now:
                due, _, target = heapq.heappop(timers)
                if isinstance(target, Command):
                    if target.deletes_at == due and not target.removed:
                        self._remove_command(target)
                elif _open(target) and target.deadline == due:
                    target.status = "TIMED_OUT"
                    target.status_reason = {"reasonCode": NO_RESPONSE}
                    target.last_updated_at = due
            return now

    def next_due(self) -> float | None:
        """When the next timer of the engine or of the commands falls due."""
        with self.lock:
            due = super().next_due()
            timers = self._command_timers
            while timers:
                first, _, target = timers[0]
                if isinstance(target, Command):
                    live = target.deletes_at == first and not target.removed
                else:
                    live = _open(target)
                if live:
                    return first if due is None else min(due, first)
                heapq.heappop(timers)
            return due

    # ----------------------------------------------------------------- data plane
    @operation
    def start_command_execution(
        self,
        target_arn: str,
        command_arn: str,
        parameters: dict[str, Any] | None = None,
        execution_timeout_seconds: int | None = None,
        client_token: str | None = None,
    ) -> str:
        """Start the command on a thing; return the execution id.

        The same ``client_token`` with the same request gives the same id.

        Raises
        ------
        ResourceNotFoundException
            When the command or the thing does not exist.
        ValidationException
            When an ARN is malformed, the command is deprecated or pending deletion, the
            parameters do not match its mandatory parameters, or the timeout is out of range.
        ConflictException
            When ``client_token`` was used with a different request.
        """
        thing_name = self._thing_target(target_arn)
        command_id = self._name_from_arn(command_arn, "command")
        if command_id is None:
            raise ValidationException(
                f"commandArn {command_arn!r} is not a command ARN of this account."
            )
        check_command_id(command_id, "commandArn's command id")
        given = None if parameters is None else check_parameters(parameters)
        timeout = DEFAULT_TIMEOUT_SECONDS
        if execution_timeout_seconds is not None:
            timeout = execution_timeout_seconds
            if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
                raise ValidationException(
                    f"executionTimeoutSeconds must be between 1 and {MAX_TIMEOUT_SECONDS}."
                )
        fingerprint = hashlib.sha256(
            json.dumps(
                [target_arn, command_arn, given, execution_timeout_seconds], sort_keys=True
            ).encode()
        ).hexdigest()
        if client_token is not None and client_token in self._by_token:
            seen, execution_id = self._by_token[client_token]
            if seen != fingerprint:
                raise ConflictException(
                    f"clientToken {client_token} was used with a different request.", execution_id
                )
            return execution_id
        command = self._command(command_id)
        if command.deprecated or command.pending_deletion:
            state = "deprecated" if command.deprecated else "pending deletion"
            raise ValidationException(
                f"Command {command_id} is {state}; no execution can start "
                "(restore it with UpdateCommand deprecated=false)."
            )
        self.describe_thing(thing_name)
        resolved = command.resolve(given)
        now = self.now()
        self._started += 1
        execution_id = str(uuid.uuid5(_IDS, f"{self.account_id}:{self.region}:{self._started}"))
        execution = CommandExecution(
            execution_id, command.arn, target_arn, thing_name, now, timeout, resolved,
            last_updated_at=now,
        )  # fmt: skip
        self.command_executions[execution_id] = execution
        for key in (command.arn, target_arn):
            self._executions_by.setdefault(key, []).append(execution)
        if client_token is not None:
            self._by_token[client_token] = (fingerprint, execution_id)
        self._schedule_command_timer(execution.deadline, execution)
        suffix = "" if command.request_format is None else "/" + command.request_format
        request = CommandRequest(
            execution_id,
            thing_name,
            command.command_id,
            command.arn,
            f"$aws/commands/things/{thing_name}/executions/{execution_id}/request{suffix}",
            command.render(resolved, timeout),
            "application/json" if command.payload_template is not None else command.content_type,
            resolved,
            now,
            timeout,
        )
        for listener in self._command_listeners:
            listener(request)
        return execution_id

    def _thing_target(self, target_arn: str) -> str:
        if len(target_arn) > MAX_TARGET_ARN_LENGTH:
            raise ValidationException(
                f"targetArn must be at most {MAX_TARGET_ARN_LENGTH} characters."
            )
        if self._name_from_arn(target_arn, "client") is not None:
            raise ValidationException(
                "The local service does not support MQTT client targets: targetArn must be a "
                "thing ARN."
            )
        thing_name = self._name_from_arn(target_arn, "thing")
        if not thing_name:
            raise ValidationException(
                f"targetArn {target_arn!r} is not a thing ARN of this account."
            )
        return thing_name

    # ----------------------------------------------------------------- the device's side
    @operation
    def update_command_execution(
        self,
        thing_name: str,
        execution_id: str,
        status: str,
        status_reason: dict[str, Any] | None = None,
        result: dict[str, Any] | None = None,
    ) -> CommandExecution:
        """A device's report on its execution (MQTT's response topic, in-process); return it.

        ``result`` uses the device's lowercase members (``{"uptime": {"s": "41 days"}}``).

        Raises
        ------
        ResourceNotFoundException
            When the thing has no execution ``execution_id``.
        ValidationException
            When the status is not one a device reports, or the reason or result is malformed.
        InvalidStateTransitionException
            When the execution is final, or IN_PROGRESS follows the cloud's TIMED_OUT.
        """
        execution = self.command_executions.get(execution_id)
        if execution is None or execution.thing_name != thing_name:
            raise ResourceNotFoundException(
                f"Thing {thing_name} has no command execution {execution_id}."
            )
        if status not in _DEVICE_STATUSES:
            raise ValidationException(f"status must be one of {', '.join(_DEVICE_STATUSES)}.")
        reason = check_status_reason(status_reason)
        checked = check_result(result)
        if execution.terminal:
            raise InvalidStateTransitionException(
                f"Command execution {execution_id} is final ({execution.status}); "
                "it takes no further reports."
            )
        if execution.status == "TIMED_OUT" and status == "IN_PROGRESS":
            raise InvalidStateTransitionException(
                f"Command execution {execution_id} timed out; report a final status instead."
            )
        now = self.now()
        if reason is not None or (execution.status_reason or {}).get("reasonCode") == NO_RESPONSE:
            execution.status_reason = reason
        if checked is not None:
            execution.result = checked
        execution.status = status
        execution.last_updated_at = now
        if status != "IN_PROGRESS":
            execution.completed_at = now
        return execution


def _open(execution: CommandExecution) -> bool:
    """True while the cloud's timer can still time the execution out."""
    return execution.status in ("CREATED", "IN_PROGRESS") and not execution.deleted
