"""The simulated devices' lean HTTP client: boto3's requests, pipelined, answers in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from jobsnb.client._boto import CONTROL_PLANE, DATA_PLANE, make_client, make_session
from jobsnb.service import LocalJobsService
from jobsnb.simulation.wire import CONNECTION_LOST, Call, DeviceDataPlane

THINGS = [f"pipe-{i:03d}" for i in range(150)]


@pytest.fixture(scope="module")
def service() -> Iterator[LocalJobsService]:
    with LocalJobsService() as svc:
        iot = make_client(CONTROL_PLANE, make_session(), endpoint_url=svc.url)
        iot.create_thing_group(thingGroupName="pipes")
        for name in THINGS:
            iot.create_thing(thingName=name)
            iot.add_thing_to_thing_group(thingGroupName="pipes", thingName=name)
        group = iot.describe_thing_group(thingGroupName="pipes")["thingGroupArn"]
        iot.create_job(jobId="reboot-1", targets=[group], document='{"operation": "reboot"}')
        yield svc


def _split(request: bytes) -> tuple[str, str, dict[str, Any]]:
    head, _, body = request.partition(b"\r\n\r\n")
    method, path, _ = head.split(b"\r\n")[0].decode().split(" ")
    return method, path, json.loads(body)


def test_the_requests_are_the_ones_boto3_sends(service: LocalJobsService) -> None:
    sent: list[Any] = []
    boto = make_client(DATA_PLANE, make_session(), endpoint_url=service.url, signed=False)
    boto.meta.events.register("before-send", lambda request, **_: sent.append(request))
    details = {"step": "checking", "progress": "0%"}
    boto.start_next_pending_job_execution(thingName="pipe-000", statusDetails=details)
    boto.update_job_execution(
        thingName="pipe-000",
        jobId="reboot-1",
        status="IN_PROGRESS",
        statusDetails=details,
        expectedVersion=2,
        stepTimeoutInMinutes=5,
    )
    device = DeviceDataPlane(service.url)
    ours = [
        device.start_next_call("pipe-000", details),
        device.update_call("pipe-000", "reboot-1", "IN_PROGRESS", details, 2, 5),
    ]
    for theirs, mine in zip(sent, ours, strict=True):
        method, path, body = _split(mine.request)
        assert method == theirs.method
        assert path == theirs.url.split(service.url, 1)[1].replace("%24", "$")
        assert body == json.loads(theirs.body)


def test_a_pipelined_batch_is_answered_in_order(service: LocalJobsService) -> None:
    device = DeviceDataPlane(service.url)
    names = THINGS[10:140]  # more than one window of pipelined calls
    calls = [device.start_next_call(name, {"step": "checking"}) for name in names]
    replies = device.exchange(calls)
    assert [reply.error for reply in replies] == [None] * len(names)
    assert [reply.body["execution"]["thingName"] for reply in replies] == names
    assert device.calls == {"StartNextPendingJobExecution": len(names)}
    # A refusal answers its own call only: the calls after it get their own answers.
    stale = device.update_call(names[0], "reboot-1", "SUCCEEDED", {}, expected_version=1)
    fresh = device.update_call(names[1], "reboot-1", "SUCCEEDED", {}, expected_version=2)
    refused, accepted = device.exchange([stale, fresh])
    assert refused.error is not None
    assert refused.error.code == "InvalidStateTransitionException"
    assert "expectedVersion 1" in str(refused.error)
    assert accepted.error is None
    assert device.refusals == {"InvalidStateTransitionException": 1}
    device.close()


def test_calls_after_a_closed_connection_are_lost_not_dropped(service: LocalJobsService) -> None:
    device = DeviceDataPlane(service.url)
    host = service.url.split("//", 1)[1]
    # A request that asks the service to close the connection once it has answered.
    closing = Call(
        "GetPendingJobExecutions",
        f"GET /things/pipe-140/jobs HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode(),
    )
    before = device.start_next_call("pipe-141", {})
    after = device.start_next_call("pipe-142", {})
    replies = device.exchange([before, closing, after])
    assert replies[0].error is None
    assert replies[0].body["execution"]["thingName"] == "pipe-141"
    assert replies[1].error is None
    assert [job["jobId"] for job in replies[1].body["queuedJobs"]] == ["reboot-1"]
    assert replies[2].error is not None
    assert replies[2].error.code == CONNECTION_LOST
    assert device.refusals == {CONNECTION_LOST: 1}
    # The next exchange opens a new connection; the lost call was never made.
    (again,) = device.exchange([after])
    assert again.error is None
    assert again.body["execution"]["thingName"] == "pipe-142"
    device.close()
