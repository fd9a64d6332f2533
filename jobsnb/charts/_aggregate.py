"""What a chart draws of a big frame: statistics computed in pandas, and the few extremes.

Up to :data:`AGGREGATE_ABOVE` rows a chart draws every execution (a point, a bar), as plotly
would from the rows; above it, what goes to the browser is bounded by what is drawn, not by the
rows: box statistics per category (:func:`box_stats`, drawn by :func:`stats_box`), the
:data:`EXTREMES` most extreme rows of each category by name (:func:`extremes`), or how many
intervals cover each moment (:func:`active_counts`). A fleet of a million devices then makes a
figure of a few hundred kilobytes, which a browser tab and a saved notebook carry easily.

Examples
--------
>>> import pandas as pd
>>> from jobsnb.charts._aggregate import box_stats
>>> values = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0])
>>> stats = box_stats(values, pd.Series(["a"] * 5))
>>> stats.loc["a", ["q1", "median", "q3", "lowerfence", "upperfence"]].tolist()  # 100: outlier
[2.0, 3.0, 4.0, 1.0, 4.0]
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from jobsnb.charts._style import STATUS_COLORS

__all__ = [
    "AGGREGATE_ABOVE",
    "EXTREMES",
    "TAIL_BINS",
    "active_counts",
    "aggregates",
    "box_stats",
    "extreme_points",
    "extremes",
    "stats_box",
    "summary_traces",
    "tail_counts",
    "tail_points",
]

#: Above this many rows a chart draws statistics instead of one mark per execution.
AGGREGATE_ABOVE: Final = 2_000
#: How many of the most extreme executions of each category an aggregated chart still draws.
EXTREMES: Final = 20
#: Into how many bins of equal width the values beyond the whiskers are counted.
TAIL_BINS: Final = 60
#: Tukey's rule, as plotly's own boxes: whiskers reach the furthest value within 1.5 IQR.
_WHISKER_IQR: Final = 1.5


def aggregates(rows: int) -> bool:
    """Whether a chart of ``rows`` rows draws statistics rather than every row.

    Examples
    --------
    >>> aggregates(300), aggregates(1_000_000)
    (False, True)
    """
    return rows > AGGREGATE_ABOVE


def box_stats(values: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Per group: quartiles (pandas' :meth:`~pandas.Series.quantile`), fences and count.

    ``lowerfence``/``upperfence`` are the furthest values within 1.5 interquartile ranges of
    the box (Tukey's whiskers, as plotly draws from points). Missing values are left out.

    Parameters
    ----------
    values
        Numbers, one per row.
    groups
        The category of each row (same length as ``values``).

    Returns
    -------
    pandas.DataFrame
        Indexed by group, in order of first appearance: ``q1``, ``median``, ``q3``,
        ``lowerfence``, ``upperfence`` (floats) and ``count``.
    """
    codes, names = pd.factorize(groups, sort=False)
    value = values.to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(value)
    frame = pd.DataFrame({"value": value[known], "group": codes[known]})
    grouped = frame.groupby("group", sort=False)["value"]
    levels = np.array([0.25, 0.5, 0.75])
    # Reindexed: quartiles of no values at all come back without columns.
    quartiles = grouped.quantile(levels).unstack().reindex(columns=levels)
    quartiles.columns = pd.Index(["q1", "median", "q3"])
    reach = _WHISKER_IQR * (quartiles["q3"] - quartiles["q1"])
    low = (quartiles["q1"] - reach).to_numpy()
    high = (quartiles["q3"] + reach).to_numpy()
    # Quartiles come back in order of first appearance; a group's row there is its position.
    position = pd.Series(np.arange(len(quartiles)), index=quartiles.index)
    at = position.reindex(frame["group"]).to_numpy()
    inside = frame[(frame["value"].to_numpy() >= low[at]) & (frame["value"].to_numpy() <= high[at])]
    fences = inside.groupby("group", sort=False)["value"].agg(["min", "max"])
    fences.columns = pd.Index(["lowerfence", "upperfence"])
    stats = quartiles.join(fences).assign(count=grouped.size())
    stats.index = pd.Index([names[code] for code in stats.index])
    return stats


