"""Command executions across a fleet, as a DataFrame: GetCommandExecution and ListCommandExecutions.

:class:`CommandExecutions` reads the state of command executions on the control plane, within
the control budget: each one asked for (the frame :meth:`~jobsnb.client.FleetClient.start_command`
returned, or ``(thing, execution id)`` pairs) with GetCommandExecution, or every execution of a
command with ListCommandExecutions, page after page (100 at a time, the model's largest).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from jobsnb import frames
from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import OnError
from jobsnb.client._calls import Calls, Outcome
from jobsnb.client.commands import Commands, look_up, named_errors
from jobsnb.client.progress import Progress, offset
from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames.commands import thing_of
from jobsnb.limits import (
    COMMAND_PAGE_SIZE,
    MAX_TARGET_ARN_LENGTH,
    check_command,
    check_command_status,
    check_thing_name,
)

__all__ = ["CommandExecutions", "ExecutionTarget", "Read", "execution_targets"]

_EXECUTION_ID: Final = re.compile(r"[a-zA-Z0-9_-]{1,64}")
#: (thing name or None, target ARN or None, execution id): one execution to read.
ExecutionTarget = tuple[str | None, str | None, str]


def execution_targets(executions: Any) -> list[ExecutionTarget]:
    """The command executions asked about, validated: (thing, target ARN, execution id).

    Parameters
    ----------
    executions
        A frame with ``execution_id`` and ``target_arn`` or ``thing_name`` columns (rows
        without an ``execution_id`` are skipped), or ``(thing or target ARN, execution id)``
        pairs, or dicts with those keys.

    Returns
    -------
    list of ExecutionTarget
        Each execution once, in the order given; none for a frame without rows.

    Examples
    --------
    >>> execution_targets([("sensor-1", "e-1"),
    ...                    ("arn:aws:iot:us-east-1:123456789012:thing/sensor-2", "e-2")])
    ... # doctest: +NORMALIZE_WHITESPACE
    [('sensor-1', None, 'e-1'),
     ('sensor-2', 'arn:aws:iot:us-east-1:123456789012:thing/sensor-2', 'e-2')]
    """
    if isinstance(executions, pd.DataFrame):
        if "execution_id" not in executions.columns or not (
            {"target_arn", "thing_name"} & set(executions.columns)
        ):
            raise InvalidParameterError(
                "executions",
                "a DataFrame needs an execution_id column and a target_arn or thing_name "
                "column; client.start_command() gives such a frame",
                list(executions.columns),
            )
        rows = executions[executions["execution_id"].notna()]
        column = "target_arn" if "target_arn" in rows.columns else "thing_name"
        given: list[Any] = list(zip(rows[column], rows["execution_id"], strict=True))
    elif isinstance(executions, str | bytes) or not isinstance(executions, Iterable):
        raise InvalidParameterError(
            "executions", "must be a frame or (thing, execution id) pairs", executions
        )
    else:
        given = []
        for row in executions:
            if isinstance(row, Mapping):
                where = row.get("target_arn") or row.get("thing_name")
                given.append((where, row.get("execution_id")))
            elif isinstance(row, str | bytes) or not isinstance(row, Sequence) or len(row) != 2:
                raise InvalidParameterError(
                    "executions", "each must be (thing or target ARN, execution id)", row
                )
            else:
                given.append((row[0], row[1]))
        if not given:
            raise InvalidParameterError("executions", "must name at least one execution", [])
    targets: list[ExecutionTarget] = []
    for index, (where, execution_id) in enumerate(given):
        if not isinstance(execution_id, str) or not _EXECUTION_ID.fullmatch(execution_id):
            rule = "must be 1-64 characters, each a letter, a digit, '_' or '-'"
            raise InvalidParameterError(f"executions[{index}].execution_id", rule, execution_id)
        if isinstance(where, str) and where.startswith("arn:"):
            if len(where) > MAX_TARGET_ARN_LENGTH:
                rule = f"must be at most {MAX_TARGET_ARN_LENGTH} characters"
                raise InvalidParameterError(f"executions[{index}].target_arn", rule, where)
            targets.append((thing_of(where), where, execution_id))
        else:
            targets.append((check_thing_name(where, f"executions[{index}]"), None, execution_id))
    return list(dict.fromkeys(targets))


@dataclass
class Read:
    """GetCommandExecution's answers, in order, and the outcome of reading them."""

    rows: list[dict[str, Any]]
    outcome: Outcome


