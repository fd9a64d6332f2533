"""Each notebook, run top to bottom in a fresh kernel: cell time, slowest cell, saved size.

What it measures, in one run, for every notebook in ``notebooks/`` (or those named):

* **cells**: the seconds each code cell took (nbclient, one kernel per notebook, widget state
  stored as JupyterLab saves it), their sum (target: under 10 s on a quiet machine) and the
  slowest cell;
* **baseline**: the same for a notebook that only imports jobsnb and starts and closes the
  default sandbox (300 things), in the same process: the ratio notebook / baseline says what a
  notebook costs beyond the fleet every notebook starts;
* **saved**: the executed notebook's size with its widget state (target: under 1 MB), and
  anything written to stderr (there should be nothing).

Run it (a minute on a quiet 2-core machine)::

    .venv/bin/python benchmarks/notebooks.py
    .venv/bin/python benchmarks/notebooks.py notebooks/03-operating-executions.ipynb
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0
TARGET_BYTES = 1_000_000


def run(notebook: nbformat.NotebookNode, workdir: Path) -> tuple[list[float], int, str]:
    """Each code cell's seconds, the saved size and what went to stderr."""
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    seconds = []
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            started = time.perf_counter()
            client.execute_cell(cell, index)
            seconds.append(time.perf_counter() - started)
        client.set_widgets_metadata()
    stderr = "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stderr"
    )
    return seconds, len(nbformat.writes(notebook).encode()), stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    with tempfile.TemporaryDirectory() as scratch:
        baseline = nbformat.v4.new_notebook()
        baseline.cells = [
            nbformat.v4.new_code_cell("import jobsnb, jobsnb.charts, jobsnb.widgets"),
            nbformat.v4.new_code_cell("jobsnb.sandbox(things=300).close()"),
        ]
        base = sum(run(baseline, Path(scratch))[0])
        print(f"baseline (imports, sandbox(things=300) started and closed): {base:.2f} s")
        print(f"{'notebook':32} {'cells':>7} {'slowest':>8} {'x base':>7} {'saved':>9}  stderr")
        for path in paths:
            workdir = Path(scratch) / path.stem
            workdir.mkdir()
            seconds, size, stderr = run(nbformat.read(path, as_version=4), workdir)
            total = sum(seconds)
            flags = ("" if total < TARGET_SECONDS else " OVER 10 s") + (
                "" if size < TARGET_BYTES else " OVER 1 MB"
            )
            print(
                f"{path.stem:32} {total:6.1f}s {max(seconds):7.1f}s {total / base:6.1f}x "
                f"{size / 1e6:7.2f}MB  {'yes' if stderr.strip() else 'none'}{flags}"
            )


if __name__ == "__main__":
    main()