def tail_counts(
    values: pd.Series, groups: pd.Series, stats: pd.DataFrame, *, bins: int = TAIL_BINS
) -> pd.DataFrame:
    """How many values of each group lie beyond its whiskers, per bin of equal width.

    The bins split the range of all ``values`` (so every group shares them) into ``bins``;
    a value on an edge between two bins counts in the upper one, the largest in the last.

    Parameters
    ----------
    values, groups
        As for :func:`box_stats`.
    stats
        :func:`box_stats` of the same values and groups: its fences say what lies beyond.
    bins
        How many bins the range is split into.

    Returns
    -------
    pandas.DataFrame
        One row per (group, bin) holding any: ``group``, ``low`` and ``high`` (the bin's
        edges), ``count``; by group, then bin.

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> groups = pd.Series(["a"] * 5)
    >>> tail_counts(values, groups, box_stats(values, groups), bins=3).to_dict("records")
    [{'group': 'a', 'low': 67.0, 'high': 100.0, 'count': 1}]
    """
    codes, names = pd.factorize(groups, sort=False)
    value = values.to_numpy(dtype="float64", na_value=np.nan)
    fences = stats.reindex(list(names))
    low = fences["lowerfence"].to_numpy()[codes]
    high = fences["upperfence"].to_numpy()[codes]
    beyond = (value < low) | (value > high)
    columns = ["group", "low", "high", "count"]
    if not beyond.any():
        return pd.DataFrame(columns=columns)
    edges = np.linspace(np.nanmin(value), np.nanmax(value), bins + 1)
    which = np.clip(np.searchsorted(edges, value[beyond], side="right") - 1, 0, bins - 1)
    counted = pd.DataFrame({"code": codes[beyond], "bin": which}).value_counts(sort=False)
    counted = counted.sort_index()
    code = counted.index.get_level_values("code").to_numpy()
    where = counted.index.get_level_values("bin").to_numpy()
    return pd.DataFrame(
        {
            "group": np.asarray(names, dtype=object)[code],
            "low": edges[where],
            "high": edges[where + 1],
            "count": counted.to_numpy(),
        },
        columns=columns,
    )


def summary_traces(
    values: pd.Series, groups: pd.Series, *, status: str, unit: str, showlegend: bool, tail: bool
) -> list[go.Box | go.Scatter]:
    """A box per group from :func:`box_stats` and, with ``tail``, :func:`tail_counts`' dots."""
    stats = box_stats(values, groups)
    traces: list[go.Box | go.Scatter] = [stats_box(stats, status=status, showlegend=showlegend)]
    if tail:
        traces.append(tail_points(tail_counts(values, groups, stats), status=status, unit=unit))
    return traces


def stats_box(stats: pd.DataFrame, *, status: str, showlegend: bool) -> go.Box:
    """A horizontal box per row of ``stats`` (:func:`box_stats`), in ``status``'s colour."""
    return go.Box(
        y=stats.index.tolist(),
        q1=stats["q1"].tolist(),
        median=stats["median"].tolist(),
        q3=stats["q3"].tolist(),
        lowerfence=stats["lowerfence"].tolist(),
        upperfence=stats["upperfence"].tolist(),
        name=status,
        legendgroup=status,
        showlegend=showlegend,
        orientation="h",
        boxpoints=False,
        line={"color": STATUS_COLORS[status]},
        fillcolor="rgba(0,0,0,0)",
        hoveron="boxes",
    )


