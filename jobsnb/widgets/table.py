"""What the panel shows: the pending executions with their details, and the results of an action.

:func:`shown_executions` reads the pending executions of some things (GetPendingJobExecutions)
and every field of each (DescribeJobExecution), so the table has statuses, versions, ages and
statusDetails; its versions are what an update then expects. The ``*_html`` functions render
frames as small HTML tables for an ``ipywidgets.HTML``.

Examples
--------
>>> import jobsnb
>>> from jobsnb.service import LocalJobsService
>>> from jobsnb.widgets.table import pending_html, shown_executions
>>> with LocalJobsService() as service:
...     thing = service.backend.create_thing("sensor-1")
...     _ = service.backend.create_job("fw-2", targets=[thing.arn], document="{}")
...     frame = shown_executions(jobsnb.connect(service), ["sensor-1"])
>>> frame[["thing_name", "job_id", "status", "version_number", "status_details"]].values.tolist()
[['sensor-1', 'fw-2', 'QUEUED', 1, {}]]
>>> "fw-2" in pending_html(frame)
True
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any, Final

import pandas as pd

from jobsnb.client import FleetClient
from jobsnb.client.fanout import CallError
from jobsnb.frames import errors_frame

__all__ = [
    "call_errors",
    "errors_html",
    "errors_of",
    "format_age",
    "pending_html",
    "results_html",
    "shown_executions",
]

#: Rows drawn at most; the rest are counted below the table.
MAX_ROWS: Final = 200
_KEYS: Final = ["thing_name", "job_id", "execution_number"]
_CURRENT: Final = ["status", "version_number", "status_details"]
_STYLE: Final = (
    "<style>.jobsnb-table{border-collapse:collapse;font-size:12px}"
    ".jobsnb-table th,.jobsnb-table td{border-bottom:1px solid #ddd;padding:2px 8px;"
    "text-align:left;white-space:nowrap}.jobsnb-table th{background:#f3f3f3}</style>"
)
_COLOURS: Final = {
    "QUEUED": "#6c757d",
    "IN_PROGRESS": "#1f77b4",
    "SUCCEEDED": "#2a7d2a",
    "FAILED": "#b00020",
    "REJECTED": "#b00020",
    "TIMED_OUT": "#b35900",
    "conflict": "#b35900",
    "failed": "#b00020",
}


def shown_executions(client: FleetClient, things: Sequence[str]) -> pd.DataFrame:
    """The pending executions of ``things``, each with its current statusDetails.

    The pending frame's columns, with ``status`` and ``version_number`` as DescribeJobExecution
    answered just after (the later read) and a ``status_details`` column. The calls that failed
    are in ``frame.attrs["errors"]`` (:func:`errors_of` reads them as a frame).
    """
    pending = client.pending(list(things), progress=False, on_error="ignore")
    calls = call_errors(pending)
    frame = pending.assign(status_details=_dicts([{}] * len(pending), pending.index))
    if not pending.empty:
        described = client.describe(pending[_KEYS], progress=False, on_error="ignore")
        calls += call_errors(described)
        now = described[[*_KEYS, *_CURRENT]].rename(columns={c: f"{c}_now" for c in _CURRENT})
        merged = pending.merge(now, on=_KEYS, how="left")
        found = merged["version_number_now"].notna().to_numpy()
        frame["status"] = merged["status"].where(~found, merged["status_now"])
        frame["version_number"] = merged["version_number"].where(
            ~found, merged["version_number_now"]
        )
        frame["status_details"] = _dicts(merged["status_details_now"], pending.index)
    frame.attrs = {**pending.attrs, "errors": tuple(calls)}
    return frame


def _dicts(values: Iterable[Any], index: pd.Index) -> pd.Series:
    """An object column of dicts (``{}`` for missing ones), one per row of ``index``."""
    return pd.Series([v if isinstance(v, dict) else {} for v in values], index=index, dtype=object)


def call_errors(frame: pd.DataFrame) -> list[CallError]:
    """The failed calls a client frame carries in ``attrs["errors"]`` (a tuple of
    :class:`~jobsnb.fanout.CallError`; an errors DataFrame is read too)."""
    value = frame.attrs.get("errors")
    if value is None:
        return []
    if not isinstance(value, pd.DataFrame):
        return list(value)
    return [
        CallError(
            r["thing_name"],
            None if pd.isna(r["job_id"]) else r["job_id"],
            r["operation"],
            r["error_code"],
            r["message"],
            int(r["attempts"]),
            None if pd.isna(r["http_status"]) else int(r["http_status"]),
        )
        for r in value.to_dict("records")
    ]


def errors_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The failed calls of a client frame as an errors frame (thing, job, operation, code...)."""
    return errors_frame(call_errors(frame))


