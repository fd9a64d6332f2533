"""The fan-out's progress bar in a real IPython kernel (nbclient): an HTML line updated in place
through a display id, blank once the call ended, and never an ipywidget, so no "model not found"
is left under the cell, in the browser or in the saved notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

SETUP = """
import jobsnb
from jobsnb.service import LocalJobsService

service = LocalJobsService(latency_ms=40).start()
names = [f"t{i}" for i in range(60)]
for name in names:
    service.backend.create_thing(name)
client = jobsnb.connect(service, workers=2)  # 60 calls, 2 at a time, 40 ms each: 1.2 s
"""


@pytest.mark.slow
def test_a_slow_fan_out_in_a_kernel_leaves_no_widget_and_no_bar(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell('print("before")\nframe = client.pending(names)\nlen(frame)'),
        nbformat.v4.new_code_cell("len(client.pending(names[:3]))"),  # quick: no bar at all
        nbformat.v4.new_code_cell("service.stop()"),
    ]
    path = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, timeout=120, store_widget_state=True, resources=path).execute()
    outputs = [out for cell in notebook.cells for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    assert not [out for out in outputs if WIDGET_VIEW in out.get("data", {})]
    assert "widgets" not in notebook.metadata  # no widget model was ever made
    slow, quick = notebook.cells[1].outputs, notebook.cells[2].outputs
    # The print before the call stays; the bar was drawn, then blanked in place; the result.
    assert [out.output_type for out in slow] == ["stream", "display_data", "execute_result"]
    assert slow[0].text == "before\n"
    assert slow[1].data == {"text/plain": ""}
    assert slow[2].data["text/plain"] == "0"
    assert [out.output_type for out in quick] == ["execute_result"]
    stderr = [out for out in outputs if out.get("name") == "stderr"]
    assert not stderr, stderr
