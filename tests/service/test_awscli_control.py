"""The AWS CLI (``aws iot ...``), unmodified, against the local service's control plane."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.helpers import START, THING_ARN, make_things


def output(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_cli_update_job_changes_only_what_it_is_given(aws_cli: Any, iot: Any, clock: Any) -> None:
    make_things(iot, ["t1"])
    output(
        aws_cli(
            "iot", "create-job", "--job-id", "j1", "--targets", THING_ARN.format("t1"),
            "--document", '{"op": "reboot"}', "--description", "first",
            "--timeout-config", "inProgressTimeoutInMinutes=7",
        )
    )  # fmt: skip
    clock.advance(30)
    assert output(
        aws_cli(
            "iot", "update-job", "--job-id", "j1", "--description", "second thoughts",
            "--job-executions-retry-config",
            '{"criteriaList": [{"failureType": "TIMED_OUT", "numberOfRetries": 2}]}',
        )
    ) == {}  # fmt: skip
    job = output(aws_cli("iot", "describe-job", "--job-id", "j1"))["job"]
    assert job["description"] == "second thoughts"
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 7}
    assert job["jobExecutionsRetryConfig"] == {
        "criteriaList": [{"failureType": "TIMED_OUT", "numberOfRetries": 2}]
    }
    assert job["lastUpdatedAt"] == START + 30


def test_cli_update_job_refusals_name_the_field(aws_cli: Any, iot: Any) -> None:
    make_things(iot, ["t1"])
    iot.create_job(jobId="j1", targets=[THING_ARN.format("t1")], document="{}")
    bad = aws_cli(
        "iot", "update-job", "--job-id", "j1",
        "--timeout-config", "inProgressTimeoutInMinutes=0",
    )  # fmt: skip
    assert bad.returncode != 0
    assert "InvalidRequestException" in bad.stderr
    assert "inProgressTimeoutInMinutes" in bad.stderr
    missing = aws_cli("iot", "update-job", "--job-id", "nope", "--description", "x")
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr


def test_cli_associate_targets_with_a_continuous_job(aws_cli: Any, iot: Any) -> None:
    make_things(iot, ["t1", "t2"])
    iot.create_job(
        jobId="j1", targets=[THING_ARN.format("t1")], document="{}", targetSelection="CONTINUOUS"
    )
    answer = output(
        aws_cli(
            "iot", "associate-targets-with-job", "--job-id", "j1",
            "--targets", THING_ARN.format("t2"), "--comment", "one more",
        )
    )  # fmt: skip
    assert answer["jobId"] == "j1"
    things = output(aws_cli("iot", "list-job-executions-for-job", "--job-id", "j1"))
    assert sorted(s["thingArn"].rsplit("/", 1)[1] for s in things["executionSummaries"]) == [
        "t1",
        "t2",
    ]
