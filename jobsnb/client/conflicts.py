"""Conflicts: updates refused because someone changed the execution since it was read.

An update that sends ``expectedVersion`` is refused with ``InvalidStateTransitionException``
both when the execution changed since it was read and when it cannot make the move (it is
terminal). The two are told apart by the execution's state, never by the error's wording:
:meth:`~jobsnb.client.data_plane.DataPlane.update` describes each refused execution once more
(DescribeJobExecution, batched through the fan-out), and :func:`find_conflicts` calls a refusal
a *conflict* when the execution's current version differs from the one the update expected.
Conflicts stay in ``frame.jobsnb.errors`` (the call did fail); :func:`update_conflicts` gives
them with each execution's current state. Nothing was overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from jobsnb import frames
from jobsnb.client._arguments import Pair

__all__ = ["CONFLICTS_ATTR", "CONFLICT_CODE", "Conflict", "find_conflicts", "update_conflicts"]

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


def update_conflicts(frame: pd.DataFrame) -> pd.DataFrame:
    """The conflicts of an update: the executions someone changed since they were read.

    Parameters
    ----------
    frame
        What :meth:`~jobsnb.client.FleetClient.update` returned (any other frame has none).

    Returns
    -------
    pandas.DataFrame
        One row per conflict: :data:`~jobsnb.frames.EXECUTION_COLUMNS` as DescribeJobExecution
        answered just after the refusal (``status``, ``version_number``, ``status_details``
        ...), and ``expected_version`` (Int64, what the update expected) after
        ``execution_number``. Refusals that are not conflicts are only in
        ``frame.jobsnb.errors``, where every conflict is too.

    Examples
    --------
    >>> import jobsnb
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     arn = service.backend.create_thing("sensor-1").arn
    ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
    ...     client = jobsnb.connect(service)
    ...     seen = client.pending("sensor-1", progress=False)
    ...     _ = service.backend.update_job_execution("sensor-1", "fw-2", "IN_PROGRESS")
    ...     refused = client.update(seen, "FAILED", progress=False, on_error="ignore")
    >>> update_conflicts(refused)[["thing_name", "expected_version", "status", "version_number"]]
      thing_name  expected_version       status  version_number
    0   sensor-1                 1  IN_PROGRESS               2
    """
    conflicts: tuple[Conflict, ...] = frame.attrs.get(CONFLICTS_ATTR, ())
    current = frames.executions_frame([(c.thing_name, c.execution) for c in conflicts])
    expected = pd.Series([c.expected_version for c in conflicts], dtype="Int64")
    current.insert(
        list(current.columns).index("execution_number") + 1, "expected_version", expected
    )
    return current
