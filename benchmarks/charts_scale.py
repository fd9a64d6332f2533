"""Every chart from 10,000, 100,000 and 1,000,000 rows: figure size and build + serialise time.

What it measures, in one run, for each public chart of :mod:`jobsnb.charts`:

* **size**: ``len(fig.to_json())`` in MB (target: at most 2 MB at every size), what a browser
  tab receives and a saved notebook keeps;
* **time**: the chart call plus ``fig.to_json()``, best of ``--repeat`` runs (timeit's rule:
  other work on the machine only slows a run down), the frame built beforehand;
* **growth**: time at the largest size / time at the smallest (target: at most 25 for 100 times
  the rows), against the smallest size in the same process, so a slow machine slows both.

The frames are synthetic, typed to :mod:`jobsnb.schema` (:func:`pending_frame`,
:func:`executions_frame`, :func:`described_frame`, :func:`history_frame`): four jobs of a
firmware rollout, seeded. The tests draw from the same frames.

Run it (about a minute on a quiet 2-core machine)::

    .venv/bin/python benchmarks/charts_scale.py
    .venv/bin/python benchmarks/charts_scale.py --rows 300 10000 --repeat 1
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import jobsnb.charts as charts
from jobsnb.schema import (
    EXECUTION_COLUMNS,
    JOB_EXECUTION_COLUMNS,
    PENDING_COLUMNS,
    STATUS_DTYPE,
    Column,
)

SNAPSHOT = pd.Timestamp("2026-06-03 12:00", tz="UTC")
JOBS = ("fw-gw100-1-10-0", "fw-gw200-2-4-0", "cert-rotation-2026", "reboot-us-east-1")
#: The job :func:`executions_frame` is of (the timeline draws one job).
TIMELINE_JOB = JOBS[0]
SIZES = (10_000, 100_000, 1_000_000)
TARGET_MB = 2.0
TARGET_GROWTH = 25.0
MINUTE = pd.Timedelta(minutes=1)


def _typed(columns: dict[str, Any], schema: Sequence[Column]) -> pd.DataFrame:
    """``columns`` as a frame with the schema's column order and dtypes."""
    return pd.DataFrame(columns)[[c.name for c in schema]].astype(
        {c.name: c.pandas_dtype for c in schema}
    )


def _things(rows: int) -> list[str]:
    return [f"sensor-{i:07d}" for i in range(rows)]


def _minutes(values: np.ndarray) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.round(values * 60), unit="s")


def pending_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """``rows`` pending executions, one per thing, across :data:`JOBS`: 1 in 5 IN_PROGRESS.

    Queue ages are exponential with a mean of 40 minutes (a long tail of old ones); the running
    ones started a uniform share of their age ago.
    """
    rng = np.random.default_rng(seed)
    age = _minutes(rng.exponential(40, rows))
    running = rng.random(rows) < 0.2
    ran = _minutes(rng.random(rows)) * (age / MINUTE)
    queued_at = SNAPSHOT - age
    started_at = pd.Series(SNAPSHOT - ran).where(running)
    columns = {
        "thing_name": _things(rows),
        "job_id": np.asarray(JOBS)[rng.integers(0, len(JOBS), rows)],
        "status": np.where(running, "IN_PROGRESS", "QUEUED"),
        "queue_position": 0,
        "queued_at": queued_at,
        "started_at": started_at,
        "last_updated_at": started_at.fillna(pd.Series(queued_at)),
        "version_number": np.where(running, 2, 1),
        "execution_number": 1,
        "snapshot_at": SNAPSHOT,
        "queue_age": age,
        "in_progress_for": (SNAPSHOT - started_at).where(running),
    }
    return _typed(columns, PENDING_COLUMNS)


def _rollout(rows: int, rng: np.random.Generator) -> dict[str, Any]:
    """Times and statuses of a rollout over two hours: queued, started, last update."""
    queued_at = SNAPSHOT - pd.Timedelta(hours=2) + _minutes(rng.uniform(0, 115, rows))
    started_at = queued_at + _minutes(rng.exponential(6, rows))
    finished = started_at + _minutes(rng.uniform(5, 40, rows))
    outcome = rng.choice(
        ["SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED"], rows, p=[0.9, 0.05, 0.03, 0.02]
    )
    status = np.where(finished <= SNAPSHOT, outcome, "IN_PROGRESS")
    status = np.where(started_at > SNAPSHOT, "QUEUED", status)
    never_started = status == "QUEUED"
    last = np.minimum(finished, SNAPSHOT)
    return {
        "status": pd.Categorical(status, dtype=STATUS_DTYPE),
        "queued_at": queued_at,
        "started_at": pd.Series(started_at).mask(never_started),
        "last_updated_at": pd.Series(last).mask(never_started, pd.Series(queued_at)),
    }


