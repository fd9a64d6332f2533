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
