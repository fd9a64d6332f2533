"""Fixtures of the browser tests: a JupyterLab server of the venv's own on a free port, with
throwaway settings, runtime and workspace dirs (the chromium they drive, ``browser``, is the
whole suite's: tests/conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture then skips (or fails in CI) with what to install
    PlaywrightTimeout = TimeoutError

# JupyterLab asks about news in a toast that can cover the notebook.
NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}
# On a loaded machine JupyterLab may open a notebook before it has the kernel list and then asks
# "Select Kernel" in a modal dialog that swallows the next clicks; this starts the notebook's own.
AUTOSTART_KERNEL = {"autoStartDefaultKernel": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Lab:
    """A running JupyterLab: its URL and the directory it serves."""

    url: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def delete_sessions(self) -> None:
        """Shut down every kernel session, so each test starts from a fresh kernel."""
        with urllib.request.urlopen(f"{self.url}/api/sessions", timeout=10) as answer:
            sessions = json.load(answer)
        for session in sessions:
            request = urllib.request.Request(
                f"{self.url}/api/sessions/{session['id']}", method="DELETE"
            )
            urllib.request.urlopen(request, timeout=10).close()

    def start_session(self, path: str) -> None:
        """Start a fresh python3 kernel for the notebook at ``path`` before the page opens it:
        JupyterLab then joins this session instead of asking which kernel to start."""
        body = json.dumps({"path": path, "name": path, "type": "notebook",
                           "kernel": {"name": "python3"}})  # fmt: skip
        request = urllib.request.Request(
            f"{self.url}/api/sessions",
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=30).close()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """JupyterLab serving ``tmp_path/work``, ready; stopped (by its PID) afterwards."""
    root = tmp_path / "work"
    root.mkdir()
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(NO_NEWS))
    notebooks = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    notebooks.mkdir(parents=True)
    (notebooks / "tracker.jupyterlab-settings").write_text(json.dumps(AUTOSTART_KERNEL))
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
    }
    log = tmp_path / "lab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        "--ip", "127.0.0.1", "--port", str(port), "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited at start:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start in 60 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield Lab(url, root, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def write_notebook(root: Path, name: str, cells: list[str]) -> Path:
    """A notebook of code ``cells`` at ``root / name``, for the python3 kernel."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in cells]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = root / name
    nbformat.write(notebook, path)
    return path


def shoot(target: Any, name: str, tmp_path: Path) -> None:
    """Screenshot ``target`` (a page or a locator) into ``tmp_path``, and keep a copy in
    ``JOBSNB_SCREENSHOT_DIR`` when it is set (to look at it)."""
    path = tmp_path / name
    target.screenshot(path=str(path))
    keep = os.environ.get("JOBSNB_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)


def open_and_run_all(page: Any, lab: Lab, name: str) -> None:
    """Open the notebook ``name`` on a fresh kernel and Run All Cells."""
    lab.delete_sessions()
    lab.start_session(name)
    page.goto(f"{lab.url}/lab/tree/{name}?reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']")
    run_all(page)


#: The code cells' prompts: how many have run ("[3]:") and how many are running or queued ("[*]:").
PROMPTS = (
    "() => { const t = [...document.querySelectorAll("
    "'.jp-NotebookPanel .jp-Cell.jp-CodeCell .jp-InputArea-prompt')]"
    ".map(p => p.textContent.trim());"
    " return {cells: t.length, done: t.filter(x => /^\\[\\d+\\]:$/.test(x)).length,"
    " running: t.filter(x => x === '[*]:').length}; }"
)


def run_all(page: Any, attempts: int = 4) -> None:
    """Run > Run All Cells and wait until every code cell has run.

    On a loaded machine JupyterLab can still be setting up the kernel (or ask which one in a
    dialog) and miss the click, or drop the cells queued behind the first when the kernel's
    connection settles (seen: cell 1 ran, the others stayed ``[ ]`` with the kernel idle).
    Either way no cell is running while some have not run: Run All again (the tests'
    notebooks can run twice).
    """
    # The first time a cell that has run counts as started (a fast one may be done already);
    # again, only a cell running: the cells that ran before are not news.
    started = "s.running > 0 || s.done > 0"
    for _ in range(attempts):
        ask = page.locator(".jp-Dialog", has_text="Select Kernel").locator(".jp-mod-accept")
        if ask.count():
            ask.first.click()  # keep the notebook's own kernel, python3
        try:
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click(timeout=5_000)
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click(timeout=5_000)
            page.wait_for_function(
                f"() => {{ const s = ({PROMPTS})(); return {started}; }}", timeout=10_000
            )
        except PlaywrightTimeout:
            continue
        started = "s.running > 0"
        # Every cell has run, or none is running or queued while some have not run.
        page.wait_for_function(
            f"() => {{ const s = ({PROMPTS})(); return s.done == s.cells || s.running == 0; }}"
        )
        state = page.evaluate(f"() => ({PROMPTS})()")
        if state["done"] == state["cells"]:
            return
    raise AssertionError(f"Run All Cells did not run every cell in {attempts} attempts")