def extreme_points(x: list[float], y: list[str], *, status: str, hover: list[str]) -> go.Scatter:
    """The executions an aggregated box leaves out, as points in ``status``'s colour, named.

    They join the box's legend entry (same ``legendgroup``, no entry of their own).
    """
    return go.Scatter(
        x=x,
        y=y,
        name=status,
        legendgroup=status,
        showlegend=False,
        mode="markers",
        marker={"color": STATUS_COLORS[status], "size": 5, "opacity": 0.7},
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
    )


def tail_points(tail: pd.DataFrame, *, status: str, unit: str) -> go.Scatter:
    """:func:`tail_counts` as dots in ``status``'s colour, larger for more.

    Each dot's ``customdata`` is its count and its bin's edges (what the hover says).
    """
    counts = tail["count"].to_numpy(dtype="float64")
    return go.Scatter(
        x=((tail["low"] + tail["high"]) / 2).tolist(),
        y=tail["group"].tolist(),
        name=status,
        legendgroup=status,
        showlegend=False,
        mode="markers",
        marker={
            "color": STATUS_COLORS[status],
            "size": (4 + 3 * np.log10(counts)).round(1).tolist(),
            "opacity": 0.35,
            "line": {"width": 0},
        },
        customdata=tail[["count", "low", "high"]].to_numpy().tolist(),
        hovertemplate=(
            "%{customdata[0]:,} beyond the whiskers<br>"
            f"%{{customdata[1]:.1f}} to %{{customdata[2]:.1f}} {unit}<extra></extra>"
        ),
    )


def extremes(
    frame: pd.DataFrame, column: str, group: str, count: int, *, largest: bool = True
) -> pd.DataFrame:
    """The ``count`` rows of each ``group`` with the largest (or smallest) ``column``, in order.

    Ties keep the frame's order. Rows whose ``column`` is missing are never extreme.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"job": ["a", "a", "a", "b"], "age": [3, 9, 5, 1]})
    >>> extremes(frame, "age", "job", 2)["age"].tolist()
    [9, 5, 1]
    """
    if count <= 0:
        return frame.iloc[:0]
    values = frame[column]
    known = np.flatnonzero(values.notna().to_numpy())
    # Sort one column of numbers, not the frame: a million rows of a dozen columns move slowly.
    kept = values.iloc[known]
    if kept.dtype.kind in "mM":
        keys = kept.to_numpy().view("int64")
    else:
        keys = kept.to_numpy(dtype="float64")
    order = known[np.argsort(-keys if largest else keys, kind="stable")]
    codes = pd.factorize(frame[group].iloc[order], sort=False)[0]
    rank_in_group = pd.Series(codes).groupby(codes, sort=False).cumcount().to_numpy()
    return frame.iloc[order[rank_in_group < count]]


def active_counts(starts: pd.Series, ends: pd.Series, at: pd.DatetimeIndex) -> np.ndarray:
    """How many intervals ``[start, end)`` cover each moment of ``at``.

    An interval that ends before it starts covers nothing; a missing start or end leaves the
    interval out.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.to_datetime(["2026-01-01 10:00", "2026-01-01 10:10", "2026-01-01 10:20"])
    >>> starts, ends = pd.Series(t[[0, 0]]), pd.Series(t[[1, 2]])
    >>> active_counts(starts, ends, pd.DatetimeIndex(t)).tolist()
    [2, 1, 0]
    """
    known = starts.notna() & ends.notna()
    begin = _nanoseconds(starts[known])
    end = np.maximum(begin, _nanoseconds(ends[known]))
    moments = _nanoseconds(pd.Series(at))
    begun = np.searchsorted(np.sort(begin), moments, side="right")
    ended = np.searchsorted(np.sort(end), moments, side="right")
    counts: np.ndarray = begun - ended
    return counts


def _nanoseconds(times: pd.Series) -> np.ndarray:
    """Datetimes (with or without a zone) as int64 nanoseconds since the epoch, UTC."""
    values = pd.to_datetime(times, utc=True)
    stamps: np.ndarray = values.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return stamps.astype("int64")
