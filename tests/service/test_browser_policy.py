"""Browser safety: a web page's request (an ``Origin`` not allowed) and a DNS-rebound one (a
``Host`` not the service's) get 403 and change nothing; an allowed origin gets CORS; AWS SDKs,
which send no Origin and the endpoint's own Host, never notice."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from jobsnb.exceptions import InvalidParameterError
from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import CREDENTIALS, NO_RETRIES, REGION, START, THING_ARN, serve

EVIL = "http://evil.example"
GOOD = "http://localhost:8888"
UPDATE = b'{"status": "SUCCEEDED"}'


@pytest.fixture
def seeded(make_things: Callable[..., list[str]], make_job: Callable[..., str]) -> None:
    make_things("dev")
    make_job("job1", ["dev"])


def _execution(data: Any) -> tuple[str, int]:
    execution = data.describe_job_execution(thingName="dev", jobId="job1")["execution"]
    return execution["status"], execution["versionNumber"]


def _assert_refused(reply: Any, says: str) -> None:
    assert reply.status == 403, (reply.status, reply.body[:300])
    body = reply.json()
    assert body["__type"] == "AccessDeniedException" == reply.headers["x-amzn-errortype"]
    assert says in body["message"], body["message"]
    assert "access-control-allow-origin" not in reply.headers


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("origin", [EVIL, "null", "http://127.0.0.1:1234", GOOD])
def test_a_page_of_another_origin_cannot_update_an_execution(
    raw: Callable[..., Any], data: Any, service: LocalJobsService, origin: str
) -> None:
    headers = {"Origin": origin, "Content-Type": "text/plain;charset=UTF-8"}
    reply = raw("POST", "/things/dev/jobs/job1", UPDATE, headers=headers)
    _assert_refused(reply, f"--allow-origin {origin}")
    assert f"allow_origins=['{origin}']" in reply.json()["message"]
    assert _execution(data) == ("QUEUED", 1)
    assert service.request_counts.get("Refused") == 1
    assert "UpdateJobExecution" not in service.request_counts


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1",
                                  "localhost.evil.example:{port}", "10.0.0.1:{port}"])  # fmt: skip
def test_a_forged_host_is_refused_like_dns_rebinding(
    data: Any, service: LocalJobsService, host: str
) -> None:
    port = service.port
    for method, path, body in (("POST", "/things/dev/jobs/job1", UPDATE),
                               ("GET", "/things/dev/jobs", None)):  # fmt: skip
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            conn.putrequest(method, path, skip_host=True)
            conn.putheader("Host", host.format(port=port))
            conn.putheader("Content-Length", str(len(body or b"")))
            conn.endheaders(body)
            answer = conn.getresponse()
            reply = _Reply(answer.status, dict(answer.getheaders()), answer.read())
        finally:
            conn.close()
        _assert_refused(reply, "DNS rebinding")
    assert _execution(data) == ("QUEUED", 1)


class _Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.body = status, body
        self.headers = {k.lower(): v for k, v in headers.items()}

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}",
                                  "localhost", "[::1]:{port}"])  # fmt: skip
def test_the_services_own_hosts_are_answered(service: LocalJobsService, host: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=20)
    try:
        conn.putrequest("GET", "/things/dev/jobs", skip_host=True)
        conn.putheader("Host", host.format(port=service.port))
        conn.endheaders()
        answer = conn.getresponse()
        assert answer.status == 200, answer.read()
    finally:
        conn.close()


@pytest.fixture
def allowing() -> Iterator[LocalJobsService]:
    with LocalJobsService(clock=ManualClock(START), allow_origins=[GOOD]) as service:
        service.backend.create_thing("dev")
        service.backend.create_job("job1", targets=[THING_ARN.format("dev")], document="{}")
        yield service


def _request(service: LocalJobsService, method: str, headers: dict[str, str]) -> _Reply:
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=20)
    try:
        body = UPDATE if method == "POST" else None
        conn.request(method, "/things/dev/jobs/job1", body=body, headers=headers)
        answer = conn.getresponse()
        return _Reply(answer.status, dict(answer.getheaders()), answer.read())
    finally:
        conn.close()


def test_an_allowed_origin_gets_cors_for_its_preflight_and_its_request(
    allowing: LocalJobsService,
) -> None:
    preflight = _request(allowing, "OPTIONS", {
        "Origin": GOOD, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-amz-user-agent",
    })  # fmt: skip
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == GOOD
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "content-type, x-amz-user-agent"
    update = _request(allowing, "POST", {"Origin": GOOD, "Content-Type": "application/json"})
    assert update.status == 200, update.body
    assert update.headers["access-control-allow-origin"] == GOOD
    assert "x-amzn-RequestId" in update.headers["access-control-expose-headers"]
    assert allowing.backend.describe_job_execution("dev", "job1").status == "SUCCEEDED"


def test_a_preflight_from_another_origin_is_refused(allowing: LocalJobsService) -> None:
    reply = _request(allowing, "OPTIONS", {"Origin": EVIL, "Access-Control-Request-Method": "POST"})
    _assert_refused(reply, "--allow-origin")


def test_boto3_with_any_endpoint_spelling_is_unaffected(seeded: None, service: Any) -> None:
    for host in ("127.0.0.1", "localhost"):
        url = f"http://{host}:{service.port}"
        data = boto3.client("iot-jobs-data", endpoint_url=url, region_name=REGION,
                            config=NO_RETRIES, **CREDENTIALS)  # fmt: skip
        iot = boto3.client("iot", endpoint_url=url, region_name=REGION, config=NO_RETRIES,
                           **CREDENTIALS)  # fmt: skip
        assert iot.describe_job(jobId="job1")["job"]["jobId"] == "job1"
        assert data.get_pending_job_executions(thingName="dev")["queuedJobs"]
    assert "Refused" not in service.request_counts


@pytest.mark.parametrize("origins", ["http://localhost:8888", ["localhost:8888"]])
def test_allow_origins_takes_a_list_of_origins(origins: Any) -> None:
    with pytest.raises(InvalidParameterError, match="allow_origins"):
        LocalJobsService(allow_origins=origins)


def test_jobsnb_serve_allow_origin(tmp_path: Path) -> None:
    with serve(tmp_path, "--allow-origin", GOOD, "--allow-origin", "http://localhost:9999") as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
        for origin, status in ((GOOD, 200), ("http://localhost:9999", 200), (EVIL, 403)):
            conn.request("GET", "/things/dev/jobs", headers={"Origin": origin})
            answer = conn.getresponse()
            answer.read()
            assert answer.status == status, origin
        conn.close()
        assert srv.stop() == 0
