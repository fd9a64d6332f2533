"""What devices report in statusDetails: :func:`status_details`, one key's values counted."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from jobsnb.charts._checks import PRODUCERS, check_by, check_frame
from jobsnb.charts._grid import facet_groups, grid, natural_key
from jobsnb.charts._sources import feeds
from jobsnb.charts._style import STATUS_COLORS, axis_title, finish, note_figure, present_statuses
from jobsnb.exceptions import InvalidParameterError

__all__ = ["NOT_REPORTED", "status_details"]

#: The bar of executions whose statusDetails lack the key.
NOT_REPORTED = "(not reported)"


@feeds("described")
def status_details(
    frame: pd.DataFrame,
    key: str,
    *,
    facet: str | None = None,
    title: str | None = None,
    template: Any = None,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """The distribution of one statusDetails key's values: a bar per value, stacked by status.

    The key is one the devices report, e.g. ``progress`` or ``firmware_version``. Values that
    read as numbers (``40``, ``40%``, ``0.5``) are ordered as numbers, others naturally (``2.9``
    before ``2.10``); executions without the key are counted in a last ``(not reported)`` bar.

    Parameters
    ----------
    frame
        Executions with their statusDetails: a ``status_details`` column of dicts or a
        ``detail_<key>`` column, as :meth:`~jobsnb.FleetClient.describe` or
        ``client.executions(job_ids, describe=True)`` return them.
    key
        The statusDetails key (``"progress"``) or its flattened column (``"detail_progress"``).
    facet
        A column to split into one panel per value, e.g. ``"job_id"``.
    title, template, width, height
        As in every jobsnb chart (default title: ``statusDetails: <key>``).

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace per status that occurs, in :data:`STATUS_ORDER`; x are the values.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.charts import status_details
    >>> frame = pd.DataFrame({
    ...     "status": ["IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED", "QUEUED"],
    ...     "status_details": [{"progress": "50%"}, {"progress": "5%"}, {"progress": "100%"}, {}]})
    >>> fig = status_details(frame, "progress")
    >>> list(fig.data[0].x)
    ['5%', '50%', '100%', '(not reported)']
    >>> [(trace.name, list(trace.y)) for trace in fig.data]
    [('QUEUED', [0, 0, 0, 1]), ('IN_PROGRESS', [1, 1, 0, 0]), ('SUCCEEDED', [0, 0, 1, 0])]
    """
    frame = check_frame(frame, "status_details", "described")
    if not isinstance(key, str) or not key:
        raise InvalidParameterError("key", "must be a statusDetails key (a string)", key)
    name = key.removeprefix("detail_")
    column = f"detail_{name}"
    if "status" not in frame.columns or (
        column not in frame.columns and "status_details" not in frame.columns
    ):
        missing = [c for c in ("status",) if c not in frame.columns]
        missing += [] if column in frame.columns else [f"status_details (or {column})"]
        raise InvalidParameterError(
            "frame",
            f"status_details needs the columns {', '.join(missing)}, which "
            f"{PRODUCERS['describe']} or {PRODUCERS['described']} produce",
            list(map(str, frame.columns)),
        )
    check_by(frame, facet, "facet")
    shared = {
        "title": title if title is not None else f"statusDetails: {name}",
        "template": template,
        "width": width,
    }
    if frame.empty:
        return note_figure("No executions", height=height, **shared)

    # .str.get reads a key of each dict (NaN for anything else) in one pass of pandas' loop.
    values = frame[column] if column in frame.columns else frame["status_details"].str.get(name)
    frame = frame.assign(_value=_as_text(values))
    order = _value_order(frame["_value"])
    statuses = present_statuses(frame["status"])
    groups = facet_groups(frame, facet)
    figure = grid(len(groups), 1, row_titles=[label for label, _ in groups], shared_xaxes=True)
    for row, (_, part) in enumerate(groups, start=1):
        counts = _counts(part["_value"], part["status"], statuses).reindex(order, fill_value=0)
        for status in statuses:
            figure.add_trace(
                go.Bar(
                    x=order,
                    y=counts[status].astype(int).tolist(),
                    name=status,
                    legendgroup=status,
                    showlegend=row == 1,
                    marker={"color": STATUS_COLORS[status], "line": {"width": 0}},
                    hovertemplate=f"{name} = %{{x}}<br>{status}: %{{y}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    figure.update_xaxes(title_text=axis_title(name), row=len(groups), col=1)
    noun = "Things" if "retry_attempt" in frame.columns else "Executions"
    figure.update_yaxes(title_text=noun, rangemode="tozero")
    figure.update_layout(barmode="stack", bargap=0.2)
    auto_height = min(1400, max(380, 140 + 250 * len(groups)))
    return finish(figure, height=height or auto_height, **shared)


def _as_text(values: pd.Series) -> pd.Series:
    """``values`` as a categorical of the strings shown, missing ones as ``(not reported)``.

    Each distinct value is turned into text once, not each of a million rows.
    """
    codes, uniques = pd.factorize(values)
    texts = pd.Index([str(value) for value in uniques] + [NOT_REPORTED])
    shown = texts.unique()  # two values may read alike (1 and "1"): one bar
    codes = np.where(codes < 0, len(uniques), codes)
    return pd.Series(
        pd.Categorical.from_codes(shown.get_indexer(texts)[codes], categories=shown),
        index=values.index,
    )


def _counts(values: pd.Series, status: pd.Series, statuses: list[str]) -> pd.DataFrame:
    """How many rows have each value (categorical) and status: values × ``statuses``."""
    value_codes = values.cat.codes.to_numpy()
    if not isinstance(status.dtype, pd.CategoricalDtype):
        status = status.astype("category")
    status_codes = status.cat.set_categories(statuses).cat.codes.to_numpy()
    counted = status_codes >= 0
    pairs = value_codes[counted].astype("int64") * len(statuses) + status_codes[counted]
    cells = np.bincount(pairs, minlength=len(values.cat.categories) * len(statuses))
    return pd.DataFrame(
        cells.reshape(-1, len(statuses)), index=values.cat.categories, columns=statuses
    )


def _value_order(values: pd.Series) -> list[str]:
    """Distinct values: as numbers if they all read as numbers, else naturally; missing last."""
    distinct = [v for v in values.unique() if v != NOT_REPORTED]
    numbers = {v: _number(v) for v in distinct}
    if all(n is not None for n in numbers.values()):
        distinct.sort(key=lambda v: numbers[v] or 0.0)
    else:
        distinct.sort(key=natural_key)
    return distinct + ([NOT_REPORTED] if (values == NOT_REPORTED).any() else [])


def _number(text: str) -> float | None:
    try:
        return float(text.strip().removesuffix("%"))
    except ValueError:
        return None
