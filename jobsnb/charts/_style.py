"""The one place for how charts look: status colours and order, the template, time units.

Every chart takes its status colours and order from here, so a status looks the same
everywhere. The palette is Okabe and Ito's, chosen to stay distinguishable under the common
colour-vision deficiencies: failures in warm colours (vermilion, orange, reddish purple), success
in bluish green, pending work in grey (waiting) and blue (running), and the two ways an execution
is taken away in neutral greys (dark for canceled, light for removed).

Examples
--------
>>> from jobsnb.charts._style import STATUS_COLORS, time_unit
>>> STATUS_COLORS["SUCCEEDED"]
'#009E73'
>>> import pandas as pd
>>> time_unit(pd.Timedelta(hours=5)).name
'hours'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

import pandas as pd
import plotly.graph_objects as go

from jobsnb.limits import COMMAND_STATUSES, STATUSES

__all__ = [
    "ALL_POINTS_LIMIT",
    "HIGHLIGHT",
    "STATUS_COLORS",
    "STATUS_ORDER",
    "TEMPLATE",
    "TimeUnit",
    "axis_title",
    "finish",
    "note_figure",
    "padded_range",
    "present_statuses",
    "status_box",
    "time_unit",
    "title_band",
    "utc_naive",
]

#: Statuses in the order every chart stacks, lists and colours them (the categorical order).
STATUS_ORDER: Final = STATUSES

#: Okabe–Ito colours per status (grey and light/dark greys for the neutral ones).
STATUS_COLORS: Final = {
    "QUEUED": "#999999",  # grey: waiting
    "IN_PROGRESS": "#0072B2",  # blue: running
    "SUCCEEDED": "#009E73",  # bluish green: done
    "FAILED": "#D55E00",  # vermilion: the device said no
    "TIMED_OUT": "#E69F00",  # orange: the device went quiet
    "REJECTED": "#CC79A7",  # reddish purple: refused the job
    "CANCELED": "#555555",  # dark grey: stopped by the operator
    "REMOVED": "#CCCCCC",  # light grey: the thing left the fleet
    "CREATED": "#999999",  # grey: a command execution not yet answered
}
# One entry per status of a job execution or a command execution, kept in step with limits.py.
assert set(STATUS_COLORS) == set(STATUSES) | set(COMMAND_STATUSES)

#: A marker colour for annotations that point at something (the oldest waiting things).
HIGHLIGHT: Final = "#000000"

TEMPLATE: Final = go.layout.Template(
    layout={
        "font": {"family": "Arial, Helvetica, sans-serif", "size": 13, "color": "#222222"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": [STATUS_COLORS[s] for s in STATUSES],
        "xaxis": {"gridcolor": "#E5E5E5", "zerolinecolor": "#BBBBBB", "automargin": True},
        "yaxis": {
            "gridcolor": "#E5E5E5",
            "zerolinecolor": "#BBBBBB",
            "automargin": True,
            # Measured from the widest tick label: the title stands clear of all of them.
            "title": {"standoff": 10},
        },
        "legend": {"orientation": "h", "title": None},
        "title": {"font": {"size": 17}},
        "hoverlabel": {"bgcolor": "white"},
        "margin": {"l": 70, "r": 30, "b": 70},
    }
)


@dataclass(frozen=True, slots=True)
class TimeUnit:
    """A human unit for durations: its plural name and its length."""

    name: str
    length: pd.Timedelta

    def of(self, values: pd.Series) -> pd.Series:
        """``values`` (timedelta64) as floats in this unit."""
        # pandas-stubs lacks timedelta Series / Timedelta; the result is float64.
        floats: pd.Series = values / self.length  # type: ignore[operator]
        return floats


_UNITS: Final = (
    TimeUnit("seconds", pd.Timedelta(seconds=1)),
    TimeUnit("minutes", pd.Timedelta(minutes=1)),
    TimeUnit("hours", pd.Timedelta(hours=1)),
    TimeUnit("days", pd.Timedelta(days=1)),
)


def time_unit(longest: Any) -> TimeUnit:
    """The unit to show durations up to ``longest`` in: the largest one it spans twice.

    Under 2 minutes → seconds, under 2 hours → minutes, under 2 days → hours, else days.

    Examples
    --------
    >>> import pandas as pd
    >>> [time_unit(pd.Timedelta(t)).name for t in ("90s", "90min", "30h", "3D")]
    ['seconds', 'minutes', 'hours', 'days']
    >>> time_unit(pd.NaT).name
    'minutes'
    """
    if longest is None or pd.isna(longest):
        return _UNITS[1]
    chosen = _UNITS[0]
    for unit in _UNITS:
        if pd.Timedelta(longest) >= 2 * unit.length:
            chosen = unit
    return chosen


#: Axis titles for the columns charts group by most; any other column is turned into words.
_COLUMN_WORDS: Final = {
    "job_id": "Job",
    "thing_name": "Thing",
    "status": "Status",
}


def axis_title(column: str) -> str:
    """The words an axis shows for ``column``: ``job_id`` → ``Job``, ``hw_model`` → ``Hw model``.

    Examples
    --------
    >>> [axis_title(c) for c in ("job_id", "thing_name", "model", "detail_progress")]
    ['Job', 'Thing', 'Model', 'Progress']
    """
    if column in _COLUMN_WORDS:
        return _COLUMN_WORDS[column]
    words = column.removeprefix("detail_").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def utc_naive(values: pd.Series) -> pd.Series:
    """UTC times without the zone, which plotly.js would otherwise show in the viewer's zone."""
    if getattr(values.dt, "tz", None) is None:
        return values
    naive: pd.Series = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive


