"""Which client call feeds which chart: what :func:`jobsnb.charts.live` fetches on refresh.

A chart function declares its sources with :func:`feeds`; the first is its default.

Examples
--------
>>> from jobsnb.charts import queue_age, status_distribution
>>> from jobsnb.charts._sources import sources_of
>>> sources_of(queue_age), sources_of(status_distribution)
(('pending',), ('pending', 'executions', 'job_summary'))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

import pandas as pd

__all__ = ["FETCHES", "TARGETS", "feeds", "sources_of"]

Chart = TypeVar("Chart", bound=Callable[..., Any])

#: Each source's fetch, quiet (no progress bar, errors only in ``frame.jobsnb.errors``).
FETCHES: Final[dict[str, Callable[[Any, list[str]], pd.DataFrame]]] = {
    "pending": lambda client, things: client.pending(things, progress=False, on_error="ignore"),
    "executions": lambda client, jobs: client.executions(jobs, progress=False, on_error="ignore"),
    "described": lambda client, jobs: client.executions(
        jobs, describe=True, progress=False, on_error="ignore"
    ),
    "job_summary": lambda client, jobs: client.job_summary(jobs, progress=False, on_error="ignore"),
}
#: What each source is asked about: ``things`` or ``jobs`` (job ids).
TARGETS: Final = {
    "pending": "things",
    "executions": "jobs",
    "described": "jobs",
    "job_summary": "jobs",
}


def feeds(*sources: str) -> Callable[[Chart], Chart]:
    """Mark a chart function as drawn from the frames of ``sources`` (the first is the default)."""
    unknown = [s for s in sources if s not in FETCHES]
    if unknown or not sources:
        raise ValueError(f"unknown chart sources {unknown}; known: {', '.join(FETCHES)}")

    def mark(chart: Chart) -> Chart:
        chart.__jobsnb_sources__ = sources  # type: ignore[attr-defined]
        return chart

    return mark


def sources_of(chart: Callable[..., Any]) -> tuple[str, ...]:
    """The sources ``chart`` declared with :func:`feeds`; ``()`` for charts that cannot go live."""
    return tuple(getattr(chart, "__jobsnb_sources__", ()))
