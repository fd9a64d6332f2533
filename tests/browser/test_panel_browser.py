"""The control panel in a real JupyterLab, used through headless chromium as a person uses it.

One notebook, two groups of 60 things and two jobs; the person chooses a group, filters and
clears the filter, picks one row of the grid, starts its next execution of the chosen job
(the review names it), completes it with statusDetails, types an invalid key, then starts
59 things with slow calls and stops midway. Each step waits on the concrete text or element
it expects, never on a sleep or a count; the screenshots are kept when
``JOBSNB_SCREENSHOT_DIR`` is set.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Lab, open_and_run_all, shoot, write_notebook

SETUP = """\
import jobsnb
import jobsnb.charts
import jobsnb.widgets
from jobsnb.service import LocalJobsService

service = LocalJobsService().start()
backend = service.backend
for model, prefix in (("model-gw100", "gw"), ("model-sn200", "sn")):
    backend.create_thing_group(model)
    for i in range(60):
        backend.create_thing(f"{prefix}-{i:03d}")
        backend.add_thing_to_thing_group(model, f"{prefix}-{i:03d}")
everyone = [backend.describe_thing_group(g).arn for g in ("model-gw100", "model-sn200")]
backend.create_job("fw-2", targets=everyone, document='{"version": "2"}')
backend.create_job("cfg-7", targets=everyone[:1], document='{"config": "7"}')
client = jobsnb.connect(service)"""

PANEL = """\
chart = jobsnb.charts.live(jobsnb.charts.status_distribution, client, jobs=["fw-2"])
panel = jobsnb.widgets.control_panel(client, charts=[chart])
panel"""

SLOW = "service.app.latency = 0.0  # seconds each call takes"

NOTEBOOK = "panel.ipynb"
TIMEOUT = 60_000  # ms, for any one thing to appear (a loaded 2-core CI machine is slow)
#: The panel's height, at most, with 60 things and 120 pending executions selected: the grid,
#: the tables, the review and the results scroll inside bounded boxes.
MAX_PANEL_HEIGHT = 1_900


# Each trace of the live chart as [name, x], read from plotly's element in the page.
TRACES = (
    "document.querySelector('.jobsnb-panel .js-plotly-plot')"
    ".data.map(t => [t.name, Array.from(t.x)])"
)


def button(scope: Any, text: str) -> Any:
    return scope.locator("button.jupyter-widgets.widget-button", has_text=text)


def grid_button(panel: Any, text: str) -> Any:
    """A button of the thing grid (DataTables'), not an ipywidgets one."""
    return panel.locator(".jobsnb-picker button.dt-button", has_text=text)


def dropdown(scope: Any, label: str) -> Any:
    return scope.locator(".widget-dropdown", has_text=label).locator("select")


def grid_row(panel: Any, thing: str) -> Any:
    return panel.locator(".jobsnb-picker table.dataTable tbody tr", has_text=thing)


@pytest.mark.slow
def test_a_person_operates_the_panel_in_jupyterlab(browser: Any, lab: Lab, tmp_path: Path) -> None:
    write_notebook(lab.root, NOTEBOOK, [SETUP, PANEL, SLOW])
    # A laptop's window: the panel is drawn while partly out of view, as after a real Run All.
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        page.set_default_timeout(TIMEOUT)
        open_and_run_all(page, lab, NOTEBOOK)
        panel = page.locator(".jobsnb-panel")
        panel.wait_for()
        grid_row(panel, "gw-000").wait_for()
        panel.get_by_text("0 of 120 selected", exact=True).wait_for()
        panel.get_by_text("120 things shown").wait_for()
        panel.locator(".js-plotly-plot .gtitle").wait_for()
        # The grid spans its box (DataTables once measured 0 for an output drawn out of view).
        widths = panel.locator(".jobsnb-picker .dt-scroll-body").evaluate(
            "el => [el.clientWidth, el.querySelector('table').getBoundingClientRect().width]"
        )
        assert widths[1] >= 0.9 * widths[0] > 0, widths
        shoot(panel, "panel-1-opened.png", tmp_path)

        # A group: its things, all selected, their pending executions in the table.
        dropdown(panel, "Group").select_option("model-gw100")
        panel.get_by_text("60 of 60 selected", exact=True).wait_for()
        panel.get_by_text("120 pending executions on 60 selected things").wait_for()
        assert grid_row(panel, "sn-000").count() == 0
        height = panel.bounding_box()["height"]
        assert height < MAX_PANEL_HEIGHT, f"the panel is {height:.0f} px tall"
        shoot(panel, "panel-2-group.png", tmp_path)

        # The filter hides rows without unselecting them; clearing it shows them again.
        filter_box = panel.locator(".jobsnb-picker .dt-search input")
        filter_box.fill("gw-00")
        panel.get_by_text("10 things shown (of 60)").wait_for()
        grid_row(panel, "gw-009").wait_for()
        assert grid_row(panel, "gw-010").count() == 0
        panel.get_by_text("60 of 60 selected", exact=True).wait_for()
        filter_box.fill("")
        panel.get_by_text("60 things shown").wait_for()
        assert grid_row(panel, "gw-010").get_attribute("class").find("selected") >= 0

        # One row, as a person finds and clicks it: only that thing is selected.
        grid_button(panel, "Clear selection").click()
        panel.get_by_text("0 of 60 selected", exact=True).wait_for()
        filter_box.fill("gw-003")
        grid_row(panel, "gw-003").click()
        panel.get_by_text("1 of 60 selected", exact=True).wait_for()
        panel.get_by_text("2 pending executions on 1 selected thing").wait_for()
        filter_box.fill("")
        panel.get_by_text("60 things shown").wait_for()

        # Start next on fw-2: the review names the job and the execution; then Confirm.
        dropdown(panel, "Job").select_option("fw-2")
        button(panel, "Start next").click()
        review = panel.locator(".jobsnb-plan")
        review.get_by_text("Start next on 1 thing of job fw-2").wait_for()
        assert "gw-003" in review.inner_text()
        shoot(panel, "panel-3-review.png", tmp_path)
        button(panel, "Confirm").click()
        results = panel.locator(".jobsnb-results-box")
        results.get_by_text("1 started").wait_for()
        page.wait_for_function(
            f"() => {TRACES}.some(([name, x]) => name == 'IN_PROGRESS' && x[0] == 1)"
        )
        assert dropdown(panel, "Job").input_value() == "fw-2", "the job choice stays"

        # Complete it, with statusDetails: the review shows what is sent.
        button(panel, "+ detail").click()
        panel.get_by_placeholder("key").fill("progress")
        panel.get_by_placeholder("value").fill("100%")
        dropdown(panel, "Set status").select_option("SUCCEEDED")
        button(panel, "Update").click()
        review.get_by_text("IN_PROGRESS → SUCCEEDED").first.wait_for()
        assert "progress=100%" in review.inner_text()
        button(panel, "Confirm").click()
        results.get_by_text("1 updated").wait_for()
        panel.get_by_text("The statusDetails editor is cleared").wait_for()
        assert panel.get_by_placeholder("key").count() == 0
        shoot(panel, "panel-4-updated.png", tmp_path)

        # An invalid key: said once, in words, beside its row; the actions wait for a fix.
        button(panel, "+ detail").click()
        panel.get_by_placeholder("key").fill("bad key")
        panel.get_by_text("1 row to fix").wait_for()
        rule = "each a letter, a digit"
        assert panel.inner_text().count(rule) == 1
        assert button(panel, "Update").is_disabled()
        shoot(panel, "panel-5-invalid.png", tmp_path)
        button(panel, "✕").click()
        panel.get_by_text("no statusDetails: none are sent").wait_for()

        # Slow calls, many things: Stop midway ends with an honest summary.
        slow = page.locator(".jp-Cell").nth(2)
        prompt = slow.locator(".jp-InputArea-prompt")
        before = prompt.inner_text().strip()
        slow.locator(".jp-InputArea-editor .cm-content").click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type("service.app.latency = 1.0")
        page.keyboard.press("Shift+Enter")
        # Run again: a new execution count (whatever it is; Run All may have run twice).
        prompt.filter(has_text=re.compile(r"^\[\d+\]:$")).filter(has_not_text=before).wait_for()
        grid_button(panel, "Select all shown").click()
        panel.get_by_text("60 of 60 selected", exact=True).wait_for()
        panel.get_by_text("on 60 selected things").wait_for()
        button(panel, "Start next").click()
        review.get_by_text("Start next on 59 things of job fw-2").wait_for()
        button(panel, "Confirm").click()
        panel.get_by_text("Running: Start next on 59 things").wait_for()
        page.wait_for_function(
            "() => /^[1-9]\\d* \\/ 59 calls$/.test("
            "document.querySelector('.jobsnb-panel .jobsnb-progress-label').innerText.trim())"
        )
        button(panel, "Stop").click()
        stopped = panel.locator(".jobsnb-message", has_text="Stopped:")
        stopped.wait_for()
        assert " of 59 done, " in stopped.inner_text()
        results.get_by_text("not run").first.wait_for()
        shoot(panel, "panel-6-stopped.png", tmp_path)

        text = page.locator(".jp-NotebookPanel").inner_text()
        assert "Error displaying widget" not in text
        assert "Loading widget" not in text
        assert page_errors == []
    except Exception:
        shoot(page, "panel-failure.png", tmp_path)
        raise
    finally:
        page.close()
