"""Frames at scale: building the pending frame, and listing a job's 1,000,000 executions.

Two measurements (``--section pending``, ``--section listing``; both by default).

**pending** builds the typed pending frame from in-memory dicts, on the same input (by default
1,000,000 JobExecutionSummary dicts: 100,000 things, each with 1 IN_PROGRESS and 9 QUEUED
executions, the most GetPendingJobExecutions returns):

* **fast**: :func:`jobsnb.frames.summaries_frame` (one pass per field into numpy arrays, Int64
  from value + mask, datetimes from int64 nanoseconds, status from category codes);
* **naive**: :func:`naive_pending_frame`, the obvious pandas code: ``pd.json_normalize`` over the
  dicts, ``pd.to_datetime(..., unit="s", utc=True)`` per time column, ``.astype(STATUS_DTYPE)``,
  snake_case renames, the derived columns with ordinary pandas operations, and a final
  ``.astype`` to the schema's dtypes, so that both produce the same typed frame;
* best of ``--repeat`` runs each (timeit's rule: other work on the machine only slows a run
  down), with the garbage collector paused during a run as timeit does, the ratio naive/fast
  (target >= 3), and a check that the two frames are equal (values, dtypes, column order).

**listing** reads one job's executions over HTTP from a :class:`~jobsnb.service.LocalJobsService`
holding them (by default 1,000,000: one job on a group of 1,000,000 things, a quarter of them
IN_PROGRESS, a quarter SUCCEEDED, a twentieth FAILED, the rest QUEUED), built through
``service.backend`` in a server subprocess (building it over HTTP would take many minutes) which
then prints its resident memory (VmRSS, target < 1 GB). Each variant then runs ``--repeat`` times,
alternating, each time in a fresh client subprocess, so that one's memory never counts against
the other and the client's numbers hold nothing of the server's:

* **fleet**: ``jobsnb.connect(url, control_per_second=1e6).executions(job)``, the typed frame
  (:data:`~jobsnb.frames.JOB_EXECUTION_COLUMNS`). The budget is lifted so that both variants make
  their calls back to back; at AWS's default quota (10 control-plane calls/s) the 4,000 pages of
  a 1,000,000-execution job take 400 s whatever the client does;
* **paginator**: the plain boto3 way, ``get_paginator("list_job_executions_for_job")`` with
  ``PageSize=250`` (the same calls; boto3's default asks 50 at a time), every
  ``executionSummaries`` into one list, then ``pd.json_normalize``: an untyped frame (object
  columns of datetimes and ARNs), so it does less than the fleet variant;
* for each: wall time; the CPU time of the client process and of the server meanwhile (on a busy
  machine wall time drifts by tens of percent, CPU time much less); peak memory as VmHWM from
  /proc/self/status, reset (``clear_refs``) just before the call, shown above the process's
  resident memory at that moment (Python, pandas and boto3 loaded, client made, one warm-up call
  done); the frame's own size (``memory_usage(deep=True)``); a check that the fleet frame has
  every execution once with the service's statuses. Figures are ranges (min-max) over the runs,
  ratios fleet/paginator of the best runs. The server process imports no pandas, like
  ``jobsnb serve``, so its resident memory is the service's.

Run it::

    .venv/bin/python benchmarks/frames.py                       # both, 1,000,000 rows each, ~8 min
    .venv/bin/python benchmarks/frames.py --quick               # both, 100,000 rows each, ~1 min
    .venv/bin/python benchmarks/frames.py --section listing --executions 300000 --repeat 3
    .venv/bin/python benchmarks/frames.py --section pending --rows 10000

It is a measurement: it exits 0 unless a frame is wrong (a target missed prints a MISS line).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.service_throughput import _client, _cpu_seconds, _rss_bytes

# pandas (and jobsnb.frames, which imports it) load where they are used: the server subprocess
# runs this file too, and should hold what ``jobsnb serve`` holds, not pandas' ~90 MB.
if TYPE_CHECKING:
    import pandas as pd

TARGET = 3.0
MEMORY_TARGET = 1_000_000_000  # the service's bytes for 1,000,000 executions
LISTING_JOB = "fleet-rollout"
VARIANTS = ("fleet", "paginator")
SNAPSHOT = "2023-11-14 23:00:00Z"
WIRE_KEYS = ["jobId", "queuedAt", "startedAt", "lastUpdatedAt", "versionNumber", "executionNumber"]
T0 = 1_700_000_000


# ---------------------------------------------------------------------------- pending
def naive_pending_frame(
    thing_names: Sequence[str],
    summaries: Sequence[Mapping[str, Any]],
    statuses: Sequence[str],
    snapshot_at: pd.Timestamp,
) -> pd.DataFrame:
    """The pending frame built the obvious pandas way (the baseline, and the tests' oracle)."""
    import pandas as pd

    from jobsnb.frames import PENDING_COLUMNS, STATUS_DTYPE

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
    import pandas as pd

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


def run_pending(rows: int, repeat: int) -> bool:
    """The pending section; False when the two frames differ."""
    import pandas as pd

    from jobsnb.frames import summaries_frame

    snapshot = pd.Timestamp(SNAPSHOT)
    thing_names, summaries, statuses = fleet_input(rows)
    print(f"pending frame: {rows:,} summaries, {len(set(thing_names)):,} things")
    fast_s, fast = best_of(
        repeat, lambda: summaries_frame(thing_names, summaries, statuses, snapshot)
    )
    naive_s, naive = best_of(
        repeat, lambda: naive_pending_frame(thing_names, summaries, statuses, snapshot)
    )
    ratio = naive_s / fast_s
    print(f"  summaries_frame            best of {repeat}: {fast_s * 1000:8.1f} ms")
    print(f"  naive (json_normalize ...) best of {repeat}: {naive_s * 1000:8.1f} ms")
    verdict = "PASS" if ratio >= TARGET else "MISS"
    print(f"{verdict}  ratio naive/fast: {ratio:.1f}x (target >= {TARGET:.0f}x)")
    try:
        pd.testing.assert_frame_equal(fast, naive)
    except AssertionError as error:
        print(f"  frames equal: NO\n{error}")
        return False
    print(f"  frames equal: yes ({len(fast):,} rows x {fast.shape[1]} columns, values and dtypes)")
    return True


# ---------------------------------------------------------------------------- listing
def _planned_status(index: int) -> str:
    if index % 20 == 3:
        return "FAILED"
    return ("QUEUED", "IN_PROGRESS", "SUCCEEDED", "QUEUED")[index % 4]


def serve_job(executions: int) -> int:
    """Serve one job with ``executions`` executions; print a JSON line; serve until stdin closes."""
    from jobsnb.service import LocalJobsService

    service = LocalJobsService(port=0)
    backend = service.backend
    gc.collect()
    before = _rss_bytes()
    started = time.perf_counter()
    backend.create_thing_group("fleet")
    names = [f"sensor-{index:07d}" for index in range(executions)]
    for name in names:
        backend.create_thing(name)
        backend.add_thing_to_thing_group("fleet", name)
    backend.create_job(LISTING_JOB, [backend.group_arn("fleet")], '{"operation":"bench"}')
    for index, name in enumerate(names):
        status = _planned_status(index)
        if status != "QUEUED":
            backend.update_job_execution(name, LISTING_JOB, status)
    del names
    build_seconds = time.perf_counter() - started
    gc.collect()
    after = _rss_bytes()
    counts = backend.describe_job(LISTING_JOB).counts
    with service:
        line = {
            "url": service.url,
            "build_seconds": build_seconds,
            "rss_before": before["VmRSS"],
            "rss_after": after["VmRSS"],
            "statuses": {status: n for status, n in counts.items() if n},
        }
        print(json.dumps(line), flush=True)
        sys.stdin.read()  # the parent closes it to stop the server
    return 0


def _list_with_fleet(url: str) -> Callable[[], pd.DataFrame]:
    import jobsnb

    client = jobsnb.connect(url, control_per_second=1e6)
    client.control.list_job_executions_for_job(jobId=LISTING_JOB, maxResults=1)
    return lambda: client.executions(LISTING_JOB, progress=False, on_error="raise")


def _list_with_paginator(url: str) -> Callable[[], pd.DataFrame]:
    import pandas as pd

    iot = _client("iot", url)
    iot.list_job_executions_for_job(jobId=LISTING_JOB, maxResults=1)

    def listing() -> pd.DataFrame:
        paginator = iot.get_paginator("list_job_executions_for_job")
        summaries: list[dict[str, Any]] = []
        for page in paginator.paginate(jobId=LISTING_JOB, PaginationConfig={"PageSize": 250}):
            summaries.extend(page["executionSummaries"])
        return pd.json_normalize(summaries)

    return listing


def measure(variant: str, url: str) -> int:
    """One variant's run in this fresh process: print a JSON line of its time and memory."""
    listing = (_list_with_fleet if variant == "fleet" else _list_with_paginator)(url)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS, so the peak is this call's
    start = _rss_bytes()["VmRSS"]
    cpu, started = time.process_time(), time.perf_counter()
    frame = listing()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _rss_bytes()["VmHWM"]
    status = frame["status" if variant == "fleet" else "jobExecutionSummary.status"]
    line = {
        "seconds": seconds,
        "cpu": cpu,
        "start": start,
        "peak": peak,
        "frame_bytes": int(frame.memory_usage(deep=True).sum()),
        "rows": len(frame),
        "distinct_things": int(frame.iloc[:, 1 if variant == "fleet" else 0].nunique()),
        "statuses": {str(k): int(n) for k, n in status.value_counts().items() if n},
    }
    print(json.dumps(line), flush=True)
    return 0


def _run_variant(variant: str, url: str, server: int) -> dict[str, Any]:
    """One ``--measure`` subprocess's JSON line, with the CPU the server spent meanwhile."""
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", variant, "--url", url]
    before = _cpu_seconds(server)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result | {"server_cpu": _cpu_seconds(server) - before}


def _mb(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


def _spread(runs: Sequence[dict[str, Any]], value: Callable[[dict[str, Any]], float]) -> str:
    """``min-max`` of ``value`` over ``runs``, in seconds or MB (by magnitude)."""
    low, high = min(map(value, runs)), max(map(value, runs))
    if low > 1e5:
        return f"{low / 1e6:,.0f}-{high / 1e6:,.0f} MB"
    return f"{low:.1f}-{high:.1f} s"


def _peak(run: dict[str, Any]) -> float:
    return float(run["peak"] - run["start"])


def _listing_report(executions: int, info: dict[str, Any], served: dict[str, int]) -> float:
    """Print the service's memory; return its RSS at (or projected to) 1,000,000 executions."""
    held = info["rss_after"] - info["rss_before"]
    print(
        f"  service: built in {info['build_seconds']:.0f} s through service.backend; RSS "
        f"{_mb(info['rss_before'])} empty, {_mb(info['rss_after'])} holding the job and its "
        f"things ({held / executions:,.0f} B per execution + thing); after the listings "
        f"{_mb(served['VmRSS'])} (peak {_mb(served['VmHWM'])})"
    )
    return float(info["rss_before"] + held * 1_000_000 / executions)


def run_listing(executions: int, repeat: int) -> bool:
    """The listing section; False when the fleet frame is not the service's executions."""
    print(f"listing: one job, {executions:,} executions, built in a server subprocess ...")
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-job", str(executions)]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as server:
        assert server.stdin is not None
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        runs: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
        for round_ in range(repeat):
            for variant in VARIANTS[round_ % 2 :] + VARIANTS[: round_ % 2]:
                runs[variant].append(_run_variant(variant, info["url"], server.pid))
        served = _rss_bytes(server.pid)
        server.stdin.close()
    memory = _listing_report(executions, info, served)
    print(f"  client, {repeat} run(s) of each in a fresh process (min-max):")
    header = ("wall", "client CPU", "server CPU", "peak above start", "start", "frame")
    print("  " + " " * 11 + "".join(f"{name:>18}" for name in header))
    columns: list[Callable[[dict[str, Any]], float]] = [
        lambda r: r["seconds"],
        lambda r: r["cpu"],
        lambda r: r["server_cpu"],
        _peak,
    ]
    for variant, found in runs.items():
        cells = [_spread(found, value) for value in columns]
        cells += [_mb(min(r["start"] for r in found)), _mb(found[0]["frame_bytes"])]
        print(f"  {variant:<11}" + "".join(f"{cell:>18}" for cell in cells))
    fleet, plain = runs["fleet"], runs["paginator"]
    ratios = [min(map(value, fleet)) / min(map(value, plain)) for value in columns]
    pairs = zip(("wall", "client CPU", "server CPU", "peak"), ratios, strict=True)
    print("  fleet/paginator, best runs: " + ", ".join(f"{n} {r:.2f}x" for n, r in pairs))
    how = "RSS" if executions == 1_000_000 else "RSS projected to 1,000,000 executions"
    verdict = "PASS" if memory < MEMORY_TARGET else "MISS"
    print(f"{verdict}  service {how}: {_mb(memory)} (target < {_mb(MEMORY_TARGET)})")
    whole = all(
        run["rows"] == run["distinct_things"] == executions and run["statuses"] == info["statuses"]
        for run in fleet
    )
    print(f"  fleet frames = the service's executions (rows, things, statuses): {whole}")
    return whole


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=("all", "pending", "listing"), default="all")
    parser.add_argument("--quick", action="store_true", help="100,000 rows and executions")
    parser.add_argument("--rows", type=int, default=None, help="pending summaries (default 1e6)")
    parser.add_argument("--executions", type=int, default=None, help="listed (default 1e6)")
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs of each (default 3; 2 listing)"
    )
    parser.add_argument("--serve-job", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=VARIANTS, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_job is not None:
        return serve_job(args.serve_job)
    if args.measure is not None:
        return measure(args.measure, args.url)
    size = 100_000 if args.quick else 1_000_000
    ok = True
    if args.section in ("all", "pending"):
        ok &= run_pending(args.rows or size, args.repeat or 3)
    if args.section in ("all", "listing"):
        ok &= run_listing(args.executions or size, args.repeat or 2)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
