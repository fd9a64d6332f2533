"""One job's executions over time, thing by thing: :func:`execution_timeline`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from jobsnb.charts._aggregate import active_counts, aggregates
from jobsnb.charts._checks import check_frame, require_columns
from jobsnb.charts._sources import feeds
from jobsnb.charts._style import STATUS_COLORS, finish, note_figure, present_statuses, utc_naive
from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames import format_duration

__all__ = ["execution_timeline"]

_COLUMNS = ("thing_name", "job_id", "status", "queued_at", "started_at", "last_updated_at")
WAITING = "queued → started"
#: Above this many things the thing names are left off the axis (they would overlap).
_NAMED_THINGS_LIMIT = 60
#: Above AGGREGATE_ABOVE executions, how many moments the bars are counted at.
MOMENTS = 240


@feeds("executions")
def execution_timeline(
    frame: pd.DataFrame,
    *,
    job_id: str | None = None,
    title: str | None = None,
    template: Any = None,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """One job's executions as bars over time: queued → started → last update, one row per thing.

    Each thing gets a grey bar from when its execution was queued to when it started (if it
    never started: to its last update when canceled or removed, to "now" while still QUEUED),
    then a bar in its status's colour from when it started to its last update (to "now" while
    IN_PROGRESS). "Now" is the frame's ``snapshot_at`` if it has one, else the latest time in
    it. Rows are sorted by queue time, the first queued on top; times are UTC.

    Above 2,000 executions there are too many bars to draw (or to see): the bars are counted
    instead, and the chart stacks how many of each kind cover each of 240 moments from the
    first queue time to "now", in the same colours; the subtitle says so. The figure then has
    the same size for a million executions as for ten thousand.

    Parameters
    ----------
    frame
        Executions, as :meth:`~jobsnb.FleetClient.executions` (or
        :meth:`~jobsnb.FleetClient.describe`) returns them.
    job_id
        The job to draw; needed when the frame holds several.
    title, template, width, height
        As in every jobsnb chart (default title: ``Executions of <job>``).

    Returns
    -------
    plotly.graph_objects.Figure
        A ``queued → started`` bar trace, then one bar trace per status that occurs (started
        → last update), in :data:`STATUS_ORDER`; each bar's ``base`` is its start time.
        Counted, the same traces are stacked areas (``stackgroup``) with one ``y`` per moment.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.charts import execution_timeline
    >>> t = lambda text: pd.Timestamp(text, tz="UTC")
    >>> frame = pd.DataFrame({
    ...     "thing_name": ["t1", "t2"], "job_id": ["fw-2", "fw-2"],
    ...     "status": ["SUCCEEDED", "QUEUED"],
    ...     "queued_at": [t("2026-01-01 10:00"), t("2026-01-01 10:00")],
    ...     "started_at": [t("2026-01-01 10:05"), pd.NaT],
    ...     "last_updated_at": [t("2026-01-01 10:30"), t("2026-01-01 10:00")]})
    >>> fig = execution_timeline(frame)
    >>> [trace.name for trace in fig.data], fig.layout.title.text
    (['queued → started', 'SUCCEEDED'], 'Executions of fw-2')
    >>> fig.data[1].x  # minutes from start to last update, in milliseconds
    (1500000.0,)
    """
    frame = check_frame(frame, "execution_timeline", "executions")
    require_columns(frame, _COLUMNS, chart="execution_timeline", source="executions")
    jobs = sorted(frame["job_id"].dropna().unique())
    if job_id is None and len(jobs) > 1:
        raise InvalidParameterError(
            "job_id", f"must name one job: the frame holds {len(jobs)} ({', '.join(jobs)})", None
        )
    if job_id is not None:
        if job_id not in jobs and not frame.empty:
            raise InvalidParameterError(
                "job_id", f"must be a job of the frame ({', '.join(jobs)})", job_id
            )
        frame = frame[frame["job_id"] == job_id]
    shown = job_id or (jobs[0] if jobs else None)
    shared = {
        "title": title if title is not None else f"Executions of {shown or 'a job'}",
        "template": template,
        "width": width,
    }
    if frame.empty:
        return note_figure("No executions", height=height, **shared)

    aggregated = aggregates(len(frame))
    # Only the bars need an order (the first queued on top); counting them does not.
    frame = frame if aggregated else frame.sort_values(["queued_at", "thing_name"], kind="stable")
    now = _now(frame)
    status = frame["status"]
    waited_until = frame["started_at"].fillna(frame["last_updated_at"])
    waited_until = waited_until.where(status != "QUEUED", now)
    ran_until = frame["last_updated_at"].where(status != "IN_PROGRESS", now)
    # Masks as arrays select by position: a frame's index may repeat labels.
    started = frame["started_at"].notna().to_numpy()
    everyone = np.ones(len(frame), dtype=bool)
    spans = [(WAITING, everyone, frame["queued_at"], waited_until, STATUS_COLORS["QUEUED"])]
    for name in present_statuses(status[started]):
        mine = started & (status == name).to_numpy()
        spans.append((name, mine, frame["started_at"][mine], ran_until[mine], STATUS_COLORS[name]))
    if aggregated:
        return _counted(len(frame), spans, now, height=height, **shared)
    figure = go.Figure()
    for name, mine, start, end, color in spans:
        figure.add_trace(_bars(frame[mine], start, end, name, color))
    things = frame["thing_name"].astype(str).tolist()
    named = len(things) <= _NAMED_THINGS_LIMIT
    figure.update_yaxes(
        categoryorder="array",
        categoryarray=things[::-1],
        title_text="Thing" if named else f"{len(things)} things, first queued on top",
        showticklabels=named,
    )
    figure.update_xaxes(type="date", title_text="Time (UTC)")
    figure.update_layout(barmode="overlay", bargap=0.25, hovermode="closest")
    auto_height = min(1400, max(320, 170 + 22 * len(things)))
    return finish(figure, height=height or auto_height, **shared)


def _now(frame: pd.DataFrame) -> pd.Timestamp:
    """When the frame was read: its ``snapshot_at``, else the latest time it mentions."""
    if "snapshot_at" in frame.columns and frame["snapshot_at"].notna().any():
        return pd.Timestamp(frame["snapshot_at"].max())
    stamp = frame.attrs.get("snapshot_at")
    if stamp is not None:
        return pd.Timestamp(stamp)
    latest = frame[["queued_at", "started_at", "last_updated_at"]].max().max()
    return pd.Timestamp(latest)


def _counted(
    executions: int,
    spans: list[tuple[str, np.ndarray, pd.Series, pd.Series, str]],
    now: pd.Timestamp,
    *,
    title: str | None,
    template: Any,
    width: int | None,
    height: int | None,
) -> go.Figure:
    """The bars of ``spans`` counted: how many of each kind cover each of :data:`MOMENTS`.

    The moments are the middles of equal steps from the first queue time to "now": at "now"
    itself every bar that runs until then has just ended.
    """
    first = min(start.min() for _, _, start, _, _ in spans)
    step = (now - first) / MOMENTS
    moments = pd.DatetimeIndex([first + (i + 0.5) * step for i in range(MOMENTS)])
    x = utc_naive(pd.Series(moments)).tolist()
    figure = go.Figure()
    for name, _, start, end, color in spans:
        figure.add_trace(
            go.Scatter(
                x=x,
                y=active_counts(start, end, moments).tolist(),
                name=name,
                legendgroup=name,
                mode="lines",
                stackgroup="bars",
                line={"color": color, "width": 0.5},
                fillcolor=color,
                hovertemplate=f"{name}: %{{y:,}}<extra></extra>",
            )
        )
    subtitle = (
        f"{executions:,} executions, too many to draw one by one: how many were waiting (grey) "
        f"or running (in the colour of their status now), every {format_duration(step)}"
    )
    figure.update_xaxes(type="date", title_text="Time (UTC)")
    figure.update_yaxes(title_text="Executions", rangemode="tozero")
    figure.update_layout(hovermode="x unified")
    return finish(
        figure, title=title, template=template, width=width, height=height or 480, subtitle=subtitle
    )


def _bars(rows: pd.DataFrame, start: pd.Series, end: pd.Series, name: str, color: str) -> go.Bar:
    """Horizontal bars from ``start`` to ``end`` on a date axis (lengths in milliseconds)."""
    start_utc = utc_naive(start)
    lengths = (end - start).dt.total_seconds().clip(lower=0) * 1000
    return go.Bar(
        base=[t.isoformat() for t in start_utc],
        x=lengths.tolist(),
        y=rows["thing_name"].astype(str).tolist(),
        name=name,
        orientation="h",
        marker={"color": color, "line": {"width": 0}},
        customdata=[
            [s.strftime("%Y-%m-%d %H:%M:%S"), e.strftime("%Y-%m-%d %H:%M:%S"), status]
            for s, e, status in zip(start_utc, utc_naive(end), rows["status"], strict=True)
        ],
        hovertemplate=(
            f"<b>%{{y}}</b> ({name})<br>%{{customdata[0]}} → %{{customdata[1]}} UTC"
            "<br>now %{customdata[2]}<extra></extra>"
        ),
    )