def padded_range(longest: Any) -> list[float]:
    """An x range from a little below 0 to a little past ``longest``.

    Markers at 0 then sit clear of the tick labels, and markers at the longest clear of the
    panel's edge.

    Examples
    --------
    >>> padded_range(100.0), padded_range(float("nan"))
    ([-4.0, 106.0], [-0.04, 1.06])
    """
    top = 1.0 if pd.isna(longest) or longest <= 0 else float(longest)
    return [-0.04 * top, 1.06 * top]


#: Above this many rows per panel, a box draws only its outliers as points.
ALL_POINTS_LIMIT: Final = 500


def status_box(
    x: list[float],
    y: list[str],
    *,
    status: str,
    text: list[str],
    points: Literal["all", "outliers", False] | None = None,
    showlegend: bool = True,
) -> go.Box:
    """A horizontal box of ``x`` per ``y`` category in ``status``'s colour, its points over it.

    ``points=None`` draws every point up to :data:`ALL_POINTS_LIMIT`, else the outliers; each
    point's hover is its ``text``.
    """
    if points is None:
        points = "all" if len(x) <= ALL_POINTS_LIMIT else "outliers"
    return go.Box(
        x=x,
        y=y,
        name=status,
        legendgroup=status,
        showlegend=showlegend,
        orientation="h",
        boxpoints=points,
        jitter=0.4,
        pointpos=0,
        marker={"color": STATUS_COLORS[status], "size": 5, "opacity": 0.7},
        line={"color": STATUS_COLORS[status]},
        fillcolor="rgba(0,0,0,0)",
        text=text,
        hoveron="points+boxes",
    )


def present_statuses(statuses: Iterable[Any]) -> list[str]:
    """The statuses among ``statuses``, in :data:`STATUS_ORDER`."""
    values = (
        statuses if isinstance(statuses, pd.Series) else pd.Series(list(statuses), dtype=object)
    )
    seen = {str(s) for s in values.dropna().unique()}
    return [s for s in STATUS_ORDER if s in seen]


#: Pixels of the band at the top that holds the title: padding above and below, then per line.
_TITLE_PAD_TOP, _TITLE_PAD_BOTTOM, _TITLE_LINE, _SUBTITLE_LINE = 14, 10, 23, 19


def title_band(title: str | None, subtitle: str | None = None) -> int:
    """The height in pixels of the band the title (and subtitle) take at the top of a figure.

    Examples
    --------
    >>> title_band("Queue age"), title_band("Queue age", "12 of 40 time out"), title_band(None)
    (47, 66, 10)
    """
    if not title:
        return _TITLE_PAD_BOTTOM
    band = _TITLE_PAD_TOP + _TITLE_LINE * (1 + title.count("<br>")) + _TITLE_PAD_BOTTOM
    if subtitle:
        band += _SUBTITLE_LINE * (1 + subtitle.count("<br>"))
    return band


def finish(
    figure: go.Figure,
    *,
    title: str | None,
    template: Any,
    width: int | None,
    height: int,
    subtitle: str | None = None,
) -> go.Figure:
    """Apply the shared keyword arguments every chart takes; return the figure.

    The title sits in a band of :func:`title_band` pixels at the top; the legend hangs from the
    bottom of that band and reserves the margin it needs, so however many rows it wraps to at
    the figure's width, the plot starts below it and nothing overlaps. (Plotly's own title
    ``automargin`` stacked with a legend pushing the margin leaves stale positions behind on
    some redraws; a band of known height does not.)
    """
    band = title_band(title, subtitle)
    figure.update_layout(
        template=TEMPLATE if template is None else template,
        title={
            "text": title,
            "subtitle_text": subtitle,
            "x": 0,
            "xanchor": "left",
            "xref": "container",
            "y": 1,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": _TITLE_PAD_TOP, "l": 12},
            "automargin": False,
        },
        legend={
            "orientation": "h",
            "xref": "paper",
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 1 - band / height,
            "yanchor": "top",
        },
        margin_t=band,
        showlegend=any(trace.showlegend is not False and trace.name for trace in figure.data),
        width=width,
        height=height,
    )
    return figure


def note_figure(
    note: str,
    *,
    title: str | None,
    template: Any,
    width: int | None,
    height: int | None,
) -> go.Figure:
    """A figure with no data traces and ``note`` in the middle: what an empty frame draws."""
    figure = go.Figure()
    figure.add_annotation(
        text=note,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 16, "color": "#555555"},
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return finish(figure, title=title, template=template, width=width, height=height or 300)
