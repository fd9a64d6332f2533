"""How every chart is laid out: title and legend never share space, axis titles are words.

Checked on the figures' layouts (plotly's own placement rules do the rest); the browser test
beside this one measures the drawn boxes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

import jobsnb.charts as charts
from benchmarks.charts_scale import described_frame, executions_frame, pending_frame
from jobsnb.charts._style import axis_title, title_band
from jobsnb.client import FleetClient
from tests.helpers import CHART_THINGS

Draw = Callable[[FleetClient], go.Figure]


def _sites(frame: pd.DataFrame) -> pd.DataFrame:
    sites = pd.DataFrame({"thing_name": CHART_THINGS, "hw_model": ["a", "a", "a", "b", "b", "b"]})
    return frame.merge(sites, on="thing_name")


DRAWS: dict[str, Draw] = {
    "queue_age": lambda c: charts.queue_age(c.pending(CHART_THINGS, progress=False)),
    "queue_age by model": lambda c: charts.queue_age(
        _sites(c.pending(CHART_THINGS, progress=False)), by="hw_model", facet="job_id"
    ),
    "status_distribution": lambda c: charts.status_distribution(
        c.executions(["fw-2", "cfg-1"], progress=False), title="Live: devices per status"
    ),
    "rollout_progress": lambda c: charts.rollout_progress(
        c.executions(["fw-2", "cfg-1"], progress=False).assign(
            snapshot_at=pd.Timestamp("2026-01-01", tz="UTC")
        ),
        facet="job_id",
    ),
    "execution_timeline": lambda c: charts.execution_timeline(
        c.executions(["fw-2"], progress=False)
    ),
    "status_details": lambda c: charts.status_details(
        c.executions(["fw-2"], describe=True, progress=False), "progress"
    ),
    "time_to_timeout": lambda c: charts.time_to_timeout(
        c.describe(c.pending(CHART_THINGS, progress=False), progress=False)
    ),
    # Big frames: aggregated, with a subtitle saying so.
    "queue_age of 3,000": lambda _: charts.queue_age(pending_frame(3_000)),
    "execution_timeline of 3,000": lambda _: charts.execution_timeline(executions_frame(3_000)),
    "time_to_timeout of 12,000": lambda _: charts.time_to_timeout(described_frame(12_000)),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_the_legend_hangs_below_the_title_band_whatever_its_rows(
    fleet: FleetClient, name: str
) -> None:
    figure = DRAWS[name](fleet)
    layout = figure.layout
    title = layout.title
    band = title_band(title.text, title.subtitle.text)
    # The title is pinned to the top of the figure, inside the band...
    assert (title.yref, title.y, title.yanchor) == ("container", 1, "top")
    assert title.automargin is False
    assert layout.margin.t == band
    # ... and the legend starts where the band ends, anchored by its top, in figure pixels: a
    # legend in container coordinates reserves the margin it needs below it, so a second or
    # third row of entries pushes the plot down instead of growing up into the title.
    legend = layout.legend
    assert (legend.yref, legend.yanchor, legend.orientation) == ("container", "top", "h")
    assert (1 - legend.y) * layout.height == pytest.approx(band)
    assert layout.showlegend is True


def test_the_title_band_grows_with_title_lines_and_a_subtitle() -> None:
    one = title_band("Queue age")
    assert title_band("Queue age<br>per model") > one
    assert title_band("Queue age", "12 of 40 time out") > one
    assert title_band(None) < one


@pytest.mark.parametrize("name", list(DRAWS))
def test_axis_titles_are_words_and_never_overlap_ticks(fleet: FleetClient, name: str) -> None:
    figure = DRAWS[name](fleet)
    texts: list[Any] = []
    figure.for_each_xaxis(lambda axis: texts.append(axis.title.text))
    figure.for_each_yaxis(lambda axis: texts.append(axis.title.text))
    words = [t for t in texts if t]
    assert words, "every chart names its axes"
    for text in words:
        assert "_" not in text, f"{name}: axis title {text!r} is a column name"
        assert text[0].isupper(), f"{name}: axis title {text!r}"
    assert figure.layout.template.layout.yaxis.automargin is True
    assert figure.layout.template.layout.xaxis.automargin is True


@pytest.mark.parametrize(
    ("column", "words"),
    [("job_id", "Job"), ("thing_name", "Thing"), ("hw_model", "Hw model"), ("region", "Region")],
)
def test_axis_title_of_a_column(column: str, words: str) -> None:
    assert axis_title(column) == words


def test_a_single_status_still_gets_its_legend(fleet: FleetClient) -> None:
    frame = pd.DataFrame({"job_id": ["fw-2"], "status": ["FAILED"]})
    figure = charts.status_distribution(frame)
    assert [t.name for t in figure.data] == ["FAILED"]
    assert figure.layout.showlegend is True  # plotly hides a one-trace legend by default


def test_an_empty_chart_keeps_its_title_clear_of_the_note() -> None:
    figure = charts.queue_age(
        pd.DataFrame(
            columns=["thing_name", "job_id", "status", "queued_at", "queue_age", "in_progress_for"]
        )
    )
    assert figure.layout.showlegend is False
    assert figure.layout.margin.t == title_band(figure.layout.title.text)
