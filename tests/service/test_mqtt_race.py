"""The notify-next race: a device that acts only when notify-next tells it to must finish every
job, however the jobs arrive. Jobs are created over HTTPS from other threads while the device
starts and completes them over MQTT; a job whose notify-next were lost or stale would stay
QUEUED and the device would wait in vain (the wait's timeout fails the test)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.helpers import THING_ARN
from tests.service.mqtt_clients import Device, jobs_topic

pytestmark = pytest.mark.mqtt

JOBS = 40
CREATORS = 4


def run_on_notify_next(dev: Device, jobs: int) -> list[str]:
    """The SDK samples' loop: on a notify-next with an execution, start-next and finish it."""
    finished: list[str] = []
    while len(finished) < jobs:
        if "execution" not in dev.next("notify-next"):
            continue
        execution = dev.accepted("start-next").get("execution")
        if execution is None:  # a stale notification: someone finished it already
            continue
        dev.accepted(f"{execution['jobId']}/update", {"status": "SUCCEEDED"})
        finished.append(execution["jobId"])
    return finished


def notify_next_bodies(dev: Device) -> list[bytes]:
    return [payload for topic, payload in dev.received if topic.endswith("/notify-next")]


def all_done(iot: Any, data: Any, dev: Device, service: Any, sent_before: int = 0) -> None:
    """Every execution SUCCEEDED, nothing pending, and the last notify-next the empty one
    (of those sent since ``dev`` subscribed: ``sent_before`` went out before)."""
    summaries = iot.list_job_executions_for_thing(thingName="t1", maxResults=100)
    statuses = [s["jobExecutionSummary"]["status"] for s in summaries["executionSummaries"]]
    assert statuses == ["SUCCEEDED"] * len(statuses)
    pending = data.get_pending_job_executions(thingName="t1")
    assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])
    sent = service.mqtt.notifications_sent["notify-next"] - sent_before
    dev.wait_count(sent, "notify-next")
    assert b'"execution"' not in notify_next_bodies(dev)[-1]


@pytest.mark.slow
def test_device_driven_by_notify_next_finishes_concurrently_created_jobs(
    make_things: Any, device: Callable[..., Device], iot: Any, data: Any, service: Any
) -> None:
    make_things("t1")
    dev = device("t1")

    def create(first: int) -> None:
        for number in range(first, JOBS, CREATORS):
            iot.create_job(jobId=f"j{number}", targets=[THING_ARN.format("t1")], document="{}")

    with ThreadPoolExecutor(CREATORS) as pool:
        creating = [pool.submit(create, first) for first in range(CREATORS)]
        finished = run_on_notify_next(dev, JOBS)
        for future in creating:
            future.result()
    assert sorted(finished) == sorted(f"j{n}" for n in range(JOBS))
    all_done(iot, data, dev, service)


def test_reconnected_device_catches_up_with_jobs_get(
    make_things: Any,
    make_job: Any,
    device: Callable[..., Device],
    iot: Any,
    data: Any,
    service: Any,
) -> None:
    make_things("t1")
    make_job("j0", ["t1"])
    first = device("t1")
    assert first.accepted("start-next")["execution"]["jobId"] == "j0"
    first.close()
    for number in range(1, 6):
        make_job(f"j{number}", ["t1"])

    sent_before = service.mqtt.notifications_sent["notify-next"]
    dev = device("t1")
    pending = dev.accepted("get")
    assert [job["jobId"] for job in pending["inProgressJobs"]] == ["j0"]
    assert [job["jobId"] for job in pending["queuedJobs"]] == [f"j{n}" for n in range(1, 6)]
    # The samples resume what was in progress, then start-next until nothing is left.
    dev.accepted("j0/update", {"status": "SUCCEEDED"})
    done = ["j0"]
    while (execution := dev.accepted("start-next").get("execution")) is not None:
        dev.accepted(f"{execution['jobId']}/update", {"status": "SUCCEEDED"})
        done.append(execution["jobId"])
    assert done == [f"j{n}" for n in range(6)]
    all_done(iot, data, dev, service, sent_before)


def test_a_persistent_session_gets_the_notify_next_it_missed_while_away(
    make_things: Any, make_job: Any, device: Callable[..., Device]
) -> None:
    """The "stuck after a reconnect" field bug: a device with a persistent session (clean
    session off, QoS 1 subscriptions, as the Device SDK samples connect) that was offline when
    its job was queued hears of it as it reconnects, before it asks for anything."""
    make_things("t1")
    first = device("t1", clean_session=False, subscribe=(jobs_topic("t1", "notify-next"),))
    first.close()
    make_job("j1", ["t1"])
    again = device("t1", clean_session=False, subscribe=())
    assert again.next("notify-next")["execution"]["jobId"] == "j1"
