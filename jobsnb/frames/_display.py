"""Frames shown to people: durations as ``12m 54s``, times to the second in UTC, whole messages.

:func:`styled` (also ``frame.jobsnb.styled()``) turns any frame into a pandas ``Styler`` that
reads well in a notebook, and :func:`format_duration` is the one way jobsnb writes a duration,
in tables, widgets and chart hovers alike.

Examples
--------
>>> import pandas as pd
>>> from jobsnb.frames import format_duration
>>> [format_duration(pd.Timedelta(t)) for t in ("35s", "12min 54s", "2h 5min", "3D 4h")]
['35s', '12m 54s', '2h 05m', '3d 4h']
"""

from __future__ import annotations

import datetime as dt
import html
import numbers
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

if TYPE_CHECKING:
    from pandas.io.formats.style_render import CSSDict

__all__ = ["MAX_ROWS", "format_duration", "format_value", "styled"]

#: Rows :func:`styled` shows by default; the caption says how many more there are.
MAX_ROWS: Final = 50
#: Text columns whose longest value is longer than this wrap (at spaces); the others never do.
_WRAP_AFTER: Final = 40
_NO_WRAP: Final = "white-space: nowrap"
_LEFT: Final = "text-align: left"
_WRAP: Final = (
    "white-space: normal; overflow-wrap: normal; word-break: normal; "
    "min-width: 12em; max-width: 40em; text-align: left"
)


def format_duration(value: Any) -> str:
    """A duration as ``3d 4h``, ``2h 05m``, ``4m 10s`` or ``35s``; empty for a missing one.

    Two units at most, the larger first, whole seconds (rounded down); a negative duration
    gets a leading ``-``.

    Parameters
    ----------
    value
        A ``pd.Timedelta``, ``datetime.timedelta``, ``numpy.timedelta64``, or NaT/None.

    Returns
    -------
    str
        The duration in words a person reads at a glance.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.frames import format_duration
    >>> format_duration(pd.Timedelta(minutes=12, seconds=54)), format_duration(pd.NaT)
    ('12m 54s', '')
    >>> format_duration(pd.Timedelta(days=3, hours=4, minutes=59))
    '3d 4h'
    >>> format_duration(-pd.Timedelta(seconds=90))
    '-1m 30s'
    """
    if value is None or pd.isna(value):
        return ""
    seconds = int(pd.Timedelta(value).total_seconds())
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {seconds:02d}s"
    return f"{sign}{seconds}s"


def format_value(value: Any, precision: int = 1) -> str:
    """One cell as :func:`styled` shows it (plain text, not yet HTML-escaped).

    Durations by :func:`format_duration`; times to the second, in UTC when they carry a zone;
    whole floats as integers, others to ``precision`` decimals; a dict (``status_details``) as
    ``key: value`` pairs; a missing value as nothing.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.frames import format_value
    >>> format_value(pd.Timestamp("2026-01-01 10:00:05.123456+01:00"))
    '2026-01-01 09:00:05 UTC'
    >>> format_value(52.0), format_value(12.345), format_value({"progress": "40%"})
    ('52', '12.3', 'progress: 40%')
    """
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {format_value(item, precision)}" for key, item in value.items())
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(format_value(item, precision) for item in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, dt.timedelta | np.timedelta64):
        return format_duration(value)
    if isinstance(value, dt.datetime | np.datetime64):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is None:
            return f"{stamp:%Y-%m-%d %H:%M:%S}"
        return f"{stamp.tz_convert('UTC'):%Y-%m-%d %H:%M:%S} UTC"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        return str(int(number)) if number.is_integer() else f"{number:.{precision}f}"
    return str(value)


