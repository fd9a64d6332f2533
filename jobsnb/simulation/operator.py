"""The fleet's operator: every control-plane call that builds or changes a simulated fleet.

All of it goes over HTTP through one boto3 ``iot`` client (thread-safe, shared by the pool):
CreateThingGroup, CreateThing with attributes, AddThingToThingGroup, CreateJob, CancelJob,
ListJobExecutionsForJob and RemoveThingFromThingGroup.

Things are created concurrently, but each group's members are added in the plan's order by one
worker: a group's member order is the order a job's rollout releases executions in, so it must
not depend on thread scheduling.

A boto3 call costs ~0.9 ms of CPU in the caller, and with the service in this process the two
share one GIL (~900 calls/s from a thread pool here). So a large fleet (``PROCESS_THRESHOLD``
things or more, on a machine with more than one core) is built from a pool of spawned processes,
each with its own boto3 client and GIL (~2,200 calls/s on 2 cores): still one HTTP request per
thing and per membership, through the same control plane. The workers are ``python -m
jobsnb.simulation.operator URL`` subprocesses fed their share as JSON on stdin, so it works from
notebooks and from scripts without a ``__main__`` guard (which ``multiprocessing`` would need).

Examples
--------
>>> from jobsnb.service import LocalJobsService
>>> from jobsnb.simulation.plan import plan_fleet
>>> with LocalJobsService() as service:
...     operator = FleetOperator(service.url)
...     operator.build(plan_fleet(20, seed=1))
...     service.request_counts["CreateThing"]
20
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jobsnb.client._boto import CONTROL_PLANE, make_client, make_session
from jobsnb.limits import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, MAX_PAGE_SIZE
from jobsnb.simulation.jobs import PlannedJob
from jobsnb.simulation.plan import QUARANTINE_GROUP, Device, FleetPlan

__all__ = ["PROCESS_THRESHOLD", "FleetOperator"]

PROCESS_THRESHOLD = 2_000
#: Things one pool task creates: big enough to amortise the task, small enough to spread.
_CHUNK = 250
_THREADS_PER_PROCESS = 4
_worker_clients: dict[str, Any] = {}


class FleetOperator:
    """Control-plane calls for one fleet, against the service at ``url``.

    Parameters
    ----------
    url
        The service's endpoint URL.
    workers
        Threads (and, for a large fleet, processes) that build the fleet.
    region, account_id
        The service's, for the thing group ARNs that jobs target.

    Examples
    --------
    >>> from jobsnb.service import LocalJobsService
    >>> from jobsnb.simulation.plan import plan_fleet
    >>> plan = plan_fleet(5, seed=1)
    >>> with LocalJobsService() as service:
    ...     operator = FleetOperator(service.url)
    ...     operator.build(plan)
    ...     operator.launch(plan.jobs[0])
    ...     operator.cancel(plan.jobs[0].job_id)
    ...     operator.close()
    ...     service.request_counts["CreateJob"], service.request_counts["CancelJob"]
    (1, 1)
    """

    def __init__(
        self,
        url: str,
        *,
        workers: int = 8,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
    ) -> None:
        self.url = url
        self.workers = workers
        self.iot = make_client(
            CONTROL_PLANE, make_session(), endpoint_url=url, max_pool_connections=workers
        )
        self.group_arn = f"arn:aws:iot:{region}:{account_id}:thinggroup/{{}}"

    def build(self, plan: FleetPlan) -> None:
        """Create the plan's groups and its initially enrolled devices, in their groups.

        Parameters
        ----------
        plan
            The plan: its groups, and its devices with ``enrolled_after == 0``.
        """
        for group in plan.groups:
            self.iot.create_thing_group(thingGroupName=group, **_group_attributes(group))
        devices = plan.initial_devices()
        members: dict[str, list[str]] = {}
        for device in devices:
            for group in device.groups:
                members.setdefault(group, []).append(device.name)
        things = [(d.name, d.attributes) for d in devices]
        # Largest groups first, so the longest sequence of adds starts early.
        groups = sorted(members.items(), key=lambda item: -len(item[1]))
        processes = min(self.workers, os.cpu_count() or 1)
        if len(devices) >= PROCESS_THRESHOLD and processes > 1:
            _in_subprocesses(self.url, [{"things": things[i::processes]} for i in range(processes)])
            shares: list[list[tuple[str, list[str]]]] = [[] for _ in range(processes)]
            for members_of_group in groups:
                lightest = min(shares, key=lambda share: sum(len(names) for _, names in share))
                lightest.append(members_of_group)
            _in_subprocesses(self.url, [{"groups": share} for share in shares])
        else:
            _work(self.url, {"things": things, "groups": groups}, self.workers)

    def enroll(self, device: Device) -> None:
        """A device joins the fleet: its thing, then its groups.

        Parameters
        ----------
        device
            The device; its groups must exist.
        """
        self.iot.create_thing(
            thingName=device.name, attributePayload={"attributes": device.attributes}
        )
        for group in device.groups:
            self.iot.add_thing_to_thing_group(thingGroupName=group, thingName=device.name)

    def launch(self, job: PlannedJob) -> None:
        """CreateJob for a planned job, on the thing groups it targets.

        Parameters
        ----------
        job
            The planned job.
        """
        self.iot.create_job(**job.create_job_kwargs(self.group_arn))

    def cancel(self, job_id: str) -> None:
        """CancelJob (reason SUPERSEDED): its QUEUED executions become CANCELED.

        Parameters
        ----------
        job_id
            The job to cancel.
        """
        self.iot.cancel_job(jobId=job_id, reasonCode="SUPERSEDED", comment="Superseded")

    def regroup(self, job_id: str, count: int, devices: dict[str, Device]) -> list[str]:
        """Move up to ``count`` devices with pending executions of ``job_id`` to quarantine.

        They leave their region group, so their pending execution of a CONTINUOUS job on region
        groups becomes REMOVED.

        Parameters
        ----------
        job_id
            The job whose QUEUED, then IN_PROGRESS, executions pick the devices.
        count
            How many devices to move at most.
        devices
            The fleet's devices by name (others the service lists are left alone).

        Returns
        -------
        list of str
            The names moved, the first ones the service lists.
        """
        moved: list[str] = []
        for status in ("QUEUED", "IN_PROGRESS"):
            listed = self.iot.list_job_executions_for_job(
                jobId=job_id, status=status, maxResults=min(MAX_PAGE_SIZE, max(1, count))
            )["executionSummaries"]
            for summary in listed:
                name = summary["thingArn"].rsplit("/", 1)[1]
                device = devices.get(name)
                if device is None or name in moved or len(moved) >= count:
                    continue
                region_group = device.groups[0]
                self.iot.add_thing_to_thing_group(thingGroupName=QUARANTINE_GROUP, thingName=name)
                self.iot.remove_thing_from_thing_group(thingGroupName=region_group, thingName=name)
                moved.append(name)
        return moved

    def close(self) -> None:
        """Close the boto3 client's connections."""
        self.iot.close()


