"""What Binder builds from ``binder/`` alone runs every notebook.

repo2docker (and Docker) cannot run here, so this does what it would do, without them: a fresh
virtual environment gets ``binder/requirements.txt`` and nothing else, ``binder/postBuild``
runs in it from the repository's root (with that environment first on PATH, as in the image),
and then every notebook is executed with a kernel of that environment. A package the
notebooks need but the requirements lack, or a postBuild that does not install jobsnb, fails
here. pip's cache makes the install take seconds after the first run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BINDER = ROOT / "binder"

RUN_NOTEBOOKS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path

    import jobsnb
    import nbformat
    from nbclient import NotebookClient

    here = Path(sys.argv[1])
    probe = nbformat.v4.new_notebook()
    probe.cells = [nbformat.v4.new_code_cell("import sys; print(sys.prefix)")]
    NotebookClient(probe, timeout=60, kernel_name="python3").execute()
    kernel_prefix = probe.cells[0].outputs[0].text.strip()
    assert kernel_prefix == sys.prefix, f"the kernel runs in {kernel_prefix}, not {sys.prefix}"
    for path in sorted(here.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        started = time.monotonic()
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(here)}}).execute()
        errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "error"]
        assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
        print(f"{path.name} ran in {time.monotonic() - started:.1f} s", flush=True)
    """
)

WHERE = textwrap.dedent(
    """
    import sys, json, jobsnb
    print(json.dumps({"prefix": sys.prefix, "jobsnb": jobsnb.__file__}))
    """
)


def run(command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    result = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed ({result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def test_binder_files_are_what_repo2docker_reads() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    assert os.access(BINDER / "postBuild", os.X_OK), "postBuild must be executable"
    requirements = [
        line.split("#")[0].strip()
        for line in (BINDER / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    unpinned = [line for line in requirements if "==" not in line]
    assert not unpinned, f"unpinned requirements: {unpinned}"
    readme = (ROOT / "README.md").read_text()
    assert "mybinder.org/v2/gh/" in readme
    assert "labpath=notebooks%2F01-quickstart.ipynb" in readme


@pytest.mark.slow
def test_a_fresh_environment_from_binder_runs_every_notebook(tmp_path: Path) -> None:
    venv = tmp_path / "binder-env"
    run([sys.executable, "-m", "venv", str(venv)], dict(os.environ), tmp_path, 120)
    bin_dir = venv / "bin"
    env = {
        # Only the fresh environment: nothing of the test's own venv leaks in.
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"} and not key.startswith("JUPYTER")
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # Kernel specs and settings from this environment only, not the user's.
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        IPYTHONDIR=str(tmp_path / "ipython"),
    )
    python = str(bin_dir / "python")
    run([python, "-m", "pip", "install", "--quiet", "-r", str(BINDER / "requirements.txt")],
        env, tmp_path, 900)  # fmt: skip
    run([str(BINDER / "postBuild")], env, ROOT, 600)

    where = run([python, "-c", WHERE], env, tmp_path, 60)
    assert str(venv) in where, f"jobsnb does not come from the binder environment: {where}"
    overrides = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert "fetchNews" in overrides.read_text()

    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    out = run([python, "-c", RUN_NOTEBOOKS, str(notebooks)], env, tmp_path, 600)
    ran = [line for line in out.splitlines() if " ran in " in line]
    assert len(ran) == len(list((ROOT / "notebooks").glob("*.ipynb"))), out
