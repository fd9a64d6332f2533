"""Plan → confirm → run: what an action will do, doing it through the client, and what came of it.

A :class:`Plan` is computed from what the operator is looking at (the frame the table shows):
which executions, which transitions (how many QUEUED → SUCCEEDED). :func:`run_plan` carries it
out with the fleet client (its budgets, retries and thread pool) in chunks, so that progress can be
reported and a stop honoured between chunks, and answers one row per thing or execution: what
it was, what it is now, or the AWS error code. An update sends each row's version as
``expectedVersion``: an execution someone else changed meanwhile is refused by the service, and
the client tells such a conflict from other refusals (:mod:`jobsnb.client.conflicts`); the
result shows the execution's current state as a ``conflict``, never overwritten.

Examples
--------
>>> import pandas as pd
>>> from jobsnb.widgets.actions import plan_update
>>> from jobsnb.widgets.offers import allowed_statuses
>>> allowed_statuses(["QUEUED", "IN_PROGRESS"])
('IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED')
>>> allowed_statuses(["QUEUED", "SUCCEEDED"])
()
>>> shown = pd.DataFrame({"thing_name": ["a", "b", "c"], "job_id": ["fw", "fw", "fw"],
...                       "status": ["QUEUED", "QUEUED", "IN_PROGRESS"],
...                       "version_number": [1, 1, 2], "execution_number": [1, 1, 1]})
>>> plan = plan_update(shown, ["a", "b", "c"], status="SUCCEEDED")
>>> plan.count, dict(plan.transitions)
(3, {'QUEUED → SUCCEEDED': 2, 'IN_PROGRESS → SUCCEEDED': 1})
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import pandas as pd

from jobsnb.client import FleetClient
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import (
    STATUSES,
    check_status_details,
    check_step_timeout,
)
from jobsnb.widgets.offers import allowed_statuses, update_targets
from jobsnb.widgets.table import plural

__all__ = [
    "RESULT_COLUMNS",
    "Plan",
    "plan_start_next",
    "plan_update",
    "run_plan",
    "still_as_shown",
]

#: The columns of an action's results: one row per thing (start next) or execution (update).
RESULT_COLUMNS: Final = (
    "thing_name",
    "job_id",
    "outcome",
    "status_before",
    "status",
    "version_number",
    "status_details",
    "error_code",
    "message",
)
_KEYS: Final = ["thing_name", "job_id", "execution_number"]
_PLAN_KEYS: Final = ("thing_name", "job_id", "status", "version_number")
_TIMES: Final = " \N{MULTIPLICATION SIGN} "

Progress = Callable[[int, int], None]


@dataclass
class Plan:
    """What an action will do: the targets, the request, and the transitions it will make."""

    action: Literal["start_next", "update"]
    #: Start next: the things. Update: their thing names (one per execution in ``executions``).
    things: list[str]
    #: The executions as the operator saw them (thing, job, number, status, version): those to
    #: update, or for start next each thing's next one.
    executions: pd.DataFrame
    status: str | None
    status_details: dict[str, str] | None
    step_timeout_minutes: int | None
    #: "QUEUED → IN_PROGRESS" (etc.) and how many executions make that move.
    transitions: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        """How many calls the action makes: one per thing or per execution."""
        return len(self.things) if self.action == "start_next" else len(self.executions)

    @property
    def summary(self) -> str:
        """One line: the action, how many, and each transition with its count."""
        moves = ", ".join(f"{n}{_TIMES}{move}" for move, n in self.transitions.items())
        if self.action == "start_next":
            head = f"Start next on {plural(len(self.things), 'thing')}"
        else:
            distinct = len(set(self.things))
            head = f"Update {plural(self.count, 'execution')} on {plural(distinct, 'thing')}"
        extra = []
        if self.status_details is not None:
            extra.append(f"statusDetails {self.status_details}")
        if self.step_timeout_minutes is not None:
            extra.append(f"step timeout {self.step_timeout_minutes} min")
        return head + (f": {moves}" if moves else "") + (f" ({'; '.join(extra)})" if extra else "")


def plan_start_next(
    shown: pd.DataFrame,
    things: Sequence[str],
    *,
    status_details: Mapping[str, str] | None = None,
    step_timeout_minutes: int | None = None,
) -> Plan:
    """StartNextPendingJobExecution on each thing; transitions from each thing's next execution.

    A thing whose next execution (queue position 0 in ``shown``) is QUEUED will move it to
    IN_PROGRESS; one already IN_PROGRESS gets it back unchanged; one with nothing shown has
    nothing pending (or was not read yet).
    """
    if not things:
        raise InvalidParameterError("things", "select at least one thing", list(things))
    details = None if status_details is None else check_status_details(status_details)
    timeout = None
    if step_timeout_minutes is not None:
        timeout = check_step_timeout(step_timeout_minutes, "step timeout")
    nexts = shown[shown["queue_position"] == 0].set_index("thing_name")["status"]
    moves: Counter[str] = Counter()
    for thing in things:
        status = nexts.get(thing)
        if status == "QUEUED":
            moves["QUEUED → IN_PROGRESS"] += 1
        elif status == "IN_PROGRESS":
            moves["IN_PROGRESS (already running, unchanged)"] += 1
        else:
            moves["nothing pending"] += 1
    shown_next = shown[(shown["queue_position"] == 0) & shown["thing_name"].isin(list(things))]
    executions = _plain(shown_next[[*_KEYS, "status", "version_number"]])
    return Plan("start_next", list(things), executions, None, details, timeout, moves)


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
    details = None if status_details is None else check_status_details(status_details)
    timeout = None
    if step_timeout_minutes is not None:
        timeout = check_step_timeout(step_timeout_minutes, "step timeout", allow_cancel=True)
    moves = Counter(f"{before} → {status}" for before in rows["status"].astype(str))
    ordered = Counter(dict(sorted(moves.items(), key=lambda kv: STATUSES.index(kv[0].split()[0]))))
    executions = _plain(rows[[*_KEYS, "status", "version_number"]])
    return Plan("update", list(rows["thing_name"]), executions, status, details, timeout, ordered)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy without ``attrs`` (a frame in attrs, like the errors, breaks pandas' copies)."""
    plain = frame.reset_index(drop=True)
    plain.attrs = {}
    return plain


