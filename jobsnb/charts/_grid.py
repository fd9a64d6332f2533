"""Facets and categories: how a frame is cut into subplots and axis labels."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = ["NONE_LABEL", "facet_groups", "grid", "labels", "natural_key"]

#: How a missing value of a ``by``/``facet`` column is shown.
NONE_LABEL = "(none)"


def labels(values: pd.Series) -> pd.Series:
    """A ``by`` or ``facet`` column as display strings, missing values as ``(none)``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    return values.astype("string").fillna(NONE_LABEL).astype(object)


def facet_groups(frame: pd.DataFrame, facet: str | None) -> list[tuple[str | None, pd.DataFrame]]:
    """``[(None, frame)]`` without a facet, else one ``(value, rows)`` per value, sorted."""
    if facet is None:
        return [(None, frame)]
    keys = labels(frame[facet])
    return [(str(key), frame[keys == key]) for key in sorted(keys.unique(), key=natural_key)]


def grid(
    rows: int,
    cols: int,
    *,
    row_titles: Sequence[str | None] = (),
    shared_xaxes: bool | str = False,
    shared_yaxes: bool | str = False,
    horizontal_spacing: float | None = None,
) -> go.Figure:
    """An empty grid of panels, facet titles on the right (the legend has the top)."""
    titles = [t for t in row_titles if t is not None]
    figure = make_subplots(
        rows=rows,
        cols=cols,
        row_titles=titles or None,
        shared_xaxes=shared_xaxes,
        shared_yaxes=shared_yaxes,
        vertical_spacing=min(0.12, 0.3 / rows) if rows > 1 else None,
        horizontal_spacing=horizontal_spacing,
    )
    if titles:
        # A facet title runs down the right edge: small enough that a long one (a job id)
        # stays within its panel's height, and the right margin wide enough to hold it.
        figure.update_annotations(font_size=12, xshift=6)
        figure.update_layout(margin_r=48)
    return figure


def natural_key(text: Any) -> tuple[Any, ...]:
    """Sort key that puts ``job-2`` before ``job-10`` and ``fw-2.9`` before ``fw-2.10``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", str(text))
        if part
    )
