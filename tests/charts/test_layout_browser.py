"""Every chart drawn by plotly.js in chromium at 500, 800 and 1200 px: nothing overlaps.

The boxes measured are what a person sees: the title, the legend (one to three rows of
entries), the plot area, the y-axis title and the tick labels beside it, the names written
next to markers. Skipped without Playwright or Debian's chromium (``apt-get install chromium``);
never ``playwright install``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import plotly
import plotly.graph_objects as go
import pytest

import jobsnb.charts as charts
from jobsnb.client import FleetClient
from jobsnb.limits import STATUSES
from tests.helpers import CHART_THINGS

pytestmark = pytest.mark.slow

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
WIDTHS = (500, 800, 1200)
# Boxes of what is drawn, in page pixels: [left, top, right, bottom].
MEASURE = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const gd = document.querySelector('.js-plotly-plot');
  const all = s => [...gd.querySelectorAll(s)].filter(e => e.getBBox().width > 0).map(box);
  return {
    figure: box(gd.querySelector('.main-svg')),
    title: all('.g-gtitle .gtitle').concat(all('.gtitle-subtitle')),
    legend: all('.legend .bg'),
    plots: all('.draglayer .nsewdrag'),
    ytitles: all('.g-ytitle text, [class^="g-y"][class$="title"] text'),
    yticks: all('.yaxislayer-above .ytick text'),
    names: all('.textpoint text'),
  };
}"""


@pytest.fixture(scope="module")
def page(browser: Any) -> Iterator[Any]:
    """A page of the suite's one chromium (tests/conftest.py)."""
    opened = browser.new_page()
    yield opened
    opened.close()


def _every_status() -> pd.DataFrame:
    """Eight statuses across three long job ids: a legend of three rows at 500 px."""
    jobs = ["firmware-gw100-1.10.0", "certificate-rotation-2026", "reboot-us-east-1"]
    return pd.DataFrame(
        [(job, status) for job in jobs for status in STATUSES for _ in range(3)],
        columns=["job_id", "status"],
    )


def _figures(fleet: FleetClient) -> dict[str, go.Figure]:
    pending = fleet.pending(CHART_THINGS, progress=False)
    executions = fleet.executions(["fw-2", "cfg-1"], progress=False)
    return {
        "queue_age": charts.queue_age(pending, timeouts={"fw-2": 60}),
        "status_distribution": charts.status_distribution(
            _every_status(), title="Live: devices per status"
        ),
        "rollout_progress": charts.rollout_progress(
            _every_status().assign(snapshot_at=pd.Timestamp("2026-01-01", tz="UTC")),
            title="Rollout progress, per job",
        ),
        "execution_timeline": charts.execution_timeline(executions, job_id="fw-2"),
        "status_details": charts.status_details(
            fleet.executions(["fw-2"], describe=True, progress=False), "progress"
        ),
        "time_to_timeout": charts.time_to_timeout(fleet.describe(pending, progress=False)),
    }


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def test_titles_legends_and_labels_never_overlap(
    fleet: FleetClient, page: Any, tmp_path: Path
) -> None:
    for name, figure in _figures(fleet).items():
        path = tmp_path / f"{name}.html"
        figure.write_html(path, include_plotlyjs=str(PLOTLY_JS))
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 1600})
            page.goto(path.as_uri())
            page.wait_for_selector(".main-svg")
            page.wait_for_timeout(400)
            drawn = page.evaluate(MEASURE)
            where = f"{name} at {width} px"
            title_bottom = max(box[3] for box in drawn["title"])
            legend = drawn["legend"]
            assert legend, f"{where}: no legend"
            assert title_bottom <= legend[0][1], f"{where}: the legend overlaps the title"
            plots_top = min(box[1] for box in drawn["plots"])
            assert legend[0][3] <= plots_top, f"{where}: the legend overlaps the plot"
            for title in drawn["ytitles"]:
                for tick in drawn["yticks"]:
                    assert not _overlap(title, tick), f"{where}: a y title overlaps a tick"
            left, _, right, _ = drawn["figure"]
            for label in drawn["names"]:
                assert left <= label[0], f"{where}: a name is cut on the left"
                assert label[2] <= right, f"{where}: a name is cut on the right"
