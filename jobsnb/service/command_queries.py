"""The control plane's reads and deletions of command executions.

GetCommandExecution, ListCommandExecutions and DeleteCommandExecution over the executions
:class:`~jobsnb.service.command_executions.CommandExecutions` starts and its devices update.

Decisions where AWS is silent:

* DeleteCommandExecution of an execution that does not exist succeeds (the model lists no
  ResourceNotFoundException); one not final (a cloud TIMED_OUT included) is a ConflictException.
* GetCommandExecution leaves ``result`` out unless ``includeResult=true`` (the model gives no
  default).
* ListCommandExecutions by ``commandArn`` needs the command to exist (ResourceNotFoundException);
  by ``targetArn`` it does not. Time filters take ``after`` inclusive and ``before`` exclusive, in
  UTC; the list is ordered by creation, or with ``completedTimeFilter`` by completion.
"""

from __future__ import annotations

import re
from typing import Any

from jobsnb.limits import COMMAND_STATUSES, MAX_TARGET_ARN_LENGTH
from jobsnb.service.command_models import CommandExecution
from jobsnb.service.command_values import (
    NAMESPACES,
    SORT_ORDERS,
    check_enum,
    parse_time_filter,
)
from jobsnb.service.commands import CommandRegistry, page_in_order
from jobsnb.service.errors import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from jobsnb.service.locking import locked, operation

__all__ = ["CommandExecutionQueries"]

_EXECUTION_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class CommandExecutionQueries(CommandRegistry):
    """Get, list and delete the command executions of one account and region."""

    command_executions: dict[str, CommandExecution]
    _executions_by: dict[str, list[CommandExecution]]

    def _execution(self, execution_id: str, target_arn: str) -> CommandExecution | None:
        if not _EXECUTION_ID.fullmatch(execution_id):
            raise ValidationException("executionId must be 1-64 characters of [a-zA-Z0-9_-].")
        if len(target_arn) > MAX_TARGET_ARN_LENGTH:
            raise ValidationException(
                f"targetArn must be at most {MAX_TARGET_ARN_LENGTH} characters."
            )
        execution = self.command_executions.get(execution_id)
        return execution if execution is not None and execution.target_arn == target_arn else None

    @operation
    def get_command_execution(self, execution_id: str, target_arn: str) -> CommandExecution:
        """The execution on that target; ResourceNotFoundException when there is none."""
        execution = self._execution(execution_id, target_arn)
        if execution is None:
            raise ResourceNotFoundException(
                f"Command execution {execution_id} on {target_arn} does not exist."
            )
        return execution

    @operation
    def delete_command_execution(self, execution_id: str, target_arn: str) -> None:
        """Delete a final execution; ConflictException for one not final."""
        execution = self._execution(execution_id, target_arn)
        if execution is None:
            return
        if not execution.terminal:
            raise ConflictException(
                f"Command execution {execution_id} is {execution.status}, not final: only "
                "final executions can be deleted.",
                execution_id,
            )
        execution.deleted = True
        del self.command_executions[execution_id]

    @operation
    def list_command_executions(
        self,
        command_arn: str | None = None,
        target_arn: str | None = None,
        status: str | None = None,
        namespace: str | None = None,
        sort_order: str | None = None,
        started_time_filter: dict[str, Any] | None = None,
        completed_time_filter: dict[str, Any] | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> tuple[list[CommandExecution], str | None]:
        """One page of the executions of one command or one target, newest first by default."""
        if (command_arn is None) == (target_arn is None):
            raise ValidationException("Exactly one of commandArn and targetArn is required.")
        if started_time_filter is not None and completed_time_filter is not None:
            raise ValidationException(
                "At most one of startedTimeFilter and completedTimeFilter may be given."
            )
        check_enum(status, "status", COMMAND_STATUSES)
        check_enum(namespace, "namespace", NAMESPACES)
        check_enum(sort_order, "sortOrder", SORT_ORDERS)
        if command_arn is not None:
            command_id = self._name_from_arn(command_arn, "command")
            if command_id is None:
                raise ValidationException(f"commandArn {command_arn!r} is not a command ARN.")
            self._command(command_id)
            key = command_arn
        else:
            assert target_arn is not None
            key = target_arn
        items = self._executions_by.get(key, [])
        by_completion = completed_time_filter is not None
        after, before = parse_time_filter(
            completed_time_filter if by_completion else started_time_filter or {},
            "completedTimeFilter" if by_completion else "startedTimeFilter",
        )
        if by_completion:
            done = [ex for ex in items if ex.completed_at is not None]
            items = sorted(done, key=lambda ex: ex.completed_at or 0.0)

        def keep(execution: CommandExecution) -> CommandExecution | None:
            moment = execution.completed_at if by_completion else execution.created_at
            if execution.deleted or namespace == "AWS-IoT-FleetWise" or moment is None:
                return None
            if status is not None and execution.status != status:
                return None
            if (after is not None and moment < after) or (before is not None and moment >= before):
                return None
            return execution

        return page_in_order(items, keep, next_token, max_results, sort_order != "ASCENDING")

    @locked
    def command_status_counts(self) -> dict[str, int]:
        """Command executions per status (deleted ones left out)."""
        totals: dict[str, int] = {}
        for execution in self.command_executions.values():
            totals[execution.status] = totals.get(execution.status, 0) + 1
        return totals
