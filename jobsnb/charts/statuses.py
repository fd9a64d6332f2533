"""How many things are in each status, now and over a snapshot history.

:func:`status_distribution` draws the counts now, :func:`rollout_progress` over a history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from jobsnb.charts._checks import check_by, check_frame, require_columns
from jobsnb.charts._grid import facet_groups, grid, labels, natural_key
from jobsnb.charts._sources import feeds
from jobsnb.charts._style import (
    STATUS_COLORS,
    STATUS_ORDER,
    axis_title,
    finish,
    note_figure,
    present_statuses,
    utc_naive,
)
from jobsnb.limits import COMMAND_STATUSES, TERMINAL_STATUSES

__all__ = ["rollout_progress", "status_distribution"]


@feeds("pending", "executions", "job_summary")
def status_distribution(
    frame: pd.DataFrame,
    *,
    by: str | None = None,
    facet: str | None = None,
    share: bool = False,
    title: str | None = "Status distribution",
    template: Any = None,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """How many things are in each status, per job: stacked bars, one colour per status.

    One bar per ``by`` value, one segment per status in rollout order (pending first, then the
    terminal ones), labelled with its count; hovering shows the count and its share of the
    bar. At the end of each bar: the total and, where terminal statuses can occur, the share
    that has finished. What is counted depends on the frame:

    * :meth:`~jobsnb.FleetClient.pending`: pending executions (QUEUED, IN_PROGRESS);
    * :meth:`~jobsnb.FleetClient.executions`: things, by their latest execution; the retries
      (``retry_attempt``) are totalled at the end of each bar;
    * :meth:`~jobsnb.FleetClient.describe`: executions;
    * :meth:`~jobsnb.FleetClient.command_executions`: command executions, in the commands'
      status order (CREATED first);
    * :meth:`~jobsnb.FleetClient.job_summary`: distinct things, and beside them attempts
      (executions including retries) when retries made the two differ; a job not IN_PROGRESS
      has its status in its note (a SCHEDULED one, with no executions yet, when it starts).

    Parameters
    ----------
    frame
        One of the frames above.
    by
        The column with one bar per value (default ``job_id``; ``command_id`` for command
        executions); for a job-summary frame one of its columns (``job_status``,
        ``target_selection``).
    facet
        A column to split into one row of panels per value.
    share
        Show shares of each bar (percent) instead of counts.
    title, template, width, height
        As in every jobsnb chart.

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace per status that occurs, named after it, in :data:`STATUS_ORDER` (for
        command executions, :data:`~jobsnb.limits.COMMAND_STATUSES`' order).

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.charts import status_distribution
    >>> frame = pd.DataFrame({"job_id": ["fw-2"] * 3 + ["fw-3"],
    ...                       "status": ["SUCCEEDED", "FAILED", "SUCCEEDED", "QUEUED"]})
    >>> fig = status_distribution(frame)
    >>> list(fig.data[0].y)
    ['fw-2', 'fw-3']
    >>> [(trace.name, list(trace.x)) for trace in fig.data]
    [('QUEUED', [0, 1]), ('SUCCEEDED', [2, 0]), ('FAILED', [1, 0])]
    """
    frame = check_frame(frame, "status_distribution", "statuses")
    summary = "things_queued" in frame.columns
    if not summary:
        require_columns(frame, ["status"], chart="status_distribution", source="statuses")
    commands = not summary and "command_arn" in frame.columns
    order = COMMAND_STATUSES if commands else STATUS_ORDER
    by_column = check_by(frame, by or ("command_id" if commands else "job_id"))
    assert by_column is not None
    check_by(frame, facet, "facet")
    shared = {"title": title, "template": template, "width": width}
    if frame.empty:
        return note_figure("No executions", height=height, **shared)

    groups = facet_groups(frame, facet)
    counted = [(label, _counts(part, by_column, summary, order)) for label, part in groups]
    panels = ["things"]
    if summary and any(_has_retries(c) for _, c in counted):
        panels.append("attempts")
    statuses = [
        s
        for s in order
        if any(c.loc[c["kind"] == k, s].sum() > 0 for _, c in counted for k in panels)
    ]
    noun = _noun(frame)
    figure = grid(
        len(groups),
        len(panels),
        row_titles=[label for label, _ in groups],
        shared_xaxes=True,
        shared_yaxes=True,
        horizontal_spacing=0.08,
    )
    terminal_possible = "queue_position" not in frame.columns
    job_notes = _job_notes(frame, by_column) if summary else {}
    longest = 100 if share else max(1, *(int(c["total"].max()) for _, c in counted))
    bars = 0
    for row, (_, counts) in enumerate(counted, start=1):
        for col, kind in enumerate(panels, start=1):
            table = counts[counts["kind"] == kind].set_index("category")
            bars = max(bars, len(table))
            totals = table["total"]
            scale = (100 / totals.where(totals > 0, 1)) if share else 1
            for status in statuses:
                values = table[status] * scale
                figure.add_trace(
                    go.Bar(
                        x=values.tolist(),
                        y=table.index.tolist(),
                        name=status,
                        legendgroup=status,
                        showlegend=row == 1 and col == 1,
                        orientation="h",
                        marker={"color": STATUS_COLORS[status], "line": {"width": 0}},
                        text=[str(n) if n else "" for n in table[status]],
                        textposition="inside",
                        insidetextanchor="middle",
                        textangle=0,
                        customdata=list(
                            zip(
                                table[status],
                                table[status] / totals.where(totals > 0, 1),
                                strict=True,
                            )
                        ),
                        hovertemplate=(
                            f"%{{y}}<br>{status}: %{{customdata[0]}} "
                            "(%{customdata[1]:.0%})<extra></extra>"
                        ),
                    ),
                    row=row,
                    col=col,
                )
            for category, line in table.iterrows():
                figure.add_annotation(
                    x=100 if share else line["total"], y=category, row=row, col=col,
                    text=_bar_note(line, terminal_possible, order)
                    + job_notes.get(str(category), ""),
                    showarrow=False, xanchor="left",
                    xshift=4, font={"size": 11, "color": "#444444"},
                )  # fmt: skip
            # Room past the longest bar for its note ("104 · 94% done · 7 retries") at ~500 px.
            figure.update_xaxes(range=[0, longest * 1.5], row=row, col=col)
            figure.update_yaxes(
                categoryorder="array", categoryarray=table.index.tolist()[::-1], row=row, col=col
            )
    suffix = " (%)" if share else ""
    titles = [noun, "Attempts (incl. retries)"][: len(panels)]
    for col, text in enumerate(titles, start=1):
        figure.update_xaxes(title_text=text + suffix, row=len(groups), col=col)
    figure.update_yaxes(title_text=axis_title(by_column), col=1)
    # Counts that do not fit their segment are left to the hover rather than shrunk.
    figure.update_layout(
        barmode="stack", bargap=0.35, uniformtext_minsize=10, uniformtext_mode="hide"
    )
    auto_height = min(1400, max(300, 170 + 44 * bars * len(groups)))
    return finish(figure, height=height or auto_height, **shared)


def _noun(frame: pd.DataFrame) -> str:
    if "things_queued" in frame.columns or "retry_attempt" in frame.columns:
        return "Things"
    if "command_arn" in frame.columns:
        return "Command executions"
    if "queue_position" in frame.columns:
        return "Pending executions"
    return "Executions"


def _counts(
    frame: pd.DataFrame, by: str, summary: bool, order: Sequence[str] = STATUS_ORDER
) -> pd.DataFrame:
    """One row per (kind, category): a count column per status, ``total``, ``retries``."""
    categories = labels(frame[by])
    if summary:
        parts = []
        for kind in ("things", "attempts"):
            columns = {f"{kind}_{s.lower()}": s for s in STATUS_ORDER}
            part = frame[list(columns)].rename(columns=columns).astype("int64")
            part = part.groupby(categories.to_numpy()).sum()
            parts.append(part.assign(kind=kind))
        table = pd.concat(parts)
        table["retries"] = 0
    else:
        statuses = frame["status"].astype(pd.CategoricalDtype(list(order)))
        table = pd.crosstab(categories.to_numpy(), statuses, dropna=False)
        table = table.reindex(columns=list(order), fill_value=0)
        table.columns = list(order)
        retries = (
            frame["retry_attempt"].fillna(0).astype("int64").groupby(categories.to_numpy()).sum()
            if "retry_attempt" in frame.columns
            else 0
        )
        table = table.assign(kind="things", retries=retries)
    table["total"] = table[list(order)].sum(axis=1)
    table = table.rename_axis("category").reset_index()
    table["category"] = table["category"].astype(str)
    order = sorted(table["category"].unique(), key=natural_key)
    table["_order"] = table["category"].map({c: i for i, c in enumerate(order)})
    return table.sort_values(["kind", "_order"], kind="stable").drop(columns="_order")


def _has_retries(counts: pd.DataFrame) -> bool:
    """Whether any job of a summary counted more attempts than things."""
    totals = counts.groupby("kind")["total"].sum()
    return bool(totals.get("attempts", 0) != totals.get("things", 0))


def _job_notes(summary: pd.DataFrame, by: str) -> dict[str, str]:
    """What a job summary's bar note adds for a job not IN_PROGRESS, by job id.

    A SCHEDULED job has no executions, so its bar is empty: the note says when it starts.
    """
    if by != "job_id" or "job_status" not in summary.columns:
        return {}
    starts = summary.get("scheduled_start_at", pd.Series(pd.NaT, index=summary.index))
    notes = {}
    for job_id, status, start in zip(summary["job_id"], summary["job_status"], starts, strict=True):
        if pd.isna(status) or status == "IN_PROGRESS":
            continue
        note = f" · {status}"
        if status == "SCHEDULED" and pd.notna(start):
            note += f", starts {start:%b %d %H:%M} UTC"
        notes[str(job_id)] = note
    return notes


def _bar_note(line: pd.Series, terminal_possible: bool, order: Sequence[str] = STATUS_ORDER) -> str:
    total = int(line["total"])
    note = f"{total}"
    if terminal_possible and total:
        done = sum(int(line[s]) for s in order if s in TERMINAL_STATUSES)
        note += f" · {done / total:.0%} done"
    if int(line["retries"]):
        retries = int(line["retries"])
        note += f" · {retries} {'retry' if retries == 1 else 'retries'}"
    return note


def rollout_progress(
    history: pd.DataFrame,
    *,
    facet: str | None = None,
    share: bool = False,
    title: str | None = "Rollout progress",
    template: Any = None,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """Statuses stacked over time, from a snapshot history: how a rollout moved.

    One filled area per status, stacked in rollout order, counting rows per snapshot (things,
    for a history of :meth:`~jobsnb.FleetClient.executions` frames).

    Parameters
    ----------
    history
        Snapshots with ``snapshot_at`` and ``status`` columns, as
        :func:`jobsnb.history.read_history` returns them.
    facet
        A column to split into one panel per value, e.g. ``"job_id"``.
    share
        Stack shares (percent of each snapshot) instead of counts.
    title, template, width, height
        As in every jobsnb chart.

    Returns
    -------
    plotly.graph_objects.Figure
        One area trace per status that occurs, in :data:`STATUS_ORDER`, x in UTC.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.charts import rollout_progress
    >>> history = pd.DataFrame({
    ...     "snapshot_at": pd.to_datetime(["2026-01-01 10:00"] * 2 + ["2026-01-01 11:00"] * 2,
    ...                                   utc=True),
    ...     "thing_name": ["t1", "t2", "t1", "t2"],
    ...     "status": ["QUEUED", "QUEUED", "SUCCEEDED", "QUEUED"]})
    >>> fig = rollout_progress(history)
    >>> [(trace.name, list(trace.y)) for trace in fig.data]
    [('QUEUED', [2, 1]), ('SUCCEEDED', [0, 1])]
    """
    history = check_frame(history, "rollout_progress", "history")
    require_columns(history, ["snapshot_at", "status"], chart="rollout_progress", source="history")
    check_by(history, facet, "facet")
    shared = {"title": title, "template": template, "width": width}
    if history.empty:
        return note_figure("No snapshots", height=height, **shared)

    groups = facet_groups(history, facet)
    statuses = present_statuses(history["status"])
    figure = grid(len(groups), 1, row_titles=[label for label, _ in groups], shared_xaxes=True)
    times = sorted(history["snapshot_at"].unique())
    for row, (_, part) in enumerate(groups, start=1):
        counts = pd.crosstab(part["snapshot_at"], part["status"].astype(str))
        counts = counts.reindex(index=times, columns=statuses, fill_value=0)
        x = utc_naive(pd.Series(counts.index)).tolist()
        for status in statuses:
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=counts[status].astype(int).tolist(),
                    name=status,
                    legendgroup=status,
                    showlegend=row == 1,
                    mode="lines",
                    stackgroup=f"row{row}",
                    groupnorm="percent" if share else None,
                    line={"color": STATUS_COLORS[status], "width": 0.5},
                    fillcolor=STATUS_COLORS[status],
                    hovertemplate=f"%{{x|%Y-%m-%d %H:%M}} UTC<br>{status}: %{{y}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    noun = _noun(history)
    figure.update_yaxes(title_text=f"{noun} (%)" if share else noun, rangemode="tozero")
    figure.update_xaxes(title_text="Snapshot time (UTC)", row=len(groups), col=1)
    figure.update_layout(hovermode="x unified")
    auto_height = min(1400, max(380, 120 + 260 * len(groups)))
    return finish(figure, height=height or auto_height, **shared)
