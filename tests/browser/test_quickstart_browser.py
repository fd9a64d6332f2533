"""The quick start in a real JupyterLab, in headless chromium: Run All, then the charts and the
live chart's widget are drawn (no "Loading widget" left), with no error output."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser.conftest import PROMPTS, Lab, run_all

QUICKSTART = Path(__file__).parents[2] / "notebooks" / "01-quickstart.ipynb"
SCREENSHOT = Path(os.environ.get("JOBSNB_SCREENSHOT_DIR", "/tmp/jobsnb-notes")) / "quickstart.png"
TIMEOUT = 90_000  # ms: the whole notebook, kernel start included


@pytest.mark.slow
def test_quickstart_runs_in_jupyterlab_and_draws_its_charts_and_widgets(
    lab: Lab, browser: Any, tmp_path: Path
) -> None:
    shutil.copy(QUICKSTART, lab.root / QUICKSTART.name)
    code_cells = sum(
        cell.cell_type == "code" for cell in nbformat.read(QUICKSTART, as_version=4).cells
    )
    lab.delete_sessions()
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    try:
        page.set_default_timeout(TIMEOUT)
        page.goto(f"{lab.url}/lab/tree/{QUICKSTART.name}?reset")
        idle = ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"
        page.wait_for_selector(idle)
        run_all(page)
        assert page.evaluate(f"() => ({PROMPTS})()")["done"] == code_cells
        page.wait_for_selector(idle)
        notebook = page.locator(".jp-NotebookPanel")
        # Each chart by its title, drawn (fig.show() twice, and the live chart's Output): a
        # concrete element each, not a count of plotly's SVG layers, which vary per chart.
        titles = ["Queue age and in-progress time", "Devices per status, per job"]
        titles.append("Live: devices per status")
        for title in titles:
            chart = notebook.locator(".js-plotly-plot", has=page.locator(".gtitle", has_text=title))
            chart.first.wait_for()
            traces = chart.first.evaluate("el => el.data.length")
            assert traces > 0, f"chart {title!r} has no traces"

        text = notebook.inner_text()
        assert "Loading widget" not in text, "a widget was not rendered"
        assert "Error displaying widget" not in text
        # Errors and warnings are both drawn as stderr; the quick start has neither.
        errors = notebook.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        assert errors.count() == 0, errors.first.inner_text()
        assert "Traceback" not in notebook.inner_text()

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        notebook.screenshot(path=str(tmp_path / SCREENSHOT.name))
        shutil.copy(tmp_path / SCREENSHOT.name, SCREENSHOT)
    except Exception:
        # What the page showed when it failed, for whoever reads the failure.
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT.with_name("quickstart-failed.png")))
        print(page.locator("body").inner_text()[-3000:])
        raise
    finally:
        page.close()
