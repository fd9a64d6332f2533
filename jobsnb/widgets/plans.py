"""Plans: what an action will do, computed from what the operator is looking at.

A :class:`Plan` is computed from the frame the panel's table shows: which executions (each
call: thing, job, status now and after, the version an update expects), which transitions
(how many QUEUED → SUCCEEDED), what is sent (statusDetails, step timeout) and which selected
things are not called, with the reason. The panel shows it for review; nothing is sent until
Confirm (:func:`jobsnb.widgets.actions.run_plan`).

Examples
--------
>>> import pandas as pd
>>> from jobsnb.widgets.plans import plan_start_next, plan_update
>>> shown = pd.DataFrame({"thing_name": ["a", "b", "c", "c"], "job_id": ["fw", "fw", "cfg", "fw"],
...                       "status": ["QUEUED", "QUEUED", "IN_PROGRESS", "QUEUED"],
...                       "queue_position": [0, 0, 0, 1],
...                       "version_number": [1, 1, 2, 1], "execution_number": [1, 1, 1, 1]})
>>> plan = plan_update(shown, ["a", "b", "c"], status="SUCCEEDED", job="fw")
>>> plan.count, dict(plan.transitions)
(3, {'QUEUED → SUCCEEDED': 3})
>>> plan = plan_start_next(shown, ["a", "b", "c", "d"], job="fw")
>>> plan.summary
'Start next on 2 things of job fw: 2 × QUEUED → IN_PROGRESS (no statusDetails)'
>>> plan.skipped.values.tolist()
[['c', 'cfg', 'next in line is cfg, not fw'], ['d', None, 'nothing pending']]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import STATUSES, check_status_details, check_step_timeout
from jobsnb.widgets.offers import ALL_JOBS, allowed_statuses, update_targets
from jobsnb.widgets.table import plural

__all__ = ["PLAN_COLUMNS", "Plan", "plan_start_next", "plan_update", "still_as_shown"]

#: The columns a plan keeps of each execution it calls for (and ``status_after``).
PLAN_COLUMNS: Final = ("thing_name", "job_id", "execution_number", "status", "version_number")
_PLAN_KEYS: Final = ("thing_name", "job_id", "status", "version_number")
_TIMES: Final = " \N{MULTIPLICATION SIGN} "
_UNCHANGED: Final = "IN_PROGRESS (unchanged)"


@dataclass
class Plan:
    """What an action will do: each call it will make, the request, and the things it skips."""

    action: Literal["start_next", "update"]
    #: One row per call, as the operator saw it: ``thing_name``, ``job_id``,
    #: ``execution_number``, ``status`` (now), ``version_number`` (an update expects it) and
    #: ``status_after`` (what the call makes of it).
    executions: pd.DataFrame
    status: str | None
    status_details: dict[str, str] | None
    step_timeout_minutes: int | None
    #: "QUEUED → IN_PROGRESS" (etc.) and how many executions make that move.
    transitions: Counter[str] = field(default_factory=Counter)
    #: Selected things the action does not call: ``thing_name``, ``job_id`` (their next one,
    #: if any) and ``reason`` ("nothing pending", "next in line is fw-3, not fw-2").
    skipped: pd.DataFrame = field(default_factory=lambda: _skipped([]))

    @property
    def things(self) -> list[str]:
        """The thing of each call, in the order of :attr:`executions`."""
        return [str(thing) for thing in self.executions["thing_name"]]

    @property
    def count(self) -> int:
        """How many calls the action makes: one per thing (start next) or execution (update)."""
        return len(self.executions)

    @property
    def jobs(self) -> Counter[str]:
        """The job of each call, counted."""
        return Counter(str(job) for job in self.executions["job_id"])

    @property
    def summary(self) -> str:
        """One line: the action, how many, of which jobs, each transition, what is sent."""
        moves = ", ".join(f"{n}{_TIMES}{move}" for move, n in self.transitions.items())
        jobs = self.jobs
        if len(jobs) == 1:
            of = f" of job {next(iter(jobs))}"
        else:
            of = " of jobs " + ", ".join(f"{job} ({n})" for job, n in jobs.most_common())
        if self.action == "start_next":
            head = f"Start next on {plural(self.count, 'thing')}{of}"
        else:
            distinct = len(set(self.things))
            head = f"Update {plural(self.count, 'execution')} on {plural(distinct, 'thing')}{of}"
        details = self.status_details
        extra = ["no statusDetails" if details is None else f"statusDetails {details}"]
        if self.step_timeout_minutes is not None:
            extra.append(f"step timeout {self.step_timeout_minutes} min")
        return head + (f": {moves}" if moves else "") + f" ({'; '.join(extra)})"


def _skipped(rows: Sequence[tuple[str, Any, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["thing_name", "job_id", "reason"], dtype=object)


def _checked_request(
    status_details: Mapping[str, str] | None, step_timeout_minutes: int | None, *, cancel: bool
) -> tuple[dict[str, str] | None, int | None]:
    details = None if status_details is None else check_status_details(status_details)
    timeout = None
    if step_timeout_minutes is not None:
        timeout = check_step_timeout(step_timeout_minutes, "step timeout", allow_cancel=cancel)
    return details, timeout


def plan_start_next(
    shown: pd.DataFrame,
    things: Sequence[str],
    *,
    job: str | None = None,
    status_details: Mapping[str, str] | None = None,
    step_timeout_minutes: int | None = None,
) -> Plan:
    """StartNextPendingJobExecution on each thing whose next execution (in ``shown``) is ``job``'s.

    A device starts its *next* pending execution, whatever job it is of: the plan names it.
    A thing whose next execution (queue position 0) is QUEUED moves it to IN_PROGRESS; one
    already IN_PROGRESS gets it back unchanged. Things with nothing pending, and with ``job``
    (None or ``(all jobs)``: any) those whose next execution is of another job, are not called:
    they are the plan's :attr:`~Plan.skipped`, with the reason.

    Raises
    ------
    InvalidParameterError
        When no selected thing has a next execution to start.
    """
    if not things:
        raise InvalidParameterError("things", "select at least one thing", list(things))
    details, timeout = _checked_request(status_details, step_timeout_minutes, cancel=False)
    nexts = shown[shown["queue_position"] == 0].drop_duplicates("thing_name")
    next_of = {row.thing_name: row for row in nexts.itertuples(index=False)}
    calls: list[Any] = []
    skipped: list[tuple[str, Any, str]] = []
    for thing in dict.fromkeys(things):
        row = next_of.get(thing)
        if row is None:
            skipped.append((thing, None, "nothing pending"))
        elif job not in (None, ALL_JOBS) and row.job_id != job:
            skipped.append((thing, row.job_id, f"next in line is {row.job_id}, not {job}"))
        else:
            calls.append(row)
    if not calls:
        of = "" if job in (None, ALL_JOBS) else f" of job {job}"
        raise InvalidParameterError(
            "things",
            f"none of the {plural(len(things), 'selected thing')} has a next execution{of} to "
            "start (refresh the table, or select others)",
            list(things)[:5],
        )
    executions = _plain(pd.DataFrame(calls)[list(PLAN_COLUMNS)])
    running = executions["status"].astype(str) == "IN_PROGRESS"
    executions["status_after"] = [_UNCHANGED if r else "IN_PROGRESS" for r in running]
    moves = Counter(
        "IN_PROGRESS (already running, unchanged)" if r else "QUEUED → IN_PROGRESS" for r in running
    )
    return Plan("start_next", executions, None, details, timeout, moves, _skipped(skipped))


def plan_update(
    shown: pd.DataFrame,
    things: Sequence[str],
    *,
    status: str,
    job: str | None = None,
    status_details: Mapping[str, str] | None = None,
    step_timeout_minutes: int | None = None,
) -> Plan:
    """UpdateJobExecution on the executions of ``things`` (of ``job``) as ``shown``.

    Each update expects the version the row shows. Raises
    :class:`~jobsnb.exceptions.InvalidParameterError` when nothing is selected or ``status`` is
    not one every targeted execution allows.
    """
    rows = update_targets(shown, things, job)
    if rows.empty:
        raise InvalidParameterError(
            "executions", "select things with a pending execution (refresh the table)", []
        )
    allowed = allowed_statuses(rows["status"].astype(str))
    if status not in allowed:
        rule = f"must be one of {', '.join(allowed)}" if allowed else "no status: all are terminal"
        raise InvalidParameterError("status", rule, status)
    details, timeout = _checked_request(status_details, step_timeout_minutes, cancel=True)
    moves = Counter(f"{before} → {status}" for before in rows["status"].astype(str))
    ordered = Counter(dict(sorted(moves.items(), key=lambda kv: STATUSES.index(kv[0].split()[0]))))
    executions = _plain(rows[list(PLAN_COLUMNS)])
    executions["status_after"] = status
    idle = [thing for thing in dict.fromkeys(things) if thing not in set(rows["thing_name"])]
    skipped = _skipped([(thing, None, "nothing pending") for thing in idle])
    return Plan("update", executions, status, details, timeout, ordered, skipped)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy without ``attrs`` (a frame in attrs, like the errors, breaks pandas' copies)."""
    plain = frame.reset_index(drop=True)
    plain.attrs = {}
    return plain


def still_as_shown(plan: Plan, shown: pd.DataFrame) -> bool:
    """Whether every execution of ``plan`` still has the status and version it was planned on."""
    if plan.executions.empty:
        return True

    def states(frame: pd.DataFrame) -> set[tuple[str, ...]]:
        columns = [frame[c].astype(object).to_numpy() for c in _PLAN_KEYS]
        return {tuple(str(v) for v in row) for row in zip(*columns, strict=True)}

    return states(plan.executions) <= states(shown)
