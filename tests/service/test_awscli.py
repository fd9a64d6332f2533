"""The AWS CLI (``aws iot-jobs-data ...``), unmodified, against the local service."""

from __future__ import annotations

import functools
import json
import subprocess
from typing import Any

import pytest

from tests.service.conftest import AWS

T0 = 1_700_000_000

pytestmark = pytest.mark.skipif(AWS is None, reason="the AWS CLI is installed by the dev group")


@pytest.fixture
def aws(aws_cli: Any) -> Any:
    """``aws("get-pending-job-executions", "--thing-name", "t1")`` -> CompletedProcess."""
    return functools.partial(aws_cli, "iot-jobs-data")


def output(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture
def seeded(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    iot.create_job(
        jobId="j1",
        targets=["arn:aws:iot:us-east-1:123456789012:thing/t1"],
        document='{"op": "x"}',
    )


def test_cli_get_pending_job_executions(aws: Any, seeded: None) -> None:
    assert output(aws("get-pending-job-executions", "--thing-name", "t1")) == {
        "inProgressJobs": [],
        "queuedJobs": [
            {
                "jobId": "j1",
                "queuedAt": T0,
                "lastUpdatedAt": T0,
                "versionNumber": 1,
                "executionNumber": 1,
            }
        ],
    }


def test_cli_get_pending_for_unknown_thing(aws: Any) -> None:
    assert output(aws("get-pending-job-executions", "--thing-name", "nobody")) == {
        "inProgressJobs": [],
        "queuedJobs": [],
    }


def test_cli_device_round_trip(aws: Any, clock: Any, seeded: None) -> None:
    clock.advance(20)
    started = output(
        aws(
            "start-next-pending-job-execution",
            "--thing-name",
            "t1",
            "--status-details",
            "step=download",
            "--step-timeout-in-minutes",
            "5",
        )
    )
    assert started == {
        "execution": {
            "jobId": "j1",
            "thingName": "t1",
            "status": "IN_PROGRESS",
            "statusDetails": {"step": "download"},
            "queuedAt": T0,
            "startedAt": T0 + 20,
            "lastUpdatedAt": T0 + 20,
            "approximateSecondsBeforeTimedOut": 300,
            "versionNumber": 2,
            "executionNumber": 1,
            "jobDocument": '{"op": "x"}',
        }
    }

    clock.advance(10)
    updated = output(
        aws(
            "update-job-execution",
            "--thing-name",
            "t1",
            "--job-id",
            "j1",
            "--status",
            "SUCCEEDED",
            "--status-details",
            '{"result": "ok"}',
            "--expected-version",
            "2",
            "--include-job-execution-state",
        )
    )
    assert updated == {
        "executionState": {
            "status": "SUCCEEDED",
            "statusDetails": {"result": "ok"},
            "versionNumber": 3,
        }
    }

    described = output(
        aws(
            "describe-job-execution",
            "--thing-name",
            "t1",
            "--job-id",
            "j1",
            "--no-include-job-document",
        )
    )
    assert described == {
        "execution": {
            "jobId": "j1",
            "thingName": "t1",
            "status": "SUCCEEDED",
            "statusDetails": {"result": "ok"},
            "queuedAt": T0,
            "startedAt": T0 + 20,
            "lastUpdatedAt": T0 + 30,
            "versionNumber": 3,
            "executionNumber": 1,
        }
    }


def test_cli_update_without_flags_prints_nothing(aws: Any, seeded: None) -> None:
    result = aws(
        "update-job-execution", "--thing-name", "t1", "--job-id", "j1", "--status", "IN_PROGRESS"
    )
    assert output(result) == {}


def test_cli_describe_next_and_start_next_with_nothing_pending(aws: Any, seeded: None) -> None:
    described = output(aws("describe-job-execution", "--thing-name", "t1", "--job-id", "$next"))
    assert described["execution"]["jobId"] == "j1"
    assert described["execution"]["status"] == "QUEUED"
    assert described["execution"]["jobDocument"] == '{"op": "x"}'
    output(
        aws("update-job-execution", "--thing-name", "t1", "--job-id", "j1", "--status", "FAILED")
    )
    assert output(aws("start-next-pending-job-execution", "--thing-name", "t1")) == {}


def test_cli_error_exit_code_and_name(aws: Any, seeded: None) -> None:
    result = aws("describe-job-execution", "--thing-name", "t1", "--job-id", "nope")
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    assert "DescribeJobExecution" in result.stderr


def test_cli_invalid_transition_error(aws: Any, seeded: None) -> None:
    result = aws(
        "update-job-execution", "--thing-name", "t1", "--job-id", "j1", "--status", "QUEUED"
    )
    assert result.returncode != 0
    assert "InvalidStateTransitionException" in result.stderr
