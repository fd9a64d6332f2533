"""The fleet client's fan-out against plain boto3 loops, and the typed frame against pandas.

What it measures, in one run, each against a ``python -m jobsnb serve`` subprocess seeded over
HTTP through the control plane (one thing group, two jobs on it: 2 pending executions a thing):

1. **latency** (``--latency-ms 20``, like a real region's round trip): ``client.pending`` over
   1,000 things against a plain sequential boto3 loop of GetPendingJobExecutions (target:
   >= 10x faster). The client's default read budget is AWS's quota, 200 requests/s, which alone
   caps 1,000 things at 5 s; the target row uses a raised budget
   (``connect(url, reads_per_second=2000, workers=32)``, as an account with raised quotas would)
   and the default-budget row is printed beside it.
2. **throttled and faulty** (``--throttle-rps 200 --fault-rate 0.05 --seed 1`` and the same
   latency): ``client.pending`` over 2,000 things with the default budget, reporting things/s and
   calls/s against the 200/s quota (target: >= 90 %) and lost things (target: 0); beside it a
   naive loop: 32 threads sharing one boto3 client with botocore's default retries (legacy mode,
   5 attempts) and no rate limit, and how many things it lost (ended with an exception). Calls
   are counted per HTTP attempt with botocore's ``response-received`` event, so retries made
   inside botocore count too.
3. **frames**: building the typed pending frame from 1,000,000 JobExecutionSummary dicts with
   :func:`jobsnb.frames.summaries_frame` against the naive ``json_normalize`` + ``to_datetime`` +
   categorical conversion (``benchmarks/frames.py``'s baseline; target >= 3x), best of
   ``--repeat``.

Run it::

    .venv/bin/python benchmarks/fanout.py            # full: ~2 minutes
    .venv/bin/python benchmarks/fanout.py --quick    # smoke: 200 / 400 things, 100,000 rows

It is a measurement: it prints PASS/MISS lines and exits 0 even when a target is missed. The
service subprocesses are always stopped, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jobsnb
from benchmarks.frames import best_of, fleet_input, naive_pending_frame
from jobsnb.frames import summaries_frame

REGION = "us-east-1"
ACCOUNT = "123456789012"
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
GROUP = "bench-fleet"
JOBS = ("bench-fw", "bench-cfg")
SPEEDUP_TARGET = 10.0
BUDGET_TARGET = 0.90
FRAMES_TARGET = 3.0
SEED_THREADS = 32
NAIVE_THREADS = 32


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# ---------------------------------------------------------------------------- the service
@contextlib.contextmanager
def serving(*options: str) -> Iterator[str]:
    """``python -m jobsnb serve --port 0 *options`` in a subprocess; yields its URL."""
    command = [sys.executable, "-m", "jobsnb", "serve", "--port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"https?://\S+", line)
        if found is None:
            raise RuntimeError(f"jobsnb serve printed no URL: {line!r}")
        yield found.group(0)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def boto_client(service: str, url: str, config: Config) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, config=config, **CREDENTIALS)


def seed(url: str, count: int) -> list[str]:
    """``count`` things in one group and the JOBS on the group, in parallel (the control plane
    is neither throttled nor faulted, but it has the service's latency)."""
    iot = boto_client(
        "iot",
        url,
        Config(retries={"total_max_attempts": 1}, max_pool_connections=SEED_THREADS),
    )
    names = [f"bench-{i:05d}" for i in range(count)]
    iot.create_thing_group(thingGroupName=GROUP)

    def add(name: str) -> None:
        iot.create_thing(thingName=name)
        iot.add_thing_to_thing_group(thingGroupName=GROUP, thingName=name)

    with ThreadPoolExecutor(SEED_THREADS) as pool:
        list(pool.map(add, names))
    for job_id in JOBS:
        iot.create_job(
            jobId=job_id,
            targets=[f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/{GROUP}"],
            document='{"operation":"benchmark"}',
        )
    return names


class CallCounter:
    """Counts every HTTP attempt of a boto3 client by outcome (HTTP status or exception name),
    botocore's own retries included."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        client.meta.events.register("response-received", self._received)

    def _received(self, response_dict: Any = None, exception: Any = None, **_: Any) -> None:
        if response_dict is not None:
            key = str(response_dict["status_code"])
        else:
            key = type(exception).__name__ if exception is not None else "none"
        with self._lock:
            self.counts[key] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def admitted(self) -> int:
        """Calls the service's quota bucket let through (all but the 429s)."""
        return self.total - self.counts["429"]


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


# ---------------------------------------------------------------------------- 1. latency
def sequential_loop(url: str, names: Sequence[str]) -> int:
    """The plain way: one boto3 client, one call after another. Returns executions found."""
    data = boto_client("iot-jobs-data", url, Config(retries={"total_max_attempts": 1}))
    found = 0
    for name in names:
        response = data.get_pending_job_executions(thingName=name)
        found += len(response["inProgressJobs"]) + len(response["queuedJobs"])
    return found


def bench_latency(args: argparse.Namespace) -> None:
    count = args.things
    print(f"\n1. pending over {count:,} things, service latency {args.latency_ms:g} ms")
    with serving("--latency-ms", str(args.latency_ms)) as url:
        seed_s, names = timed(lambda: seed(url, count))
        print(f"   seeded {count:,} things and {len(JOBS)} jobs in {seed_s:.1f} s")
        expected = len(JOBS) * count
        loop_s, loop_found = timed(lambda: sequential_loop(url, names))
        raised = jobsnb.connect(url, reads_per_second=2000, workers=32)
        raised_s, raised_frame = timed(lambda: raised.pending(names, progress=False))
        default = jobsnb.connect(url)
        default_s, default_frame = timed(lambda: default.pending(names, progress=False))
    rows = [
        ("sequential boto3 loop", loop_s, loop_found),
        ("jobsnb, 2000 reads/s, 32 workers", raised_s, len(raised_frame)),
        ("jobsnb, default 200 reads/s, 16 workers", default_s, len(default_frame)),
    ]
    print(f"   {'':42} {'seconds':>8} {'things/s':>9} {'rows':>6} {'vs loop':>8}")
    for label, seconds, found in rows:
        print(
            f"   {label:42} {seconds:8.2f} {count / seconds:9.0f} {found:6d} "
            f"{loop_s / seconds:7.1f}x"
        )
    speedup = loop_s / raised_s
    complete = loop_found == len(raised_frame) == len(default_frame) == expected
    print(
        f"   {verdict(speedup >= SPEEDUP_TARGET)}: raised budget {speedup:.1f}x the loop "
        f"(target >= {SPEEDUP_TARGET:.0f}x); default budget {loop_s / default_s:.1f}x "
        f"(capped at 200/s by AWS's quota)"
    )
    print(f"   {verdict(complete)}: every run found all {expected:,} pending executions")


# ---------------------------------------------------------------------------- 2. throttled
def naive_threads(url: str, names: Sequence[str]) -> tuple[int, Counter[str], CallCounter]:
    """32 threads, one shared boto3 client, botocore's default (legacy) retries, no budget.
    Returns (executions found, exceptions by name, the client's call counter)."""
    config = Config(retries={"mode": "legacy"}, max_pool_connections=NAIVE_THREADS)
    data = boto_client("iot-jobs-data", url, config)
    counter = CallCounter(data)
    failures: Counter[str] = Counter()
    lock = threading.Lock()

    def one(name: str) -> int:
        try:
            response = data.get_pending_job_executions(thingName=name)
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            with lock:
                failures[code or type(error).__name__] += 1
            return 0
        return len(response["inProgressJobs"]) + len(response["queuedJobs"])

    with ThreadPoolExecutor(NAIVE_THREADS) as pool:
        found = sum(pool.map(one, names))
    return found, failures, counter


def bench_throttled(args: argparse.Namespace) -> None:
    count = args.throttled_things
    rps = args.throttle_rps
    print(
        f"\n2. pending over {count:,} things, service throttled at {rps:g} reads/s, "
        f"{args.fault_rate:.0%} injected 503s, latency {args.latency_ms:g} ms"
    )
    options = ["--throttle-rps", str(rps), "--fault-rate", str(args.fault_rate)]
    options += ["--seed", str(args.seed), "--latency-ms", str(args.latency_ms)]
    with serving(*options) as url:
        seed_s, names = timed(lambda: seed(url, count))
        print(f"   seeded {count:,} things and {len(JOBS)} jobs in {seed_s:.1f} s")
        client = jobsnb.connect(url)  # the default budget: AWS's 200 reads/s
        counter = CallCounter(client.data)
        client_s, frame = timed(lambda: client.pending(names, progress=False, on_error="ignore"))
        time.sleep(1.5)  # let the service's bucket refill before the naive loop
        naive_s, (naive_found, failures, naive_counter) = timed(lambda: naive_threads(url, names))
    errors = frame.jobsnb.errors
    answered = frame["thing_name"].nunique()
    lost = len(errors)
    duplicated = int(frame.duplicated(["thing_name", "job_id"]).sum())
    things_s = count / client_s
    admitted_s = counter.admitted() / client_s
    naive_lost = sum(failures.values())
    header = f"{'seconds':>8} {'things/s':>9} {'calls':>6} {'429s':>5} {'503s':>5} {'lost':>5}"
    print(f"   {'':34} {header}")
    for label, seconds, calls, lost_things in (
        ("jobsnb (default budget 200/s)", client_s, counter, lost),
        (f"naive {NAIVE_THREADS} threads, legacy retries", naive_s, naive_counter, naive_lost),
    ):
        print(
            f"   {label:34} {seconds:8.2f} {count / seconds:9.0f} {calls.total:6d} "
            f"{calls.counts['429']:5d} {calls.counts['503']:5d} {lost_things:5d}"
        )
    print(
        f"   jobsnb: {things_s:.0f} things/s = {things_s / rps:.0%} of {rps:g}/s; calls the quota "
        f"admitted {admitted_s:.0f}/s = {admitted_s / rps:.0%} (all calls incl. 429s: "
        f"{counter.total / client_s:.0f}/s); budget throttles {client.read_budget.throttles}"
    )
    print(
        f"   {verdict(admitted_s >= BUDGET_TARGET * rps)}: jobsnb used {admitted_s / rps:.0%} of "
        f"the {rps:g}/s budget (target >= {BUDGET_TARGET:.0%})"
    )
    print(
        f"   {verdict(lost == 0 and duplicated == 0 and len(frame) == len(JOBS) * count)}: "
        f"jobsnb lost {lost} things, {duplicated} duplicate rows, {len(frame):,} rows for "
        f"{answered:,} things (expected {len(JOBS) * count:,})"
    )
    detail = ", ".join(f"{n} {code}" for code, n in failures.most_common()) or "none"
    print(
        f"   naive loop lost {naive_lost} of {count:,} things ({detail}); found "
        f"{naive_found:,} of {len(JOBS) * count:,} executions"
    )


# ---------------------------------------------------------------------------- 3. frames
def bench_frames(args: argparse.Namespace) -> None:
    rows = args.rows
    print(f"\n3. typed pending frame from {rows:,} summaries (best of {args.repeat})")
    thing_names, summaries, statuses = fleet_input(rows)
    snapshot = pd.Timestamp("2023-11-14 23:00:00Z")
    fast_s, fast = best_of(
        args.repeat, lambda: summaries_frame(thing_names, summaries, statuses, snapshot)
    )
    naive_s, naive = best_of(
        args.repeat, lambda: naive_pending_frame(thing_names, summaries, statuses, snapshot)
    )
    equal = fast.equals(naive) and dict(fast.dtypes) == dict(naive.dtypes)
    print(f"   jobsnb.frames.summaries_frame               {fast_s:8.2f} s")
    print(f"   json_normalize + to_datetime + categorical  {naive_s:8.2f} s")
    ratio = naive_s / fast_s
    same = "yes" if equal else "NO"
    print(
        f"   {verdict(ratio >= FRAMES_TARGET)}: {ratio:.1f}x faster (target >= "
        f"{FRAMES_TARGET:.0f}x); same frame (values and dtypes): {same}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="service latency (20)")
    parser.add_argument("--throttle-rps", type=float, default=200.0, help="quota per group (200)")
    parser.add_argument("--fault-rate", type=float, default=0.05, help="503 probability (0.05)")
    parser.add_argument("--seed", type=int, default=1, help="fault seed (1)")
    parser.add_argument("--things", type=int, default=None, help="part 1 things (1,000)")
    parser.add_argument("--throttled-things", type=int, default=None, help="part 2 (2,000)")
    parser.add_argument("--rows", type=int, default=None, help="part 3 summaries (1,000,000)")
    parser.add_argument("--repeat", type=int, default=None, help="part 3 runs of each (3)")
    parser.add_argument("--parts", default="123", help="which parts to run, e.g. 13 (default: all)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.things = args.things or (200 if quick else 1_000)
    args.throttled_things = args.throttled_things or (400 if quick else 2_000)
    args.rows = args.rows or (100_000 if quick else 1_000_000)
    args.repeat = args.repeat or (1 if quick else 3)
    print(f"jobsnb fan-out benchmark{' (--quick)' if quick else ''}")
    if "1" in args.parts:
        bench_latency(args)
    if "2" in args.parts:
        bench_throttled(args)
    if "3" in args.parts:
        bench_frames(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