def _client(url: str) -> Any:
    """One control-plane client per process and URL (boto3 clients are thread-safe)."""
    client = _worker_clients.get(url)
    if client is None:
        client = _worker_clients[url] = make_client(
            CONTROL_PLANE, make_session(), endpoint_url=url, max_pool_connections=16
        )
    return client


def _work(url: str, task: dict[str, Any], threads: int) -> None:
    """Create ``task["things"]`` (any order), then fill ``task["groups"]`` (each in order)."""
    iot = _client(url)

    def create(chunk: list[tuple[str, dict[str, str]]]) -> None:
        for name, attributes in chunk:
            iot.create_thing(thingName=name, attributePayload={"attributes": attributes})

    def fill(group: tuple[str, list[str]]) -> None:
        for name in group[1]:
            iot.add_thing_to_thing_group(thingGroupName=group[0], thingName=name)

    things = task.get("things", [])
    with ThreadPoolExecutor(threads, thread_name_prefix="jobsnb-populate") as pool:
        chunks = [things[i : i + _CHUNK] for i in range(0, len(things), _CHUNK)]
        for _ in pool.map(create, chunks):
            pass
        for _ in pool.map(fill, task.get("groups", [])):
            pass


def _in_subprocesses(url: str, tasks: list[dict[str, Any]]) -> None:
    command = [sys.executable, "-m", "jobsnb.simulation.operator", url]
    workers = [
        subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in tasks
    ]
    for worker, task in zip(workers, tasks, strict=True):
        assert worker.stdin is not None
        worker.stdin.write(json.dumps(task).encode())
        worker.stdin.close()
    failures = []
    for worker in workers:
        assert worker.stderr is not None
        error = worker.stderr.read().decode(errors="replace")
        if worker.wait() != 0:
            failures.append(error[-2000:])
    if failures:
        raise RuntimeError(f"populating the fleet failed in a worker process:\n{failures[0]}")


def _group_attributes(group: str) -> dict[str, Any]:
    kind, _, value = group.partition("-")
    if not value:
        return {"thingGroupProperties": {"thingGroupDescription": "Devices set aside"}}
    return {
        "thingGroupProperties": {
            "thingGroupDescription": f"Devices by {kind}: {value}",
            "attributePayload": {"attributes": {kind: value}},
        }
    }


if __name__ == "__main__":
    _work(sys.argv[1], json.load(sys.stdin), _THREADS_PER_PROCESS)
