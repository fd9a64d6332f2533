"""The quick start in a real JupyterLab, in headless chromium: Run All, then the charts and the
live chart's widget are drawn (no "Loading widget" left), with no error output."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser.conftest import Lab, run_all

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
        page.wait_for_function(
            "n => [...document.querySelectorAll('.jp-NotebookPanel .jp-InputArea-prompt')]"
            ".map(p => p.textContent.trim()).filter(t => /^\\[\\d+\\]:$/.test(t)).length == n",
            arg=code_cells,
        )
        page.wait_for_selector(idle)
        notebook = page.locator(".jp-NotebookPanel")
        # fig.show() twice, and the live chart's FigureWidget: three drawn plotly charts.
        page.wait_for_function(
            "() => document.querySelectorAll('.jp-NotebookPanel .js-plotly-plot .main-svg')"
            ".length >= 3"
        )
        plots = notebook.locator(".js-plotly-plot")
        titles = [
            plots.nth(i).locator(".gtitle").first.text_content() for i in range(plots.count())
        ]
        assert "Queue age and in-progress time" in titles
        assert "Devices per status, per job" in titles
        assert "Live: devices per status" in titles
        for i in range(plots.count()):
            traces = plots.nth(i).evaluate("el => el.data.length")
            assert traces > 0, f"chart {titles[i]!r} has no traces"

        assert "Loading widget" not in notebook.inner_text(), "a widget was not rendered"
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
