"""How long executions have waited, and how long the running ones have run: :func:`queue_age`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

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

__all__ = ["queue_age"]

_COLUMNS = ("thing_name", "job_id", "status", "queued_at", "queue_age", "in_progress_for")

Points = Literal["auto", "all", "outliers", False]
Timeouts = Mapping[str, Any] | pd.Timedelta | float | None


@feeds("pending")
def queue_age(
    frame: pd.DataFrame,
    *,
    by: str = "job_id",
    facet: str | None = None,
    timeouts: Timeouts = None,
    oldest: int = 3,
    points: Points = "auto",
    title: str | None = "Queue age and in-progress time",
    template: Any = None,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """How long pending executions have waited, per job, beside how long the running ones have run.

    Two panels share one row per ``by`` value: on the left a box of the queue age of every QUEUED
    execution, on the right a box of ``in_progress_for`` of every IN_PROGRESS one, with a tick at
    the job's in-progress timeout where ``timeouts`` gives it. The ``oldest`` longest-waiting
    things of each row are marked; hovering over them (or any point) names the thing, the job,
    when it was queued (UTC) and the age. Ages are in minutes, hours or days, chosen by range.

    Above :data:`~jobsnb.charts._aggregate.AGGREGATE_ABOVE` (2,000) rows the figure is bounded
    by what is drawn, not by the rows: each box is drawn from quartiles and whiskers computed in
    pandas (:meth:`~pandas.Series.quantile`, whiskers at 1.5 IQR), the 20 longest of each row
    are drawn as points, and the subtitle says so.

    Parameters
    ----------
    frame
        Pending executions, as :meth:`jobsnb.FleetClient.pending` returns them.
    by
        The column with one row of boxes per value (default ``job_id``); any column of the
        frame, e.g. a thing-group column merged in.
    facet
        A column to split into one row of panels per value.
    timeouts
        In-progress timeouts: a mapping of job id to minutes (a number, as in CreateJob's
        ``inProgressTimeoutInMinutes``) or a ``pd.Timedelta``; or one value for every job.
    oldest
        How many of the longest-waiting things to mark in each row (0 for none).
    points
        Which executions to draw as points over the boxes: ``"all"``, ``"outliers"``, ``False``
        or ``"auto"`` (all up to 500 per panel, else outliers; above 2,000 rows, boxes from
        quartiles and the 20 longest of each row). ``"all"`` and ``"outliers"`` send every row
        to the browser however many there are; ``False`` draws boxes only.
    title, template, width, height
        As in every jobsnb chart: the title, a plotly template (default jobsnb's), the size in
        pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``QUEUED`` (box), ``oldest waiting`` (markers), ``IN_PROGRESS`` (box) and
        ``in-progress timeout`` (ticks, when known), per facet row. Aggregated, each box has
        ``q1``/``median``/``q3``/``lowerfence``/``upperfence`` instead of ``x`` and is followed
        by a ``QUEUED`` (or ``IN_PROGRESS``) trace of the longest as points.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.charts import queue_age
    >>> now = pd.Timestamp("2026-01-01 12:00", tz="UTC")
    >>> queued = pd.to_datetime(["2026-01-01 09:00", "2026-01-01 11:00", "2026-01-01 10:00"],
    ...                         utc=True)
    >>> frame = pd.DataFrame({
    ...     "thing_name": ["t1", "t2", "t3"], "job_id": ["fw-2", "fw-2", "fw-3"],
    ...     "status": ["QUEUED", "QUEUED", "IN_PROGRESS"], "queued_at": queued,
    ...     "queue_age": now - queued,
    ...     "in_progress_for": pd.to_timedelta([None, None, "30min"]),
    ... })
    >>> fig = queue_age(frame, timeouts={"fw-3": 60})
    >>> [trace.name for trace in fig.data]
    ['QUEUED', 'oldest waiting', 'IN_PROGRESS', 'in-progress timeout']
    >>> list(fig.data[0].x), fig.layout.xaxis.title.text
    ([3.0, 1.0], 'Queue age (hours)')
    """
    frame = check_frame(frame, "queue_age", "pending")
    require_columns(frame, _COLUMNS, chart="queue_age", source="pending")
    by_column = check_by(frame, by)
    assert by_column is not None
    check_by(frame, facet, "facet")
    if points not in ("auto", "all", "outliers", False):
        raise InvalidParameterError("points", "must be 'auto', 'all', 'outliers' or False", points)
    if oldest < 0:
        raise InvalidParameterError("oldest", "must be 0 or more", oldest)
    shared = {"title": title, "template": template, "width": width}
    if frame.empty:
        return note_figure("No pending executions", height=height, **shared)

    timeout_of = _timeouts(timeouts)
    # Only the columns drawn travel through the filters below: a million rows are slow to copy.
    frame = frame[list(dict.fromkeys([*_COLUMNS, by_column, *([facet] if facet else [])]))]
    jobs = frame["job_id"]
    # One lookup per job, not per row: a million rows name a handful of jobs.
    timeout_per_job = pd.Series({job: timeout_of(job) for job in jobs.dropna().unique()})
    frame = frame.assign(
        _by=labels(frame[by_column]).astype("category"),
        _timeout=pd.to_timedelta(jobs.map(timeout_per_job).astype(object)),
    )
    waits = frame["queue_age"][frame["status"] == "QUEUED"]
    is_running = frame["status"] == "IN_PROGRESS"
    runs, run_timeouts = frame["in_progress_for"][is_running], frame["_timeout"][is_running]
    wait_unit = time_unit(waits.max())
    run_unit = time_unit(max(runs.max(), run_timeouts.max(), key=_or_zero))

    groups = facet_groups(frame, facet)
    figure = grid(
        len(groups),
        2,
        row_titles=[label for label, _ in groups],
        shared_xaxes=True,
        shared_yaxes=True,
        horizontal_spacing=0.06,
    )
    rows = 0
    aggregated = aggregates(len(frame)) and points in ("auto", False)
    for row, (_, part) in enumerate(groups, start=1):
        categories = sorted(part["_by"].unique(), key=natural_key)
        rows += len(categories)
        first = row == 1
        wait = part[part["status"] == "QUEUED"]
        run = part[part["status"] == "IN_PROGRESS"]
        panels = ((1, wait, "queue_age", "QUEUED", wait_unit), (2, run, "in_progress_for",
                  "IN_PROGRESS", run_unit))  # fmt: skip
        for col, part_rows, column, status, unit in panels:
            if aggregated:
                traces = _aggregated(part_rows, column, status, unit, first, points is False)
            else:
                mode = points if points != "auto" else None
                traces = [_box(part_rows, column, status, unit, mode, first)]
            if col == 1:
                traces.append(_oldest(wait, oldest, wait_unit, first))
            else:
                ticks = _timeout_ticks(run, run_unit, first)
                traces += [ticks] if ticks is not None else []
            for trace in traces:
                figure.add_trace(trace, row=row, col=col)
        for col, part_rows, empty in ((1, wait, "nothing waiting"), (2, run, "nothing running")):
            if part_rows.empty:
                figure.add_annotation(
                    text=empty, showarrow=False, x=0.5, y=0.5, row=row, col=col,
                    xref="x domain", yref="y domain", font={"color": "#777777"},
                )  # fmt: skip
        figure.update_yaxes(
            categoryorder="array",
            categoryarray=categories[::-1],  # first category on top
            row=row,
        )
    longest_wait = wait_unit.of(waits).max()
    longest_run = max(
        run_unit.of(runs).max(),
        run_unit.of(run_timeouts.dropna()).max(),
        key=lambda value: 0.0 if pd.isna(value) else value,
    )
    figure.update_xaxes(range=padded_range(longest_wait), col=1)
    figure.update_xaxes(range=padded_range(longest_run), col=2)
    bottom = len(groups)
    figure.update_xaxes(title_text=f"Queue age ({wait_unit.name})", row=bottom, col=1)
    figure.update_xaxes(title_text=f"In progress for ({run_unit.name})", row=bottom, col=2)
    figure.update_yaxes(title_text=axis_title(by_column), col=1)
    # Overlaid, each box sits on its row's line, where the points and markers beside it are.
    figure.update_layout(boxmode="overlay", hovermode="closest")
    # A panel per facet is tall enough for its title, which runs down its right edge.
    auto_height = min(1400, max(340, 180 + 48 * rows, 180 + 130 * len(groups)))
    subtitle = _aggregated_note(len(frame), by_column, points is False) if aggregated else None
    return finish(figure, height=height or auto_height, subtitle=subtitle, **shared)


def _or_zero(value: Any) -> pd.Timedelta:
    return pd.Timedelta(0) if pd.isna(value) else pd.Timedelta(value)


def _hover(rows: pd.DataFrame, column: str, unit: TimeUnit) -> list[str]:
    ages = unit.of(rows[column])
    return [
        f"<b>{thing}</b><br>job {job}<br>queued {queued:%Y-%m-%d %H:%M:%S} UTC"
        f"<br>{'waiting' if column == 'queue_age' else 'running'} {age:.1f} {unit.name}"
        for thing, job, queued, age in zip(
            rows["thing_name"], rows["job_id"], rows["queued_at"], ages, strict=True
        )
    ]


def _box(
    rows: pd.DataFrame,
    column: str,
    status: str,
    unit: TimeUnit,
    points: Literal["all", "outliers", False] | None,
    showlegend: bool,
) -> go.Box:
    return status_box(
        unit.of(rows[column]).tolist(),
        rows["_by"].tolist(),
        status=status,
        text=_hover(rows, column, unit),
        points=points,
        showlegend=showlegend,
    )


def _aggregated(
    rows: pd.DataFrame, column: str, status: str, unit: TimeUnit, first: bool, boxes_only: bool
) -> list[go.Box | go.Scatter]:
    """A box from quartiles and, unless ``boxes_only``, what lies past it: binned, the longest."""
    traces = summary_traces(
        unit.of(rows[column]),
        rows["_by"],
        status=status,
        unit=unit.name,
        showlegend=first,
        tail=not boxes_only,
    )
    if not boxes_only:
        longest = extremes(rows, column, "_by", EXTREMES)
        traces.append(
            extreme_points(
                unit.of(longest[column]).tolist(),
                longest["_by"].tolist(),
                status=status,
                hover=_hover(longest, column, unit),
            )
        )
    return traces


def _aggregated_note(rows: int, by: str, boxes_only: bool) -> str:
    """What an aggregated chart drew, for its subtitle."""
    note = f"{rows:,} pending executions: boxes from quartiles"
    if boxes_only:
        return note
    return (
        f"{note}; beyond the whiskers, dots sized by count and the {EXTREMES} longest of each "
        f"{axis_title(by).lower()}"
    )


def _oldest(rows: pd.DataFrame, count: int, unit: TimeUnit, showlegend: bool) -> go.Scatter:
    top = extremes(rows, "queue_age", "_by", count)
    # Only the oldest of each row is named on the chart: things queued together would overlap.
    named = top.groupby("_by", observed=True).cumcount() == 0
    ages = unit.of(top["queue_age"])
    return go.Scatter(
        x=ages.tolist(),
        y=top["_by"].tolist(),
        name="oldest waiting",
        legendgroup="oldest waiting",
        showlegend=showlegend,
        mode="markers+text",
        text=top["thing_name"].where(named, "").tolist(),
        # The name runs from the marker into the row's empty side, not past the panel's edge.
        textposition=["top left" if age > ages.max() / 2 else "top right" for age in ages],
        textfont={"size": 10, "color": HIGHLIGHT},
        cliponaxis=False,
        marker={"symbol": "diamond-open", "size": 11, "color": HIGHLIGHT, "line": {"width": 2}},
        hovertext=_hover(top, "queue_age", unit),
        hovertemplate="%{hovertext}<extra>oldest waiting</extra>",
    )


def _timeout_ticks(rows: pd.DataFrame, unit: TimeUnit, showlegend: bool) -> go.Scatter | None:
    known = rows.dropna(subset=["_timeout"]).drop_duplicates(["_by", "job_id"])
    if known.empty:
        return None
    return go.Scatter(
        x=unit.of(known["_timeout"]).tolist(),
        y=known["_by"].tolist(),
        name="in-progress timeout",
        legendgroup="in-progress timeout",
        showlegend=showlegend,
        mode="markers",
        marker={
            "symbol": "line-ns",
            "size": 26,
            "line": {"width": 3, "color": STATUS_COLORS["TIMED_OUT"]},
        },
        hovertext=[
            f"job {job}: times out after {t:.1f} {unit.name} in progress"
            for job, t in zip(known["job_id"], unit.of(known["_timeout"]), strict=True)
        ],
        hovertemplate="%{hovertext}<extra></extra>",
    )


def _timeouts(timeouts: Timeouts) -> Any:
    """A function job id → in-progress timeout (``pd.Timedelta`` or None)."""

    def as_delta(value: Any, field: str) -> pd.Timedelta | None:
        if value is None:
            return None
        if isinstance(value, pd.Timedelta):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return pd.Timedelta(minutes=value)
        raise InvalidParameterError(
            field, "must be minutes (a positive number) or a Timedelta", value
        )

    if timeouts is None or isinstance(timeouts, pd.Timedelta | int | float):
        one = as_delta(timeouts, "timeouts")
        return lambda job: one
    if not isinstance(timeouts, Mapping):
        raise InvalidParameterError("timeouts", "must be a mapping of job id to minutes", timeouts)
    known = {job: as_delta(value, f"timeouts[{job!r}]") for job, value in timeouts.items()}
    return lambda job: known.get(job)
