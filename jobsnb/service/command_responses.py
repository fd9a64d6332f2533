"""Request → backend call → JSON for the commands operations of both planes.

The registry (CreateCommand, GetCommand, ListCommands, UpdateCommand, DeleteCommand) and the
control plane's executions (GetCommandExecution, ListCommandExecutions, DeleteCommandExecution)
on the ``iot`` plane; StartCommandExecution on the data plane. Their models name
ValidationException for bad input, which is what ``req.fail`` raises for them. Each handler is
named like its AWS operation, whose documentation is its own.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from jobsnb.service.backend import JobsBackend
from jobsnb.service.command_models import Command
from jobsnb.service.job_update_responses import refuse_unsupported
from jobsnb.service.paging import page_body
from jobsnb.service.requests import Request

__all__ = [
    "Reply",
    "create_command",
    "delete_command",
    "delete_command_execution",
    "get_command",
    "get_command_execution",
    "list_command_executions",
    "list_commands",
    "start_command_execution",
    "update_command",
]

Body = dict[str, Any]


class Reply(dict[str, Any]):
    """A response body whose HTTP status is not 200 (the app reads ``status``)."""

    def __init__(self, status: int, body: Body | None = None) -> None:
        super().__init__(body or {})
        self.status = status


def _target(req: Request) -> str:
    target = req.query_string("targetArn")
    if target is None:
        raise req.fail("targetArn is required.")
    return target


# ---------------------------------------------------------------------------- data plane
def start_command_execution(backend: JobsBackend, req: Request) -> Body:
    """StartCommandExecution: the execution id."""
    target = req.string("targetArn", required=True)
    command = req.string("commandArn", required=True)
    assert target is not None
    assert command is not None
    token = req.string("clientToken")
    if token is not None and not (
        1 <= len(token) <= 64 and all("\x21" <= ch <= "\x7e" for ch in token)
    ):
        raise req.fail("clientToken must be 1-64 printable ASCII characters.")
    execution_id = backend.start_command_execution(
        target, command, req.struct("parameters"), req.integer("executionTimeoutSeconds"), token
    )
    return {"executionId": execution_id}


# ---------------------------------------------------------------------------- registry
def create_command(backend: JobsBackend, req: Request) -> Body:
    """CreateCommand: commandId and commandArn."""
    refuse_unsupported(req, ("tags",))
    namespace = req.string("namespace")
    if namespace == "AWS-IoT-FleetWise":
        raise req.fail("The local service does not support namespace AWS-IoT-FleetWise.")
    if namespace not in (None, "AWS-IoT"):
        raise req.fail("namespace must be AWS-IoT or AWS-IoT-FleetWise.")
    if req.string("roleArn") is not None:
        raise req.fail("roleArn is not supported with the AWS-IoT namespace.")
    payload = req.struct("payload")
    content: bytes | None = None
    content_type: str | None = None
    if payload is not None:
        encoded = payload.get("content")
        if not isinstance(encoded, str):
            raise req.fail("payload.content is required: the payload, base64-encoded.")
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise req.fail("payload.content must be base64.") from None
        content_type = payload.get("contentType")
        if content_type is not None and not isinstance(content_type, str):
            raise req.fail("payload.contentType must be a string.")
    parameters = req.body.get("mandatoryParameters")
    command = backend.create_command(
        req.path["commandId"],
        payload=content,
        content_type=content_type,
        payload_template=req.string("payloadTemplate"),
        preprocessor=req.struct("preprocessor"),
        mandatory_parameters=parameters,
        display_name=req.string("displayName"),
        description=req.string("description"),
    )
    return {"commandId": command.command_id, "commandArn": command.arn}


def get_command(backend: JobsBackend, req: Request) -> Body:
    """GetCommand: the command."""
    return backend.get_command(req.path["commandId"]).describe()


def list_commands(backend: JobsBackend, req: Request) -> Body:
    """ListCommands: one page of command summaries."""
    commands, token = backend.list_commands(
        req.query_string("namespace"),
        req.query_string("commandParameterName"),
        req.query_string("sortOrder"),
        req.query_string("nextToken"),
        req.query_int("maxResults"),
    )
    return page_body("commands", [command.summary() for command in commands], token)


def update_command(backend: JobsBackend, req: Request) -> Body:
    """UpdateCommand: the command's new state."""
    deprecated = req.body.get("deprecated")
    if deprecated is not None and not isinstance(deprecated, bool):
        raise req.fail("deprecated must be a boolean.")
    command: Command = backend.update_command(
        req.path["commandId"],
        display_name=req.string("displayName"),
        description=req.string("description"),
        deprecated=deprecated,
    )
    body: Body = {
        "commandId": command.command_id,
        "deprecated": command.deprecated,
        "lastUpdatedAt": command.last_updated_at,
    }
    if command.display_name is not None:
        body["displayName"] = command.display_name
    if command.description is not None:
        body["description"] = command.description
    return body


def delete_command(backend: JobsBackend, req: Request) -> Body:
    """DeleteCommand: no body; 202 when the deletion is scheduled, 204 when done."""
    return Reply(backend.delete_command(req.path["commandId"]))


# ---------------------------------------------------------------------------- executions
def get_command_execution(backend: JobsBackend, req: Request) -> Body:
    """GetCommandExecution: the execution, its result when includeResult."""
    execution = backend.get_command_execution(req.path["executionId"], _target(req))
    return execution.describe(req.query_bool("includeResult"))


def list_command_executions(backend: JobsBackend, req: Request) -> Body:
    """ListCommandExecutions: one page of execution summaries."""
    executions, token = backend.list_command_executions(
        command_arn=req.string("commandArn"),
        target_arn=req.string("targetArn"),
        status=req.string("status"),
        namespace=req.string("namespace"),
        sort_order=req.string("sortOrder"),
        started_time_filter=req.struct("startedTimeFilter"),
        completed_time_filter=req.struct("completedTimeFilter"),
        next_token=req.query_string("nextToken"),
        max_results=req.query_int("maxResults"),
    )
    return page_body("commandExecutions", [ex.summary() for ex in executions], token)


def delete_command_execution(backend: JobsBackend, req: Request) -> Body:
    """DeleteCommandExecution: no output members."""
    backend.delete_command_execution(req.path["executionId"], _target(req))
    return {}
