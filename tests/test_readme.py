"""The README documents what the code does."""

from __future__ import annotations

from pathlib import Path

from jobsnb.schema import schema_markdown

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_starts_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:10])
    assert "make lab" in head
    assert "make test" in head


def test_readme_schema_tables_are_the_schema() -> None:
    start = README.index("<!-- schema:start -->\n") + len("<!-- schema:start -->\n")
    end = README.index("<!-- schema:end -->")
    assert README[start:end] == schema_markdown()


def test_readme_ten_line_example_runs_against_the_sandbox(capsys) -> None:  # type: ignore[no-untyped-def]
    import plotly.io

    section = README[README.index("## Ten lines, no AWS account") :]
    block = section[section.index("```python\n") + len("```python\n") : section.index("\n```\n")]
    assert len(block.splitlines()) <= 12
    renderer = plotly.io.renderers.default
    plotly.io.renderers.default = "json"  # fig.show() prints the figure instead of opening a page
    try:
        exec(compile(block, "README.md", "exec"), {})
    finally:
        plotly.io.renderers.default = renderer
    out = capsys.readouterr().out
    assert "queue_age" in out  # the oldest wait per job, printed
    assert "Queue age and in-progress time" in out  # both charts shown
    assert "Status distribution" in out


def _block(heading: str) -> str:
    """The first python code block after ``heading``."""
    section = README[README.index(heading) :]
    start = section.index("```python\n") + len("```python\n")
    return section[start : section.index("\n```\n", start)]


def test_readme_fleet_client_and_charts_blocks_run_against_the_sandbox() -> None:
    import warnings

    import pandas as pd

    namespace: dict[str, object] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(_block("## The fleet client"), "README.md", "exec"), namespace)
    try:
        pending, fleet, done = namespace["pending"], namespace["fleet"], namespace["done"]
        assert isinstance(pending, pd.DataFrame)
        assert isinstance(fleet, pd.DataFrame)
        assert isinstance(done, pd.DataFrame)
        assert not pending.empty
        assert not done.empty
        assert {"region", "model"} <= set(fleet.columns)
        # The typo's warning names the unknown thing's error.
        messages = [str(w.message) for w in caught]
        assert any("ResourceNotFoundException" in m for m in messages), messages
        # The Commands lines: 20 started with no error, each answered or timed out.
        sent = namespace["sent"]
        assert isinstance(sent, pd.DataFrame)
        assert len(sent) == 20
        assert sent.jobsnb.errors.empty
        jobs = namespace["client"].jobs()  # type: ignore[attr-defined]
        assert set(pending["job_id"]) <= set(jobs)
        charts = _block("## Charts").splitlines()
        # The charts block's lines, without the one that needs a Parquet history on disk.
        runnable = [line for line in charts if "read_history" not in line]
        exec(compile("\n".join(runnable), "README.md", "exec"), namespace)
    finally:
        namespace["sb"].close()  # type: ignore[attr-defined]
