"""Draw the README's chart pictures (docs/images/*.png) from the sandbox fleet.

    .venv/bin/python scripts/make_readme_pictures.py [--out docs/images] [--things 400] [--seed 7]

``jobsnb.sandbox()`` (seeded, so the pictures are the same on every run) starts the local IoT
Jobs service with a simulated fleet: hardware models in three regions, firmware updates with
rollout rates, timeouts and retries, a continuous certificate rotation, a reboot, a config
push. The script follows the rollout for two simulated hours in 5-minute steps, keeping a
snapshot of every job's executions at each step (the rollout-progress chart), and takes the
pending, executions and described frames 45 minutes in, mid-rollout (the time-to-timeout
chart describes that moment's running executions); the timeline and the things-vs-attempts
charts show the end. The charts lay out their own titles, legends and axis titles. Writing
PNGs needs kaleido (the ``dev`` group) and a Chrome or Chromium on the machine (Debian:
``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

import jobsnb
import jobsnb.charts as charts
from jobsnb.history import read_history, to_history

STEP = "5min"
STEPS = 24  # two hours
MIDWAY = 9  # 45 minutes in: the step whose frames the other charts draw
WIDTH = 1000
SCALE = 1.5


def job_ids(client: Any) -> list[str]:
    """Every job created so far (ListJobs)."""
    pages = client.control.get_paginator("list_jobs").paginate()
    return sorted(job["jobId"] for page in pages for job in page["jobs"])


def regions(client: Any) -> pd.DataFrame:
    """thing_name → region, from the sandbox's ``region-*`` thing groups."""
    rows = [
        (thing, group.removeprefix("region-"))
        for group in client.groups()
        if group.startswith("region-")
        for thing in client.things(group)
    ]
    return pd.DataFrame(rows, columns=["thing_name", "region"]).drop_duplicates("thing_name")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--things", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        jobsnb.sandbox(things=args.things, seed=args.seed, warm_up=0) as sb,
        tempfile.TemporaryDirectory() as history,
    ):
        client = jobsnb.connect(sb, control_per_second=1000, reads_per_second=1000)
        for step in range(STEPS):
            sb.advance(STEP)
            jobs = job_ids(client)
            to_history(
                client.executions(jobs, progress=False), history, snapshot_at=pd.Timestamp(sb.now)
            )
            if step == MIDWAY:
                pending = client.pending(client.things(), progress=False)
                running = client.describe(
                    pending[pending["status"] == "IN_PROGRESS"], progress=False
                )
                executions = client.executions(jobs, progress=False)
                described = client.executions(jobs, describe=True, progress=False)
        summary = client.job_summary(jobs, progress=False)
        final = client.executions(jobs, progress=False)
        timeline_job = min(
            (job for job in jobs if (executions["job_id"] == job).sum() >= 15),
            key=lambda job: (executions["job_id"] == job).sum(),
        )
        figures = {
            "queue_age": charts.queue_age(
                pending, title="Queue age and in-progress time (pending executions, per job)",
            ),
            "time_to_timeout": charts.time_to_timeout(
                running, title="Time left before timeout (DescribeJobExecution), per job",
            ),
            "status_distribution": charts.status_distribution(
                executions.merge(regions(client), on="thing_name"), facet="region",
                title="Where each job stands, per region (things by latest execution)",
            ),
            "status_distribution_attempts": charts.status_distribution(
                summary, title="Things vs attempts after two hours (retries on the right)",
            ),
            "rollout_progress": charts.rollout_progress(
                read_history(history), facet="job_id", title="Rollout progress over two hours"
            ),
            "execution_timeline": charts.execution_timeline(
                final, job_id=timeline_job,
                title=f"{timeline_job}: queued → started → last update",
            ),
            "status_details": charts.status_details(
                described[described["job_id"].str.startswith("fw-")], "progress",
                facet="job_id", title="Firmware updates: reported progress (statusDetails)",
            ),
        }  # fmt: skip
        for name, figure in figures.items():
            path = args.out / f"{name}.png"
            figure.write_image(path, width=WIDTH, scale=SCALE)
            print(path)


if __name__ == "__main__":
    main()
