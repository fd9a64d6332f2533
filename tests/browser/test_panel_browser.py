"""The control panel in a real JupyterLab, used through headless chromium: start the next
execution of one thing and complete it, and see the table and a live chart change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser.conftest import Lab, run_all

SETUP = """\
import jobsnb
import jobsnb.charts
import jobsnb.widgets
from jobsnb.service import LocalJobsService

service = LocalJobsService().start()
things = ["sensor-1", "sensor-2", "sensor-3"]
arns = [service.backend.create_thing(name).arn for name in things]
service.backend.create_job("fw-2", targets=arns, document='{"version": "2"}')
client = jobsnb.connect(service)"""

PANEL = """\
chart = jobsnb.charts.live(jobsnb.charts.status_distribution, client, things)
panel = jobsnb.widgets.control_panel(client, things, charts=[chart])
panel"""

NOTEBOOK = "panel.ipynb"
TIMEOUT = 60_000  # ms, for any one thing to appear (a loaded 2-core CI machine is slow)


def write_notebook(root: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(PANEL)]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = root / NOTEBOOK
    nbformat.write(notebook, path)
    return path


# Each trace of the live chart as [name, x, y], read from plotly's element in the page.
TRACES = (
    "document.querySelector('.jp-NotebookPanel .js-plotly-plot')"
    ".data.map(t => [t.name, Array.from(t.x), Array.from(t.y)])"
)


def chart_data(page: Any) -> Any:
    return page.evaluate(f"() => {TRACES}")


def wait_for_chart(page: Any, expected: list[Any]) -> Any:
    """Wait until the live chart shows ``expected`` (it is redrawn in place, trace by trace)."""
    try:
        page.wait_for_function(
            f"expected => JSON.stringify({TRACES}) == JSON.stringify(expected)",
            arg=expected,
        )
    except Exception:
        assert chart_data(page) == expected, "the live chart did not update"
    return chart_data(page)


def button(page: Any, text: str) -> Any:
    return page.locator("button.jupyter-widgets.widget-button", has_text=text)


def shoot(page: Any, target: Any, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    target.screenshot(path=str(path))
    keep = os.environ.get("JOBSNB_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)


@pytest.mark.slow
def test_panel_starts_and_completes_an_execution_in_jupyterlab(
    browser: Any, lab: Lab, tmp_path: Path
) -> None:
    write_notebook(lab.root)
    lab.delete_sessions()
    lab.start_session(NOTEBOOK)
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    try:
        page.set_default_timeout(TIMEOUT)
        page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?reset")
        idle = ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"
        page.wait_for_selector(idle)
        run_all(page)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-InputArea-prompt')]"
            ".map(p => p.textContent.trim()).filter(t => /^\\[\\d+\\]:$/.test(t)).length == 2"
        )
        panel = page.locator(".jobsnb-panel")
        panel.wait_for()
        table = panel.locator(".jobsnb-pending")
        table.wait_for()
        page.wait_for_function(
            "() => document.querySelectorAll('.jp-NotebookPanel .js-plotly-plot .main-svg')"
            ".length > 0"
        )
        assert "Loading widget" not in page.locator(".jp-NotebookPanel").inner_text()
        before_table = table.inner_text()
        before_chart = chart_data(page)
        assert before_chart == [["QUEUED", [3], ["fw-2"]]]
        shoot(page, page.locator(".jp-NotebookPanel"), "panel-before.png", tmp_path)

        # Start the next execution of sensor-1 only: select it, review, confirm.
        panel.locator(".widget-select-multiple select").select_option("sensor-1")
        panel.get_by_text("1 pending execution on 1 selected thing").wait_for()
        button(page, "Start next").click()
        panel.get_by_text("Start next on 1 thing").wait_for()
        button(page, "Confirm").click()
        panel.locator(".jobsnb-results").get_by_text("started").wait_for()
        table.get_by_text("IN_PROGRESS").wait_for()
        started_table = table.inner_text()
        assert started_table != before_table
        started_chart = wait_for_chart(
            page, [["QUEUED", [2], ["fw-2"]], ["IN_PROGRESS", [1], ["fw-2"]]]
        )
        assert started_chart != before_chart
        shoot(page, page.locator(".jp-NotebookPanel"), "panel-started.png", tmp_path)

        # Complete it: SUCCEEDED, through the review and the confirmation.
        status = panel.locator(".widget-dropdown", has_text="Set status").locator("select")
        status.select_option("SUCCEEDED")
        button(page, "Update").click()
        panel.get_by_text("IN_PROGRESS → SUCCEEDED").first.wait_for()
        button(page, "Confirm").click()
        panel.locator(".jobsnb-results").get_by_text("updated").wait_for()
        panel.get_by_text("1 selected thing has nothing pending").wait_for()
        assert wait_for_chart(page, [["QUEUED", [2], ["fw-2"]]]) != started_chart
        assert "SUCCEEDED" in panel.locator(".jobsnb-results").inner_text()
        shoot(page, page.locator(".jp-NotebookPanel"), "panel-done.png", tmp_path)
    except Exception:
        shoot(page, page, "panel-failure.png", tmp_path)
        raise
    finally:
        page.close()
