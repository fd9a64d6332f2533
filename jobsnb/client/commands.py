"""AWS IoT Commands across a fleet: start a command on many things, and list the commands.

:class:`Commands` makes StartCommandExecution (data plane) for many things at once through the
client's fan-out, within the writes budget; :class:`~jobsnb.client.FleetClient` offers its
methods as its own. A command is named by its id or its ARN; an id is looked up once with
GetCommand (control plane), which also gives the ARN the things' ARNs are built from (a command
targets things of its own account and region). Every thing's call carries its own
``clientToken``, the same on each retry, so a call whose answer was lost and is sent again
returns the execution it started instead of starting a second one. The executions' states are
read by :mod:`jobsnb.client.command_executions`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, Final

import pandas as pd

from jobsnb import frames
from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import OnError, Things
from jobsnb.client._calls import Calls, Outcome
from jobsnb.client._command_arguments import check_command_parameters
from jobsnb.client.control_plane import ControlPlane
from jobsnb.client.progress import Progress
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import (
    COMMAND_ARN_PATTERN,
    COMMAND_PAGE_SIZE,
    COMMAND_PARAMETER_MEMBERS,
    check_command,
    check_execution_timeout_seconds,
)

__all__ = [
    "TOKEN_PREFIX",
    "CommandTarget",
    "Commands",
    "check_client_token",
    "client_tokens",
    "look_up",
    "named_errors",
]

#: What every generated clientToken starts with (then 32 hex digits: 39 of the 64 allowed).
TOKEN_PREFIX: Final = "jobsnb-"


def check_client_token(token: object) -> str | None:
    """Return ``token`` if it is None or a non-empty string (a base for every thing's token).

    Examples
    --------
    >>> check_client_token("reboot-2024-06-01"), check_client_token(None)
    ('reboot-2024-06-01', None)
    """
    if token is not None and (not isinstance(token, str) or not token):
        raise InvalidParameterError("client_token", "must be a non-empty string or None", token)
    return token


def client_tokens(base: str | None, names: Iterable[str]) -> dict[str, str]:
    """One StartCommandExecution ``clientToken`` per thing, derived from ``base``.

    The same ``base`` and thing always give the same token, so running a cell again with the
    same ``client_token`` starts nothing new (AWS answers the executions already started);
    ``base=None`` draws a fresh base, so each call starts new executions.

    Examples
    --------
    >>> tokens = client_tokens("fix-42", ["sensor-1", "sensor-2"])
    >>> tokens == client_tokens("fix-42", ["sensor-1", "sensor-2"]), len(tokens["sensor-1"])
    (True, 39)
    >>> client_tokens(None, ["sensor-1"]) == client_tokens(None, ["sensor-1"])
    False
    """
    seed = uuid.uuid4().hex if base is None else base
    return {
        name: TOKEN_PREFIX + uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}/{name}").hex for name in names
    }


def look_up(
    calls: Calls,
    operation: str,
    call: Callable[[], dict[str, Any]],
    stop: threading.Event | None,
    frame: pd.DataFrame,
) -> tuple[dict[str, Any] | None, Outcome]:
    """One control-plane call a fan-out needs first, made like the fan-out's own calls.

    It goes through ``calls``' pool within the control budget, with its retries, breaker and
    ``stop``. The outcome (on ``frame``) counts that call; when it failed for good (a dead
    endpoint, a stop, an interrupt) the answer is None and the outcome holds the error.
    """
    result = calls.fan_out(
        [operation], lambda _: call(), operation, lambda _: (None, None),
        calls.control_budget, False, stop,
    )  # fmt: skip
    return (None if result.errors else result.responses[0]), Outcome.of(frame, result, 1)


def named_errors(failed: Outcome, names: Iterable[str | None]) -> Outcome:
    """``failed``'s outcome with its one error once per name: nothing could be called for them.

    Examples
    --------
    >>> from jobsnb.client.fanout import CallError
    >>> error = CallError(None, None, "GetCommand", "ResourceNotFoundException", "no such", 1)
    >>> [e.thing_name for e in named_errors(Outcome(pd.DataFrame(), [error]), "ab").errors]
    ['a', 'b']
    """
    failed.errors = [replace(failed.errors[0], thing_name=name) for name in names]
    return failed


class CommandTarget:
    """A command: its ARN, its things' ARN prefix, the value member of each declared parameter.

    A command targets things of its own account and region.

    Examples
    --------
    >>> target = CommandTarget("arn:aws:iot:eu-west-1:123456789012:command/reboot")
    >>> target.thing_arn("sensor-1")
    'arn:aws:iot:eu-west-1:123456789012:thing/sensor-1'
    """

    def __init__(self, command_arn: str, kinds: Mapping[str, str] | None = None) -> None:
        match = COMMAND_ARN_PATTERN.fullmatch(command_arn)
        if match is None:
            raise InvalidParameterError("command", "is not a command ARN", command_arn)
        self.arn = command_arn
        #: The value member of each declared parameter (``{"delay": "L"}``), when looked up.
        self.kinds = dict(kinds or {})
        self.prefix = f"arn:{match['partition']}:iot:{match['region']}:{match['account']}:thing/"

    def thing_arn(self, name: str) -> str:
        """The ARN of thing ``name``."""
        return self.prefix + name


class Commands:
    """The Commands calls of a :class:`~jobsnb.client.FleetClient`, on its shared ``calls``.

    ``progress``, ``stop`` and ``on_error`` are as for
    :class:`~jobsnb.client.data_plane.DataPlane`.
    """

    def __init__(self, calls: Calls, control: ControlPlane) -> None:
        self.calls = calls
        self.control = control

    def resolve(
        self, command: str, stop: threading.Event | None, *, lookup: bool = False
    ) -> tuple[CommandTarget | None, Outcome]:
        """The command's target ARNs: from its ARN as given, or from GetCommand.

        GetCommand is asked for an id, and for an ARN when ``lookup`` (the declared parameter
        types are wanted). The outcome counts that call; when it failed for good (a command the
        account lacks, a stop, an interrupt) the target is None and the outcome holds the error.
        """
        named = COMMAND_ARN_PATTERN.fullmatch(command)
        if named is not None and not lookup:
            return CommandTarget(command), Outcome(pd.DataFrame())
        command_id = named["id"] if named is not None else command
        response, outcome = look_up(
            self.calls,
            "GetCommand",
            lambda: self.calls.control.get_command(commandId=command_id),
            stop,
            pd.DataFrame(),
        )
        if response is None:
            return None, outcome
        kinds = {
            parameter["name"]: COMMAND_PARAMETER_MEMBERS[parameter["type"]]
            for parameter in response.get("mandatoryParameters") or ()
            if parameter.get("type") in COMMAND_PARAMETER_MEMBERS
        }
        return CommandTarget(response["commandArn"], kinds), outcome

    def start_command(
        self,
        things: Things,
        command: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        execution_timeout_seconds: int | None = None,
        client_token: str | None = None,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """StartCommandExecution on every thing: each gets its own execution of ``command``.

        Parameters
        ----------
        things
            A thing name, names, a Series of names or a frame with a ``thing_name`` column.
        command
            The command's id (looked up once with GetCommand) or its ARN.
        parameters
            The execution's parameters, by name: plain values (str, bool, int, float, bytes),
            sent as the type the command declares for them (GetCommand's
            ``mandatoryParameters``; undeclared: ``S``, ``B``, ``I`` (``L`` past 32 bits,
            ``UL`` past 64), ``D``, ``BIN``), or typed ones (``{"UL": "18446744073709551615"}``)
            sent as they are. Checked against the model before any call, and against the
            declared types after GetCommand, before any StartCommandExecution.
        execution_timeout_seconds
            Seconds each device has, from creation, before the cloud sets TIMED_OUT (at
            least 1; the command's or AWS's default when None).
        client_token
            Makes the call repeatable: each thing's ``clientToken`` is derived from it, so the
            same call again (a re-run cell) returns the executions already started instead of
            starting new ones, and a different request with it is a ``ConflictException`` row.
            None (the default): a fresh one per call. Either way a retried thing's call sends
            the same token, so a lost answer never starts a second execution.
        progress, stop, on_error
            A bar or ``progress(done, total)``; a Stop event (calls not made are ``NotRun``
            rows); what failed calls do. See :class:`~jobsnb.client.data_plane.DataPlane`.

        Returns
        -------
        pandas.DataFrame
            One row per thing whose execution started
            (:data:`~jobsnb.schema.STARTED_COMMAND_COLUMNS`: ``execution_id``, ARNs), in the
            order given; every other thing is one row of ``frame.jobsnb.errors`` (an unknown
            thing or command ``ResourceNotFoundException``, a deprecated command the service's
            refusal, an unknown command id the failed ``GetCommand``, for each thing). Pass
            the frame to :meth:`command_executions` to follow the executions.

        Raises
        ------
        InvalidParameterError
            Before any call, for an argument AWS would refuse (naming it and the rule).
        FanoutInterrupted
            On Ctrl-C (a KeyboardInterrupt): ``.partial`` is this frame with the rows that
            answered, and every item not called is a ``NotRun`` row of its errors.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     client = jobsnb.connect(service)
        ...     for name in ("sensor-1", "sensor-2"):
        ...         _ = client.control.create_thing(thingName=name)
        ...     _ = client.control.create_command(commandId="reboot", payload={"content": b"{}"})
        ...     started = client.start_command(["sensor-1", "sensor-2", "sensro-3"], "reboot",
        ...                                    progress=False, on_error="ignore")
        >>> started[["thing_name", "command_id"]]
          thing_name command_id
        0   sensor-1     reboot
        1   sensor-2     reboot
        >>> bool(started["execution_id"].notna().all())
        True
        >>> started.jobsnb.errors[["thing_name", "operation", "error_code"]]
          thing_name              operation                 error_code
        0   sensro-3  StartCommandExecution  ResourceNotFoundException
        """
        arguments.check_on_error(on_error)
        names = arguments.thing_names(things)
        command = check_command(command, "command")
        body: dict[str, Any] = {}
        if parameters is not None:
            body["parameters"] = check_command_parameters(parameters, "parameters")
        if execution_timeout_seconds is not None:
            body["executionTimeoutSeconds"] = check_execution_timeout_seconds(
                execution_timeout_seconds, "execution_timeout_seconds"
            )
        tokens = client_tokens(check_client_token(client_token), names)
        # Plain values take the types the command declares, which GetCommand says.
        plain = parameters is not None and any(
            not isinstance(value, Mapping) for value in parameters.values()
        )
        target, looked_up = self.resolve(command, stop, lookup=plain)
        if target is None:
            # Nothing can start: each thing is a row of the lookup's error.
            looked_up.frame = frames.started_commands_frame([])
            return self.calls.report(named_errors(looked_up, names), on_error)
        if parameters is not None and target.kinds:
            body["parameters"] = check_command_parameters(parameters, "parameters", target.kinds)
        data = self.calls.data
        result = self.calls.fan_out(
            names,
            lambda name: data.start_command_execution(
                targetArn=target.thing_arn(name),
                commandArn=target.arn,
                clientToken=tokens[name],
                **body,
            ),
            "StartCommandExecution",
            lambda name: (name, None),
            self.calls.write_budget,
            progress,
            stop,
        )
        records = [
            (name, target.thing_arn(name), response.get("executionId"), target.arn)
            for name, response in result.succeeded
        ]
        outcome = Outcome.of(frames.started_commands_frame(records), result, len(names))
        return self.calls.report(looked_up.joined(outcome.frame, outcome), on_error)

    def commands(self, *, limit: int | None = None) -> pd.DataFrame:
        """The account's commands: ListCommands, page after page.

        Parameters
        ----------
        limit
            Stop listing after that many commands.

        Returns
        -------
        pandas.DataFrame
            One row per command (:data:`~jobsnb.schema.COMMAND_COLUMNS`), as the service
            lists them. A call that fails for good raises its boto3 error.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     client = jobsnb.connect(service)
        ...     _ = client.control.create_command(commandId="reboot", payload={"content": b"{}"})
        ...     listed = client.commands()
        >>> listed[["command_id", "deprecated"]]
          command_id  deprecated
        0     reboot       False
        """
        pages = self.control.pages_or_raise(
            self.calls.control.list_commands, {}, "commands", limit, COMMAND_PAGE_SIZE
        )
        listed = [command for page in pages for command in page.get("commands", [])]
        return frames.commands_frame(listed[:limit])