def styled(frame: pd.DataFrame, *, max_rows: int | None = MAX_ROWS, precision: int = 1) -> Styler:
    """``frame`` as a table that reads well in a notebook: a pandas ``Styler``.

    Every cell is written by :func:`format_value`: durations as ``12m 54s``, ``2h 05m`` or
    ``3d 4h``; timestamps to the second with ``UTC``; whole floats (``describe()``'s counts) as
    integers; statusDetails as ``key: value``. Names never wrap; long text (an error message)
    is shown whole and wraps between words. A status, in a cell or a header, is marked in its
    chart colour (:data:`jobsnb.charts.STATUS_COLORS`). The frame itself is not changed.

    Parameters
    ----------
    frame
        Any DataFrame: a client frame, a pivot table, ``describe()``'s output.
    max_rows
        Show at most this many rows (the first ones) and say how many there are in the
        caption; ``None`` shows all.
    precision
        Decimals of the floats that are not whole numbers.

    Returns
    -------
    pandas.io.formats.style.Styler
        Displayed as HTML by Jupyter; ``.to_html()`` gives the HTML, ``.data`` the rows shown.

    Examples
    --------
    >>> import pandas as pd
    >>> from jobsnb.frames import styled
    >>> frame = pd.DataFrame({
    ...     "thing_name": ["sensor-0042"], "status": ["IN_PROGRESS"],
    ...     "queue_age": [pd.Timedelta(minutes=12, seconds=54)],
    ...     "queued_at": [pd.Timestamp("2026-01-01 09:00:00.5", tz="UTC")], "count": [52.0]})
    >>> shown = styled(frame).to_html()
    >>> [text in shown for text in ("sensor-0042", "12m 54s", "2026-01-01 09:00:00 UTC", ">52<")]
    [True, True, True, True]
    >>> "border-left: 4px solid #0072B2" in shown  # IN_PROGRESS, in the charts' blue
    True
    """
    if max_rows is not None and max_rows < 1:
        from jobsnb.exceptions import InvalidParameterError

        raise InvalidParameterError("max_rows", "must be 1 or more, or None for all", max_rows)
    shown = frame if max_rows is None or len(frame) <= max_rows else frame.head(max_rows)
    table = Styler(shown, cell_ids=False)
    text = _formatter(precision)
    table.format(text)
    table.format_index(text, axis=0)
    table.format_index(text, axis=1)
    table.map(_status_mark)
    table.map_index(_status_header, axis=0)
    table.map_index(_status_header, axis=1)
    # Text reads from the left, numbers and durations line up on the right, headers over them.
    styles: list[CSSDict] = [
        {"selector": "td, th", "props": _NO_WRAP},
        {"selector": "th.row_heading, th.index_name, th.blank", "props": "text-align: left"},
        {"selector": "th.col_heading", "props": "text-align: right"},
    ]
    for position in range(shown.shape[1]):
        values = shown.iloc[:, position]
        if _is_text(values):
            long = _is_long_text(values, precision)
            styles.append({"selector": f"td.col{position}", "props": _WRAP if long else _LEFT})
            styles.append({"selector": f"th.col_heading.col{position}", "props": _LEFT})
    table.set_table_styles(styles)
    if len(shown) < len(frame):
        table.set_caption(f"first {len(shown)} of {len(frame)} rows")
    return table


def _formatter(precision: int) -> Callable[[Any], str]:
    def text(value: Any) -> str:
        return html.escape(format_value(value, precision), quote=False)

    return text


def _colours() -> Mapping[str, str]:
    # Imported here: frames stay importable without plotly; only a shown table needs colours.
    from jobsnb.charts import STATUS_COLORS

    return STATUS_COLORS


def _status_mark(value: Any) -> str:
    colour = _colours().get(value) if isinstance(value, str) else None
    return f"border-left: 4px solid {colour}; padding-left: 6px" if colour else ""


def _status_header(value: Any) -> str:
    colour = _colours().get(value) if isinstance(value, str) else None
    return f"border-bottom: 3px solid {colour}" if colour else ""


def _is_text(values: pd.Series) -> bool:
    """Whether a column holds words (names, statuses, details) rather than quantities."""
    if values.dtype == object:
        return any(isinstance(value, str | Mapping) for value in values.dropna())
    return isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
        values.dtype
    )


def _is_long_text(values: pd.Series, precision: int) -> bool:
    if values.empty:
        return False
    longest = max(len(format_value(value, precision)) for value in values)
    return longest > _WRAP_AFTER
