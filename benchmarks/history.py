"""History as a dataset: reading a whole history against reading only what a question needs.

What it measures, on a history of ``--snapshots`` (20) snapshots of a ``--things`` (250,000)
thing fleet, one every 3 hours from 2026-11-27 00:00 UTC (so across three ``snapshot_date``
partitions): 5,000,000 rows by default. Each snapshot is an executions frame
(:data:`jobsnb.schema.EXECUTION_COLUMNS`): every thing's latest execution of the one job its
group got, 8 jobs of 31,250 things each, moving from QUEUED through IN_PROGRESS (with a progress
in ``status_details``) to SUCCEEDED, FAILED or TIMED_OUT as the snapshots go by.

1. **write**: the 20 :func:`~jobsnb.history.to_history` calls, and the dataset's size;
2. **reads**, each in a fresh subprocess, ``--repeat`` times, in turn:

   * **full**: ``read_history(path)``, every row (the baseline);
   * **one job, last snapshot**: ``read_history(path, jobs=job, since=last)``;
   * **last 5 snapshots**: ``read_history(path, since=fifth_last)``, a time range;
   * **one job, all snapshots**: ``read_history(path, jobs=job)``;
   * **one thing, all snapshots**: ``read_history(path, things=thing)``;

   for each: wall time, and peak memory as VmHWM from /proc/self/status, reset (``clear_refs``)
   just before the call and shown above the process's resident memory at that moment (Python,
   pandas, pyarrow and jobsnb loaded, and the same read done once on a 128-row history, so that
   one-time costs count against no read); rows, checked against pandas' own filtering of the full
   frame; and the ratios filtered/full of time and of peak memory (targets: one job's last
   snapshot under 5 % of the full read's time and of its memory).

Run it::

    .venv/bin/python benchmarks/history.py                  # 5,000,000 rows, ~2 minutes
    .venv/bin/python benchmarks/history.py --quick          # 25,000 things: 500,000 rows

It is a measurement: it exits 0 unless a read returns the wrong rows.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobsnb.history import read_history, to_history
from jobsnb.schema import EXECUTION_COLUMNS, empty_frame

JOBS = tuple(f"fw-rollout-{n}" for n in range(8))
START = pd.Timestamp("2026-11-27 00:00", tz="UTC")
EVERY = pd.Timedelta(hours=3)
TARGET = 0.05
READS = {
    "full": "every snapshot, every row",
    "job-last": "one job, last snapshot",
    "last-5": "last 5 snapshots",
    "job-all": "one job, all snapshots",
    "thing-all": "one thing, all snapshots",
}


# ---------------------------------------------------------------------------- the history
def snapshot(things: int, index: int, snapshots: int) -> pd.DataFrame:
    """The executions frame at snapshot ``index``: each thing's one execution, further along."""
    rng = np.random.default_rng(index)
    at = START + index * EVERY
    number = np.arange(things)
    # Each thing starts at its own moment and takes its own time; the fleet finishes near the end.
    start_at = (number * 7919 % things) / things * 0.6 * snapshots
    took = 1 + number % 4
    elapsed = index - start_at
    status = np.where(elapsed < 0, "QUEUED", "IN_PROGRESS").astype(object)
    done = elapsed >= took
    outcome = np.select([number % 50 == 0, number % 97 == 0], ["FAILED", "TIMED_OUT"], "SUCCEEDED")
    status[done] = outcome[done]
    progress = np.clip(elapsed / took * 100, 0, 100).round(-1).astype(int)
    details = [
        {} if s == "QUEUED" else {"progress": f"{p}%", "step": "flash" if p < 60 else "verify"}
        for s, p in zip(status, progress, strict=True)
    ]
    queued = START + pd.to_timedelta(rng.integers(0, 600, things), unit="s")
    started = (START + pd.to_timedelta(start_at * EVERY.total_seconds(), unit="s")).where(
        status != "QUEUED"
    )
    updated = pd.Series(started).where(~done, started + pd.to_timedelta(took * 3, unit="h"))
    frame = empty_frame(EXECUTION_COLUMNS).reindex(range(things))
    frame = frame.assign(
        thing_name=[f"device-{n:06d}" for n in number],
        job_id=np.array(JOBS)[number % len(JOBS)],
        execution_number=1,
        status=status,
        status_details=details,
        queued_at=queued,
        started_at=started,
        last_updated_at=updated.fillna(pd.Series(queued)).clip(upper=at),
        approximate_seconds_before_timed_out=pd.Series(3600 - number % 3600, dtype="Int64").where(
            status == "IN_PROGRESS"
        ),
        version_number=np.select([status == "QUEUED", ~done], [1, 2], 3),
    )
    return frame.astype({c.name: c.pandas_dtype for c in EXECUTION_COLUMNS})


def write_history(path: Path, things: int, snapshots: int) -> None:
    stamps = stamps_of(snapshots)
    building = writing = 0.0
    for index, stamp in enumerate(stamps):
        began = time.perf_counter()
        frame = snapshot(things, index, snapshots)
        built = time.perf_counter()
        to_history(frame, path, snapshot_at=stamp)
        building += built - began
        writing += time.perf_counter() - built
    files = sorted(path.rglob("*.parquet"))
    size = sum(f.stat().st_size for f in files)
    partitions = sorted({f.parent.name for f in files})
    print(
        f"write: {snapshots} snapshots x {things:,} things = {snapshots * things:,} rows in "
        f"{writing:.1f} s, {writing / snapshots:.2f} s a snapshot (frames: {building:.1f} s)"
    )
    print(f"       {len(files)} files, {size / 1e6:.0f} MB, partitions {', '.join(partitions)}")


