"""Conflicts: updates refused because someone changed the execution since it was read.

An update that sends ``expectedVersion`` is refused with ``InvalidStateTransitionException``
both when the execution changed since it was read and when it cannot make the move (it is
terminal). The two are told apart by the execution's state, never by the error's wording:
:meth:`~jobsnb.client.data_plane.DataPlane.update` describes each refused execution once more
(DescribeJobExecution, batched through the fan-out), and :func:`find_conflicts` calls a refusal
a *conflict* when the execution's current version differs from the one the update expected.
Conflicts stay in ``frame.jobsnb.errors`` (the call did fail); ``frame.jobsnb.conflicts`` gives
them with each execution's current state. Nothing was overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from jobsnb.client._arguments import Pair

__all__ = ["CONFLICTS_ATTR", "CONFLICT_CODE", "Conflict", "find_conflicts"]

#: What UpdateJobExecution answers when it refuses a report, a conflict or not.
CONFLICT_CODE: Final = "InvalidStateTransitionException"
#: The key of an update frame's ``attrs`` that holds its conflicts (a tuple of Conflict).
CONFLICTS_ATTR: Final = "conflicts"


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
