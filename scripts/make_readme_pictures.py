"""Draw the README's chart pictures (docs/images/*.png) from a simulated rollout.

    .venv/bin/python scripts/make_readme_pictures.py [--out docs/images]

A local IoT Jobs service on a manual clock gets a fleet of 48 sensors in two sites and three
jobs (a continuous firmware rollout that site-b's sensors join as they come online, a config
push, a rate-limited certificate rotation), created through boto3 like any AWS user would.
Seeded device agents (some quick, some slow, a few offline, a few that stall or fail) work
through them for three hours of service time in 5-minute steps; a snapshot of every job's
executions is kept at each step for the rollout-progress chart. Writing PNGs needs kaleido
(the ``dev`` group) and a Chrome or Chromium on the machine (Debian: ``apt-get install
chromium``).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path
from typing import Any

import boto3
import pandas as pd

import jobsnb
import jobsnb.charts as charts
from jobsnb.history import read_history, to_history
from jobsnb.service import LocalJobsService, ManualClock

START = 1_767_261_600.0  # 2026-01-01 10:00 UTC
STEP_MINUTES = 5
STEPS = 36
ARN = "arn:aws:iot:us-east-1:123456789012:{}/{}"
KEYS = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
TIMEOUTS = {"firmware-2-1": 60, "config-push-7": 45, "cert-rotate-3": 30}
WIDTH = 1000
SCALE = 1.5


def seed(iot: Any) -> list[str]:
    """48 sensors; site-a's 28 are in their group from the start, site-b's join one by one."""
    things = [f"sensor-{i:03d}" for i in range(48)]
    for site in ("site-a", "site-b"):
        iot.create_thing_group(thingGroupName=site)
    for index, name in enumerate(things):
        iot.create_thing(thingName=name)
        if index < 28:
            iot.add_thing_to_thing_group(thingGroupName="site-a", thingName=name)
    iot.create_job(
        jobId="firmware-2-1",
        targets=[ARN.format("thinggroup", "site-a"), ARN.format("thinggroup", "site-b")],
        targetSelection="CONTINUOUS",
        document='{"operation": "firmware", "version": "2.1"}',
        timeoutConfig={"inProgressTimeoutInMinutes": TIMEOUTS["firmware-2-1"]},
        jobExecutionsRetryConfig={
            "criteriaList": [
                {"failureType": "FAILED", "numberOfRetries": 1},
                {"failureType": "TIMED_OUT", "numberOfRetries": 1},
            ]
        },
    )
    return things


def events(iot: Any, things: list[str], step: int) -> list[str]:
    """What happens at ``step`` besides the devices' work; return the jobs created."""
    if step < 20:  # a site-b sensor comes online every 5 minutes and joins its group
        iot.add_thing_to_thing_group(thingGroupName="site-b", thingName=things[28 + step])
    if step == 8:
        iot.create_job(
            jobId="config-push-7",
            targets=[ARN.format("thing", t) for t in things[::2]],
            document='{"operation": "config", "revision": 7}',
            timeoutConfig={"inProgressTimeoutInMinutes": TIMEOUTS["config-push-7"]},
        )
        return ["config-push-7"]
    if step == 26:
        iot.create_job(
            jobId="cert-rotate-3",
            targets=[ARN.format("thinggroup", "site-a")],
            document='{"operation": "rotate-certificate"}',
            timeoutConfig={"inProgressTimeoutInMinutes": TIMEOUTS["cert-rotate-3"]},
            jobExecutionsRolloutConfig={"maximumPerMinute": 1},
        )
        return ["cert-rotate-3"]
    return []


class Device:
    """A device agent: polls now and then, works through a job in a few steps, sometimes fails."""

    def __init__(self, name: str, rng: random.Random) -> None:
        self.name = name
        self.rng = rng
        roll = rng.random()
        # 8% offline, 30% slow pollers, the rest poll about every other step.
        self.poll_chance = 0.0 if roll < 0.08 else 0.12 if roll < 0.38 else 0.5
        self.stalls = rng.random() < 0.05  # starts and then goes quiet: times out
        self.progress: dict[str, int] = {}

    def step(self, data: Any) -> None:
        if self.rng.random() >= self.poll_chance:
            return
        answer = data.start_next_pending_job_execution(
            thingName=self.name, statusDetails={"progress": "0%"}
        )
        execution = answer.get("execution")
        if not execution or self.stalls:
            return
        job = execution["jobId"]
        done = self.progress.get(job, 0) + self.rng.choice((20, 25, 30, 40))
        self.progress[job] = done
        if done < 100:
            data.update_job_execution(
                thingName=self.name, jobId=job, status="IN_PROGRESS",
                statusDetails={"progress": f"{done}%"},
            )  # fmt: skip
            return
        del self.progress[job]
        outcome = self.rng.random()
        status = "SUCCEEDED" if outcome < 0.86 else "FAILED" if outcome < 0.96 else "REJECTED"
        data.update_job_execution(
            thingName=self.name, jobId=job, status=status,
            statusDetails={"progress": "100%" if status == "SUCCEEDED" else f"{done - 20}%"},
        )  # fmt: skip


def simulate(service: LocalJobsService, history: Path) -> tuple[Any, list[str]]:
    """Run the rollout, a snapshot of every job's executions per step; return client, things."""
    iot = boto3.client("iot", endpoint_url=service.url, **KEYS)
    data = boto3.client("iot-jobs-data", endpoint_url=service.url, **KEYS)
    client = jobsnb.connect(service.url)
    things = seed(iot)
    rng = random.Random(7)
    devices = [Device(name, rng) for name in things]
    jobs = ["firmware-2-1"]
    for step in range(STEPS):
        jobs += events(iot, things, step)
        for device in devices:
            device.step(data)
        service.advance(STEP_MINUTES * 60)
        at = pd.Timestamp(service.clock.now(), unit="s", tz="UTC")
        to_history(client.executions(jobs, progress=False), history, snapshot_at=at)
    return client, things


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    jobs = list(TIMEOUTS)
    with (
        LocalJobsService(clock=ManualClock(START)) as service,
        tempfile.TemporaryDirectory() as tmp,
    ):
        client, things = simulate(service, Path(tmp))
        sites = pd.DataFrame({"thing_name": things, "site": ["site-a"] * 28 + ["site-b"] * 20})
        pending = client.pending(things, progress=False)
        executions = client.executions(jobs, progress=False)
        described = client.executions(jobs, describe=True, progress=False)
        summary = client.job_summary(jobs, progress=False)
        figures = {
            "queue_age": charts.queue_age(
                pending, timeouts=TIMEOUTS,
                title="Queue age and in-progress time (pending executions, per job)",
            ),
            "status_distribution": charts.status_distribution(
                executions.merge(sites, on="thing_name"), facet="site",
                title="Where each job stands, per site (things by latest execution)",
            ),
            "status_distribution_attempts": charts.status_distribution(
                summary, title="Things vs attempts: retries show up on the right",
            ),
            "rollout_progress": charts.rollout_progress(
                read_history(tmp), facet="job_id", title="Rollout progress over time"
            ),
            "execution_timeline": charts.execution_timeline(
                executions, job_id="config-push-7",
                title="config-push-7: queued → started → last update",
            ),
            "status_details": charts.status_details(
                described, "progress", facet="job_id", title="Reported progress (statusDetails)"
            ),
        }  # fmt: skip
        for name, figure in figures.items():
            path = out / f"{name}.png"
            figure.write_image(path, width=WIDTH, scale=SCALE)
            print(path)


if __name__ == "__main__":
    main()
