"""Conflicts: updates refused because someone changed the execution since it was read.

An update that sends ``expectedVersion`` is refused with ``InvalidStateTransitionException``
both when the execution changed since it was read and when it cannot make the move (it is
terminal). The two are told apart by the execution's state, never by the error's wording, and
:func:`find_conflicts` calls a refusal a *conflict* when the execution's current version
differs from the one the update expected. The refusal's body carries that state
(``executionState``: status, statusDetails, versionNumber); botocore parses only the modelled
``message`` and drops it, so :func:`keep_execution_state` copies it into ``error.response``
and :func:`execution_state` reads it there. A refusal without it (an endpoint that does not
send it) is described once more (DescribeJobExecution, batched through the fan-out); so is a
conflict, for the full state ``frame.jobsnb.conflicts`` shows (times included). Conflicts stay
in ``frame.jobsnb.errors`` (the call did fail). Nothing was overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from jobsnb.client._arguments import Pair

__all__ = [
    "CONFLICTS_ATTR",
    "CONFLICT_CODE",
    "Conflict",
    "execution_state",
    "find_conflicts",
    "keep_execution_state",
]

#: What UpdateJobExecution answers when it refuses a report, a conflict or not.
CONFLICT_CODE: Final = "InvalidStateTransitionException"
#: The key of an update frame's ``attrs`` that holds its conflicts (a tuple of Conflict).
CONFLICTS_ATTR: Final = "conflicts"
#: Where :func:`keep_execution_state` puts a refusal's executionState in ``error.response``.
STATE_KEY: Final = "executionState"


@dataclass(frozen=True)
class Conflict:
    """An update refused because the execution changed since it was read.

    ``execution`` is DescribeJobExecution's answer just after the refusal (its current state).
    """

    thing_name: str
    job_id: str
    expected_version: int
    execution: Mapping[str, Any]


def find_conflicts(
    refused: Sequence[tuple[Pair, int]], described: Sequence[Mapping[str, Any] | None]
) -> tuple[Conflict, ...]:
    """The refused updates that were conflicts.

    Parameters
    ----------
    refused
        Each execution whose update was refused with :data:`CONFLICT_CODE`, with the version
        the update expected.
    described
        DescribeJobExecution's answer for each, just after (None where that call failed).

    Returns
    -------
    tuple of Conflict
        Those whose execution no longer has the expected version. One that still has it (a
        terminal execution) is no conflict, nor is one that could not be described.

    Examples
    --------
    >>> answer = {"execution": {"status": "IN_PROGRESS", "versionNumber": 2}}
    >>> [c.thing_name for c in find_conflicts([(("a", "fw", 1), 1), (("b", "fw", 1), 2)],
    ...                                        [answer, answer])]
    ['a']
    """
    return tuple(
        Conflict(thing, job, version, response["execution"])
        for ((thing, job, _), version), response in zip(refused, described, strict=True)
        if response is not None and response["execution"].get("versionNumber") != version
    )


def keep_execution_state(data: Any) -> None:
    """Have the ``iot-jobs-data`` client ``data`` keep a refusal's ``executionState``.

    botocore builds ``error.response`` from the error shape's modelled members (``message``
    only), so the ``executionState`` UpdateJobExecution's refusals carry is lost. A
    ``before-parse`` handler copies it from the raw body into ``error.response``. Registering
    again is a no-op, so every update may call this.
    """
    service = data.meta.service_model.service_id.hyphenize()
    data.meta.events.register(
        f"before-parse.{service}.UpdateJobExecution",
        _copy_execution_state,
        unique_id="jobsnb-keep-execution-state",
    )


def _copy_execution_state(
    response_dict: Mapping[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    if response_dict.get("status_code") != 409:
        return
    try:
        body = json.loads(response_dict.get("body") or b"")
    except (TypeError, ValueError):
        return
    state = body.get(STATE_KEY) if isinstance(body, dict) else None
    if isinstance(state, dict):
        customized_response_dict[STATE_KEY] = state


def execution_state(error: BaseException) -> Mapping[str, Any] | None:
    """The ``executionState`` an UpdateJobExecution refusal carried, or None.

    Examples
    --------
    >>> from botocore.exceptions import ClientError
    >>> refusal = {"Error": {"Code": CONFLICT_CODE}, "executionState": {"versionNumber": 3}}
    >>> execution_state(ClientError(refusal, "UpdateJobExecution"))
    {'versionNumber': 3}
    >>> execution_state(ValueError()) is None
    True
    """
    response = getattr(error, "response", None)
    state = response.get(STATE_KEY) if isinstance(response, dict) else None
    return state if isinstance(state, Mapping) else None
