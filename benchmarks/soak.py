"""A soak: mixed fleet operations from many threads, with faults and dropped responses, for long.

What it does, against a ``python -m jobsnb serve --fault-rate F --seed S`` subprocess:

* seeds ``--things`` things and a stream of jobs over the control plane (a new job on every
  thing whenever a round has finished the previous one);
* runs ``--workers`` threads, each owning a disjoint slice of the things, in rounds:
  ``client.pending`` → ``client.start_next`` → two progress reports (``client.update`` to
  IN_PROGRESS with statusDetails, one with ``expected_version="frame"``, one with ``None``) →
  SUCCEEDED, through one :func:`jobsnb.connect` client whose endpoint is a **proxy** on
  127.0.0.1 that forwards every request but, for a fraction ``--drop`` of UpdateJobExecution
  requests, closes the connection instead of returning the service's answer (the update *was*
  applied: an ambiguous write the client must reconcile);
* keeps, per execution, the newest version the client reported, and compares it with the
  service's own ``versionNumber`` (DescribeJobExecution, not through the proxy) when the job is
  retired (finished jobs older than the newest ``KEEP`` are checked, then deleted, so the
  service's state stays bounded) and at the end: **lost** updates (reported, not there) and
  **duplicates** (applied more often than reported) must both be 0;
* samples the service process's resident memory (VmRSS) every ``--sample`` seconds: the drift
  from the first minute to the last must stay flat (within noise, a few MB).

Run it (10 minutes is the issue's floor for the real run)::

    .venv/bin/python benchmarks/soak.py --minutes 10
    .venv/bin/python benchmarks/soak.py --minutes 1 --things 200     # a smoke run

It prints its figures and PASS/MISS lines, and exits 0 either way (a measurement, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jobsnb

REGION = "us-east-1"
ACCOUNT = "123456789012"
CREDENTIALS = {"aws_access_key_id": "soak", "aws_secret_access_key": "soak"}
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=32)
# The checks and the seeding read through the injected faults.
PERSISTENT = Config(retries={"total_max_attempts": 30, "mode": "standard"})
RSS_DRIFT_MB = 25.0  # what "flat" allows over the run, after the first minute's warm-up
KEEP = 30  # jobs kept on the service; older finished ones are checked, then deleted


# ---------------------------------------------------------------------------- the service
@contextlib.contextmanager
def serving(*options: str) -> Iterator[tuple[str, int]]:
    """``python -m jobsnb serve --port 0 *options``; yields (URL, pid)."""
    command = [sys.executable, "-m", "jobsnb", "serve", "--port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        found = re.search(r"https?://\S+", process.stdout.readline())
        if found is None:
            raise RuntimeError("jobsnb serve printed no URL")
        yield found.group(0), process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------- the proxy
class DroppingProxy:
    """A TCP proxy on 127.0.0.1 that loses the answers of some UpdateJobExecution requests.

    The request always reaches the service (so the update is applied); for a fraction ``drop``
    of them the proxy then closes the client's connection instead of forwarding the answer.
    """

    def __init__(self, upstream: str, drop: float, seed: int) -> None:
        host, port = re.match(r"https?://([^:/]+):(\d+)", upstream).groups()  # type: ignore[union-attr]
        self.upstream = (host, int(port))
        self.drop = drop
        self.random = random.Random(seed)
        self.dropped = 0
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0)
        )
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        threading.Thread(target=self.loop.run_forever, name="soak-proxy", daemon=True).start()

    def close(self) -> None:
        """Stop serving, end the connections under way, stop the loop."""

        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _connection(self, client_r: Any, client_w: Any) -> None:
        up_r, up_w = await asyncio.open_connection(*self.upstream)
        lose = asyncio.Event()

        host = f"Host: {self.upstream[0]}:{self.upstream[1]}".encode()

        async def requests() -> None:
            while data := await client_r.read(65536):
                # Ask for the service by its own name, as a reverse proxy would be set up to.
                data = re.sub(rb"(?im)^host: [^\r\n]*", host, data, count=1)
                first = data.split(b"\r\n", 1)[0]
                if (
                    first.startswith(b"POST /things/")
                    and b"/jobs/" in first
                    and self.random.random() < self.drop
                ):
                    lose.set()
                up_w.write(data)
                await up_w.drain()
            up_w.close()

        async def answers() -> None:
            while data := await up_r.read(65536):
                if lose.is_set():
                    self.dropped += 1
                    break  # the answer of an applied update, never delivered
                client_w.write(data)
                await client_w.drain()
            client_w.close()
            up_w.close()

        # Connections end by closing, reset, or cancellation when the proxy stops.
        with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
            await asyncio.gather(requests(), answers())


# ---------------------------------------------------------------------------- the load
class Tally:
    """The newest version the client reported for each (thing, job), and what failed for good."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.versions: dict[tuple[str, str], int] = {}
        self.reported = 0
        self.errors: Counter[str] = Counter()

    def record(self, frame: pd.DataFrame) -> None:
        rows = frame.dropna(subset=["job_id", "version_number"])
        with self.lock:
            self.errors.update(frame.jobsnb.errors["error_code"])
            for key in zip(rows["thing_name"], rows["job_id"], rows["version_number"], strict=True):
                thing, job, version = str(key[0]), str(key[1]), int(key[2])
                self.versions[thing, job] = max(version, self.versions.get((thing, job), 0))
                self.reported += 1


