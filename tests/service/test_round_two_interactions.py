"""Where scheduling, templates, presigned URLs and commands meet, and where they meet round one's
things, rollouts and timers: what no one of the three branches could test alone.

boto3 over HTTP against the local service; the ManualClock starts at START
(2023-11-14T22:13:20Z) and only moves when a test moves it.
"""

from __future__ import annotations

import http.client
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import MINUTE, START, THING_ARN, make_things

HOUR = 60 * MINUTE
ROLE = "arn:aws:iam::123456789012:role/jobs-s3"
FIRMWARE = "${aws:iot:s3-presigned-url:https://firmware.s3.amazonaws.com/v2/fw.bin}"
COMMAND_ARN = "arn:aws:iot:us-east-1:123456789012:command/{}"


def at(seconds: float) -> str:
    """``seconds`` after the epoch as schedulingConfig takes it, in UTC."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M")


def statuses(iot: Any, job_id: str) -> dict[str, str]:
    summaries = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
    return {s["thingArn"].rsplit("/", 1)[1]: s["jobExecutionSummary"]["status"] for s in summaries}


def url_query(document: str) -> dict[str, str]:
    url = json.loads(document)["url"]
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# ---------------------------------------------------------------- a thing deleted while held back
@pytest.mark.parametrize(
    "config",
    [
        {"schedulingConfig": {"startTime": at(START + HOUR)}},
        {"jobExecutionsRolloutConfig": {"maximumPerMinute": 1}},
    ],
    ids=["scheduled", "rollout"],
)
def test_a_thing_deleted_before_its_release_gets_no_execution(
    iot: Any, clock: ManualClock, config: dict[str, Any]
) -> None:
    make_things(iot, ["t1", "t2"])
    iot.create_job(
        jobId="held",
        targets=[THING_ARN.format("t1"), THING_ARN.format("t2")],
        document="{}",
        **config,
    )
    iot.delete_thing(thingName="t2")
    clock.advance(2 * HOUR)
    assert statuses(iot, "held") == {"t1": "QUEUED"}
    details = iot.describe_job(jobId="held")["job"]["jobProcessDetails"]
    assert details["numberOfQueuedThings"] == 1


def test_a_snapshot_job_whose_last_held_thing_is_deleted_completes(
    iot: Any, data: Any, clock: ManualClock
) -> None:
    make_things(iot, ["t1", "t2"])
    iot.create_job(
        jobId="paced",
        targets=[THING_ARN.format("t1"), THING_ARN.format("t2")],
        document="{}",
        jobExecutionsRolloutConfig={"maximumPerMinute": 1},
    )
    data.update_job_execution(thingName="t1", jobId="paced", status="SUCCEEDED")
    iot.delete_thing(thingName="t2")
    job = iot.describe_job(jobId="paced")["job"]
    assert job["status"] == "COMPLETED"


# ---------------------------------------------------------------- templates x scheduling x URLs
def test_a_scheduled_job_from_a_template_issues_its_urls_at_delivery_after_start(
    iot: Any, data: Any, clock: ManualClock, service: LocalJobsService
) -> None:
    """The template gives the document and presignedUrlConfig, CreateJob the schedule; an
    UpdateJob before startTime changes the expiry; the URL is dated when the device reads it."""
    make_things(iot, ["t1"])
    template = iot.create_job_template(
        jobTemplateId="fw",
        description="Firmware",
        document=json.dumps({"url": FIRMWARE}),
        presignedUrlConfig={"roleArn": ROLE, "expiresInSec": 600},
    )
    iot.create_job(
        jobId="fw-1",
        targets=[THING_ARN.format("t1")],
        jobTemplateArn=template["jobTemplateArn"],
        schedulingConfig={"startTime": at(START + HOUR)},
    )
    job = iot.describe_job(jobId="fw-1")["job"]
    assert (job["status"], job["description"]) == ("SCHEDULED", "Firmware")
    assert job["presignedUrlConfig"] == {"roleArn": ROLE, "expiresInSec": 600}
    iot.update_job(jobId="fw-1", presignedUrlConfig={"roleArn": ROLE, "expiresInSec": 120})
    assert data.get_pending_job_executions(thingName="t1")["queuedJobs"] == []

    start = (START + HOUR) // 60 * 60
    clock.set(start + 5 * MINUTE)
    document = data.describe_job_execution(thingName="t1", jobId="fw-1")["execution"]["jobDocument"]
    query = url_query(document)
    delivered = datetime.fromtimestamp(start + 5 * MINUTE, UTC).strftime("%Y%m%dT%H%M%SZ")
    assert (query["X-Amz-Date"], query["X-Amz-Expires"]) == (delivered, "120")
    assert iot.get_job_document(jobId="fw-1")["document"] == json.dumps({"url": FIRMWARE})

    path = urlsplit(json.loads(document)["url"])
    fetch = f"{path.path}?{path.query}"
    clock.advance(119)
    assert _get(service, fetch) == 200
    clock.advance(1)
    assert _get(service, fetch) == 403


def _get(service: LocalJobsService, path: str) -> int:
    port = int(service.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_job_deleted_and_created_again_keeps_only_the_new_schedule(
    iot: Any, clock: ManualClock
) -> None:
    """The deleted job's start timer stays queued in the heap; it must not start the new one."""
    make_things(iot, ["t1"])
    iot.create_job(
        jobId="again",
        targets=[THING_ARN.format("t1")],
        document="{}",
        schedulingConfig={"startTime": at(START + HOUR)},
    )
    iot.delete_job(jobId="again")
    iot.create_job(
        jobId="again",
        targets=[THING_ARN.format("t1")],
        document="{}",
        schedulingConfig={"startTime": at(START + 3 * HOUR)},
    )
    clock.advance(2 * HOUR)
    assert iot.describe_job(jobId="again")["job"]["status"] == "SCHEDULED"
    assert statuses(iot, "again") == {}
    clock.advance(2 * HOUR)
    assert statuses(iot, "again") == {"t1": "QUEUED"}


