"""What the panel shows, rendered: pending executions with their details, an action's results.

The panel reads what it shows through the client: ``client.pending(things, details=True)``
gives statuses, versions, ages and statusDetails, and its versions are what an update then
expects. The ``*_html`` functions render such frames as small HTML tables for an
``ipywidgets.HTML``, statuses in the charts' colours (:data:`jobsnb.charts.STATUS_COLORS`).

Examples
--------
>>> import jobsnb
>>> from jobsnb.service import LocalJobsService
>>> from jobsnb.widgets.table import pending_html
>>> with LocalJobsService() as service:
...     thing = service.backend.create_thing("sensor-1")
...     _ = service.backend.create_job("fw-2", targets=[thing.arn], document="{}")
...     frame = jobsnb.connect(service).pending("sensor-1", details=True, progress=False)
>>> "fw-2" in pending_html(frame)
True
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import pandas as pd

from jobsnb.charts import STATUS_COLORS
from jobsnb.frames import pending_frame

__all__ = [
    "empty_shown",
    "errors_html",
    "format_age",
    "message_html",
    "outcome_message",
    "pending_html",
    "plan_html",
    "plural",
    "results_html",
    "table_note",
]

#: Rows drawn at most; the rest are counted below the table.
MAX_ROWS: Final = 200
_STYLE: Final = (
    "<style>.jobsnb-table{border-collapse:collapse;font-size:12px}"
    ".jobsnb-table th,.jobsnb-table td{border-bottom:1px solid #ddd;padding:2px 8px;"
    "text-align:left;white-space:nowrap}.jobsnb-table th{background:#f3f3f3}</style>"
)
#: Statuses in the charts' colours, so a status looks the same in a table and a chart; an
#: action's outcomes ``conflict`` and ``failed`` like the statuses they resemble.
_COLOURS: Final = {
    **STATUS_COLORS,
    "conflict": STATUS_COLORS["TIMED_OUT"],
    "failed": STATUS_COLORS["FAILED"],
}


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
    """Pending executions (``client.pending(things, details=True)``) as an HTML table."""
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
    return table + note + stamp + errors_html(frame.jobsnb.errors)


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


def empty_shown() -> pd.DataFrame:
    """The frame the table shows before anything was read: the pending columns, no rows."""
    frame = pending_frame([], pd.Timestamp.now(tz="UTC"))
    return frame.assign(status_details=pd.Series([], dtype=object))


def plural(count: int, noun: str) -> str:
    """``3 things``, ``1 thing``: a count and its noun."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


_MESSAGE_COLOURS: Final = {"error": "#b00020", "invalid": "#b35900", "info": "#333"}


def message_html(kind: str, text: str) -> str:
    """The panel's one-line message: ``kind`` is ``info``, ``invalid`` or ``error``."""
    colour = _MESSAGE_COLOURS.get(kind, "#333")
    return (
        f"<div class='jobsnb-message jobsnb-{kind}' style='color:{colour}'>"
        f"{html.escape(text)}</div>"
    )


def plan_html(summary: str, transitions: Mapping[str, int]) -> str:
    """An action under review: its summary and each transition with its count."""
    lines = "".join(f"<li>{n} &times; {html.escape(move)}</li>" for move, n in transitions.items())
    return f"<div class='jobsnb-plan'><b>{html.escape(summary)}</b><ul>{lines}</ul></div>"


def outcome_message(results: pd.DataFrame, summary: str) -> tuple[str, str]:
    """The message after an action: (kind, text), naming failures and conflicts if any."""
    outcomes = Counter(results["outcome"]) if not results.empty else Counter()
    words = {"failed": ("failed", "failed"), "conflict": ("conflict", "conflicts")}
    bad = {k: n for k, n in outcomes.items() if k in words}
    if not bad:
        return "info", f"Done: {summary}."
    counted = ", ".join(f"{n} {words[k][n != 1]}" for k, n in bad.items())
    return "error", f"Done, with {counted}: see the results below."


def table_note(frame: pd.DataFrame, selected: Sequence[str]) -> str:
    """The line above the table: how many pending executions on how many things, and failures."""
    failed = len(frame.jobsnb.errors)
    return (
        f"{plural(len(frame), 'pending execution')} on {plural(len(selected), 'selected thing')}"
        + (f"; <b>{failed} calls failed</b>" if failed else "")
    )
