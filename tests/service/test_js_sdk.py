"""A second SDK on the wire: the AWS SDK for JavaScript v3 runs a device's calls against the
local service and reads ``err.executionState`` off a stale update (tests/js/wire_check.mjs), and
changes a rolling-out job with its control-plane client (tests/js/control_check.mjs).

Needs Node and ``npm ci --prefix tests/js``; without them the test skips, except under
``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jobsnb.service import LocalJobsService
from tests.helpers import make_job, make_things

JS = Path(__file__).resolve().parents[1] / "js"
INSTALL = "npm ci --prefix tests/js"


def node_or_skip() -> str:
    """The node executable; a skip (a failure under CI=true) when it or the SDK is missing."""
    node = shutil.which("node")
    if node is None:
        reason = f"node is not installed (install Node 18+, then {INSTALL})"
    elif not all(
        (JS / "node_modules" / "@aws-sdk" / package).is_dir()
        for package in ("client-iot-jobs-data-plane", "client-iot")
    ):
        reason = f"tests/js/node_modules is missing: run {INSTALL}"
    else:
        return node
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


def run_script(name: str, service: LocalJobsService, **env_vars: str) -> Any:
    """Run ``tests/js/<name>`` against the service; its JSON output."""
    node = node_or_skip()
    env = {**os.environ, "JOBSNB_SERVICE_URL": service.url, **env_vars}
    # Dummy credentials only: the SDK must never look for real ones.
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [node, str(JS / name)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_js_sdk_runs_a_device_and_reads_execution_state(
    service: LocalJobsService, iot: Any
) -> None:
    make_things(iot, ["js-device"])
    make_job(iot, "fw-js", ["js-device"], document=json.dumps({"operation": "reboot"}))

    out = run_script("wire_check.mjs", service, JOBSNB_THING="js-device")

    assert out["pending"] == {"queued": ["fw-js"], "inProgress": []}
    assert out["started"] == {
        "jobId": "fw-js",
        "status": "IN_PROGRESS",
        "versionNumber": 2,
        "executionNumber": 1,
    }
    assert out["described"]["versionNumber"] == 2
    assert json.loads(out["described"]["jobDocument"]) == {"operation": "reboot"}
    assert out["updated"] == {
        "status": "IN_PROGRESS",
        "statusDetails": {"step": "js"},
        "versionNumber": 3,
    }
    stale = out["stale"]
    assert stale["thrown"] is True
    assert stale["name"] == "InvalidStateTransitionException"
    assert stale["httpStatusCode"] == 409
    assert stale["message"].startswith("VersionMismatch")
    assert stale["executionState"]["versionNumber"] == out["updated"]["versionNumber"]
    assert stale["executionState"] == out["updated"]
    assert service.request_counts["UpdateJobExecution"] == 2


def test_the_js_sdk_changes_a_job_as_it_rolls_out(service: LocalJobsService, iot: Any) -> None:
    times = {"JOBSNB_START_TIME": "2023-11-14T23:00", "JOBSNB_END_TIME": "2023-11-20T00:00"}
    out = run_script("control_check.mjs", service, **times)

    arn = "arn:aws:iot:us-east-1:123456789012:job/js-rollout"
    assert out["created"] == {"jobId": "js-rollout", "jobArn": arn}
    assert out["before"] == {
        "status": "IN_PROGRESS",
        "isConcurrent": True,
        "createdAt": "2023-11-14T22:13:20.000Z",
        "rollout": {"maximumPerMinute": 1},
    }
    things = [f"arn:aws:iot:us-east-1:123456789012:thing/js-{n}" for n in (1, 2, 3)]
    assert out["after"] == {
        "description": "changed from JavaScript",
        "timeoutConfig": {"inProgressTimeoutInMinutes": 9},
        "comment": "one more",
        "targets": things,
        "lastUpdatedAtIsDate": True,
    }
    assert out["associated"] == {"jobId": "js-rollout", "jobArn": arn}
    assert out["listed"] == [{"jobId": "js-rollout", "status": "IN_PROGRESS", "isConcurrent": True}]
    scheduled = iot.describe_job(jobId="js-scheduled")["job"]
    assert out["scheduled"] == {
        "status": "SCHEDULED",
        "schedulingConfig": scheduled["schedulingConfig"],
        "scheduledJobRollouts": scheduled["scheduledJobRollouts"],
        "listed": ["js-scheduled"],
    }
    assert [r["startTime"] for r in scheduled["scheduledJobRollouts"]] == [
        f"2023-11-{day}T02:00" for day in range(15, 20)
    ]
    assert out["missing"]["thrown"] is True
    assert out["missing"]["name"] == "ResourceNotFoundException"
    assert out["missing"]["httpStatusCode"] == 404
    assert out["unsupported"]["name"] == "InvalidRequestException"
    assert out["unsupported"]["httpStatusCode"] == 400
    assert "namespaceId" in out["unsupported"]["message"]
