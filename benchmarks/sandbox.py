"""The sandbox fleet at scale: populate N things and run a full rollout, against a 60 s target.

What it measures, in one process (the way a notebook runs ``jobsnb.sandbox``):

* **populate**: ``jobsnb.sandbox(things=N, warm_up=0)``: the local service started, the groups,
  N CreateThing (with attributes) and 2N AddThingToThingGroup over HTTP through boto3's control
  plane (worker processes from 2,000 things), the first job launched;
* **rollout**: ``advance_until_settled()``: simulated time advanced until every job is done as far
  as the plan goes (SNAPSHOT jobs COMPLETED or CANCELED, nothing QUEUED or IN_PROGRESS, no
  operator action left), with every device call an HTTP request to the service;
* HTTP requests answered by the service in each phase, calls/s, the simulated time covered, and
  the final executions per status (attempts, as AWS's job counters count them).

The target (the issue's acceptance): populate + rollout of 10,000 things in under 60 s.

Run it::

    .venv/bin/python benchmarks/sandbox.py                  # 10,000 things, ~45 s
    .venv/bin/python benchmarks/sandbox.py --things 1000    # smoke, a few seconds

It is a measurement: it exits 0 even when the target is missed, and prints a MISS line.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import jobsnb
from jobsnb.limits import STATUSES

TARGET_SECONDS = 60.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--things", type=int, default=10_000, help="devices (default 10,000)")
    parser.add_argument("--seed", type=int, default=0, help="fleet seed (default 0)")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    sb = jobsnb.sandbox(things=args.things, seed=args.seed, warm_up=0)
    populated = time.perf_counter()
    with sb:
        populate_calls = sb.service.request_count
        sb.advance_until_settled()
        finished = time.perf_counter()
        rollout_calls = sb.service.request_count - populate_calls
        counts = sb.status_counts()
        settled = sb.fleet.settled()
        simulated = sb.elapsed
        things = len(sb.things)

    populate_s, rollout_s = populated - began, finished - populated
    total = populate_s + rollout_s
    print(
        f"sandbox: {args.things:,} things (+{things - args.things} enrolled later), "
        f"seed {args.seed}, devices on unsigned boto3 clients"
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
    print(f"  total     {total:6.1f} s  (target < {TARGET_SECONDS:.0f} s)")
    print("  executions: " + ", ".join(f"{s} {counts[s]:,}" for s in STATUSES if s in counts))
    print(f"  settled: {settled}")
    passed = total < TARGET_SECONDS and settled
    print(
        f"{'PASS' if passed else 'MISS'}  {args.things:,} things populated and rolled out in "
        f"{total:.1f} s (target < {TARGET_SECONDS:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
