"""Where scheduling, templates, presigned URLs and commands meet, and where they meet round one's
things, rollouts and timers: what no one of the three branches could test alone.

boto3 over HTTP against the local service; the ManualClock starts at START
(2023-11-14T22:13:20Z) and only moves when a test moves it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from jobsnb.service import ManualClock
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
