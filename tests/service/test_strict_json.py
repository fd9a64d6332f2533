"""Hostile JSON (deep nesting, NaN and Infinity, numbers past a double, lone surrogates, invalid
UTF-8) is the client's error: a 400 of the operation's modelled validation shape, nothing
changed, never a 5xx that SDKs would retry; and nothing the service sends back is JSON a strict
parser refuses."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from jobsnb.limits import MAX_JSON_DEPTH
from tests.helpers import THING_ARN

COMMAND_ARN = "arn:aws:iot:us-east-1:123456789012:command/reboot"

#: JSON values (raw bytes, as a fuzzer sends them) that strict, bounded JSON refuses.
HOSTILE = {
    "nesting-unclosed": b"[" * 5_000,
    "nesting-closed": b"[" * 200 + b"]" * 200,
    "nesting-objects": b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
    "NaN": b"NaN",
    "Infinity": b"Infinity",
    "-Infinity": b"-Infinity",
    "1e999": b"1e999",
    "lone-surrogate": b'"\\ud800"',
    "lone-low-surrogate-key": b'{"\\udfff": "x"}',
    "invalid-utf8": b'"\xff\xfe"',
    "encoded-surrogate": b'"\xed\xa0\x80"',
}

#: operation → (control plane?, method, path, body with {} for the hostile value, shape).
OPERATIONS = {
    "StartNextPendingJobExecution": (
        False, "PUT", "/things/dev/jobs/$next", b'{"statusDetails": {"k": %s}}',
        "InvalidRequestException",
    ),
    "UpdateJobExecution": (
        False, "POST", "/things/dev/jobs/job1",
        b'{"status": "IN_PROGRESS", "statusDetails": {"k": %s}}', "InvalidRequestException",
    ),
    "StartCommandExecution": (
        False, "POST", "/command-executions",
        b'{"targetArn": "%s", "commandArn": "%s", "parameters": {"p": {"D": %%s}}}'
        % (THING_ARN.format("dev").encode(), COMMAND_ARN.encode()),
        "ValidationException",
    ),
    "CreateThing": (
        True, "POST", "/things/newthing", b'{"attributePayload": {"attributes": {"a": %s}}}',
        "InvalidRequestException",
    ),
    "CreateJob": (
        True, "PUT", "/jobs/newjob",
        b'{"targets": ["%s"], "document": "{}", "jobExecutionsRolloutConfig": '
        b'{"exponentialRate": {"baseRatePerMinute": 5, "incrementFactor": %%s, '
        b'"rateIncreaseCriteria": {"numberOfNotifiedThings": 1}}}}'
        % THING_ARN.format("dev").encode(),
        "InvalidRequestException",
    ),
}  # fmt: skip


@pytest.fixture
def seeded(
    make_things: Callable[..., list[str]],
    make_job: Callable[..., str],
    make_command: Callable[..., str],
) -> None:
    make_things("dev")
    make_job("job1", ["dev"])
    make_command("reboot", parameters=("p", "name"))


def _state(iot: Any, data: Any) -> dict[str, Any]:
    """What a refused request must not have changed, read back through boto3."""
    execution = data.describe_job_execution(thingName="dev", jobId="job1")["execution"]
    return {
        "execution": (execution["status"], execution["versionNumber"], execution["statusDetails"]),
        "things": sorted(t["thingName"] for t in iot.list_things()["things"]),
        "jobs": sorted(j["jobId"] for j in iot.list_jobs()["jobs"]),
    }


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_json_is_the_operations_400_and_changes_nothing(
    raw: Callable[..., Any], iot: Any, data: Any, operation: str, value: bytes
) -> None:
    control, method, path, template, shape = OPERATIONS[operation]
    before = _state(iot, data)
    reply = raw(method, path, template % value, control=control)
    assert reply.status == 400, (reply.status, reply.body[:300])
    assert reply.json()["__type"] == shape == reply.headers["x-amzn-errortype"]
    assert _state(iot, data) == before


@pytest.mark.usefixtures("seeded")
def test_the_nesting_bound_is_exact(raw: Callable[..., Any]) -> None:
    def nested(depth: int) -> bytes:  # the body itself is the outermost level
        return b'{"attributePayload": {"attributes": {"a": "b"}}, "x": ' + (
            b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
        )

    assert raw("POST", "/things/deep", nested(MAX_JSON_DEPTH), control=True).status == 200
    refused = raw("POST", "/things/deeper", nested(MAX_JSON_DEPTH + 1), control=True)
    assert refused.status == 400
    assert f"at most {MAX_JSON_DEPTH} levels" in refused.json()["message"]


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    "document",
    [
        '{"a": "\ud800"}',  # a lone surrogate, as the fuzzer found it
        '{"a": "\\ud800"}',  # the same as an escape inside the document
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": 1e999}',
        '{"a": ' + "[" * 5_000 + "]" * 5_000 + "}",
        '{"a": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}",
    ],
    ids=["surrogate", "surrogate-escape", "NaN", "Infinity", "-Infinity", "1e999", "deep",
         "one-too-deep"],
)  # fmt: skip
def test_boto3_create_job_with_a_hostile_document_is_refused(iot: Any, document: str) -> None:
    with pytest.raises(iot.exceptions.InvalidRequestException):
        iot.create_job(jobId="hostile", targets=[THING_ARN.format("dev")], document=document)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job(jobId="hostile")


@pytest.mark.usefixtures("seeded")
def test_boto3_update_with_a_lone_surrogate_changes_nothing(data: Any) -> None:
    with pytest.raises(data.exceptions.InvalidRequestException):
        data.update_job_execution(
            thingName="dev", jobId="job1", status="IN_PROGRESS", statusDetails={"k": "\udc80"}
        )
    execution = data.describe_job_execution(thingName="dev", jobId="job1")["execution"]
    assert (execution["status"], execution["versionNumber"]) == ("QUEUED", 1)


@pytest.mark.usefixtures("seeded")
def test_boto3_start_command_with_a_lone_surrogate_is_a_validation_exception(data: Any) -> None:
    with pytest.raises(data.exceptions.ValidationException):
        data.start_command_execution(
            targetArn=THING_ARN.format("dev"),
            commandArn=COMMAND_ARN,
            parameters={"name": {"S": "\ud800"}},
        )


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("factor", [math.nan, math.inf])
def test_boto3_create_job_with_a_non_finite_config_is_refused(iot: Any, factor: float) -> None:
    # botocore sends a non-finite double as the string "NaN" or "Infinity": not a number either.
    rollout = {"exponentialRate": {"baseRatePerMinute": 5, "incrementFactor": factor,
               "rateIncreaseCriteria": {"numberOfNotifiedThings": 1}}}  # fmt: skip
    with pytest.raises(iot.exceptions.InvalidRequestException):
        iot.create_job(jobId="nan", targets=[THING_ARN.format("dev")], document="{}",
                       jobExecutionsRolloutConfig=rollout)  # fmt: skip


@pytest.mark.usefixtures("seeded")
def test_what_the_service_echoes_is_strict_json(raw: Callable[..., Any], iot: Any) -> None:
    rollout = {"exponentialRate": {"baseRatePerMinute": 5, "incrementFactor": 1.5,
               "rateIncreaseCriteria": {"numberOfNotifiedThings": 1}}}  # fmt: skip
    abort = {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
             "thresholdPercentage": 12.5, "minNumberOfExecutedThings": 1}]}  # fmt: skip
    iot.create_job(jobId="floats", targets=[THING_ARN.format("dev")], document='{"x": 1.0e300}',
                   jobExecutionsRolloutConfig=rollout, abortConfig=abort)  # fmt: skip

    def refuse(name: str) -> Any:
        raise AssertionError(f"the service sent {name}")

    for path in ("/jobs/floats", "/jobs/floats/job-document"):
        reply = raw("GET", path, control=True)
        assert reply.status == 200
        json.loads(reply.body.decode("utf-8"), parse_constant=refuse)