def format_age(age: Any) -> str:
    """A timedelta as ``3d 4h``, ``2h 05m``, ``4m 10s`` or ``35s``; empty for NaT."""
    if age is None or pd.isna(age):
        return ""
    seconds = int(pd.Timedelta(age).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


def _details(details: Any) -> str:
    if not isinstance(details, dict) or not details:
        return ""
    return ", ".join(f"{key}={value}" for key, value in details.items())


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (not isinstance(value, dict) and pd.isna(value)):
        return ""
    text = html.escape(str(value))
    colour = _COLOURS.get(str(value))
    return f"<span style='color:{colour}'>{text}</span>" if colour else text


def _table(rows: Iterable[Sequence[Any]], headers: Sequence[str], total: int, css: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    more = f"<div>… and {total - MAX_ROWS} more rows</div>" if total > MAX_ROWS else ""
    return f"{_STYLE}<table class='jobsnb-table {css}'><tr>{head}</tr>{body}</table>{more}"


def pending_html(frame: pd.DataFrame, *, things: Sequence[str] = ()) -> str:
    """The pending executions (as :func:`shown_executions` gives them) as an HTML table."""
    if frame.empty:
        table = "<div class='jobsnb-pending'><i>nothing pending</i></div>"
    else:
        ordered = frame.sort_values(["thing_name", "queue_position"], kind="stable")
        rows = (
            (
                r.thing_name,
                r.job_id,
                r.status,
                r.version_number,
                r.execution_number,
                format_age(r.queue_age),
                format_age(r.in_progress_for),
                _details(r.status_details),
            )
            for r in ordered.head(MAX_ROWS).itertuples(index=False)
        )
        headers = ["thing", "job", "status", "version", "execution", "queued for"]
        headers += ["in progress for", "statusDetails"]
        table = _table(rows, headers, len(frame), "jobsnb-pending")
    idle = len(set(things) - set(frame["thing_name"])) if things else 0
    verb = "thing has" if idle == 1 else "things have"
    note = f"<div>{idle} selected {verb} nothing pending</div>" if idle else ""
    snapshot = frame.attrs.get("snapshot_at")
    stamp = (
        f"<div style='color:#666'>as of {snapshot:%Y-%m-%d %H:%M:%S} UTC</div>" if snapshot else ""
    )
    return table + note + stamp + errors_html(errors_of(frame))


def errors_html(errors: pd.DataFrame | None, *, title: str = "Calls that failed") -> str:
    """An errors frame (thing, job, operation, AWS error code, message) as an HTML table."""
    if errors is None or errors.empty:
        return ""
    rows = (
        (r.thing_name, r.job_id, r.operation, r.error_code, r.message)
        for r in errors.head(MAX_ROWS).itertuples(index=False)
    )
    headers = ["thing", "job", "operation", "error code", "message"]
    return f"<b>{html.escape(title)}</b>" + _table(rows, headers, len(errors), "jobsnb-errors")


def results_html(results: pd.DataFrame) -> str:
    """An action's per-execution results (see :mod:`jobsnb.widgets.actions`) as HTML."""
    if results.empty:
        return ""
    counts = results["outcome"].value_counts()
    summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
    rows = (
        (
            r.thing_name,
            r.job_id,
            r.outcome,
            r.status_before,
            r.status,
            r.version_number,
            _details(r.status_details),
            r.error_code,
            r.message,
        )
        for r in results.head(MAX_ROWS).itertuples(index=False)
    )
    headers = ["thing", "job", "outcome", "was", "now", "version", "statusDetails"]
    headers += ["error code", "message"]
    return f"<b>Results:</b> {summary}" + _table(rows, headers, len(results), "jobsnb-results")
