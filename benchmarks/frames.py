"""Building the typed pending frame: ``summaries_frame`` against the naive pandas way.

What it measures, in one run, on the same input (by default 1,000,000 JobExecutionSummary dicts:
100,000 things, each with 1 IN_PROGRESS and 9 QUEUED executions, the most GetPendingJobExecutions
returns):

* **fast**: :func:`jobsnb.frames.summaries_frame` (one pass per field into numpy arrays, Int64
  from value + mask, datetimes from int64 nanoseconds, status from category codes);
* **naive**: :func:`naive_pending_frame`, the obvious pandas code: ``pd.json_normalize`` over the
  dicts, ``pd.to_datetime(..., unit="s", utc=True)`` per time column, ``.astype(STATUS_DTYPE)``,
  snake_case renames, the derived columns with ordinary pandas operations, and a final
  ``.astype`` to the schema's dtypes, so that both produce the same typed frame;
* best of ``--repeat`` runs each (timeit's rule: other work on the machine only slows a run
  down), with the garbage collector paused during a run as timeit does, the ratio naive/fast
  (target >= 3), and a check that the two frames are equal (values, dtypes, column order).

Run it::

    .venv/bin/python benchmarks/frames.py              # 1,000,000 rows, ~20 s
    .venv/bin/python benchmarks/frames.py --rows 10000
"""

from __future__ import annotations

import argparse
import gc
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from jobsnb.frames import PENDING_COLUMNS, STATUS_DTYPE, summaries_frame

TARGET = 3.0
SNAPSHOT = pd.Timestamp("2023-11-14 23:00:00Z")
WIRE_KEYS = ["jobId", "queuedAt", "startedAt", "lastUpdatedAt", "versionNumber", "executionNumber"]
T0 = 1_700_000_000


def naive_pending_frame(
    thing_names: Sequence[str],
    summaries: Sequence[Mapping[str, Any]],
    statuses: Sequence[str],
    snapshot_at: pd.Timestamp,
) -> pd.DataFrame:
    """The pending frame built the obvious pandas way (the baseline, and the tests' oracle)."""
    frame = pd.json_normalize(list(summaries))  # type: ignore[arg-type]
    # A key that no summary has (startedAt when nothing is in progress) gives no column.
    frame = frame.reindex(columns=WIRE_KEYS)
    for key in ("queuedAt", "startedAt", "lastUpdatedAt"):
        frame[key] = pd.to_datetime(frame[key], unit="s", utc=True)
    frame.insert(0, "thingName", list(thing_names))
    frame["status"] = pd.Series(list(statuses), dtype=object).astype(STATUS_DTYPE)
    frame = frame.rename(columns=lambda name: re.sub("([A-Z])", r"_\1", name).lower())
    snapshot = snapshot_at.tz_convert("UTC")
    frame["queue_position"] = frame.groupby("thing_name", sort=False).cumcount()
    frame["snapshot_at"] = snapshot
    frame["queue_age"] = snapshot - frame["queued_at"]
    in_progress = frame["status"] == "IN_PROGRESS"
    frame["in_progress_for"] = (snapshot - frame["started_at"]).where(in_progress)
    names = [column.name for column in PENDING_COLUMNS]
    return frame[names].astype({c.name: c.pandas_dtype for c in PENDING_COLUMNS})


def fleet_input(rows: int) -> tuple[list[str], list[dict[str, int | str]], list[str]]:
    """``rows`` summaries: things with 1 IN_PROGRESS then 9 QUEUED executions each."""
    thing_names: list[str] = []
    summaries: list[dict[str, int | str]] = []
    statuses: list[str] = []
    for row in range(rows):
        thing, position = divmod(row, 10)
        summary: dict[str, int | str] = {
            "jobId": f"job-{position}",
            "queuedAt": T0 + 60 * position + thing % 7,
            "lastUpdatedAt": T0 + 60 * position + 30,
            "versionNumber": 1,
            "executionNumber": 1 + thing % 3,
        }
        if position == 0:
            summary["startedAt"] = T0 + 600 + thing % 11
            summary["versionNumber"] = 2
        thing_names.append(f"sensor-{thing:06d}")
        summaries.append(summary)
        statuses.append("IN_PROGRESS" if position == 0 else "QUEUED")
    return thing_names, summaries, statuses


def best_of(repeat: int, build: Callable[[], pd.DataFrame]) -> tuple[float, pd.DataFrame]:
    """Best wall time of ``repeat`` runs (GC paused during each, as timeit does), last result."""
    best = float("inf")
    frame = pd.DataFrame()
    for _ in range(repeat):
        del frame
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            frame = build()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, frame


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="summaries (default 1e6)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    args = parser.parse_args(argv)

    thing_names, summaries, statuses = fleet_input(args.rows)
    print(f"input: {args.rows:,} summaries, {len(set(thing_names)):,} things")
    fast_s, fast = best_of(
        args.repeat, lambda: summaries_frame(thing_names, summaries, statuses, SNAPSHOT)
    )
    naive_s, naive = best_of(
        args.repeat, lambda: naive_pending_frame(thing_names, summaries, statuses, SNAPSHOT)
    )
    ratio = naive_s / fast_s
    print(f"summaries_frame            best of {args.repeat}: {fast_s * 1000:8.1f} ms")
    print(f"naive (json_normalize ...) best of {args.repeat}: {naive_s * 1000:8.1f} ms")
    verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
    print(f"ratio naive/fast: {ratio:.1f}x (target >= {TARGET:.0f}x): {verdict}")
    try:
        pd.testing.assert_frame_equal(fast, naive)
    except AssertionError as error:
        print(f"frames equal: NO\n{error}")
        return 1
    print(f"frames equal: yes ({len(fast):,} rows x {fast.shape[1]} columns, values and dtypes)")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
