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
from typing import Final

import pandas as pd

from jobsnb.limits import DEVICE_STATUSES, PENDING_STATUSES, STATUSES

__all__ = ["ALL_JOBS", "allowed_statuses", "offered_update", "update_targets"]

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