# ---------------------------------------------------------------------------- the reads
def stamps_of(snapshots: int) -> list[pd.Timestamp]:
    return [START + i * EVERY for i in range(snapshots)]


def arguments(read: str, things: int, snapshots: int) -> dict[str, Any]:
    stamps = stamps_of(snapshots)
    return {
        "full": {},
        "job-last": {"jobs": JOBS[3], "since": stamps[-1]},
        "last-5": {"since": stamps[-5]},
        "job-all": {"jobs": JOBS[3]},
        "thing-all": {"things": f"device-{things // 2 + 3:06d}"},
    }[read]


def memory() -> tuple[int, int]:
    """VmRSS and VmHWM (its peak since the last reset) of this process, in bytes."""
    status = Path("/proc/self/status").read_text()
    rss, peak = (int(re.search(rf"{key}:\s+(\d+)", status)[1]) * 1024 for key in ("VmRSS", "VmHWM"))  # type: ignore[index]
    return rss, peak


def measure(path: str, warm_up: str, asked: dict[str, Any]) -> None:
    """One read in this fresh process: print a JSON line of its time, memory and rows."""
    # The same reads of a 2-snapshot, 64-thing history first: lazy imports, pyarrow's thread
    # pools and allocator arenas are then paid for, and count against no read.
    read_history(warm_up)
    read_history(warm_up, **asked)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS: the peak is this read's
    start, _ = memory()
    began = time.perf_counter()
    frame = read_history(path, **asked)
    seconds = time.perf_counter() - began
    _, peak = memory()
    line = {"seconds": seconds, "start": start, "peak": peak, "rows": len(frame)}
    print(json.dumps(line), flush=True)


def expected_rows(full: pd.DataFrame, asked: dict[str, Any]) -> int:
    """Rows of a read, by pandas' own filtering of the full frame."""
    keep = pd.Series(True, index=full.index)
    if "jobs" in asked:
        keep &= full["job_id"] == asked["jobs"]
    if "things" in asked:
        keep &= full["thing_name"] == asked["things"]
    if "since" in asked:
        keep &= full["snapshot_at"] >= asked["since"]
    return int(keep.sum())


def child(path: Path, read: str, things: int, snapshots: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", read, "--path", str(path)]
    command += ["--warm-up", str(path.with_name("warm-up"))]
    command += ["--things", str(things), "--snapshots", str(snapshots)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def span(values: Sequence[float], unit: str) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f} {unit}" if len(values) == 1 else f"{low:.2f}-{high:.2f} {unit}"


def run(things: int, snapshots: int, repeat: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="jobsnb-history-") as folder:
        path = Path(folder) / "history"
        write_history(path, things, snapshots)
        for index, stamp in enumerate(stamps_of(snapshots)[-2:]):
            to_history(snapshot(64, index, 2), path.with_name("warm-up"), snapshot_at=stamp)
        full = read_history(path, columns=["job_id", "thing_name"])
        expected = {read: expected_rows(full, arguments(read, things, snapshots)) for read in READS}
        del full
        runs: dict[str, list[dict[str, Any]]] = {read: [] for read in READS}
        for _ in range(repeat):
            for read in READS:
                runs[read].append(child(path, read, things, snapshots))
    print(f"reads: {repeat} run(s) each, each in a fresh process (min-max)")
    print(f"  {'':<26}{'rows':>10}{'time':>16}{'peak above start':>20}{'time':>9}{'memory':>9}")
    print(f"  {'':<26}{'':>10}{'':>16}{'':>20}{'vs full':>9}{'vs full':>9}")
    best = {read: min(r["seconds"] for r in found) for read, found in runs.items()}
    peak = {read: min(r["peak"] - r["start"] for r in found) for read, found in runs.items()}
    right = True
    for read, found in runs.items():
        rows = {r["rows"] for r in found}
        right &= rows == {expected[read]}
        print(
            f"  {READS[read]:<26}{found[0]['rows']:>10,}"
            f"{span([r['seconds'] for r in found], 's'):>16}"
            f"{span([(r['peak'] - r['start']) / 1e6 for r in found], 'MB'):>20}"
            f"{best[read] / best['full']:>8.1%} {peak[read] / peak['full']:>8.1%}"
        )
    for ratio, what in ((best, "time"), (peak, "peak memory")):
        share = ratio["job-last"] / ratio["full"]
        verdict = "PASS" if share < TARGET else "MISS"
        print(f"{verdict}  one job's last snapshot: {share:.1%} of the full read's {what} (< 5 %)")
    print(f"  rows = pandas' own filtering of the full read: {'yes' if right else 'NO'}")
    return right


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--things", type=int, default=250_000)
    parser.add_argument("--snapshots", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="25,000 things")
    parser.add_argument("--measure", choices=READS, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    things = 25_000 if args.quick else args.things
    if args.measure:
        measure(args.path, args.warm_up, arguments(args.measure, things, args.snapshots))
        return 0
    return 0 if run(things, args.snapshots, args.repeat) else 1


if __name__ == "__main__":
    sys.exit(main())