def _chunks(count: int, workers: int) -> list[slice]:
    # Big enough to keep the client's pool busy, small enough for ~20 progress steps.
    size = max(workers * 2, math.ceil(count / 20))
    return [slice(start, start + size) for start in range(0, count, size)]


def _empty_results() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype=object) for column in RESULT_COLUMNS})


def run_plan(
    client: FleetClient,
    plan: Plan,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> pd.DataFrame:
    """Carry out ``plan`` with the client and answer one result row per target.

    ``progress(done, total)`` is called after every chunk; when ``stop`` is set, the remaining
    targets are not called and come back with the outcome ``not run``. Outcomes: ``started``,
    ``already running``, ``nothing pending`` (start next); ``updated``, ``conflict`` (someone
    changed the execution since it was read: ``status`` and ``version_number`` are its current
    state); ``failed`` (``error_code`` is AWS's).
    """
    total = plan.count
    done = 0
    rows: list[dict[str, Any]] = []
    for part in _chunks(total, client.workers):
        if stop is not None and stop.is_set():
            break
        if plan.action == "start_next":
            rows += _start_next(client, plan, plan.things[part])
        else:
            rows += _update(client, plan, plan.executions.iloc[part])
        done = min(total, part.stop)
        if progress is not None:
            progress(done, total)
    if done < total:
        if plan.action == "start_next":
            remaining = [(thing, None, None) for thing in plan.things[done:]]
        else:
            tail = plan.executions.iloc[done:]
            remaining = list(zip(tail["thing_name"], tail["job_id"], tail["status"], strict=True))
        for thing, job, before in remaining:
            rows.append(_row(thing, job, "not run", before, message="stopped before this call"))
    if not rows:
        return _empty_results()
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def _row(
    thing: Any,
    job: Any,
    outcome: str,
    before: Any = None,
    status: Any = None,
    version: Any = None,
    details: Any = None,
    error_code: Any = None,
    message: Any = None,
) -> dict[str, Any]:
    return {
        "thing_name": thing,
        "job_id": None if job is None or pd.isna(job) else job,
        "outcome": outcome,
        "status_before": None if before is None or pd.isna(before) else str(before),
        "status": None if status is None or pd.isna(status) else str(status),
        "version_number": None if version is None or pd.isna(version) else int(version),
        "status_details": details if isinstance(details, dict) else {},
        "error_code": error_code,
        "message": message,
    }


def _start_next(client: FleetClient, plan: Plan, things: list[str]) -> list[dict[str, Any]]:
    frame = client.start_next(
        things,
        status_details=plan.status_details,
        step_timeout_minutes=plan.step_timeout_minutes,
        progress=False,
        on_error="ignore",
    )
    nexts = plan.executions
    shown = {(r.thing_name, r.job_id): str(r.status) for r in nexts.itertuples(index=False)}
    rows = []
    for r in frame.itertuples(index=False):
        job: Any = r.job_id
        if job is None or pd.isna(job):
            rows.append(_row(r.thing_name, None, "nothing pending"))
            continue
        seen = shown.get((r.thing_name, job))
        if seen is None:
            # Not in the table: a StartNext on a running execution answers it unchanged, so
            # one just started is the one whose start is its last change.
            started: Any = r.started_at
            seen = "QUEUED" if started == r.last_updated_at else "IN_PROGRESS"
        outcome = "started" if seen == "QUEUED" else "already running"
        state = (r.status, r.version_number, r.status_details)
        rows.append(_row(r.thing_name, job, outcome, seen, *state))
    rows += _failures(frame.jobsnb.errors, {})
    return rows


def _update(client: FleetClient, plan: Plan, executions: pd.DataFrame) -> list[dict[str, Any]]:
    assert plan.status is not None
    frame = client.update(
        executions,
        plan.status,
        status_details=plan.status_details,
        step_timeout_minutes=plan.step_timeout_minutes,
        expected_version="frame",
        progress=False,
        on_error="ignore",
    )
    before = {
        (r.thing_name, r.job_id): (r.status, r.version_number)
        for r in executions.itertuples(index=False)
    }
    rows = [
        _row(
            r.thing_name,
            r.job_id,
            "updated",
            before.get((r.thing_name, r.job_id), (None, None))[0],
            r.status,
            r.version_number,
            r.status_details,
        )
        for r in frame.itertuples(index=False)
    ]
    errors = frame.jobsnb.errors
    # One row per execution: the update's own errors (a conflict's is explained below).
    refused = errors[errors["operation"] == "UpdateJobExecution"]
    conflicts = frame.jobsnb.conflicts
    conflicted = set(zip(conflicts["thing_name"], conflicts["job_id"], strict=True))
    keys = zip(refused["thing_name"], refused["job_id"], strict=True)
    is_conflict = pd.Series([key in conflicted for key in keys], index=refused.index, dtype=bool)
    rows += _conflicts(conflicts, refused[is_conflict], before)
    rows += _failures(refused[~is_conflict], before)
    return rows


def _failures(errors: pd.DataFrame, before: Mapping[tuple[Any, Any], Any]) -> list[dict[str, Any]]:
    return [
        _row(
            e.thing_name,
            e.job_id,
            "failed",
            before.get((e.thing_name, e.job_id), (None, None))[0],
            error_code=e.error_code,
            message=e.message,
        )
        for e in errors.itertuples(index=False)
    ]


def _conflicts(
    conflicts: pd.DataFrame, errors: pd.DataFrame, before: Mapping[tuple[Any, Any], Any]
) -> list[dict[str, Any]]:
    """A ``conflict`` row per execution changed since it was read, with its current state."""
    codes = {(e.thing_name, e.job_id): e.error_code for e in errors.itertuples(index=False)}
    rows = []
    for c in conflicts.itertuples(index=False):
        seen_status, seen_version = before.get((c.thing_name, c.job_id), (None, None))
        message = (
            f"changed by someone else since it was read: you saw {seen_status} v{seen_version}, "
            f"it is now {c.status} v{c.version_number}; not overwritten"
        )
        state = (c.status, c.version_number, c.status_details)
        code = codes.get((c.thing_name, c.job_id))
        rows.append(_row(c.thing_name, c.job_id, "conflict", seen_status, *state, code, message))
    return rows


def still_as_shown(plan: Plan, shown: pd.DataFrame) -> bool:
    """Whether every execution of ``plan`` still has the status and version it was planned on."""
    if plan.executions.empty:
        return True

    def states(frame: pd.DataFrame) -> set[tuple[str, ...]]:
        columns = [frame[c].astype(object).to_numpy() for c in _PLAN_KEYS]
        return {tuple(str(v) for v in row) for row in zip(*columns, strict=True)}

    return states(plan.executions) <= states(shown)
