"""How a live chart is drawn: its figure as an Output widget's outputs, and its notes.

The picture travels as plotly's own mime bundle (``application/vnd.plotly.v1+json``, drawn by
the jupyterlab-plotly renderer that ships with plotly), not as a FigureWidget: a saved
notebook then holds the figure's JSON, not a copy of plotly.js in its widget state, and the
browser draws each refresh afresh instead of patching a view that may have missed an update.
:func:`every_call_failed` says when a refresh counts as failed as a whole.

Examples
--------
>>> import plotly.graph_objects as go
>>> from jobsnb.charts._live_render import PLOTLY_MIME, outputs_of, plotly_bundle
>>> bundle = plotly_bundle(go.Figure(go.Bar(x=["QUEUED"], y=[3])))
>>> bundle[PLOTLY_MIME]["data"][0]["type"]
'bar'
>>> [sorted(out["data"]) for out in outputs_of(bundle, "stale: last refreshed 12:03:10 UTC")]
[['application/vnd.plotly.v1+json', 'text/plain'], ['text/html', 'text/plain']]
"""

from __future__ import annotations

import html
import inspect
import json
from collections.abc import Callable
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from jobsnb.charts._style import note_figure
from jobsnb.exceptions import FanoutError

__all__ = [
    "PLOTLY_MIME",
    "annotate_failed_calls",
    "describe_failure",
    "every_call_failed",
    "outputs_of",
    "placeholder",
    "plotly_bundle",
    "redraw",
]

#: The mime type jupyterlab-plotly renders (and VS Code, nteract).
PLOTLY_MIME: Final = "application/vnd.plotly.v1+json"
#: Okabe–Ito vermilion, as the charts use for failures.
_FAILURE_COLOR: Final = "#D55E00"
#: How much of a failure's message the stale note quotes.
_NOTE_MESSAGE_CHARS: Final = 160
#: Layout keys :func:`placeholder` takes over from the chart's own keyword arguments.
_LOOK: Final = ("title", "template", "width", "height")


def plotly_bundle(figure: go.Figure) -> dict[str, Any]:
    """``figure`` as a mime bundle: plotly's JSON, and a line of text for other front ends."""
    title = figure.layout.title.text
    return {
        PLOTLY_MIME: json.loads(pio.to_json(figure, validate=False)),
        "text/plain": f"<plotly figure{f': {title}' if title else ''}, {len(figure.data)} traces>",
    }


def outputs_of(bundle: dict[str, Any] | None, note: str | None) -> tuple[dict[str, Any], ...]:
    """The outputs of a live chart's Output widget: the picture, then the note, if any."""
    outputs: list[dict[str, Any]] = []
    if bundle is not None:
        outputs.append({"output_type": "display_data", "data": bundle, "metadata": {}})
    if note is not None:
        text = html.escape(note)
        # width 0 / min-width 100%: the note wraps at the picture's width instead of widening
        # the widget (in an HBox the widget is as wide as its widest output).
        style = (
            f"color:{_FAILURE_COLOR};font-size:12px;padding:2px 0 4px 8px;"
            "width:0;min-width:calc(100% - 8px)"
        )
        data = {"text/html": f'<div style="{style}">⚠ {text}</div>', "text/plain": note}
        outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
    return tuple(outputs)


def redraw(figure: go.Figure, drawn: go.Figure) -> None:
    """Make ``figure`` (the same object, always) show what ``drawn`` shows."""
    figure.data = ()
    figure.add_traces(list(drawn.data))
    figure.layout = drawn.layout


def annotate_failed_calls(figure: go.Figure, errors: pd.DataFrame) -> None:
    """Say on ``figure`` that some of its calls failed: nothing is dropped silently."""
    codes = ", ".join(sorted(set(errors["error_code"].astype(str))))
    figure.add_annotation(
        text=f"{len(errors)} calls failed ({codes}): see live.errors",
        xref="paper",
        yref="paper",
        x=1,
        y=1.02,
        xanchor="right",
        yanchor="bottom",
        showarrow=False,
        font={"color": _FAILURE_COLOR},
    )


def placeholder(
    chart: Callable[..., go.Figure], chart_kwargs: dict[str, Any], errors: pd.DataFrame | None
) -> go.Figure:
    """What a live chart shows before any refresh worked: no data, said so, in its own look."""
    defaults = inspect.signature(chart).parameters
    look = {
        key: chart_kwargs.get(key, defaults[key].default if key in defaults else None)
        for key in _LOOK
    }
    figure = note_figure("No data yet: the refresh failed", **look)
    if errors is not None and not errors.empty:
        annotate_failed_calls(figure, errors)
    return figure


def every_call_failed(
    frame: pd.DataFrame, errors: pd.DataFrame, targets: list[str], wanted: str
) -> FanoutError | None:
    """A FanoutError when no row came back and a call failed for every target, else None."""
    if not frame.empty or errors.empty:
        return None
    key = "thing_name" if wanted == "things" else "job_id"
    if not set(targets) <= set(errors[key].dropna().astype(str)):
        return None
    counts = errors["error_code"].astype(str).value_counts()
    summary = ", ".join(f"{n} {code}" for code, n in counts.items())
    message = f"every call failed ({summary}): {errors['message'].iloc[0]}"
    return FanoutError(message, errors=errors, partial=frame)


def describe_failure(error: BaseException) -> str:
    """``error`` in a line of the stale note: the exception's type and message, shortened."""
    text = str(error) if isinstance(error, FanoutError) else f"{type(error).__name__}: {error}"
    text = " ".join(text.split())
    if len(text) > _NOTE_MESSAGE_CHARS:
        return text[: _NOTE_MESSAGE_CHARS - 1] + "…"
    return text
