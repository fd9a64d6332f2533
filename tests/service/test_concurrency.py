"""Many devices racing on the same executions, through real boto3 clients on real threads.

Every thread does a bounded number of calls and every join has a timeout, so a deadlock in the
service fails the test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.helpers import ACCOUNT, CREDENTIALS, REGION

POOLED = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=32)
THREADS = 16
JOIN_SECONDS = 60.0


def thing_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/{name}"


def data_client(service: Any) -> Any:
    return boto3.client(
        "iot-jobs-data", endpoint_url=service.url, region_name=REGION, config=POOLED, **CREDENTIALS
    )


def run_threads(target: Any, count: int = THREADS) -> None:
    """Start ``count`` threads on ``target(index)`` at once; re-raise the first crash."""
    crashes: list[BaseException] = []
    barrier = threading.Barrier(count)

    def body(index: int) -> None:
        try:
            barrier.wait(timeout=JOIN_SECONDS)
            target(index)
        except BaseException as exc:
            crashes.append(exc)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "threads still running: service stuck?"
    if crashes:
        raise crashes[0]


def clients(service: Any, shared: bool) -> list[Any]:
    if shared:
        return [data_client(service)] * THREADS
    return [data_client(service) for _ in range(THREADS)]


@pytest.mark.parametrize("shared", [True, False], ids=["shared-client", "client-per-thread"])
@pytest.mark.parametrize("thing_count", [1, 4])
def test_racing_start_next_and_update_start_each_execution_once(iot, service, shared, thing_count):
    things = [f"dev-{i}" for i in range(thing_count)]
    for t in things:
        iot.create_thing(thingName=t)
    jobs = [f"job-{j:02d}" for j in range(24 // thing_count)]
    for j in jobs:
        iot.create_job(jobId=j, targets=[thing_arn(t) for t in things], document='{"n":1}')
    per_thread = clients(service, shared)

    lock = threading.Lock()
    started_versions: list[tuple[str, str, int]] = []
    accepted: list[tuple[str, str]] = []
    rejected: list[str] = []

    def device(index: int) -> None:
        client = per_thread[index]
        thing = things[index % thing_count]
        for _ in range(10 * len(jobs)):
            resp = client.start_next_pending_job_execution(thingName=thing)
            if "execution" not in resp:
                return
            ex = resp["execution"]
            with lock:
                started_versions.append((thing, ex["jobId"], ex["versionNumber"]))
            try:
                client.update_job_execution(
                    thingName=thing,
                    jobId=ex["jobId"],
                    status="SUCCEEDED",
                    expectedVersion=ex["versionNumber"],
                )
            except client.exceptions.InvalidStateTransitionException as exc:
                with lock:
                    rejected.append(exc.response["Error"]["Message"])
            else:
                with lock:
                    accepted.append((thing, ex["jobId"]))
        raise AssertionError("device never ran out of pending work")

    run_threads(device)

    expected = sorted((t, j) for t in things for j in jobs)
    assert sorted(accepted) == expected
    assert Counter(accepted).most_common(1)[0][1] == 1
    # A started execution is version 2; StartNext on it again must return it unchanged.
    assert {v for _, _, v in started_versions} == {2}
    assert {(t, j) for t, j, _ in started_versions} == set(expected)
    assert all("VersionMismatch" in message for message in rejected), rejected[:3]
    check = data_client(service)
    for t in things:
        for j in jobs:
            ex = check.describe_job_execution(thingName=t, jobId=j)["execution"]
            assert (ex["status"], ex["versionNumber"]) == ("SUCCEEDED", 3)
        pending = check.get_pending_job_executions(thingName=t)
        assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])


@pytest.mark.parametrize("shared", [True, False], ids=["shared-client", "client-per-thread"])
def test_racing_updates_with_expected_version_are_serialised(iot, service, shared):
    iot.create_thing(thingName="dev")
    iot.create_job(jobId="job1", targets=[thing_arn("dev")], document='{"n":1}')
    per_thread = clients(service, shared)
    attempts = 8

    lock = threading.Lock()
    accepted: list[tuple[int, int, int]] = []  # (expectedVersion, thread, attempt)
    rejected: list[Any] = []

    def device(index: int) -> None:
        client = per_thread[index]
        for attempt in range(attempts):
            ex = client.describe_job_execution(thingName="dev", jobId="job1")["execution"]
            version = ex["versionNumber"]
            try:
                client.update_job_execution(
                    thingName="dev",
                    jobId="job1",
                    status="IN_PROGRESS",
                    statusDetails={"thread": str(index), "attempt": str(attempt)},
                    expectedVersion=version,
                )
            except client.exceptions.InvalidStateTransitionException as exc:
                with lock:
                    rejected.append(exc.response)
            else:
                with lock:
                    accepted.append((version, index, attempt))

    run_threads(device)

    assert len(accepted) + len(rejected) == THREADS * attempts
    assert len(accepted) >= 1
    # Each accepted update saw a distinct version, and together they are 1, 2, ..., n.
    assert sorted(v for v, _, _ in accepted) == list(range(1, len(accepted) + 1))
    for response in rejected:
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert "VersionMismatch" in response["Error"]["Message"]
    final = data_client(service).describe_job_execution(thingName="dev", jobId="job1")
    ex = final["execution"]
    assert ex["versionNumber"] == 1 + len(accepted)
    assert ex["status"] == "IN_PROGRESS"
    _, last_thread, last_attempt = max(accepted)
    assert ex["statusDetails"] == {"thread": str(last_thread), "attempt": str(last_attempt)}


def test_readers_see_consistent_pending_lists_while_writers_race(iot, service):
    iot.create_thing(thingName="dev")
    jobs = [f"job-{j:02d}" for j in range(12)]
    for j in jobs:
        iot.create_job(jobId=j, targets=[thing_arn("dev")], document='{"n":1}')
    client = data_client(service)
    lock = threading.Lock()
    snapshots: list[tuple[list[str], list[str]]] = []

    def worker(index: int) -> None:
        if index % 2:
            for _ in range(30):
                resp = client.get_pending_job_executions(thingName="dev")
                with lock:
                    snapshots.append(
                        (
                            [s["jobId"] for s in resp["inProgressJobs"]],
                            [s["jobId"] for s in resp["queuedJobs"]],
                        )
                    )
            return
        for _ in range(5 * len(jobs)):
            resp = client.start_next_pending_job_execution(thingName="dev")
            if "execution" not in resp:
                return
            ex = resp["execution"]
            with contextlib.suppress(client.exceptions.InvalidStateTransitionException):
                client.update_job_execution(
                    thingName="dev",
                    jobId=ex["jobId"],
                    status="SUCCEEDED",
                    expectedVersion=ex["versionNumber"],
                )

    run_threads(worker)

    assert len(snapshots) == (THREADS // 2) * 30
    for in_progress, queued in snapshots:
        assert len(in_progress) <= 1
        assert not set(in_progress) & set(queued)
        assert queued == sorted(queued)
        assert len(in_progress) + len(queued) <= 10
    final = client.get_pending_job_executions(thingName="dev")
    assert (final["inProgressJobs"], final["queuedJobs"]) == ([], [])


def test_racing_group_joins_give_each_thing_one_continuous_execution(iot, service):
    garn = iot.create_thing_group(thingGroupName="fleet")["thingGroupArn"]
    iot.create_job(jobId="cont", targets=[garn], document='{"n":1}', targetSelection="CONTINUOUS")
    names = [f"dev-{i}" for i in range(8)]
    for n in names:
        iot.create_thing(thingName=n)
    shared_iot = boto3.client(
        "iot", endpoint_url=service.url, region_name=REGION, config=POOLED, **CREDENTIALS
    )

    def join(index: int) -> None:
        # Two threads per thing, each adding it to the group twice.
        for _ in range(2):
            shared_iot.add_thing_to_thing_group(thingGroupName="fleet", thingName=names[index % 8])

    run_threads(join)

    client = data_client(service)
    for n in names:
        pending = client.get_pending_job_executions(thingName=n)
        assert [s["jobId"] for s in pending["queuedJobs"]] == ["cont"]
        assert pending["queuedJobs"][0]["executionNumber"] == 1
    summaries = iot.list_job_executions_for_job(jobId="cont")["executionSummaries"]
    assert sorted(s["thingArn"] for s in summaries) == sorted(thing_arn(n) for n in names)
    details = iot.describe_job(jobId="cont")["job"]["jobProcessDetails"]
    assert details["numberOfQueuedThings"] == 8


def test_bulk_loading_through_the_backend_is_safe_while_the_service_runs() -> None:
    """The README's bulk path: ``service.backend.create_*`` from one thread while devices call
    over HTTP and the sweep thread ticks; every operation takes the lock itself."""
    from jobsnb.service import LocalJobsService

    # Switch threads every microsecond, so unguarded state would be caught mid-change.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        _bulk_load_while_serving(LocalJobsService)
    finally:
        sys.setswitchinterval(switch)


def _bulk_load_while_serving(service_type: Any) -> None:
    with service_type(sweep_interval=0.001) as service:
        backend = service.backend
        backend.create_thing_group("fleet")
        data = data_client(service)
        loaded = threading.Event()

        def load(_: int) -> None:
            for index in range(300):
                name = f"bulk-{index:03d}"
                backend.create_thing(name)
                backend.add_thing_to_thing_group("fleet", name)
                if index % 50 == 49:
                    backend.create_job(f"job-{index}", [backend.group_arn("fleet")], "{}")
            loaded.set()

        def device(index: int) -> None:
            while not loaded.is_set():
                name = f"bulk-{index * 37 % 300:03d}"
                with contextlib.suppress(data.exceptions.ResourceNotFoundException):
                    started = data.start_next_pending_job_execution(thingName=name)
                    if "execution" in started:
                        data.update_job_execution(
                            thingName=name, jobId=started["execution"]["jobId"], status="SUCCEEDED"
                        )

        run_threads(lambda index: load(index) if index == 0 else device(index), count=4)
        counts = backend.status_counts()
        # Jobs made after 50, 100, ..., 300 things: 50 + 100 + ... + 300 executions in all.
        assert sum(counts.values()) == sum(range(50, 301, 50))
        assert set(counts) <= {"QUEUED", "IN_PROGRESS", "SUCCEEDED"}
        assert backend.group_members()["fleet"] == [f"bulk-{i:03d}" for i in range(300)]
