"""A live chart in a real JupyterLab, through headless chromium: inside an HBox in a VBox,
redrawn from background threads, it shows its bars and title every time (issue #11 item 4);
``live.start()`` as a cell's last line draws no second copy, and when the service goes the last
picture stays, with a note that it is stale (item 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Lab, open_and_run_all, shoot, write_notebook

SETUP = """\
import threading
import ipywidgets as widgets
import jobsnb
import jobsnb.charts as charts
from jobsnb.service import LocalJobsService

service = LocalJobsService().start()
things = [f"sensor-{i}" for i in range(6)]
arns = [service.backend.create_thing(name).arn for name in things]
service.backend.create_job("fw-2", targets=arns, document='{"version": "2"}')
client = jobsnb.connect(service)"""

# A box like the control panel's: the chart's widget beside another widget, in a VBox.
BOXED = """\
chart = charts.live(charts.status_distribution, client, things, title="Live: devices per status")
gone = widgets.Button(description="Service gone")
gone.on_click(lambda _: service.stop())
widgets.VBox([widgets.HBox([chart.widget, gone])])"""

# What the panel does after each action: redraw the chart from a thread of its own.
ACTIONS = """\
def act():
    for name in things[:3]:
        service.backend.start_next_pending_job_execution(name)
        chart.refresh()

worker = threading.Thread(target=act)
worker.start()"""

START = "chart.start(1)"

NOTEBOOK = "live_chart.ipynb"
TIMEOUT = 60_000  # ms, for any one thing to appear (a loaded 2-core CI machine is slow)
TITLE = "Live: devices per status"
# The live chart's plotly element as it is now: each refresh draws a new one.
PLOT = "document.querySelector('.jp-NotebookPanel .js-plotly-plot')"
SEEN = (
    f"(() => {{ const el = {PLOT}; if (!el || !el.data) return null; return {{"
    " traces: el.data.map(t => [t.name, Array.from(t.x)]),"
    " title: (el.querySelector('.gtitle') || {}).textContent || '',"
    " bars: el.querySelectorAll('.barlayer .point path').length,"
    " width: el.getBoundingClientRect().width }; })()"
)
FINAL = [["QUEUED", [3]], ["IN_PROGRESS", [3]]]


@pytest.mark.slow
def test_live_chart_in_a_box_shows_bars_and_title_and_goes_stale(
    browser: Any, lab: Lab, tmp_path: Path
) -> None:
    write_notebook(lab.root, NOTEBOOK, [SETUP, BOXED, ACTIONS, START])
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    try:
        page.set_default_timeout(TIMEOUT)
        open_and_run_all(page, lab, NOTEBOOK)
        idle = ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-InputArea-prompt')]"
            ".map(p => p.textContent.trim()).filter(t => /^\\[\\d+\\]:$/.test(t)).length == 4"
        )
        page.wait_for_selector(idle)
        # Every redraw of the three from the worker thread, then the polling: bars and title.
        page.wait_for_function(
            f"final => {{ const s = {SEEN}; return s && s.bars > 0 &&"
            " JSON.stringify(s.traces) == JSON.stringify(final) }",
            arg=FINAL,
        )
        seen = page.evaluate(f"() => {SEEN}")
        assert seen["title"] == TITLE
        assert seen["bars"] == 2
        assert seen["width"] >= 320, "the picture was squashed in its box"
        notebook = page.locator(".jp-NotebookPanel")
        assert notebook.locator(".js-plotly-plot").count() == 1, "chart.start() drew a copy"
        assert "Loading widget" not in notebook.inner_text()
        output = notebook.locator(".widget-output").first
        boxed = notebook.locator(".widget-vbox").first
        shoot(boxed, "live-chart-current.png", tmp_path)
        width = output.bounding_box()["width"]

        # The service goes: the polling fails, the picture stays and says it is stale.
        page.locator("button.jupyter-widgets.widget-button", has_text="Service gone").click()
        output.get_by_text("stale: last refreshed").wait_for()
        note = output.inner_text()
        assert "retrying in 2 s" in note or "retrying in 4 s" in note, note
        stale = page.evaluate(f"() => {SEEN}")
        assert stale["traces"] == FINAL
        assert stale["title"] == TITLE
        assert stale["bars"] == 2
        assert stale["width"] == seen["width"]
        assert "No executions" not in notebook.inner_text()
        assert output.bounding_box()["width"] == width, "the note widened the chart"
        page.mouse.move(0, 0)  # no plotly hover labels or tooltips in the picture
        shoot(boxed, "live-chart-stale.png", tmp_path)
    except Exception:
        shoot(page, "live-chart-failure.png", tmp_path)
        raise
    finally:
        page.close()