class CommandExecutions:
    """The command-execution reads of a :class:`~jobsnb.client.FleetClient`.

    ``commands`` resolves command ids to ARNs. ``progress``, ``stop`` and ``on_error`` are as
    for :class:`~jobsnb.client.data_plane.DataPlane`.
    """

    def __init__(self, calls: Calls, commands: Commands) -> None:
        self.calls = calls
        self.commands = commands
        self._thing_prefix: str | None = None

    def command_executions(
        self,
        executions: Any = None,
        *,
        command: str | None = None,
        status: str | None = None,
        describe: bool = False,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """The state of command executions: those asked for, or every one of a command.

        Parameters
        ----------
        executions
            The executions to read with GetCommandExecution: the frame
            :meth:`start_command` (or this method) returned, or ``(thing, execution id)``
            pairs (a thing's name or ARN; names cost one ListThings, once per client, to
            learn the account's thing ARNs). Give this or ``command``.
        command
            List every execution of this command (its id or ARN) with ListCommandExecutions,
            page after page.
        status
            With ``command``: only executions in this status (filtered by the service).
        describe
            With ``command``: also read each listed execution with GetCommandExecution, for the
            fields the listing lacks (status reason, result, parameters, timeout, last update).
        progress, stop, on_error
            A bar or ``progress(done, total)``; a Stop event (calls not made are ``NotRun``
            rows); what failed calls do. See :class:`~jobsnb.client.data_plane.DataPlane`.

        Returns
        -------
        pandas.DataFrame
            One row per execution (:data:`~jobsnb.schema.COMMAND_EXECUTION_COLUMNS`; ``status``
            ordered ``CREATED < IN_PROGRESS < SUCCEEDED < FAILED < REJECTED < TIMED_OUT``, times
            UTC): those asked for in their order, each failed read (an unknown thing or
            execution) a row of ``frame.jobsnb.errors`` instead; or a command's executions as
            the service lists them (AWS: newest first), the listing's missing fields NA unless
            ``describe``.

        Raises
        ------
        InvalidParameterError
            Before any call, for arguments that cannot be sent (naming the argument).
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
        ...     started = client.start_command(["sensor-1", "sensor-2"], "reboot",
        ...                                    execution_timeout_seconds=60, progress=False)
        ...     seen = client.command_executions(started, progress=False)
        ...     listed = client.command_executions(command="reboot", status="CREATED",
        ...                                        progress=False)
        >>> seen[["thing_name", "command_id", "status", "execution_timeout_seconds"]]
          thing_name command_id   status  execution_timeout_seconds
        0   sensor-1     reboot  CREATED                         60
        1   sensor-2     reboot  CREATED                         60
        >>> sorted(listed["thing_name"]), listed["status"].dtype.ordered
        (['sensor-1', 'sensor-2'], True)
        """
        arguments.check_on_error(on_error)
        if (executions is None) == (command is None):
            raise InvalidParameterError(
                "executions", "give either executions or command= (not both, not neither)", None
            )
        if executions is not None:
            if status is not None or describe:
                name = "status" if status is not None else "describe"
                rule = "goes with command=; filter the frame instead"
                raise InvalidParameterError(name, rule, status if status is not None else describe)
            targets = execution_targets(executions)
            return self.calls.report(self.read(targets, progress, stop).outcome, on_error)
        command = check_command(command, "command")
        if status is not None:
            check_command_status(status, "status")
        rows, listed = self.listed(command, status, progress, stop)
        if not describe or not rows or listed.interrupted:
            return self.calls.report(listed, on_error)
        listed_targets: list[ExecutionTarget] = [
            (thing_of(row["targetArn"]), row["targetArn"], row["executionId"]) for row in rows
        ]
        described = self.read(listed_targets, offset(progress, 1), stop)
        full = {(r.get("targetArn"), r.get("executionId")): r for r in described.rows}
        # A row whose read failed keeps what the listing said (its error is a row of errors).
        merged = [full.get((row.get("targetArn"), row.get("executionId")), row) for row in rows]
        frame = frames.command_executions_frame(merged)
        return self.calls.report(listed.joined(frame, described.outcome), on_error)

    def read(
        self,
        targets: Sequence[ExecutionTarget],
        progress: Progress,
        stop: threading.Event | None,
    ) -> Read:
        """GetCommandExecution for each (thing, target ARN or None, execution id)."""
        if not targets:
            return Read([], Outcome(frames.command_executions_frame([])))
        looked_up = Outcome(frames.command_executions_frame([]))
        if any(arn is None for _, arn, _ in targets):
            prefix, looked_up = self.thing_prefix(stop)
            if prefix is None:
                # Nothing can be read: each execution is a row of the lookup's error.
                return Read([], named_errors(looked_up, [thing for thing, _, _ in targets]))
            targets = [(thing, arn or f"{prefix}{thing}", eid) for thing, arn, eid in targets]
        control = self.calls.control
        result = self.calls.fan_out(
            targets,
            lambda target: control.get_command_execution(
                executionId=target[2], targetArn=target[1], includeResult=True
            ),
            "GetCommandExecution",
            lambda target: (target[0], None),
            self.calls.control_budget,
            progress,
            stop,
        )
        rows = [response for _, response in result.succeeded]
        frame = frames.command_executions_frame(rows)
        return Read(rows, looked_up.joined(frame, Outcome.of(frame, result, len(targets))))

    def listed(
        self, command: str, status: str | None, progress: Progress, stop: threading.Event | None
    ) -> tuple[list[dict[str, Any]], Outcome]:
        """Every execution of ``command`` (in ``status``), ListCommandExecutions page by page."""
        target, looked_up = self.commands.resolve(command, stop)
        looked_up.frame = frames.command_executions_frame([])
        if target is None:
            return [], looked_up
        kwargs: dict[str, Any] = {"commandArn": target.arn}
        if status is not None:
            kwargs["status"] = status
        operation = self.calls.control.list_command_executions

        def list_all(_: str) -> dict[str, Any]:
            pages = self.commands.control.each_page(operation, kwargs, page_size=COMMAND_PAGE_SIZE)
            return {"rows": [row for page in pages for row in page.get("commandExecutions", [])]}

        result = self.calls.fan_out(
            [target.arn],
            list_all,
            "ListCommandExecutions",
            lambda _: (None, None),
            None,  # each page takes from the control budget
            progress,
            stop,
        )
        rows = [row for _, response in result.succeeded for row in response["rows"]]
        frame = frames.command_executions_frame(rows)
        return rows, looked_up.joined(frame, Outcome.of(frame, result, 1))

    def thing_prefix(self, stop: threading.Event | None) -> tuple[str | None, Outcome]:
        """The ARN prefix of the account's things (``arn:...:thing/``), learned once.

        ListThings with ``maxResults=1`` gives one thing's ARN, within the control budget. The
        outcome counts that call; when it failed for good (a dead endpoint, a stop, an
        interrupt) the prefix is None and the outcome holds the error.
        """
        looked_up = Outcome(frames.command_executions_frame([]))
        if self._thing_prefix is not None:
            return self._thing_prefix, looked_up
        page, looked_up = look_up(
            self.calls,
            "ListThings",
            lambda: self.calls.control.list_things(maxResults=1),
            stop,
            looked_up.frame,
        )
        if page is None:
            return None, looked_up
        things = page.get("things") or []
        if not things:
            raise InvalidParameterError(
                "executions",
                "name each target by its ARN: the account lists no thing to learn thing ARNs from",
                None,
            )
        arn = things[0]["thingArn"]
        self._thing_prefix = arn[: len(arn) - len(things[0]["thingName"])]
        return self._thing_prefix, looked_up
