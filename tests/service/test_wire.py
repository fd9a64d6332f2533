"""The wire protocol (spec section 1): headers, error bodies, percent-encoding, plane routing."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import EXECUTION_KEYS, NO_RETRIES, SUMMARY_KEYS

T0 = 1_700_000_000


class Raw:
    """One HTTP exchange with the service over http.client, unsigned unless ``scope`` is given."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def raw(
    url: str,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    scope: str | None = None,
) -> Raw:
    parts = urllib.parse.urlsplit(url)
    data = b"" if body is None else json.dumps(body).encode()
    headers: dict[str, str] = {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if scope is not None:
        request = AWSRequest(method=method, url=url + path, data=data, headers=headers)
        SigV4Auth(Credentials("testing", "testing"), scope, "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, body=data or None, headers=headers)
        response = conn.getresponse()
        return Raw(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        conn.close()


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def assert_aws_error(response: Raw, shape: str, status: int) -> None:
    assert response.status == status
    assert response.headers["x-amzn-errortype"] == shape
    assert is_uuid(response.headers["x-amzn-requestid"])
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["__type"] == shape
    assert isinstance(body["message"], str)
    assert body["message"]


def assert_boto_error(excinfo: pytest.ExceptionInfo[Any], shape: str, status: int) -> None:
    response = excinfo.value.response
    assert response["Error"]["Code"] == shape
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"] == shape
    assert is_uuid(headers["x-amzn-requestid"])
    assert headers["content-type"].startswith("application/json")
    assert response["Error"]["Message"]


@pytest.fixture
def seeded(iot: Any) -> None:
    """Thing t1 with one QUEUED execution of job j1; thing t2 with nothing; command c."""
    for name in ("t1", "t2"):
        iot.create_thing(thingName=name)
    iot.create_job(
        jobId="j1",
        targets=["arn:aws:iot:us-east-1:123456789012:thing/t1"],
        document='{"op": "x"}',
    )
    iot.create_command(commandId="c", payload={"content": b'{"op": "x"}'})


# --- x-amzn-RequestId on every response ---------------------------------------------------------


def data_calls(data: Any) -> list[tuple[str, Callable[[], Any]]]:
    arn = "arn:aws:iot:us-east-1:123456789012:thing/t1"
    command = "arn:aws:iot:us-east-1:123456789012:command/c"
    return [
        ("get_pending", lambda: data.get_pending_job_executions(thingName="t1")),
        ("describe", lambda: data.describe_job_execution(thingName="t1", jobId="j1")),
        ("describe_next", lambda: data.describe_job_execution(thingName="t1", jobId="$next")),
        ("start_next", lambda: data.start_next_pending_job_execution(thingName="t1")),
        ("start_next_empty", lambda: data.start_next_pending_job_execution(thingName="t2")),
        (
            "update",
            lambda: data.update_job_execution(thingName="t1", jobId="j1", status="IN_PROGRESS"),
        ),
        ("command", lambda: data.start_command_execution(targetArn=arn, commandArn=command)),
    ]


def test_every_data_plane_response_has_request_id(data: Any, seeded: None) -> None:
    seen = set()
    for name, call in data_calls(data):
        metadata = call()["ResponseMetadata"]
        assert metadata["HTTPStatusCode"] == 200, name
        assert is_uuid(metadata["HTTPHeaders"]["x-amzn-requestid"]), name
        assert metadata["RequestId"] == metadata["HTTPHeaders"]["x-amzn-requestid"], name
        seen.add(metadata["RequestId"])
    assert len(seen) == len(data_calls(data))  # a fresh id per request


def test_control_plane_responses_have_request_id(iot: Any) -> None:
    for metadata in (
        iot.create_thing(thingName="t9")["ResponseMetadata"],
        iot.list_things()["ResponseMetadata"],
        iot.list_job_executions_for_thing(thingName="t9")["ResponseMetadata"],
    ):
        assert is_uuid(metadata["HTTPHeaders"]["x-amzn-requestid"])


def test_unsigned_response_has_request_id(service: Any) -> None:
    response = raw(service.url, "GET", "/things/t1/jobs")
    assert response.status == 200
    assert is_uuid(response.headers["x-amzn-requestid"])


# --- error responses through boto3 --------------------------------------------------------------


ERROR_CASES: list[tuple[str, str, int, Callable[[Any, Any], Any]]] = [
    (
        "describe-unknown-job",
        "ResourceNotFoundException",
        404,
        lambda data, iot: data.describe_job_execution(thingName="t1", jobId="nope"),
    ),
    (
        "update-unknown-thing",
        "ResourceNotFoundException",
        404,
        lambda data, iot: data.update_job_execution(
            thingName="ghost", jobId="j1", status="SUCCEEDED"
        ),
    ),
    (
        "bad-thing-name",
        "InvalidRequestException",
        400,
        lambda data, iot: data.get_pending_job_executions(thingName="bad.name"),
    ),
    (
        "bad-step-timeout",
        "InvalidRequestException",
        400,
        lambda data, iot: data.start_next_pending_job_execution(
            thingName="t1", stepTimeoutInMinutes=0
        ),
    ),
    (
        "queued-status",
        "InvalidStateTransitionException",
        409,
        lambda data, iot: data.update_job_execution(thingName="t1", jobId="j1", status="QUEUED"),
    ),
    (
        "command-unknown-target",
        "ResourceNotFoundException",
        404,
        lambda data, iot: data.start_command_execution(
            targetArn="arn:aws:iot:us-east-1:123456789012:thing/ghost",
            commandArn="arn:aws:iot:us-east-1:123456789012:command/c",
        ),
    ),
    (
        "control-duplicate-job",
        "ResourceAlreadyExistsException",
        409,
        lambda data, iot: iot.create_job(
            jobId="j1", targets=["arn:aws:iot:us-east-1:123456789012:thing/t1"], document="{}"
        ),
    ),
    (
        "control-unknown-job",
        "ResourceNotFoundException",
        404,
        lambda data, iot: iot.describe_job(jobId="nope"),
    ),
]


@pytest.mark.parametrize(
    ("case_id", "shape", "status", "call"), ERROR_CASES, ids=[case[0] for case in ERROR_CASES]
)
def test_errors_are_modelled_shapes(
    case_id: str,
    shape: str,
    status: int,
    call: Callable[[Any, Any], Any],
    data: Any,
    iot: Any,
    seeded: None,
) -> None:
    client = iot if case_id.startswith("control") else data
    with pytest.raises(getattr(client.exceptions, shape)) as excinfo:
        call(data, iot)
    assert_boto_error(excinfo, shape, status)


# --- error responses on the wire ----------------------------------------------------------------


def test_not_found_error_body(service: Any, seeded: None) -> None:
    assert_aws_error(
        raw(service.url, "GET", "/things/t1/jobs/nope"), "ResourceNotFoundException", 404
    )


def test_invalid_request_error_body(service: Any, seeded: None) -> None:
    assert_aws_error(
        raw(service.url, "GET", "/things/bad.name/jobs"), "InvalidRequestException", 400
    )


def test_invalid_state_transition_error_body(service: Any, seeded: None) -> None:
    response = raw(service.url, "POST", "/things/t1/jobs/j1", body={"status": "QUEUED"})
    assert_aws_error(response, "InvalidStateTransitionException", 409)


def test_version_mismatch_error_body(service: Any, seeded: None) -> None:
    response = raw(
        service.url,
        "POST",
        "/things/t1/jobs/j1",
        body={"status": "IN_PROGRESS", "expectedVersion": 9},
    )
    assert_aws_error(response, "InvalidStateTransitionException", 409)
    assert "VersionMismatch" in response.json()["message"]


def test_control_plane_error_body(service: Any, seeded: None) -> None:
    response = raw(
        service.url,
        "PUT",
        "/jobs/j1",
        body={"targets": ["arn:aws:iot:us-east-1:123456789012:thing/t1"], "document": "{}"},
        scope="iot",
    )
    assert_aws_error(response, "ResourceAlreadyExistsException", 409)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nowhere"),
        ("GET", "/"),
        ("DELETE", "/things/t1/jobs"),
        ("PATCH", "/things/t1/jobs/j1"),
        ("GET", "/things/t1/jobs/j1/extra/segments"),
    ],
)
@pytest.mark.parametrize("scope", [None, "iot-jobs-data"])
def test_unknown_route_is_aws_style_json_error(
    method: str, path: str, scope: str | None, service: Any
) -> None:
    response = raw(service.url, method, path, scope=scope)
    assert 400 <= response.status < 500
    assert is_uuid(response.headers["x-amzn-requestid"])
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["__type"] == response.headers["x-amzn-errortype"]
    assert isinstance(body["message"], str)


def test_malformed_json_body_is_400_not_500(service: Any, seeded: None) -> None:
    parts = urllib.parse.urlsplit(service.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(
            "POST",
            "/things/t1/jobs/j1",
            body=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        status, body = response.status, json.loads(response.read())
    finally:
        conn.close()
    assert status == 400
    assert body["__type"] == "InvalidRequestException"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"targetArn": 5, "commandArn": "x"}', b"[]", b'{"commandArn": "x"}'],
    ids=["malformed", "wrong-type", "not-an-object", "missing-target"],
)
def test_command_execution_bad_body_is_validation_exception(
    body: bytes, service: Any, seeded: None
) -> None:
    parts = urllib.parse.urlsplit(service.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(
            "POST", "/command-executions", body=body, headers={"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        status, headers, payload = response.status, response.getheaders(), response.read()
    finally:
        conn.close()
    assert status == 400
    assert {k.lower(): v for k, v in headers}["x-amzn-errortype"] == "ValidationException"
    assert json.loads(payload)["__type"] == "ValidationException"


def test_update_without_status_is_invalid_request(data_unchecked: Any, seeded: None) -> None:
    with pytest.raises(data_unchecked.exceptions.InvalidRequestException) as excinfo:
        data_unchecked.update_job_execution(thingName="t1", jobId="j1")
    assert_boto_error(excinfo, "InvalidRequestException", 400)


@pytest.mark.parametrize("query", ["executionNumber=abc", "executionNumber=1.5"])
def test_non_numeric_execution_number_is_400(query: str, service: Any, seeded: None) -> None:
    assert_aws_error(
        raw(service.url, "GET", f"/things/t1/jobs/j1?{query}"), "InvalidRequestException", 400
    )


# --- 5xx and 429 bodies -------------------------------------------------------------------------


def test_fault_503_is_json_and_data_plane_only() -> None:
    with LocalJobsService(clock=ManualClock(T0), fault_rate=1.0, seed=1) as svc:
        response = raw(svc.url, "GET", "/things/t1/jobs")
        assert_aws_error(response, "ServiceUnavailableException", 503)
        kwargs: dict[str, Any] = {
            "endpoint_url": svc.url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "config": NO_RETRIES,
        }
        data = boto3.client("iot-jobs-data", **kwargs)
        with pytest.raises(data.exceptions.ServiceUnavailableException) as excinfo:
            data.get_pending_job_executions(thingName="t1")
        assert_boto_error(excinfo, "ServiceUnavailableException", 503)
        iot = boto3.client("iot", **kwargs)
        assert iot.create_thing(thingName="t1")["thingName"] == "t1"


DATA_OPERATIONS: list[tuple[str, Callable[[Any], Any]]] = [
    ("GetPendingJobExecutions", lambda data: data.get_pending_job_executions(thingName="t1")),
    (
        "DescribeJobExecution",
        lambda data: data.describe_job_execution(thingName="t1", jobId="j1"),
    ),
    (
        "StartNextPendingJobExecution",
        lambda data: data.start_next_pending_job_execution(thingName="t1"),
    ),
    (
        "UpdateJobExecution",
        lambda data: data.update_job_execution(thingName="t1", jobId="j1", status="IN_PROGRESS"),
    ),
    (
        "StartCommandExecution",
        lambda data: data.start_command_execution(
            targetArn="arn:aws:iot:us-east-1:123456789012:thing/t1",
            commandArn="arn:aws:iot:us-east-1:123456789012:command/c",
        ),
    ),
]


@pytest.mark.parametrize(
    ("operation", "call"), DATA_OPERATIONS, ids=[op for op, _ in DATA_OPERATIONS]
)
def test_simulated_faults_use_a_shape_the_operation_models(
    operation: str, call: Callable[[Any], Any]
) -> None:
    with LocalJobsService(clock=ManualClock(T0), fault_rate=1.0, seed=1) as svc:
        kwargs: dict[str, Any] = {
            "endpoint_url": svc.url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "config": NO_RETRIES,
        }
        boto3.client("iot", **kwargs).create_thing(thingName="t1")
        data = boto3.client("iot-jobs-data", **kwargs)
        modelled = {
            shape.name for shape in data.meta.service_model.operation_model(operation).error_shapes
        }
        with pytest.raises(data.exceptions.ClientError) as excinfo:
            call(data)
        response = excinfo.value.response
        assert response["Error"]["Code"] in modelled
        assert response["ResponseMetadata"]["HTTPStatusCode"] >= 500
        assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] in modelled


def test_throttle_429_is_throttling_exception() -> None:
    with LocalJobsService(clock=ManualClock(T0), throttle_rps=1) as svc:
        kwargs: dict[str, Any] = {
            "endpoint_url": svc.url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "config": NO_RETRIES,
        }
        data = boto3.client("iot-jobs-data", **kwargs)
        iot = boto3.client("iot", **kwargs)
        for n in range(20):  # the control plane is never throttled
            iot.create_thing(thingName=f"t{n}")
        throttled = []
        for _ in range(20):
            try:
                data.get_pending_job_executions(thingName="t1")
            except data.exceptions.ThrottlingException as error:
                throttled.append(error)
                break
        assert throttled
        response = throttled[0].response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
            "ThrottlingException"
        )


# --- percent-encoding and $next -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["ns:device:1", "a:b", ":leading", "trailing:"])
def test_thing_names_with_colons_work_through_boto3(name: str, data: Any, iot: Any) -> None:
    arn = iot.create_thing(thingName=name)["thingArn"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    assert [s["jobId"] for s in data.get_pending_job_executions(thingName=name)["queuedJobs"]] == [
        "j1"
    ]
    assert data.describe_job_execution(thingName=name, jobId="j1")["execution"]["thingName"] == name
    execution = data.start_next_pending_job_execution(thingName=name)["execution"]
    assert (execution["thingName"], execution["status"]) == (name, "IN_PROGRESS")
    state = data.update_job_execution(
        thingName=name, jobId="j1", status="SUCCEEDED", includeJobExecutionState=True
    )["executionState"]
    assert state["status"] == "SUCCEEDED"


@pytest.mark.parametrize("path_name", ["a%3Ab", "a:b", "a%3ab"])
def test_thing_names_with_colons_raw(path_name: str, service: Any, iot: Any) -> None:
    arn = iot.create_thing(thingName="a:b")["thingArn"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    response = raw(service.url, "GET", f"/things/{path_name}/jobs/j1")
    assert response.status == 200
    assert response.json()["execution"]["thingName"] == "a:b"


def test_job_id_is_percent_decoded(service: Any, seeded: None) -> None:
    response = raw(service.url, "GET", "/things/t%31/jobs/%6A1")
    assert response.status == 200
    assert (response.json()["execution"]["thingName"], response.json()["execution"]["jobId"]) == (
        "t1",
        "j1",
    )


def test_path_is_decoded_once_not_twice(service: Any, iot: Any) -> None:
    arn = iot.create_thing(thingName="a:b")["thingArn"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    # %253A decodes once to "%3A", which is not a valid thing name: decoding twice would find a:b
    assert_aws_error(
        raw(service.url, "GET", "/things/a%253Ab/jobs/j1"), "InvalidRequestException", 400
    )


@pytest.mark.parametrize("next_segment", ["$next", "%24next"])
def test_start_next_route(next_segment: str, service: Any, seeded: None) -> None:
    response = raw(service.url, "PUT", f"/things/t1/jobs/{next_segment}", body={})
    assert response.status == 200
    execution = response.json()["execution"]
    assert (execution["jobId"], execution["status"]) == ("j1", "IN_PROGRESS")


@pytest.mark.parametrize("next_segment", ["%24next", "$next"])
def test_describe_next_route(next_segment: str, service: Any, seeded: None) -> None:
    response = raw(service.url, "GET", f"/things/t1/jobs/{next_segment}")
    assert response.status == 200
    execution = response.json()["execution"]
    assert (execution["jobId"], execution["status"]) == ("j1", "QUEUED")


def test_start_next_without_a_body(service: Any, seeded: None) -> None:
    response = raw(service.url, "PUT", "/things/t1/jobs/$next")
    assert response.status == 200
    assert response.json()["execution"]["status"] == "IN_PROGRESS"


def test_boto3_next_routes(data: Any, seeded: None) -> None:
    described = data.describe_job_execution(thingName="t1", jobId="$next")["execution"]
    assert (described["jobId"], described["status"]) == ("j1", "QUEUED")
    started = data.start_next_pending_job_execution(thingName="t1")["execution"]
    assert (started["jobId"], started["status"]) == ("j1", "IN_PROGRESS")
    described = data.describe_job_execution(thingName="t1", jobId="$next")["execution"]
    assert (described["jobId"], described["status"]) == ("j1", "IN_PROGRESS")


# --- query strings and types --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "has_document"),
    [
        ("", True),
        ("?includeJobDocument=true", True),
        ("?includeJobDocument=false", False),
        ("?includeJobDocument=false&somethingElse=1", False),
        ("?unknownParameter=x", True),
        ("?executionNumber=1", True),
        ("?executionNumber=1&includeJobDocument=false", False),
    ],
)
def test_describe_query_string(query: str, has_document: bool, service: Any, seeded: None) -> None:
    response = raw(service.url, "GET", f"/things/t1/jobs/j1{query}")
    assert response.status == 200
    execution = response.json()["execution"]
    assert execution["executionNumber"] == 1
    assert ("jobDocument" in execution) is has_document
    if has_document:
        assert execution["jobDocument"] == '{"op": "x"}'


def test_execution_number_query_addresses_that_execution(service: Any, seeded: None) -> None:
    assert_aws_error(
        raw(service.url, "GET", "/things/t1/jobs/j1?executionNumber=2"),
        "ResourceNotFoundException",
        404,
    )


def test_timestamps_on_the_wire_are_integers(service: Any, clock: Any, seeded: None) -> None:
    clock.advance(10.75)  # a fractional clock must still give integer seconds
    started = raw(service.url, "PUT", "/things/t1/jobs/$next", body={}).json()["execution"]
    described = raw(service.url, "GET", "/things/t1/jobs/j1").json()["execution"]
    summary = raw(service.url, "GET", "/things/t1/jobs").json()["inProgressJobs"][0]
    for item in (started, described, summary):
        for key in ("queuedAt", "startedAt", "lastUpdatedAt"):
            assert type(item[key]) is int, key
        assert item["queuedAt"] == T0
        assert item["startedAt"] in (T0 + 10, T0 + 11)
        assert type(item["versionNumber"]) is int
        assert type(item["executionNumber"]) is int


def test_raw_shapes_have_exactly_the_modelled_keys(service: Any, seeded: None) -> None:
    """botocore drops unknown members, so extra keys are only visible on the wire."""
    pending = raw(service.url, "GET", "/things/t1/jobs").json()
    assert set(pending) == {"inProgressJobs", "queuedJobs"}
    assert set(pending["queuedJobs"][0]) == SUMMARY_KEYS

    described = raw(service.url, "GET", "/things/t1/jobs/j1").json()
    assert set(described) == {"execution"}
    assert set(described["execution"]) == EXECUTION_KEYS | {"jobDocument"}

    started = raw(service.url, "PUT", "/things/t1/jobs/$next", body={}).json()
    assert set(started) == {"execution"}
    assert set(started["execution"]) == EXECUTION_KEYS | {"startedAt", "jobDocument"}

    pending = raw(service.url, "GET", "/things/t1/jobs").json()
    assert set(pending["inProgressJobs"][0]) == SUMMARY_KEYS | {"startedAt"}

    updated = raw(service.url, "POST", "/things/t1/jobs/j1", body={"status": "IN_PROGRESS"})
    assert (updated.status, updated.json()) == (200, {})
    updated = raw(
        service.url,
        "POST",
        "/things/t1/jobs/j1",
        body={"status": "IN_PROGRESS", "includeJobExecutionState": True},
    )
    assert set(updated.json()) == {"executionState"}
    assert set(updated.json()["executionState"]) == {"status", "statusDetails", "versionNumber"}

    nothing = raw(service.url, "PUT", "/things/t2/jobs/$next", body={})
    assert (nothing.status, nothing.json()) == (200, {})


def test_status_details_are_a_flat_string_map(service: Any, seeded: None) -> None:
    response = raw(
        service.url,
        "POST",
        "/things/t1/jobs/j1",
        body={
            "status": "IN_PROGRESS",
            "statusDetails": {"a": "1"},
            "includeJobExecutionState": True,
        },
    )
    assert response.status == 200
    assert response.json() == {
        "executionState": {"status": "IN_PROGRESS", "statusDetails": {"a": "1"}, "versionNumber": 2}
    }


# --- plane routing by SigV4 credential scope ----------------------------------------------------


def test_same_path_two_planes_through_boto3(data: Any, iot: Any, seeded: None) -> None:
    pending = data.get_pending_job_executions(thingName="t1")
    assert set(pending) - {"ResponseMetadata"} == {"inProgressJobs", "queuedJobs"}
    assert [s["jobId"] for s in pending["queuedJobs"]] == ["j1"]

    listed = iot.list_job_executions_for_thing(thingName="t1")
    assert "inProgressJobs" not in listed
    (summary,) = listed["executionSummaries"]
    assert summary["jobId"] == "j1"
    assert summary["jobExecutionSummary"]["status"] == "QUEUED"
    assert summary["jobExecutionSummary"]["executionNumber"] == 1


def test_list_for_thing_includes_terminal_but_pending_does_not(
    data: Any, iot: Any, seeded: None
) -> None:
    data.update_job_execution(thingName="t1", jobId="j1", status="SUCCEEDED")
    pending = data.get_pending_job_executions(thingName="t1")
    assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])
    (summary,) = iot.list_job_executions_for_thing(thingName="t1")["executionSummaries"]
    assert summary["jobExecutionSummary"]["status"] == "SUCCEEDED"


def test_describe_two_planes_through_boto3(data: Any, iot: Any, seeded: None) -> None:
    data.update_job_execution(
        thingName="t1", jobId="j1", status="IN_PROGRESS", statusDetails={"k": "v"}
    )
    data_execution = data.describe_job_execution(thingName="t1", jobId="j1")["execution"]
    assert data_execution["statusDetails"] == {"k": "v"}
    assert data_execution["jobDocument"] == '{"op": "x"}'
    assert isinstance(data_execution["queuedAt"], int)

    control = iot.describe_job_execution(thingName="t1", jobId="j1")["execution"]
    assert control["statusDetails"] == {"detailsMap": {"k": "v"}}
    assert control["thingArn"] == "arn:aws:iot:us-east-1:123456789012:thing/t1"
    assert control["forceCanceled"] is False
    assert "jobDocument" not in control
    assert control["queuedAt"].timestamp() == T0


@pytest.mark.parametrize(
    ("scope", "keys"),
    [
        (None, {"inProgressJobs", "queuedJobs"}),
        ("iot-jobs-data", {"inProgressJobs", "queuedJobs"}),
        ("iot", {"executionSummaries"}),
    ],
)
def test_plane_chosen_by_credential_scope_list(
    scope: str | None, keys: set[str], service: Any, seeded: None
) -> None:
    response = raw(service.url, "GET", "/things/t1/jobs", scope=scope)
    assert response.status == 200
    body = response.json()
    assert keys <= set(body)
    assert not ({"inProgressJobs", "executionSummaries"} - keys) & set(body)


@pytest.mark.parametrize("scope", [None, "iot-jobs-data", "iot"])
def test_plane_chosen_by_credential_scope_describe(
    scope: str | None, service: Any, seeded: None
) -> None:
    response = raw(service.url, "GET", "/things/t1/jobs/j1", scope=scope)
    assert response.status == 200
    execution = response.json()["execution"]
    if scope == "iot":
        assert execution["thingArn"] == "arn:aws:iot:us-east-1:123456789012:thing/t1"
        assert "jobDocument" not in execution
        assert "thingName" not in execution
    else:
        assert execution["thingName"] == "t1"
        assert execution["jobDocument"] == '{"op": "x"}'
        assert "thingArn" not in execution


def test_other_signing_region_still_routes_by_service(service: Any, seeded: None) -> None:
    parts = urllib.parse.urlsplit(service.url)
    request = AWSRequest(method="GET", url=service.url + "/things/t1/jobs")
    SigV4Auth(Credentials("AKIDEXAMPLE", "other-secret"), "iot", "eu-west-1").add_auth(request)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/things/t1/jobs", headers=dict(request.headers.items()))
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200
    assert "executionSummaries" in body


# --- endpoints (spec section 8) -----------------------------------------------------------------


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_IOT_JOBS_DATA_PLANE", "AWS_ENDPOINT_URL"])
def test_endpoint_from_environment(
    variable: str, service: Any, seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, service.url)
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    data = session.client("iot-jobs-data", config=NO_RETRIES)
    queued = data.get_pending_job_executions(thingName="t1")["queuedJobs"]
    assert [s["jobId"] for s in queued] == ["j1"]


def test_describe_endpoint_gives_the_service_address(iot: Any, service: Any) -> None:
    address = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    assert urllib.parse.urlsplit(service.url).netloc in address
