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
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from jobsnb.charts import STATUS_COLORS
from jobsnb.frames import format_duration, pending_frame

if TYPE_CHECKING:
    from jobsnb.widgets.plans import Plan

__all__ = [
    "counted",
    "empty_shown",
    "errors_html",
    "message_html",
    "outcome_message",
    "pending_html",
    "plan_html",
    "plural",
    "results_html",
    "table_note",
]

#: Rows drawn at most; the rest are counted below the table.
MAX_ROWS: Final = 500
#: Tables scroll inside a bounded box (both ways), so the panel keeps its height and width
#: whatever the selection; the header stays in view. Names never wrap; statusDetails and
#: messages wrap between words.
_STYLE: Final = (
    "<style>.jobsnb-scroll{overflow:auto;max-width:100%;border:1px solid #eee}"
    ".jobsnb-table{border-collapse:collapse;font-size:12px}"
    ".jobsnb-table th,.jobsnb-table td{border-bottom:1px solid #ddd;padding:2px 8px;"
    "text-align:left;white-space:nowrap;vertical-align:top}"
    ".jobsnb-table th{background:#f3f3f3;position:sticky;top:0}"
    ".jobsnb-table td.jobsnb-wrap{white-space:normal;min-width:14em;max-width:32em;"
    "overflow-wrap:normal}.jobsnb-table td.jobsnb-num{text-align:right}</style>"
)
#: Columns whose text wraps (between words), and columns of numbers (right-aligned).
_WRAPPED: Final = frozenset({"statusDetails", "message", "sent", "reason"})
_NUMBERS: Final = frozenset({"version", "execution", "expected version"})
#: Statuses in the charts' colours, so a status looks the same in a table and a chart; an
#: action's outcomes ``conflict`` and ``failed`` like the statuses they resemble.
_COLOURS: Final = {
    **STATUS_COLORS,
    "conflict": STATUS_COLORS["TIMED_OUT"],
    "failed": STATUS_COLORS["FAILED"],
}


def _details(details: Any) -> str:
    if not isinstance(details, dict) or not details:
        return ""
    return ", ".join(f"{key}={value}" for key, value in details.items())


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (not isinstance(value, dict) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = html.escape(str(value))
    colour = _COLOURS.get(str(value))
    return f"<span style='color:{colour}'>{text}</span>" if colour else text


def _table(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str],
    total: int,
    css: str,
    *,
    height: int = 260,
) -> str:
    """Rows as an HTML table in a box that scrolls beyond ``height`` pixels."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    kinds = [
        " class='jobsnb-wrap'" if h in _WRAPPED else " class='jobsnb-num'" if h in _NUMBERS else ""
        for h in headers
    ]
    body = "".join(
        "<tr>"
        + "".join(f"<td{k}>{_cell(v)}</td>" for k, v in zip(kinds, row, strict=True))
        + "</tr>"
        for row in rows
    )
    more = f"<div>… and {total - MAX_ROWS:,} more rows</div>" if total > MAX_ROWS else ""
    return (
        f"{_STYLE}<div class='jobsnb-scroll' style='max-height:{height}px'>"
        f"<table class='jobsnb-table {css}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>{more}"
    )


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
                "next" if r.queue_position == 0 else "",
                r.status,
                r.version_number,
                r.execution_number,
                format_duration(r.queue_age),
                format_duration(r.in_progress_for),
                _details(r.status_details),
            )
            for r in ordered.head(MAX_ROWS).itertuples(index=False)
        )
        headers = ["thing", "job", "in line", "status", "version", "execution", "queued for"]
        headers += ["in progress for", "statusDetails"]
        table = _table(rows, headers, len(frame), "jobsnb-pending")
    idle = len(set(things) - set(frame["thing_name"])) if things else 0
    verb = "thing has" if idle == 1 else "things have"
    note = f"<div>{idle} selected {verb} nothing pending</div>" if idle else ""
    snapshot = frame.attrs.get("snapshot_at")
    stamp = (
        f"<div style='color:#666'>as of {snapshot:%Y-%m-%d %H:%M:%S} UTC (the service's clock)"
        "</div>"
        if snapshot
        else ""
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
    """An action's per-call results (see :mod:`jobsnb.widgets.actions`) as HTML."""
    if results.empty:
        return ""
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
    summary = html.escape(counted(results["outcome"]))
    table = _table(rows, headers, len(results), "jobsnb-results", height=220)
    return f"<div class='jobsnb-results-box'><b>Results:</b> {summary}{table}</div>"


