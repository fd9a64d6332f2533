"""Every notebook runs top to bottom in a real kernel, and shows what its story promises.

Each notebook is executed with nbclient (widget state stored, as JupyterLab would save it) in a
scratch directory, then its outputs are inspected: charts drawn (plotly figures with data),
widgets created, tables shown, no error outputs and no warnings on stderr.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLOTLY = "application/vnd.plotly.v1+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PER_NOTEBOOK_SECONDS = 60
#: An executed notebook saved with its widget state stays small enough to commit, mail, or
#: open on a phone: no plotly.js inside (live charts are Output widgets of figure JSON).
MAX_SAVED_BYTES = 1_000_000


class Ran:
    """An executed notebook and its outputs."""

    def __init__(self, notebook: Any, workdir: Path, seconds: float) -> None:
        self.notebook = notebook
        self.workdir = workdir
        self.seconds = seconds
        self.cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
        self.outputs = [out for cell in self.cells for out in cell.outputs]

    def data(self, mime: str) -> list[Any]:
        return [out["data"][mime] for out in self.outputs if mime in out.get("data", {})]

    def figures(self) -> list[dict[str, Any]]:
        """The plotly figures shown with fig.show(), as JSON."""
        return self.data(PLOTLY)

    def text(self) -> str:
        """Everything printed or shown as text, in one string."""
        parts = []
        for out in self.outputs:
            if out.output_type == "stream":
                parts.append(out.text)
            for mime in ("text/plain", "text/html"):
                parts.append(out.get("data", {}).get(mime, ""))
        return "\n".join(parts)

    def widget_models(self) -> dict[str, Any]:
        """The widget models saved with the notebook (store_widget_state=True)."""
        state = self.notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {})
        return dict(state.get("state", {}))

    def live_charts(self) -> list[dict[str, Any]]:
        """The saved Output widgets that hold a plotly figure (what a LiveChart draws into)."""
        return [
            model
            for model in self.widget_models().values()
            if model["model_name"] == "OutputModel"
            and any(PLOTLY in out.get("data", {}) for out in model["state"].get("outputs", []))
        ]

    def shown_widgets(self) -> list[dict[str, Any]]:
        """The widget views displayed (not closed since), with their saved model."""
        models = self.widget_models()
        return [
            models[view["model_id"]]
            for view in self.data(WIDGET_VIEW)
            if view["model_id"] in models
        ]


def parameters_cell(notebook: Any) -> Any:
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "one cell tagged 'parameters' (papermill's convention)"
    return tagged[0]


def execute(
    path: Path, workdir: Path, overrides: str | None = None, env: dict[str, str] | None = None
) -> Ran:
    """Run the notebook in a fresh kernel in ``workdir``; ``overrides`` is injected after the
    parameters cell, as papermill does."""
    notebook = nbformat.read(path, as_version=4)
    if overrides is not None:
        index = notebook.cells.index(parameters_cell(notebook))
        notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(overrides))
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    started = time.monotonic()
    client.execute(**({"env": env} if env is not None else {}))
    return Ran(notebook, workdir, time.monotonic() - started)


def check_common(ran: Ran, name: str) -> None:
    errors = [out for out in ran.outputs if out.output_type == "error"]
    assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"
    stderr = "".join(
        o.text for o in ran.outputs if o.output_type == "stream" and o.name == "stderr"
    )
    assert "Warning" not in stderr, f"{name} warned:\n{stderr[:2000]}"
    assert "Traceback" not in stderr, f"{name}:\n{stderr[:2000]}"
    for figure in ran.figures():
        assert figure["data"], f"{name}: a chart without traces"
    assert ran.seconds < PER_NOTEBOOK_SECONDS, f"{name} took {ran.seconds:.0f} s"
    # A view whose model is gone is "Error displaying widget: model not found" in the browser
    # and in the saved notebook (a progress bar closed after its fan-out did that once).
    models = ran.widget_models()
    dangling = [
        view["model_id"] for view in ran.data(WIDGET_VIEW) if view["model_id"] not in models
    ]
    assert not dangling, f"{name}: {len(dangling)} widget views without a model"
    saved = len(nbformat.writes(ran.notebook).encode())
    assert saved < MAX_SAVED_BYTES, f"{name} saves at {saved / 1e6:.2f} MB"
    assert "plotly.js" not in json.dumps(models)[:10_000_000], f"{name}: plotly.js in widget state"


def figure_titles(ran: Ran) -> list[str]:
    return [fig["layout"].get("title", {}).get("text", "") for fig in ran.figures()]


# --------------------------------------------------------------------------- per notebook
def check_quickstart(ran: Ran) -> None:
    assert len(ran.figures()) >= 2, "the queue-age and status charts"
    queue_chart = ran.figures()[0]
    assert {trace["name"] for trace in queue_chart["data"]} >= {"QUEUED", "IN_PROGRESS"}
    assert any("per status" in title for title in figure_titles(ran))
    # The live chart: an Output widget holding the figure, shown, refreshed after the clock moved.
    assert ran.live_charts(), "the live chart was not shown"
    assert "thing_name" in ran.text() and "queue_age" in ran.text(), "the pending table"


def check_queue_health(ran: Ran) -> None:
    figures = ran.figures()
    assert len(figures) >= 2
    by_model = next(f for f in figures if "hardware model" in f["layout"]["title"]["text"])
    models = {str(y) for trace in by_model["data"] for y in trace.get("y", []) or []}
    assert {"gw100", "gw200", "sensor-s3"} <= models, models
    # Time left before timing out, as DescribeJobExecution counts it (step timeouts included),
    # beside the table that counts the same executions.
    with_timeouts = next(f for f in figures if "timeout" in f["layout"]["title"]["text"])
    names = [trace["name"] for trace in with_timeouts["data"]]
    assert names[:2] == ["IN_PROGRESS", "times out within 10 minutes"], names
    assert "running executions time out within 10 minutes" in ran.text()
    assert "us-east-1" in ran.text() and "eu-west-1" in ran.text(), "the model x region tables"
    # A scheduled job, named as such beside its empty bar, then rolled out inside its window.
    per_job = next(f for f in figures if "per status, per job" in f["layout"]["title"]["text"])
    notes = " ".join(a["text"] for a in per_job["layout"]["annotations"])
    assert "SCHEDULED, starts" in notes, notes
    assert "next_window_at" in ran.text()
    assert re.search(r"\d+ queued between \d\d:\d\d and \d\d:\d\d UTC", ran.text())
    # The command fan-out: every device answered or timed out, and the answers are shown.
    assert re.search(r"40 executions started, 0 errors", ran.text())
    answered = next(f for f in figures if "devices answered" in f["layout"]["title"]["text"])
    assert "SUCCEEDED" in {trace["name"] for trace in answered["data"]}
    assert answered["layout"]["xaxis"]["title"]["text"] == "Command executions"
    assert "status_reason_code" in ran.text()
    assert "s3://fleet-logs/" in ran.text(), "a device's result"


def check_operating(ran: Ran) -> None:
    panels = [m for m in ran.shown_widgets() if m["model_name"] == "VBoxModel"]
    assert panels, "the control panel was not shown"
    assert ran.live_charts(), "the live chart under the panel"
    grids = [m for m in ran.widget_models().values() if "selected_rows" in m["state"]]
    assert grids, "the panel's thing grid (an itables ITable)"
    text = ran.text()
    assert "started" in text and "updated" in text, "the start and the update on one thing"
    assert "conflict" in text, "the bulk action's conflict"
    assert "VersionMismatch" in text, "the client's conflict shows AWS's own error message"
    assert "InvalidStateTransitionException" in text


def check_history(ran: Ran) -> None:
    files = sorted((ran.workdir / "history" / "rollout").rglob("snapshot_date=*/*.parquet"))
    assert len(files) >= 3, f"{len(files)} snapshots written"
    assert "Parquet files in history/rollout/ (snapshot_date=" in ran.text()
    assert len(ran.data("text/html")) >= 4, "the tables of the analysis"
    progress = next(f for f in ran.figures() if "Rollout progress" in f["layout"]["title"]["text"])
    assert {"SUCCEEDED", "QUEUED"} <= {trace["name"] for trace in progress["data"]}
    assert "retried" in ran.text() and "first_seen" in ran.text()


def check_aws(ran: Ran) -> None:
    assert "no AWS account used" in ran.text()
    source = "".join(c.source for c in ran.notebook.cells)
    assert "iotjobsdata:GetPendingJobExecutions" in source, "the policy names the reads"
    assert "iotjobsdata:*" not in source, "the policy grants only what the notebook uses"
    assert "asked http://127.0.0.1" in ran.text(), "another process found the live sandbox"
    assert ran.figures(), "the queue-age chart"
    assert "ResourceNotFoundException" in ran.text(), "the errors-as-data example"


CHECKS: dict[str, Callable[[Ran], None]] = {
    "01-quickstart": check_quickstart,
    "02-fleet-queue-health": check_queue_health,
    "03-operating-executions": check_operating,
    "04-rollout-history": check_history,
    "05-connecting-to-aws": check_aws,
}


# --------------------------------------------------------------------------- the tests
def test_the_notebooks_are_the_ones_the_generator_writes() -> None:
    assert [path.stem for path in NOTEBOOKS] == list(CHECKS)
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_is_committed_clean_with_parameters(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert not any(cell.outputs or cell.execution_count for cell in code), "committed with outputs"
    assert "widgets" not in notebook.metadata
    source = parameters_cell(notebook).source
    for name in ("fleet_size", "seed", "endpoint"):
        assert f"{name} = " in source, f"parameter {name} missing"
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_and_shows_its_story(path: Path, tmp_path: Path) -> None:
    ran = execute(path, tmp_path)
    check_common(ran, path.name)
    CHECKS[path.stem](ran)


@pytest.mark.slow
def test_aws_notebook_asked_for_aws_without_credentials_falls_back_to_the_sandbox(
    tmp_path: Path,
) -> None:
    nowhere = str(tmp_path / "none")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=nowhere,
        AWS_SHARED_CREDENTIALS_FILE=nowhere,
        AWS_EC2_METADATA_DISABLED="true",
    )
    ran = execute(
        ROOT / "notebooks" / "05-connecting-to-aws.ipynb", tmp_path, "use_aws = True", env
    )
    check_common(ran, "05 with use_aws=True")
    assert "use_aws is set but boto3 found no credentials: using the sandbox instead." in ran.text()
    assert "no AWS account used" in ran.text()


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A notebook that errors, or shows no chart, fails the checks (nothing passes vacuously)."""
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('no chart here')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="no chart here")]
    notebook.cells = [cell]
    with pytest.raises(AssertionError):
        check_quickstart(Ran(notebook, tmp_path, 0.0))
    cell.outputs.append(nbformat.v4.new_output("error", ename="ValueError", evalue="bad"))
    with pytest.raises(AssertionError, match="ValueError"):
        check_common(Ran(notebook, tmp_path, 0.0), "broken")
