"""UpdateJobExecution's refusals carry the execution as it is now (``executionState``), as the
iot-jobs-data model documents for InvalidStateTransitionException; the control plane's do not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

#: The ``raw`` fixture: one request sent byte for byte, its reply with ``status`` and ``json()``.
Raw = Callable[..., Any]


@pytest.fixture
def started(make_things: Callable[..., Any], make_job: Callable[..., Any], data: Any) -> None:
    """t1's execution of j1 IN_PROGRESS at version 2, with statusDetails."""
    make_things("t1")
    make_job("j1", ["t1"])
    data.update_job_execution(
        thingName="t1", jobId="j1", status="IN_PROGRESS", statusDetails={"step": "download"}
    )


def update(raw: Raw, **body: Any) -> Any:
    return raw("POST", "/things/t1/jobs/j1", json.dumps(body).encode())


def test_a_stale_expected_version_answers_the_current_state(raw: Raw, started: None) -> None:
    reply = update(raw, status="SUCCEEDED", expectedVersion=1)
    assert reply.status == 409
    body = reply.json()
    assert body["__type"] == "InvalidStateTransitionException"
    assert body["message"].startswith("VersionMismatch")
    assert body["executionState"] == {
        "status": "IN_PROGRESS",
        "statusDetails": {"step": "download"},
        "versionNumber": 2,
    }


def test_a_terminal_execution_answers_its_state(raw: Raw, data: Any, started: None) -> None:
    data.update_job_execution(thingName="t1", jobId="j1", status="FAILED")
    reply = update(raw, status="IN_PROGRESS")
    assert reply.status == 409
    assert reply.json()["executionState"] == {
        "status": "FAILED",
        "statusDetails": {"step": "download"},
        "versionNumber": 3,
    }


def test_a_move_back_to_queued_answers_the_state(raw: Raw, started: None) -> None:
    reply = update(raw, status="QUEUED")
    assert reply.status == 409
    assert reply.json()["executionState"]["versionNumber"] == 2


def test_other_errors_carry_no_execution_state(raw: Raw, started: None) -> None:
    assert "executionState" not in update(raw, status="BOGUS").json()
    missing = raw("POST", "/things/t1/jobs/nope", json.dumps({"status": "FAILED"}).encode())
    assert missing.status == 404
    assert "executionState" not in missing.json()


def test_control_plane_refusals_carry_no_execution_state(raw: Raw, started: None) -> None:
    reply = raw("PUT", "/things/t1/jobs/j1/cancel", b"{}", control=True)
    assert reply.status == 409
    body = reply.json()
    assert body["__type"] == "InvalidStateTransitionException"
    assert "executionState" not in body


def test_boto3_ignores_the_unmodelled_member(data: Any, started: None) -> None:
    with pytest.raises(data.exceptions.InvalidStateTransitionException) as excinfo:
        data.update_job_execution(thingName="t1", jobId="j1", status="SUCCEEDED", expectedVersion=1)
    # botocore keeps only the modelled members of the error shape (message).
    assert "executionState" not in excinfo.value.response
    assert excinfo.value.response["Error"]["Code"] == "InvalidStateTransitionException"