def empty_shown() -> pd.DataFrame:
    """The frame the table shows before anything was read: the pending columns, no rows."""
    frame = pending_frame([], pd.Timestamp.now(tz="UTC"))
    frame = frame.assign(status_details=pd.Series([], dtype=object))
    # Nothing was read: no "as of" (this machine's clock is not the service's).
    frame.attrs.pop("snapshot_at", None)
    return frame


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


def plan_html(plan: Plan) -> str:
    """An action under review: its summary, every call it will make, the things it skips."""
    executions = plan.executions
    details = _details(plan.status_details) or "none"
    rows = (
        (r.thing_name, r.job_id, r.status, r.status_after, r.version_number, details)
        for r in executions.head(MAX_ROWS).itertuples(index=False)
    )
    headers = ["thing", "job", "now", "after", "expected version", "statusDetails sent"]
    if plan.action == "start_next":
        headers[4] = "version"
    table = _table(rows, headers, len(executions), "jobsnb-plan-calls", height=200)
    skipped = ""
    if not plan.skipped.empty:
        reasons = counted(plan.skipped["reason"])
        listed = _table(
            (
                (r.thing_name, r.job_id, r.reason)
                for r in plan.skipped.head(MAX_ROWS).itertuples(index=False)
            ),
            ["thing", "job", "reason"],
            len(plan.skipped),
            "jobsnb-plan-skipped",
            height=160,
        )
        head = f"{plural(len(plan.skipped), 'selected thing')} not called: {reasons}"
        skipped = f"<details><summary>{html.escape(head)}</summary>{listed}</details>"
    summary = html.escape(plan.summary)
    return f"<div class='jobsnb-plan'><b>Review:</b> {summary}{table}{skipped}</div>"


def counted(values: Iterable[Any]) -> str:
    """``5 conflicts, 1 started``: each value with its count, most frequent first."""
    counts = Counter(str(v) for v in values)
    return ", ".join(f"{n} {_NOUNS.get(v, (v, v))[n != 1]}" for v, n in counts.most_common())


#: Outcomes that are nouns, with their plurals (the others read as they are: "3 started").
_NOUNS: Final = {"conflict": ("conflict", "conflicts")}


def outcome_message(results: pd.DataFrame, summary: str) -> tuple[str, str]:
    """The message after an action: (kind, text); says what a stop left and what failed."""
    outcomes = Counter(results["outcome"]) if not results.empty else Counter()
    total = sum(outcomes.values())
    not_run = outcomes.get("not run", 0)
    bad = {k: n for k, n in outcomes.items() if k in ("failed", "conflict")}
    trouble = f"; {counted(results['outcome'][results['outcome'].isin(list(bad))])}" if bad else ""
    if not_run:
        done = total - not_run
        return "error", f"Stopped: {done} of {total} done, {not_run} not run{trouble}."
    if bad:
        return "error", f"Done, with {trouble[2:]}: see the results below."
    return "info", f"Done: {summary}."


def table_note(frame: pd.DataFrame, selected: Sequence[str]) -> str:
    """The line above the table: how many pending executions on how many things, and failures."""
    failed = len(frame.jobsnb.errors)
    return (
        f"{plural(len(frame), 'pending execution')} on {plural(len(selected), 'selected thing')}"
        + (f"; <b>{plural(failed, 'call')} failed</b>" if failed else "")
    )
