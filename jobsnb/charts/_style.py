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
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from jobsnb.limits import STATUSES

__all__ = [
    "HIGHLIGHT",
    "STATUS_COLORS",
    "STATUS_ORDER",
    "TEMPLATE",
    "TimeUnit",
    "finish",
    "note_figure",
    "present_statuses",
    "time_unit",
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
}
assert set(STATUS_COLORS) == set(STATUSES)  # one entry per status, kept in step with limits.py

#: A marker colour for annotations that point at something (the oldest waiting things).
HIGHLIGHT: Final = "#000000"

TEMPLATE: Final = go.layout.Template(
    layout={
        "font": {"family": "Arial, Helvetica, sans-serif", "size": 13, "color": "#222222"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": [STATUS_COLORS[s] for s in STATUSES],
        "xaxis": {"gridcolor": "#E5E5E5", "zerolinecolor": "#BBBBBB", "automargin": True},
        "yaxis": {"gridcolor": "#E5E5E5", "zerolinecolor": "#BBBBBB", "automargin": True},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        "title": {"x": 0, "xanchor": "left", "font": {"size": 17}},
        "margin": {"t": 100, "l": 80, "r": 30, "b": 60},
        "hoverlabel": {"bgcolor": "white"},
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


def utc_naive(values: pd.Series) -> pd.Series:
    """UTC times without the zone, which plotly.js would otherwise show in the viewer's zone."""
    if getattr(values.dt, "tz", None) is None:
        return values
    naive: pd.Series = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive


def present_statuses(statuses: Iterable[Any]) -> list[str]:
    """The statuses among ``statuses``, in :data:`STATUS_ORDER`."""
    seen = {str(s) for s in statuses if not pd.isna(s)}
    return [s for s in STATUS_ORDER if s in seen]


def finish(
    figure: go.Figure,
    *,
    title: str | None,
    template: Any,
    width: int | None,
    height: int | None,
) -> go.Figure:
    """Apply the shared keyword arguments every chart takes; return the figure."""
    figure.update_layout(
        template=TEMPLATE if template is None else template,
        title_text=title,
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
