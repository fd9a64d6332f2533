"""Confirm → run: carrying out a reviewed :class:`~jobsnb.widgets.plans.Plan` through the client.

:func:`run_plan` makes the plan's calls with the fleet client (its budgets, retries and thread
pool) in one fan-out that reports progress call by call and honours a stop between calls, and
answers one row per call: what it was, what it is now, or the AWS error code. An update sends
each row's version as ``expectedVersion``: an execution someone else changed meanwhile is
refused by the service, and the client tells such a conflict from other refusals
(:mod:`jobsnb.client.conflicts`); the result shows the execution's current state as a
``conflict``, never overwritten.

Examples
--------
>>> import jobsnb
>>> from jobsnb.service import LocalJobsService
>>> from jobsnb.widgets.plans import plan_start_next
>>> with LocalJobsService() as service:
...     thing = service.backend.create_thing("sensor-1")
...     _ = service.backend.create_job("fw-2", targets=[thing.arn], document="{}")
...     client = jobsnb.connect(service)
...     shown = client.pending("sensor-1", progress=False)
...     results = run_plan(client, plan_start_next(shown, ["sensor-1"]))
>>> results[["thing_name", "job_id", "outcome", "status_before", "status"]].values.tolist()
[['sensor-1', 'fw-2', 'started', 'QUEUED', 'IN_PROGRESS']]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

import pandas as pd

from jobsnb.client import FleetClient
from jobsnb.widgets.plans import PLAN_COLUMNS, Plan

__all__ = ["NOT_RUN", "RESULT_COLUMNS", "run_plan"]

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
#: The client's error code for a call a stopped fan-out did not make.
NOT_RUN: Final = "NotRun"

_STOPPED: Final = "stopped before this call"

Progress = Callable[[int, int], None]


def _empty_results() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype=object) for column in RESULT_COLUMNS})


def run_plan(
    client: FleetClient,
    plan: Plan,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> pd.DataFrame:
    """Carry out ``plan`` with the client and answer one result row per call.

    ``progress(done, total)`` is called as calls complete; once ``stop`` is set, no new call
    starts and the calls not made come back with the outcome ``not run``. Outcomes:
    ``started``, ``already running``, ``nothing pending`` (start next); ``updated``,
    ``conflict`` (someone changed the execution since it was read: ``status`` and
    ``version_number`` are its current state); ``failed`` (``error_code`` is AWS's);
    ``not run``.
    """
    if plan.count == 0:
        return _empty_results()
    if plan.action == "start_next":
        rows = _start_next(client, plan, progress, stop)
    else:
        rows = _update(client, plan, progress, stop)
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


def _start_next(
    client: FleetClient, plan: Plan, progress: Progress | None, stop: threading.Event | None
) -> list[dict[str, Any]]:
    frame = client.start_next(
        plan.things,
        status_details=plan.status_details,
        step_timeout_minutes=plan.step_timeout_minutes,
        progress=progress if progress is not None else False,
        stop=stop,
        on_error="ignore",
    )
    planned = {r.thing_name: (r.job_id, str(r.status)) for r in plan.executions.itertuples()}
    rows = []
    for r in frame.itertuples(index=False):
        job: Any = r.job_id
        if job is None or pd.isna(job):
            rows.append(_row(r.thing_name, None, "nothing pending"))
            continue
        planned_job, seen = planned.get(str(r.thing_name), (None, None))
        message = None
        if planned_job != job:
            # The device's queue changed since the table was read: say which job it started.
            message = f"started {job!s}: the table showed {planned_job!s} next"
            started: Any = r.started_at
            seen = "QUEUED" if started == r.last_updated_at else "IN_PROGRESS"
        outcome = "started" if seen == "QUEUED" else "already running"
        state = (r.status, r.version_number, r.status_details)
        rows.append(_row(r.thing_name, job, outcome, seen, *state, message=message))
    before = {(t, j): (s, None) for t, (j, s) in planned.items()}
    rows += _failures(frame.jobsnb.errors, before)
    return rows


def _update(
    client: FleetClient, plan: Plan, progress: Progress | None, stop: threading.Event | None
) -> list[dict[str, Any]]:
    assert plan.status is not None
    executions = plan.executions
    frame = client.update(
        executions[list(PLAN_COLUMNS)],
        plan.status,
        status_details=plan.status_details,
        step_timeout_minutes=plan.step_timeout_minutes,
        expected_version="frame",
        progress=progress if progress is not None else False,
        stop=stop,
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
    """A ``failed`` row per refused call, a ``not run`` row per call a stop prevented."""
    # StartNext's errors know the thing only: the job it would have started.
    planned_job = dict(before.keys())  # (thing, job) keys → thing: job
    rows = []
    for e in errors.itertuples(index=False):
        job: Any = e.job_id
        if job is None or pd.isna(job):
            job = planned_job.get(e.thing_name)
        seen = before.get((e.thing_name, job), (None, None))[0]
        if e.error_code == NOT_RUN:
            rows.append(_row(e.thing_name, job, "not run", seen, message=_STOPPED))
        else:
            rows.append(
                _row(e.thing_name, job, "failed", seen, error_code=e.error_code, message=e.message)
            )
    return rows


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
