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
