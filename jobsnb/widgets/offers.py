"""What the selection allows an update to do: which jobs to target, which statuses to set.

Examples
--------
>>> import pandas as pd
>>> shown = pd.DataFrame({"thing_name": ["a", "b"], "job_id": ["fw", "cfg"],
...                       "status": ["QUEUED", "SUCCEEDED"]})
>>> offered_update(shown, ["a", "b"], ALL_JOBS)
(['fw', 'cfg'], (), 'Update: every targeted execution is terminal; a device can set nothing.')
>>> offered_update(shown, ["a", "b"], "fw")[1]
('IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

from jobsnb.limits import DEVICE_STATUSES, PENDING_STATUSES, STATUSES

__all__ = [
    "ALL_JOBS",
    "Offer",
    "allowed_statuses",
    "offered_actions",
    "offered_update",
    "startable",
    "update_targets",
]

#: The job dropdown's first choice: every job the selected things have pending.
ALL_JOBS: Final = "(all jobs)"


def allowed_statuses(current: Iterable[str]) -> tuple[str, ...]:
    """The statuses a device may set on every one of executions in the ``current`` statuses.

    From QUEUED or IN_PROGRESS a device may report IN_PROGRESS, SUCCEEDED, FAILED or REJECTED;
    from a terminal status nothing. For several executions, what all of them allow.
    """
    allowed = set(DEVICE_STATUSES)
    for status in set(current):
        if status not in PENDING_STATUSES:
            allowed = set()
    return tuple(s for s in STATUSES if s in allowed)


def update_targets(shown: pd.DataFrame, things: Sequence[str], job: str | None) -> pd.DataFrame:
    """The rows of ``shown`` an update of ``things`` (and ``job``, unless None/all) acts on."""
    rows = shown[shown["thing_name"].isin(list(things))]
    if job is not None and job != ALL_JOBS:
        rows = rows[rows["job_id"] == job]
    return rows


def offered_update(
    shown: pd.DataFrame, things: Sequence[str], job: str | None
) -> tuple[list[str], tuple[str, ...], str]:
    """What an update of ``things`` may do, from the frame the table shows.

    Returns
    -------
    tuple
        The jobs the things have rows of (in the order shown), the statuses a device may set on
        every execution the update would target (``job``, or all), and why there are none
        (empty when there are some).
    """
    jobs = list(dict.fromkeys(update_targets(shown, things, None)["job_id"].dropna()))
    rows = update_targets(shown, things, job)
    allowed = allowed_statuses(rows["status"].astype(str)) if not rows.empty else ()
    if allowed:
        reason = ""
    elif rows.empty:
        reason = "Update: nothing pending for the selection (select things, or refresh)."
    else:
        reason = "Update: every targeted execution is terminal; a device can set nothing."
    return jobs, allowed, reason


def startable(shown: pd.DataFrame, things: Sequence[str], job: str | None) -> pd.DataFrame:
    """The next executions (queue position 0) of ``things`` in ``shown``, of ``job`` unless all."""
    nexts = shown[(shown["queue_position"] == 0) & shown["thing_name"].isin(list(things))]
    if job is not None and job != ALL_JOBS:
        nexts = nexts[nexts["job_id"] == job]
    return nexts


@dataclass(frozen=True)
class Offer:
    """What the panel's action buttons may do now, and why not where they may not."""

    can_start: bool
    statuses: tuple[str, ...]
    notes: tuple[str, ...]


def offered_actions(shown: pd.DataFrame, things: Sequence[str], job: str | None) -> Offer:
    """Whether Start next has something to start, which statuses Update may set, and why not.

    Examples
    --------
    >>> shown = pd.DataFrame({"thing_name": ["a"], "job_id": ["fw"], "status": ["QUEUED"],
    ...                       "queue_position": [0]})
    >>> offered_actions(shown, ["a"], "fw").can_start
    True
    >>> offered_actions(shown, [], ALL_JOBS).notes
    ('Select things in the grid above.',)
    """
    _, statuses, reason = offered_update(shown, things, job)
    can_start = not startable(shown, things, job).empty
    notes: list[str] = []
    if not things:
        notes.append("Select things in the grid above.")
    else:
        if not can_start:
            of = "" if job in (None, ALL_JOBS) else f" of {job}"
            notes.append(f"Start next: no selected thing has a next execution{of}.")
        if reason:
            notes.append(reason)
    return Offer(can_start, statuses, tuple(notes))