def worker(client: Any, things: Sequence[str], tally: Tally, until: float) -> None:
    """Rounds of pending → start next → two progress reports → SUCCEEDED on ``things``."""
    while time.monotonic() < until:
        tally.record(client.pending(things, progress=False, on_error="ignore"))
        running = client.start_next(things, progress=False, on_error="ignore")
        tally.record(running)
        running = running.dropna(subset=["job_id"])
        if running.empty:
            time.sleep(0.05)  # nothing queued yet: the job feeder is behind
            continue
        for step, expected in ((1, "frame"), (2, None)):
            report = client.update(
                running, "IN_PROGRESS", status_details={"step": str(step)},
                expected_version=expected, progress=False, on_error="ignore",
            )  # fmt: skip
            tally.record(report)
            # What the next report expects: the versions this one answered (where it did).
            running = running.drop(columns="version_number").merge(
                report[["thing_name", "job_id", "version_number"]], on=["thing_name", "job_id"]
            )
        tally.record(client.update(running, "SUCCEEDED", progress=False, on_error="ignore"))


class Checker:
    """Compares the client's newest reported version of each execution with the service's own
    (DescribeJobExecution, straight to the service, not through the proxy)."""

    def __init__(self, url: str, tally: Tally) -> None:
        self.data = boto3.client("iot-jobs-data", endpoint_url=url, region_name=REGION,
                                 config=PERSISTENT, **CREDENTIALS)  # fmt: skip
        self.tally = tally
        self.checked = self.lost = self.duplicates = 0

    def check(self, jobs: set[str] | None = None) -> None:
        """Check (and forget) the executions of ``jobs``, or of every job."""
        with self.tally.lock:
            keys = [k for k in self.tally.versions if jobs is None or k[1] in jobs]
            reported = [self.tally.versions.pop(key) for key in keys]
        for (thing, job), version in zip(keys, reported, strict=True):
            current = self.data.describe_job_execution(thingName=thing, jobId=job)["execution"]
            # Reported but not there: lost. There but never reported (an update applied twice,
            # or applied and reported as failed): a duplicate.
            self.lost += max(0, version - current["versionNumber"])
            self.duplicates += max(0, current["versionNumber"] - version)
        self.checked += len(keys)


