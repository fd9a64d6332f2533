"""A second SDK on the wire: the AWS SDK for JavaScript v3 (tests/js/wire_check.mjs) runs a
device's calls against the local service, and reads ``err.executionState`` off a stale update.

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
SCRIPT = JS / "wire_check.mjs"
INSTALL = "npm ci --prefix tests/js"


def node_or_skip() -> str:
    """The node executable; a skip (a failure under CI=true) when it or the SDK is missing."""
    node = shutil.which("node")
    if node is None:
        reason = f"node is not installed (install Node 18+, then {INSTALL})"
    elif not (JS / "node_modules" / "@aws-sdk" / "client-iot-jobs-data-plane").is_dir():
        reason = f"tests/js/node_modules is missing: run {INSTALL}"
    else:
        return node
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


def test_the_js_sdk_runs_a_device_and_reads_execution_state(
    service: LocalJobsService, iot: Any
) -> None:
    node = node_or_skip()
    make_things(iot, ["js-device"])
    make_job(iot, "fw-js", ["js-device"], document=json.dumps({"operation": "reboot"}))
    env = {**os.environ, "JOBSNB_SERVICE_URL": service.url, "JOBSNB_THING": "js-device"}
    # Dummy credentials only: the SDK must never look for real ones.
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env.pop("AWS_PROFILE", None)

    done = subprocess.run(
        [node, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
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
