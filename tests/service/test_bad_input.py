"""Hostile HTTP, property-based: every request gets an answer, never a 5xx, and the service lives.

Requests are sent raw with ``http.client`` so that nothing botocore would refuse to send is out of
reach. Unsigned requests go to the data plane; a fake SigV4 ``Authorization`` header whose scope
names ``iot`` sends them to the control plane (the service checks the scope, not the signature).
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobsnb.service import LocalJobsService, ManualClock

START = 1_700_000_000.0
ARN = "arn:aws:iot:us-east-1:123456789012:thing/{}"
CONTROL_AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iot/aws4_request, "
    "SignedHeaders=host, Signature=abc"
)
DATA_AUTH = CONTROL_AUTH.replace("/iot/", "/iot-jobs-data/")
THING_NAME = re.compile(r"[a-zA-Z0-9:_-]{1,128}")
JOB_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
TIMEOUT = 20.0

FAST = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def svc() -> Iterator[LocalJobsService]:
    with LocalJobsService(clock=ManualClock(START)) as service:
        service.backend.create_thing("dev")
        service.backend.create_thing("idle")
        service.backend.create_job("job1", targets=[ARN.format("dev")], document='{"op":"x"}')
        # Random paths may start, cancel or delete dev's execution; qdev is out of their reach.
        service.backend.create_thing("qdev")
        service.backend.create_job("qjob", targets=[ARN.format("qdev")], document='{"op":"x"}')
        yield service


_fresh = itertools.count()


def fresh_execution(svc: LocalJobsService) -> tuple[str, str]:
    """A new thing with one new QUEUED execution, so examples do not disturb each other."""
    n = next(_fresh)
    thing, job = f"fresh-{n}", f"fresh-job-{n}"
    svc.backend.create_thing(thing)
    svc.backend.create_job(job, targets=[ARN.format(thing)], document='{"op":"x"}')
    return thing, job


def send(
    svc: LocalJobsService,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    control: bool = False,
    headers: dict[str, str] | None = None,
) -> Reply:
    port = int(svc.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if control:
        all_headers["Authorization"] = CONTROL_AUTH
    try:
        # The service may answer before reading all of a huge body; its answer must still arrive.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(method, path, body=body, headers=all_headers)
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def assert_well_formed(reply: Reply) -> None:
    """2xx, or a 4xx with an AWS error body; never a 5xx."""
    assert reply.status < 500, (reply.status, reply.body[:300])
    assert 200 <= reply.status < 300 or 400 <= reply.status < 500, reply.status
    assert reply.headers.get("x-amzn-requestid"), reply.headers
    if 200 <= reply.status < 300:
        return
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
    body = reply.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("message"), str), body
    assert isinstance(body.get("__type"), str), body
    assert body["__type"], body
    assert reply.headers["x-amzn-errortype"].split(":")[0] == body["__type"]


def assert_error(reply: Reply, status: int, shape: str | None = None) -> None:
    assert_well_formed(reply)
    assert reply.status == status, (reply.status, reply.body[:300])
    if shape is not None:
        assert reply.json()["__type"] == shape


def assert_still_serving(svc: LocalJobsService) -> None:
    reply = send(svc, "GET", "/things/dev/jobs")
    assert reply.status == 200, reply.body[:300]
    body = reply.json()
    assert isinstance(body["inProgressJobs"], list)
    assert isinstance(body["queuedJobs"], list)


def execution_of(svc: LocalJobsService, thing: str, job: str) -> dict[str, Any]:
    reply = send(svc, "GET", f"/things/{thing}/jobs/{job}")
    assert reply.status == 200, reply.body[:300]
    return reply.json()["execution"]  # type: ignore[no-any-return]


# --- malformed JSON ----------------------------------------------------------------------------


def _not_json(raw: bytes) -> bool:
    if not raw.strip():
        return False
    try:
        json.loads(raw)
    except ValueError:
        return True
    return False


malformed = st.one_of(
    st.binary(min_size=1, max_size=200),
    st.text(min_size=1, max_size=200).map(str.encode),
    st.sampled_from(
        [b"{", b"{]", b'{"status": }', b'{"status": "IN_PROGRESS"', b"{'status': 'x'}", b"\xff\xfe"]
    ),
    st.builds(lambda s: b'{"status": "IN_PROGRESS",' + s, st.binary(max_size=40)),
).filter(_not_json)


@FAST
@given(body=malformed)
def test_malformed_json_update_is_400(svc, body):
    thing, job = fresh_execution(svc)
    assert_error(send(svc, "POST", f"/things/{thing}/jobs/{job}", body), 400)
    assert execution_of(svc, thing, job)["versionNumber"] == 1
    assert_still_serving(svc)


@FAST
@given(body=malformed)
def test_malformed_json_start_next_is_400(svc, body):
    thing, job = fresh_execution(svc)
    assert_error(send(svc, "PUT", f"/things/{thing}/jobs/$next", body), 400)
    assert execution_of(svc, thing, job)["status"] == "QUEUED"
    assert_still_serving(svc)


@FAST
@given(body=malformed)
def test_malformed_json_create_job_is_400(svc, body):
    n = next(_fresh)
    assert_error(send(svc, "PUT", f"/jobs/bad-{n}", body, control=True), 400)
    assert_error(send(svc, "GET", f"/jobs/bad-{n}", control=True), 404)
    assert_still_serving(svc)


# --- wrong JSON types --------------------------------------------------------------------------

not_string = st.one_of(
    st.integers(), st.booleans(), st.floats(allow_nan=False), st.lists(st.text(), max_size=2)
)
not_int = st.one_of(
    st.text(max_size=10),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
not_bool = st.one_of(
    st.sampled_from(["true", "false", "True", "yes"]),
    st.integers(),
    st.lists(st.booleans(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.booleans(), max_size=2),
)
not_string_map = st.one_of(
    st.text(max_size=10),
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        st.one_of(st.integers(), st.booleans(), st.lists(st.text(), max_size=2), st.none()),
        min_size=1,
        max_size=3,
    ),
)

UPDATE_FIELDS = {
    "status": st.one_of(not_string, st.none()),
    "statusDetails": not_string_map,
    "stepTimeoutInMinutes": not_int,
    "expectedVersion": not_int,
    "includeJobExecutionState": not_bool,
    "includeJobDocument": not_bool,
    "executionNumber": not_int,
}


@FAST
@given(data=st.data(), field=st.sampled_from(sorted(UPDATE_FIELDS)))
def test_wrong_type_in_update_is_400_and_changes_nothing(svc, data, field):
    value = data.draw(UPDATE_FIELDS[field], label=field)
    thing, job = fresh_execution(svc)
    body = {"status": "IN_PROGRESS", field: value}
    reply = send(svc, "POST", f"/things/{thing}/jobs/{job}", json.dumps(body).encode())
    assert_error(reply, 400, "InvalidRequestException")
    ex = execution_of(svc, thing, job)
    assert (ex["status"], ex["versionNumber"]) == ("QUEUED", 1)
    assert_still_serving(svc)


START_NEXT_FIELDS = {"statusDetails": not_string_map, "stepTimeoutInMinutes": not_int}


@FAST
@given(data=st.data(), field=st.sampled_from(sorted(START_NEXT_FIELDS)))
def test_wrong_type_in_start_next_is_400_and_changes_nothing(svc, data, field):
    value = data.draw(START_NEXT_FIELDS[field], label=field)
    thing, job = fresh_execution(svc)
    reply = send(svc, "PUT", f"/things/{thing}/jobs/$next", json.dumps({field: value}).encode())
    assert_error(reply, 400, "InvalidRequestException")
    ex = execution_of(svc, thing, job)
    assert (ex["status"], ex["versionNumber"]) == ("QUEUED", 1)


CREATE_JOB_FIELDS = {
    "targets": st.one_of(
        st.text(max_size=10), st.integers(), st.lists(st.integers(), min_size=1, max_size=2)
    ),
    "document": st.one_of(
        st.integers(), st.booleans(), st.dictionaries(st.text(max_size=3), st.integers())
    ),
    "targetSelection": not_string,
    "description": not_string,
    "timeoutConfig": st.one_of(
        st.text(max_size=5), st.integers(), st.just({"inProgressTimeoutInMinutes": "ten"})
    ),
    "jobExecutionsRolloutConfig": st.one_of(
        st.text(max_size=5), st.just({"maximumPerMinute": "many"}), st.just({"maximumPerMinute": 0})
    ),
    "jobExecutionsRetryConfig": st.one_of(
        st.integers(), st.just({"criteriaList": "all"}), st.just({"criteriaList": [1]})
    ),
    "abortConfig": st.one_of(
        st.booleans(),
        st.just({"criteriaList": {}}),
        st.just(
            {
                "criteriaList": [
                    {
                        "failureType": "FAILED",
                        "action": "CANCEL",
                        "thresholdPercentage": "half",
                        "minNumberOfExecutedThings": 1,
                    }
                ]
            }
        ),
    ),
}


@FAST
@given(data=st.data(), field=st.sampled_from(sorted(CREATE_JOB_FIELDS)))
def test_wrong_type_in_create_job_is_400_and_creates_nothing(svc, data, field):
    value = data.draw(CREATE_JOB_FIELDS[field], label=field)
    n = next(_fresh)
    body = {"targets": [ARN.format("idle")], "document": '{"op":"x"}', field: value}
    reply = send(svc, "PUT", f"/jobs/typed-{n}", json.dumps(body).encode(), control=True)
    assert_error(reply, 400, "InvalidRequestException")
    assert_error(send(svc, "GET", f"/jobs/typed-{n}", control=True), 404)


CANCEL_FIELDS = {"expectedVersion": not_int, "statusDetails": not_string_map}


@FAST
@given(data=st.data(), field=st.sampled_from(sorted(CANCEL_FIELDS)))
def test_wrong_type_in_cancel_job_execution_is_400(svc, data, field):
    value = data.draw(CANCEL_FIELDS[field], label=field)
    thing, job = fresh_execution(svc)
    reply = send(
        svc,
        "PUT",
        f"/things/{thing}/jobs/{job}/cancel",
        json.dumps({field: value}).encode(),
        control=True,
    )
    assert_error(reply, 400, "InvalidRequestException")
    assert execution_of(svc, thing, job)["status"] == "QUEUED"


# --- random paths and methods ------------------------------------------------------------------

segment = st.one_of(
    st.sampled_from(
        [
            "things",
            "jobs",
            "$next",
            "%24next",
            "thing-groups",
            "cancel",
            "executionNumber",
            "job-document",
            "endpoint",
            "command-executions",
            "dev",
            "job1",
            "1",
            "",
            "..",
            "%2F",
            "%00",
        ]
    ),
    st.text(max_size=20).map(lambda s: quote(s, safe="")),
)
paths = st.lists(segment, min_size=0, max_size=7).map(lambda parts: "/" + "/".join(parts))
methods = st.sampled_from(["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"])
bodies = st.one_of(
    st.none(),
    st.just(b"{}"),
    st.binary(max_size=100),
    st.dictionaries(
        st.sampled_from(["status", "targets", "document", "thingName", "force", "x"]),
        st.one_of(st.text(max_size=10), st.integers(), st.booleans()),
        max_size=3,
    ).map(lambda d: json.dumps(d).encode()),
)
auths = st.sampled_from([None, CONTROL_AUTH, DATA_AUTH, "garbage", "AWS4-HMAC-SHA256 nonsense"])


@settings(FAST, max_examples=150)
@given(method=methods, path=paths, body=bodies, auth=auths)
def test_random_requests_get_well_formed_answers(svc, method, path, body, auth):
    headers = {"Authorization": auth} if auth else {}
    assert_well_formed(send(svc, method, path, body, headers=headers))
    assert_still_serving(svc)


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/things/dev/jobs"), ("DELETE", "/things/dev/jobs/$next"), ("GET", "/nowhere")],
)
def test_unknown_routes_are_4xx(svc, method, path):
    for control in (False, True):
        reply = send(svc, method, path, control=control)
        assert_well_formed(reply)
        assert 400 <= reply.status < 500


# --- random names and ids in paths -------------------------------------------------------------

names = st.one_of(
    st.text(max_size=140),
    st.from_regex(r"[a-zA-Z0-9:_-]{1,128}", fullmatch=True),
    st.from_regex(r"[a-zA-Z0-9:_-]{129,140}", fullmatch=True),
)
job_ids = st.one_of(
    st.text(max_size=70),
    st.from_regex(r"zz[a-zA-Z0-9_-]{0,62}", fullmatch=True),
    st.from_regex(r"[a-zA-Z0-9_-]{65,70}", fullmatch=True),
)


@FAST
@given(name=names)
def test_get_pending_for_any_thing_name(svc, name):
    reply = send(svc, "GET", f"/things/{quote(name, safe='')}/jobs")
    if THING_NAME.fullmatch(name):
        assert reply.status == 200, reply.body[:300]
        body = reply.json()
        assert isinstance(body["inProgressJobs"], list)
        assert isinstance(body["queuedJobs"], list)
    else:
        assert_well_formed(reply)
        assert 400 <= reply.status < 500


@FAST
@given(name=names, job_id=job_ids)
def test_describe_execution_for_any_ids(svc, name, job_id):
    reply = send(svc, "GET", f"/things/{quote(name, safe='')}/jobs/{quote(job_id, safe='')}")
    assert_well_formed(reply)
    if THING_NAME.fullmatch(name) and JOB_ID.fullmatch(job_id):
        assert_error(reply, 404, "ResourceNotFoundException")
    elif job_id:  # an empty id leaves "/things/x/jobs/", which may be read as GetPending
        assert 400 <= reply.status < 500


@FAST
@given(name=names, job_id=job_ids)
def test_update_execution_for_any_ids(svc, name, job_id):
    path = f"/things/{quote(name, safe='')}/jobs/{quote(job_id, safe='')}"
    reply = send(svc, "POST", path, b'{"status": "SUCCEEDED"}')
    assert_well_formed(reply)
    if THING_NAME.fullmatch(name) and JOB_ID.fullmatch(job_id):
        assert_error(reply, 404, "ResourceNotFoundException")
    else:
        assert 400 <= reply.status < 500


@FAST
@given(name=names)
def test_control_plane_describe_thing_for_any_name(svc, name):
    reply = send(svc, "GET", f"/things/{quote(name, safe='')}", control=True)
    assert_well_formed(reply)
    if not name:  # "/things/" may be read as ListThings
        return
    if not THING_NAME.fullmatch(name):
        assert 400 <= reply.status < 500
    elif reply.status == 200:  # random control-plane requests may have created it
        assert reply.json()["thingName"] == name
    else:
        assert_error(reply, 404, "ResourceNotFoundException")


# --- random query strings ----------------------------------------------------------------------

query_pairs = st.lists(st.tuples(st.text(max_size=15), st.text(max_size=15)), max_size=5).filter(
    lambda pairs: not {k for k, _ in pairs} & {"includeJobDocument", "executionNumber"}
)


@FAST
@given(pairs=query_pairs)
def test_unknown_query_parameters_are_ignored(svc, pairs):
    query = urlencode(pairs)
    reply = send(svc, "GET", f"/things/qdev/jobs?{query}")
    assert reply.status == 200, reply.body[:300]
    assert [s["jobId"] for s in reply.json()["queuedJobs"]] == ["qjob"]
    reply = send(svc, "GET", f"/things/qdev/jobs/qjob?{query}")
    assert reply.status == 200, reply.body[:300]
    assert reply.json()["execution"]["jobId"] == "qjob"


@FAST
@given(
    number=st.one_of(
        st.from_regex(r"[0-9]{1,6}", fullmatch=True),
        st.from_regex(r"[a-zA-Z]{1,6}", fullmatch=True),
    )
)
def test_execution_number_query_parameter(svc, number):
    reply = send(svc, "GET", f"/things/qdev/jobs/qjob?{urlencode({'executionNumber': number})}")
    if not number.isdigit():
        assert_error(reply, 400, "InvalidRequestException")
    elif int(number) == 0:  # no such execution, or not a valid execution number
        assert_well_formed(reply)
        assert reply.status in (400, 404)
    elif int(number) == 1:
        assert reply.status == 200
        assert reply.json()["execution"]["executionNumber"] == 1
    else:
        assert_error(reply, 404, "ResourceNotFoundException")


@FAST
@given(value=st.text(max_size=12))
def test_list_jobs_max_results_query(svc, value):
    reply = send(svc, "GET", f"/jobs?{urlencode({'maxResults': value})}", control=True)
    assert_well_formed(reply)
    if re.fullmatch(r"[0-9]{1,4}", value) and 1 <= int(value) <= 250:
        assert reply.status == 200
        assert isinstance(reply.json()["jobs"], list)
    elif not any(c.isdigit() for c in value) or (
        re.fullmatch(r"[0-9]+", value) and not 1 <= int(value) <= 250
    ):
        assert_error(reply, 400, "InvalidRequestException")


LIST_PATHS = [
    "/things",
    "/jobs",
    "/jobs/qjob/things",
    "/things/qdev/jobs",
    "/thing-groups/g/things",
]


@FAST
@given(path=st.sampled_from(LIST_PATHS), token=st.text(max_size=40), size=st.integers(1, 250))
def test_control_plane_lists_with_random_next_token(svc, path, token, size):
    query = urlencode({"nextToken": token, "maxResults": size})
    reply = send(svc, "GET", f"{path}?{query}", control=True)
    assert_well_formed(reply)
    if token == "" and path != "/thing-groups/g/things":
        assert reply.status == 200, reply.body[:300]
    assert_still_serving(svc)


@FAST
@given(value=st.text(max_size=12))
def test_boolean_query_parameter(svc, value):
    query = urlencode({"includeJobDocument": value})
    reply = send(svc, "GET", f"/things/qdev/jobs/qjob?{query}")
    assert_well_formed(reply)
    if value in ("true", "false"):
        assert reply.status == 200
        assert ("jobDocument" in reply.json()["execution"]) is (value == "true")
    elif value.strip().lower() not in ("true", "false", ""):
        assert_error(reply, 400, "InvalidRequestException")


# --- oversized bodies --------------------------------------------------------------------------

MB = 1024 * 1024


def _huge_update(size: int) -> bytes:
    return json.dumps({"status": "IN_PROGRESS", "statusDetails": {"k": "v" * size}}).encode()


def _huge_job(size: int) -> bytes:
    document = json.dumps({"p": "x" * size})
    return json.dumps({"targets": [ARN.format("idle")], "document": document}).encode()


@pytest.mark.parametrize("size", [3 * MB, 8 * MB])
@pytest.mark.parametrize("kind", ["update", "start-next", "create-job", "garbage", "unknown-route"])
def test_oversized_bodies_are_refused_cleanly(svc, kind, size):
    thing, job = fresh_execution(svc)
    if kind == "update":
        reply = send(svc, "POST", f"/things/{thing}/jobs/{job}", _huge_update(size))
    elif kind == "start-next":
        body = json.dumps({"statusDetails": {"k": "v" * size}}).encode()
        reply = send(svc, "PUT", f"/things/{thing}/jobs/$next", body)
    elif kind == "create-job":
        reply = send(svc, "PUT", f"/jobs/huge-{thing}", _huge_job(size), control=True)
    elif kind == "garbage":
        reply = send(svc, "POST", f"/things/{thing}/jobs/{job}", b"a" * size)
    else:
        reply = send(svc, "POST", "/no/such/route", b"{" * size)
    assert_well_formed(reply)
    assert 400 <= reply.status < 500
    ex = execution_of(svc, thing, job)
    assert (ex["status"], ex["versionNumber"]) == ("QUEUED", 1)
    assert_still_serving(svc)


def test_plain_http11_request_with_connection_close_is_answered(svc):
    port = int(svc.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        host = f"Host: 127.0.0.1:{port}".encode()  # another Host is refused (DNS rebinding)
        sock.sendall(b"GET /things/dev/jobs HTTP/1.1\r\n" + host + b"\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head = b"".join(chunks).split(b"\r\n", 1)[0]
    assert head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")), head