def test_cancel_job_between_windows_drops_the_queued_window_timer(
    iot: Any, clock: ManualClock, service: LocalJobsService
) -> None:
    make_things(iot, ["t1", "t2"])
    iot.create_job(
        jobId="windowed",
        targets=[THING_ARN.format("t1"), THING_ARN.format("t2")],
        document="{}",
        jobExecutionsRolloutConfig={"maximumPerMinute": 1},
        schedulingConfig={
            "startTime": at(START + HOUR),
            "maintenanceWindows": [{"startTime": "cron(0 3 * * ? *)", "durationInMinutes": 1}],
        },
    )
    clock.set(datetime(2023, 11, 15, 3, 0, 30, tzinfo=UTC).timestamp())
    assert statuses(iot, "windowed") == {"t1": "QUEUED"}
    assert service.backend.next_due() is not None  # tomorrow's window
    iot.cancel_job(jobId="windowed")
    assert service.backend.next_due() is None
    clock.advance(26 * HOUR)
    assert statuses(iot, "windowed") == {"t1": "CANCELED"}
    assert iot.describe_job(jobId="windowed")["job"]["scheduledJobRollouts"] == []


# ---------------------------------------------------------------- commands x things x job timers
def test_command_and_job_timers_share_one_next_due(
    iot: Any, data: Any, clock: ManualClock, service: LocalJobsService
) -> None:
    make_things(iot, ["t1"])
    iot.create_job(
        jobId="timed",
        targets=[THING_ARN.format("t1")],
        document="{}",
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
    )
    data.start_next_pending_job_execution(thingName="t1")
    iot.create_command(commandId="reboot", payload={"content": b"{}"})
    data.start_command_execution(
        targetArn=THING_ARN.format("t1"),
        commandArn=COMMAND_ARN.format("reboot"),
        executionTimeoutSeconds=30,
    )
    assert service.backend.next_due() == START + 30
    clock.advance(30)
    iot.list_jobs()  # any call applies what fell due first
    assert service.backend.next_due() == START + 60
    clock.advance(30)
    iot.list_jobs()
    assert service.backend.next_due() is None
    assert statuses(iot, "timed") == {"t1": "TIMED_OUT"}


def test_a_command_execution_on_a_deleted_thing_still_times_out_and_reads(
    iot: Any, data: Any, clock: ManualClock
) -> None:
    make_things(iot, ["t1"])
    iot.create_command(commandId="reboot", payload={"content": b"{}"})
    started = data.start_command_execution(
        targetArn=THING_ARN.format("t1"), commandArn=COMMAND_ARN.format("reboot")
    )
    iot.delete_thing(thingName="t1")
    clock.advance(10)
    execution = iot.get_command_execution(
        executionId=started["executionId"], targetArn=THING_ARN.format("t1")
    )
    assert execution["status"] == "TIMED_OUT"
    assert execution["statusReason"]["reasonCode"] == "$NO_RESPONSE_FROM_DEVICE"
    with pytest.raises(data.exceptions.ResourceNotFoundException):
        data.start_command_execution(
            targetArn=THING_ARN.format("t1"), commandArn=COMMAND_ARN.format("reboot")
        )
