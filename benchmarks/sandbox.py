"""The sandbox fleet at scale: populate N things and run a full rollout, against a 60 s target.

What it measures, in one process (the way a notebook runs ``jobsnb.sandbox``):

* **populate**: ``jobsnb.sandbox(things=N, warm_up=0)``: the local service started, the groups
  and N things with their attributes and memberships bulk-loaded through the backend, the first
  job launched over HTTP;
* **rollout**: ``advance_until_settled()``: simulated time advanced until every job is done as far
  as the plan goes (SNAPSHOT jobs COMPLETED or CANCELED, nothing QUEUED or IN_PROGRESS, no
  operator action left), with every device call an HTTP request to the service (pipelined: the
  devices due in the same simulated second send their calls in one batch), and every device
  woken by a ``jobs/notify-next`` message over MQTT (the fleet's one wildcard subscription);
* the notify-next messages the fleet received (and the service sent), and ``notify`` messages
  the broker handled with no subscriber;
* HTTP requests answered in each phase, calls/s, the simulated time covered, the CPU seconds the
  process used (steadier than wall time on a shared machine), and the final executions per
  status (attempts, as AWS's job counters count them);
* **baseline**, in the same run against the same service: a plain boto3 loop of 10,000
  GetPendingJobExecutions (what 10,000 calls cost a boto3 user on this machine); the ratio
  sandbox / baseline says how the sandbox compares, whatever the machine's speed that day.

The target (the issue's acceptance): populate + rollout of 100,000 things in at most 60 s.

Run it::

    .venv/bin/python benchmarks/sandbox.py                   # 100,000 things, about a minute
    .venv/bin/python benchmarks/sandbox.py --things 10000    # 10,000 things, ~10 s

It is a measurement: it exits 0 even when the target is missed, and prints a MISS line.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import boto3

import jobsnb
from jobsnb.limits import STATUSES

TARGET_SECONDS = 60.0
BASELINE_CALLS = 10_000


def boto3_loop(url: str, things: list[str], calls: int = BASELINE_CALLS) -> float:
    """Seconds a plain boto3 loop takes for ``calls`` GetPendingJobExecutions."""
    data = boto3.client(
        "iot-jobs-data",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    data.get_pending_job_executions(thingName=things[0])  # connection and model loaded
    began = time.perf_counter()
    for index in range(calls):
        data.get_pending_job_executions(thingName=things[index % len(things)])
    return time.perf_counter() - began


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--things", type=int, default=100_000, help="devices (default 100,000)")
    parser.add_argument("--seed", type=int, default=0, help="fleet seed (default 0)")
    args = parser.parse_args(argv)

    cpu, began = time.process_time(), time.perf_counter()
    sb = jobsnb.sandbox(things=args.things, seed=args.seed, warm_up=0)
    populated = time.perf_counter()
    with sb:
        populate_calls = sb.service.request_count
        sb.advance_until_settled()
        finished = time.perf_counter()
        cpu = time.process_time() - cpu
        rollout_calls = sb.service.request_count - populate_calls
        counts = sb.status_counts()
        settled = sb.fleet.settled()
        simulated = sb.elapsed
        things = len(sb.things)
        received, notified = sb.fleet.notices.received, dict(sb.service.mqtt.notifications_sent)
        baseline = boto3_loop(sb.url, sb.things)

    populate_s, rollout_s = populated - began, finished - populated
    total = populate_s + rollout_s
    print(
        f"sandbox: {args.things:,} things (+{things - args.things} enrolled later), "
        f"seed {args.seed}, devices pipelining over one HTTP connection"
    )
    print(
        f"  populate  {populate_s:6.1f} s  {populate_calls:>8,} HTTP calls  "
        f"{populate_calls / populate_s:7,.0f} calls/s"
    )
    print(
        f"  rollout   {rollout_s:6.1f} s  {rollout_calls:>8,} HTTP calls  "
        f"{rollout_calls / rollout_s:7,.0f} calls/s  ({simulated} simulated, "
        f"{simulated.total_seconds() / rollout_s:,.0f}x real time)"
    )
    print(
        f"  mqtt      {received:>8,} notify-next received of {notified['notify-next']:,} sent "
        f"({received / rollout_s:,.0f}/s over the rollout), {notified['notify']:,} notify"
    )
    print(f"  total     {total:6.1f} s  ({cpu:.1f} s of CPU; target <= {TARGET_SECONDS:.0f} s)")
    print(
        f"  baseline  {baseline:6.1f} s  a plain boto3 loop of {BASELINE_CALLS:,} "
        f"GetPendingJobExecutions, same service  ->  sandbox / baseline {total / baseline:.2f}"
    )
    print("  executions: " + ", ".join(f"{s} {counts[s]:,}" for s in STATUSES if s in counts))
    print(f"  settled: {settled}")
    passed = total <= TARGET_SECONDS and settled
    print(
        f"{'PASS' if passed else 'MISS'}  {args.things:,} things populated and rolled out in "
        f"{total:.1f} s (target <= {TARGET_SECONDS:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