def feeder(
    iot: Any, things: Sequence[str], checker: Checker, until: float, stop: threading.Event
) -> int:
    """A new job on every thing whenever none is pending; returns how many jobs it made.

    The service keeps every job it is given, so that memory is state, not a leak; to see a
    leak, finished jobs are checked and deleted once ``KEEP`` newer ones exist, keeping the
    service's state, and so its memory, bounded over the run.
    """
    made = 0
    arns = [f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/{name}" for name in things]
    while time.monotonic() < until and not stop.is_set():
        summaries = iot.list_jobs(status="IN_PROGRESS", maxResults=250)["jobs"]
        if len(summaries) < 2:
            for start in range(0, len(arns), 100):  # CreateJob takes at most 100 targets
                iot.create_job(jobId=f"soak-{made}", targets=arns[start : start + 100],
                               document='{"op":"soak"}')  # fmt: skip
                made += 1
        old = {f"soak-{n}" for n in range(max(0, made - 2 * KEEP), made - KEEP)}
        done = {j["jobId"] for j in iot.list_jobs(status="COMPLETED", maxResults=250)["jobs"]}
        if old & done:
            checker.check(old & done)
            for job_id in old & done:
                iot.delete_job(jobId=job_id, force=True)
        stop.wait(0.5)
    return made


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--things", type=int, default=600)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--drop", type=float, default=0.05)
    parser.add_argument("--sample", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    names = [f"soak-{i:05d}" for i in range(args.things)]
    options = ("--fault-rate", str(args.fault_rate), "--seed", str(args.seed))
    with serving(*options) as (url, pid):
        iot = boto3.client("iot", endpoint_url=url, region_name=REGION, config=NO_RETRIES,
                           **CREDENTIALS)  # fmt: skip
        for name in names:
            iot.create_thing(thingName=name)
        proxy = DroppingProxy(url, args.drop, args.seed)
        client = jobsnb.connect(
            proxy.url, reads_per_second=2000, writes_per_second=2000, control_per_second=100,
            workers=16,
        )  # fmt: skip
        tally = Tally()
        began = time.monotonic()
        until = began + args.minutes * 60
        stop = threading.Event()
        jobs: list[int] = []
        checker = Checker(url, tally)

        def feed() -> None:
            jobs.append(feeder(iot, names, checker, until, stop))

        threads = [threading.Thread(target=feed)]
        share = [names[i :: args.workers] for i in range(args.workers)]
        threads += [threading.Thread(target=worker, args=(client, s, tally, until)) for s in share]
        for thread in threads:
            thread.start()
        samples = [(0.0, rss_mb(pid))]
        while any(t.is_alive() for t in threads[1:]):
            time.sleep(min(args.sample, max(0.1, until - time.monotonic())))
            samples.append((time.monotonic() - began, rss_mb(pid)))
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        checker.check()
        checked, lost, duplicates = checker.checked, checker.lost, checker.duplicates
        proxy.close()
    warm = [mb for at, mb in samples if at >= min(60.0, elapsed / 2)] or [samples[-1][1]]
    drift = warm[-1] - warm[0]
    print(f"soak: {elapsed / 60:.1f} min, {args.things} things, {args.workers} workers, "
          f"fault rate {args.fault_rate}, dropped answers {args.drop} of updates")  # fmt: skip
    print(f"  jobs created {sum(jobs)}, executions checked {checked}, "
          f"rows reported {tally.reported}, answers dropped {proxy.dropped}")  # fmt: skip
    print(f"  errors for good: {dict(tally.errors) or 'none'}")
    print(f"  service RSS MB: {', '.join(f'{mb:.0f}' for _, mb in samples)}")
    print(f"{'PASS' if checked else 'MISS'}  executions run and checked: {checked}")
    print(f"{'PASS' if lost == 0 else 'MISS'}  lost updates: {lost}")
    print(f"{'PASS' if duplicates == 0 else 'MISS'}  duplicates: {duplicates}")
    print(f"{'PASS' if abs(drift) <= RSS_DRIFT_MB else 'MISS'}  RSS drift after warm-up: "
          f"{drift:+.1f} MB (flat: within {RSS_DRIFT_MB:.0f} MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