def executions_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """``rows`` things' executions of :data:`TIMELINE_JOB` (``client.executions``' schema)."""
    rng = np.random.default_rng(seed)
    columns = {
        "job_id": TIMELINE_JOB,
        "thing_name": _things(rows),
        "execution_number": 1,
        "retry_attempt": 0,
        **_rollout(rows, rng),
    }
    return _typed(columns, JOB_EXECUTION_COLUMNS)


def described_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """``rows`` described executions across :data:`JOBS`, reporting ``progress`` as they run.

    Running ones have a timer of up to an hour (``approximate_seconds_before_timed_out``).
    """
    rng = np.random.default_rng(seed)
    rollout = _rollout(rows, rng)
    status = pd.Series(rollout["status"]).astype(str)
    progress = np.where(status == "SUCCEEDED", 100, rng.integers(0, 10, rows) * 10)
    details = [
        {} if s == "QUEUED" else {"progress": f"{p}%"}
        for s, p in zip(status, progress, strict=True)
    ]
    seconds = pd.Series(rng.integers(0, 3600, rows)).where(status == "IN_PROGRESS")
    columns = {
        "thing_name": _things(rows),
        "job_id": np.asarray(JOBS)[rng.integers(0, len(JOBS), rows)],
        "execution_number": 1,
        "status_details": details,
        "approximate_seconds_before_timed_out": seconds.astype("Int64"),
        "version_number": 1,
        **rollout,
    }
    return _typed(columns, EXECUTION_COLUMNS)


def history_frame(rows: int, seed: int = 7, snapshots: int = 24) -> pd.DataFrame:
    """``snapshots`` snapshots, 5 minutes apart, of ``rows / snapshots`` things each."""
    rng = np.random.default_rng(seed)
    things = max(1, rows // snapshots)
    rollout = _rollout(things, rng)
    names = pd.Series(_things(things), dtype="string")
    parts = []
    for step in range(snapshots):
        at = SNAPSHOT - (snapshots - 1 - step) * 5 * MINUTE
        status = np.where(rollout["queued_at"] > at, "QUEUED", "IN_PROGRESS")
        status = np.where(pd.Series(rollout["last_updated_at"]) <= at, rollout["status"], status)
        parts.append(
            pd.DataFrame({"snapshot_at": at, "thing_name": names, "job_id": TIMELINE_JOB})
            .assign(status=pd.Categorical(status, dtype=STATUS_DTYPE))
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True)


#: Each chart, the frame it draws and its call.
CHARTS: dict[str, tuple[Callable[[int], pd.DataFrame], Callable[[pd.DataFrame], go.Figure]]] = {
    "queue_age": (pending_frame, charts.queue_age),
    "execution_timeline": (executions_frame, charts.execution_timeline),
    "status_distribution": (described_frame, charts.status_distribution),
    "rollout_progress": (history_frame, charts.rollout_progress),
    "status_details": (described_frame, lambda frame: charts.status_details(frame, "progress")),
    "time_to_timeout": (described_frame, charts.time_to_timeout),
}


def measure(draw: Callable[[pd.DataFrame], go.Figure], frame: pd.DataFrame, repeat: int) -> Any:
    """Best seconds of ``repeat`` draws + serialisations (GC paused, as timeit), and the MB."""
    best, size = float("inf"), 0
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            size = len(draw(frame).to_json())
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, size / 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3, help="draws of each (default 3)")
    parser.add_argument("--chart", action="append", choices=list(CHARTS), help="default: all")
    args = parser.parse_args(argv)
    sizes = sorted(args.rows)
    header = "".join(f"{n:>10,} rows     " for n in sizes)
    print(f"{'chart':20} {header} growth (time, {sizes[-1] // sizes[0]}x rows)")
    missed = 0
    for name in args.chart or list(CHARTS):
        make, draw = CHARTS[name]
        results = [measure(draw, make(rows), args.repeat) for rows in sizes]
        growth = results[-1][0] / results[0][0]
        cells = "".join(f"{mb:7.3f} MB {s:6.2f} s " for s, mb in results)
        too_big = any(mb > TARGET_MB for _, mb in results)
        too_slow = len(sizes) > 1 and growth > TARGET_GROWTH
        missed += too_big or too_slow
        verdict = "MISSED" if too_big or too_slow else "ok"
        print(f"{name:20} {cells} {growth:6.1f}x  {verdict}")
    print(f"targets: <= {TARGET_MB} MB at every size, time growth <= {TARGET_GROWTH}x")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
