"""How long each running execution has before it times out: :func:`time_to_timeout`."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from jobsnb.charts._aggregate import (
    EXTREMES,
    aggregates,
    extreme_points,
    extremes,
    summary_traces,
)
from jobsnb.charts._checks import check_by, check_frame, require_columns
from jobsnb.charts._grid import facet_groups, grid, labels, natural_key
from jobsnb.charts._sources import feeds
from jobsnb.charts._style import (
    HIGHLIGHT,
    STATUS_COLORS,
    TimeUnit,
    axis_title,
    finish,
    note_figure,
    padded_range,
    status_box,
    time_unit,
)
from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames import format_duration

__all__ = ["time_to_timeout"]

_COLUMNS = ("thing_name", "job_id", "status", "approximate_seconds_before_timed_out")
SECONDS = "approximate_seconds_before_timed_out"
_SOON = STATUS_COLORS["TIMED_OUT"]


@feeds("described")
def time_to_timeout(
    frame: pd.DataFrame,
    *,
    by: str = "job_id",
    facet: str | None = None,
    within: pd.Timedelta | float | None = 10,
    nearest: int = 1,
    title: str | None = "Time left before timing out",
    template: Any = None,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """How long each running execution has left before the service times it out.

    The time left is DescribeJobExecution's ``approximateSecondsBeforeTimedOut``: the nearer of
    the step timeout (when the device set one) and the job's in-progress timeout. So this is
    what will actually happen, where the job's timeout alone would overstate the margin of
    every execution running under a step timeout.

    One row of points per ``by`` value, over a box of their spread; the executions that time out
    within ``within`` are marked in the TIMED_OUT colour over a shaded band, and the ``nearest``
    of each row are named. The subtitle counts them, and the running executions without a
    timer. Times are in seconds, minutes, hours or days, chosen by range.

    Above 2,000 running executions with a timer, each box is drawn from quartiles computed in
    pandas (whiskers at 1.5 IQR) and only the 20 nearest to timing out of each row are drawn as
    points (and marked, when within ``within``); the subtitle still counts all of them.

    Parameters
    ----------
    frame
        Described executions: :meth:`~jobsnb.FleetClient.describe` of a pending frame, or
        ``client.executions(job_ids, describe=True)``. Only IN_PROGRESS rows count.
    by
        The column with one row per value (default ``job_id``), e.g. a thing-group column
        merged in.
    facet
        A column to split into one panel per value.
    within
        What counts as "about to time out": minutes (a number) or a ``pd.Timedelta``; ``None``
        marks nothing.
    nearest
        How many of the executions nearest to timing out to name in each row (0 for none;
        names of executions close together overlap).
    title, template, width, height
        As in every jobsnb chart.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``IN_PROGRESS`` (box and points) and ``times out within …`` (markers, when
        ``within`` is given), per facet row; x is the time left. Aggregated, the box has
        ``q1``/``median``/``q3``/``lowerfence``/``upperfence`` instead of ``x``, followed by an
        ``IN_PROGRESS`` trace of the nearest as points.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.charts import time_to_timeout
    >>> frame = pd.DataFrame({
    ...     "thing_name": ["t1", "t2", "t3", "t4"], "job_id": ["fw-2", "fw-2", "fw-3", "fw-3"],
    ...     "status": ["IN_PROGRESS"] * 3 + ["QUEUED"],
    ...     "approximate_seconds_before_timed_out": pd.array([240, 3000, None, None], "Int64")})
    >>> fig = time_to_timeout(frame)
    >>> [(trace.name, list(trace.x)) for trace in fig.data]
    [('IN_PROGRESS', [4.0, 50.0]), ('times out within 10 minutes', [4.0])]
    >>> fig.layout.title.subtitle.text
    '1 of 3 running executions time out within 10 minutes; 1 has no timer'
    """
    frame = check_frame(frame, "time_to_timeout", "described")
    require_columns(frame, _COLUMNS, chart="time_to_timeout", source="described")
    by_column = check_by(frame, by)
    assert by_column is not None
    check_by(frame, facet, "facet")
    if nearest < 0:
        raise InvalidParameterError("nearest", "must be 0 or more", nearest)
    soon = _within(within)
    shared = {"title": title, "template": template, "width": width}

    running = frame[frame["status"] == "IN_PROGRESS"]
    seconds = pd.to_numeric(running[SECONDS], errors="coerce").astype("float64")
    timed = running.assign(
        _left=pd.to_timedelta(seconds, unit="s"), _by=labels(running[by_column]).astype("category")
    ).dropna(subset=["_left"])
    untimed = len(running) - len(timed)
    if timed.empty:
        note = "No running executions" if running.empty else "No running execution has a timer"
        return note_figure(note, height=height, **shared)

    unit = time_unit(timed["_left"].max())
    near = timed[timed["_left"] < soon] if soon is not None else timed.iloc[:0]
    groups = facet_groups(timed, facet)
    figure = grid(len(groups), 1, row_titles=[label for label, _ in groups], shared_xaxes=True)
    rows = 0
    aggregated = aggregates(len(timed))
    for row, (_, part) in enumerate(groups, start=1):
        categories = sorted(part["_by"].unique(), key=natural_key)
        rows += len(categories)
        first = row == 1
        # Aggregated, only the nearest of each row are drawn one by one, the rest as quartiles.
        drawn = extremes(part, "_left", "_by", EXTREMES, largest=False) if aggregated else part
        if aggregated:
            for trace in summary_traces(
                unit.of(part["_left"]),
                part["_by"],
                status="IN_PROGRESS",
                unit=unit.name,
                showlegend=first,
                tail=True,
            ):
                figure.add_trace(trace, row=row, col=1)
            points = extreme_points(
                unit.of(drawn["_left"]).tolist(),
                drawn["_by"].tolist(),
                status="IN_PROGRESS",
                hover=_hover(drawn),
            )
            figure.add_trace(points, row=row, col=1)
        else:
            box = status_box(
                unit.of(part["_left"]).tolist(),
                part["_by"].tolist(),
                status="IN_PROGRESS",
                text=_hover(part),
                showlegend=first,
            )
            figure.add_trace(box, row=row, col=1)
        if soon is not None:
            figure.add_trace(
                _near(drawn[drawn["_left"] < soon], soon, nearest, unit, showlegend=first),
                row=row,
                col=1,
            )
        figure.update_yaxes(categoryorder="array", categoryarray=categories[::-1], row=row)
    if soon is not None:
        # A band from 0 to the threshold in every panel: "about to time out" is a region.
        figure.add_vrect(
            x0=0, x1=unit.of(pd.Series([soon])).iloc[0], fillcolor=_SOON, opacity=0.12,
            line_width=0, layer="below", row="all", col=1,
        )  # fmt: skip
    longest = unit.of(timed["_left"]).max()
    figure.update_xaxes(range=padded_range(longest))
    figure.update_xaxes(title_text=f"Time left before timing out ({unit.name})", row=len(groups))
    figure.update_yaxes(title_text=axis_title(by_column))
    figure.update_layout(hovermode="closest")
    # A panel per facet is tall enough for its title, which runs down its right edge.
    auto_height = min(1400, max(320, 190 + 48 * rows, 190 + 130 * len(groups)))
    subtitle = _summary(len(near), len(running), untimed, soon)
    if aggregated:
        subtitle += (
            f"<br>Boxes from quartiles of all {len(timed):,}; beyond the whiskers, dots sized by "
            f"count and the {EXTREMES} nearest of each {axis_title(by_column).lower()}"
        )
    return finish(figure, height=height or auto_height, subtitle=subtitle, **shared)


def _within(within: Any) -> pd.Timedelta | None:
    if within is None:
        return None
    if isinstance(within, pd.Timedelta) and within > pd.Timedelta(0):
        return within
    if isinstance(within, int | float) and not isinstance(within, bool) and within > 0:
        return pd.Timedelta(minutes=within)
    raise InvalidParameterError(
        "within", "must be minutes (a positive number) or a Timedelta", within
    )


def _summary(near: int, running: int, untimed: int, soon: pd.Timedelta | None) -> str:
    summary = f"{running:,} running executions"
    if soon is not None:
        summary = f"{near:,} of {summary} time out within {_words(soon)}"
    if untimed:
        summary += f"; {untimed:,} {'has' if untimed == 1 else 'have'} no timer"
    return summary


def _words(soon: pd.Timedelta) -> str:
    """A threshold as people say it: ``10 minutes``, ``1 minute``, else ``1h 30m``."""
    minutes, rest = divmod(soon.total_seconds(), 60)
    if rest or not minutes or minutes >= 120:
        return format_duration(soon)
    return f"{int(minutes)} minute{'s' if minutes != 1 else ''}"


def _hover(rows: pd.DataFrame) -> list[str]:
    return [
        f"<b>{thing}</b><br>job {job}<br>times out in {format_duration(left)}"
        for thing, job, left in zip(rows["thing_name"], rows["job_id"], rows["_left"], strict=True)
    ]


def _near(
    rows: pd.DataFrame, soon: pd.Timedelta, count: int, unit: TimeUnit, *, showlegend: bool
) -> go.Scatter:
    rows = rows.sort_values("_left", kind="stable")
    named = rows.groupby("_by", observed=True).cumcount() < count
    name = f"times out within {_words(soon)}"
    return go.Scatter(
        x=unit.of(rows["_left"]).tolist(),
        y=rows["_by"].tolist(),
        name=name,
        legendgroup=name,
        showlegend=showlegend,
        mode="markers+text",
        marker={"symbol": "circle-open", "size": 10, "color": _SOON, "line": {"width": 2}},
        text=rows["thing_name"].where(named, "").astype(str).tolist(),
        textposition="top right",
        textfont={"size": 10, "color": HIGHLIGHT},
        cliponaxis=False,
        hovertext=_hover(rows),
        hovertemplate="%{hovertext}<extra></extra>",
    )
