"""Commands' responses → the started-commands, command-executions and commands frames.

The control plane's times are the datetimes boto3 made (any zone); they become UTC like every
other frame's. Typed values (``{"S": "x"}``, ``{"I": 5}``) become plain Python values, so a
``result`` or ``parameters`` cell reads as ``{"exit": 0}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames._arrays import (
    Record,
    datetimes_ns,
    frame_of,
    int64_array,
    int_field,
    string_array,
    utc_array,
)
from jobsnb.limits import COMMAND_STATUSES
from jobsnb.schema import (
    COMMAND_COLUMNS,
    COMMAND_EXECUTION_COLUMNS,
    COMMAND_STATUS_DTYPE,
    STARTED_COMMAND_COLUMNS,
)

__all__ = [
    "command_executions_frame",
    "command_id_of",
    "commands_frame",
    "plain_values",
    "started_commands_frame",
    "thing_of",
]

_CODES = {status: code for code, status in enumerate(COMMAND_STATUSES)}


def thing_of(target_arn: str | None) -> str | None:
    """The thing name of a thing's ARN; None for any other target (an MQTT client).

    Examples
    --------
    >>> thing_of("arn:aws:iot:us-east-1:123456789012:thing/sensor-1"), thing_of(None)
    ('sensor-1', None)
    """
    if not target_arn:
        return None
    _, separator, name = target_arn.partition(":thing/")
    return name if separator and name else None


def command_id_of(command_arn: str | None) -> str | None:
    """The command id at the end of a command ARN."""
    if not command_arn:
        return None
    _, separator, command_id = command_arn.partition(":command/")
    return command_id if separator and command_id else None


def plain_values(typed: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """A parameters or result map with each typed value as its plain value.

    S → str, B → bool, I / L → int, UL → int, D → float, BIN → bytes.

    Examples
    --------
    >>> plain_values({"delay": {"I": 30}, "big": {"UL": "18446744073709551615"}, "ok": {"B": 1}})
    {'delay': 30, 'big': 18446744073709551615, 'ok': True}
    """
    plain: dict[str, Any] = {}
    for name, value in (typed or {}).items():
        if not value:
            plain[name] = None
            continue
        kind, item = next(iter(value.items()))
        if kind == "UL":
            plain[name] = int(item)
        elif kind == "B":
            plain[name] = bool(item)
        elif kind == "D":
            plain[name] = float(item)
        else:
            plain[name] = item
    return plain


def _status_array(values: Sequence[object]) -> pd.Categorical:
    try:
        codes = np.fromiter(
            (-1 if v is None else _CODES[v] for v in values),  # type: ignore[index]
            np.int8,
            len(values),
        )
    except KeyError as error:
        rule = f"must be one of {', '.join(COMMAND_STATUSES)}"
        raise InvalidParameterError("status", rule, error.args[0]) from None
    return pd.Categorical.from_codes(codes, dtype=COMMAND_STATUS_DTYPE)


def started_commands_frame(
    records: Sequence[tuple[str, str, str | None, str]],
) -> pd.DataFrame:
    """Build the started-commands frame: one row per thing StartCommandExecution answered.

    Parameters
    ----------
    records
        ``(thing_name, target_arn, execution_id, command_arn)`` of each started execution.

    Returns
    -------
    pandas.DataFrame
        :data:`~jobsnb.schema.STARTED_COMMAND_COLUMNS`.

    Examples
    --------
    >>> from jobsnb.frames import started_commands_frame
    >>> started_commands_frame([("a", "arn:aws:iot:us-east-1:123456789012:thing/a", "e-1",
    ...                          "arn:aws:iot:us-east-1:123456789012:command/reboot")]
    ...                        )[["thing_name", "execution_id", "command_id"]]
      thing_name execution_id command_id
    0          a          e-1     reboot
    """
    arrays = {
        "thing_name": string_array([thing for thing, _, _, _ in records]),
        "target_arn": string_array([target for _, target, _, _ in records]),
        "execution_id": string_array([execution for _, _, execution, _ in records]),
        "command_id": string_array([command_id_of(arn) for _, _, _, arn in records]),
        "command_arn": string_array([arn for _, _, _, arn in records]),
    }
    return frame_of(STARTED_COMMAND_COLUMNS, arrays)


def command_executions_frame(executions: Sequence[Record]) -> pd.DataFrame:
    """Build the command-executions frame from GetCommandExecution or ListCommandExecutions.

    Parameters
    ----------
    executions
        GetCommandExecution responses, or ListCommandExecutions' ``commandExecutions``
        entries (the summary's missing fields give NA, and ``{}`` for ``result`` and
        ``parameters``).

    Returns
    -------
    pandas.DataFrame
        :data:`~jobsnb.schema.COMMAND_EXECUTION_COLUMNS`, in the order given.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from jobsnb.frames import command_executions_frame
    >>> frame = command_executions_frame([{
    ...     "executionId": "e-1", "status": "SUCCEEDED",
    ...     "targetArn": "arn:aws:iot:us-east-1:123456789012:thing/sensor-1",
    ...     "commandArn": "arn:aws:iot:us-east-1:123456789012:command/reboot",
    ...     "result": {"uptime": {"S": "0s"}}, "parameters": {"delay": {"I": 5}},
    ...     "createdAt": datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)}])
    >>> frame[["thing_name", "command_id", "status", "result", "parameters"]]
      thing_name command_id     status            result    parameters
    0   sensor-1     reboot  SUCCEEDED  {'uptime': '0s'}  {'delay': 5}
    >>> frame["created_at"].tolist()
    [Timestamp('2023-11-14 22:13:20+0000', tz='UTC')]
    """
    rows = list(executions)
    reasons = [row.get("statusReason") or {} for row in rows]
    targets = [row.get("targetArn") for row in rows]
    commands = [row.get("commandArn") for row in rows]
    arrays: dict[str, Any] = {
        "thing_name": string_array([thing_of(target) for target in targets]),
        "target_arn": string_array(targets),
        "execution_id": string_array([row.get("executionId") for row in rows]),
        "command_id": string_array([command_id_of(arn) for arn in commands]),
        "command_arn": string_array(commands),
        "status": _status_array([row.get("status") for row in rows]),
        "status_reason_code": string_array([reason.get("reasonCode") for reason in reasons]),
        "status_reason_description": string_array(
            [reason.get("reasonDescription") for reason in reasons]
        ),
        "result": pd.Series([plain_values(row.get("result")) for row in rows], dtype=object),
        "parameters": pd.Series(
            [plain_values(row.get("parameters")) for row in rows], dtype=object
        ),
        "execution_timeout_seconds": int64_array(*int_field(rows, "executionTimeoutSeconds")),
    }
    for column, key in (
        ("created_at", "createdAt"),
        ("started_at", "startedAt"),
        ("completed_at", "completedAt"),
        ("last_updated_at", "lastUpdatedAt"),
        ("time_to_live", "timeToLive"),
    ):
        arrays[column] = utc_array(datetimes_ns(rows, key))
    return frame_of(COMMAND_EXECUTION_COLUMNS, arrays)


def commands_frame(commands: Sequence[Record]) -> pd.DataFrame:
    """Build the commands frame from ListCommands' ``commands`` entries.

    Examples
    --------
    >>> from jobsnb.frames import commands_frame
    >>> commands_frame([{"commandId": "reboot", "deprecated": False}])[["command_id", "deprecated"]]
      command_id  deprecated
    0     reboot       False
    """
    rows = list(commands)
    arrays = {
        "command_id": string_array([row.get("commandId") for row in rows]),
        "command_arn": string_array([row.get("commandArn") for row in rows]),
        "display_name": string_array([row.get("displayName") for row in rows]),
        "deprecated": pd.array([row.get("deprecated") for row in rows], dtype="boolean"),
        "pending_deletion": pd.array([row.get("pendingDeletion") for row in rows], dtype="boolean"),
        "created_at": utc_array(datetimes_ns(rows, "createdAt")),
        "last_updated_at": utc_array(datetimes_ns(rows, "lastUpdatedAt")),
    }
    return frame_of(COMMAND_COLUMNS, arrays)
