"""A real browser: a page of another local origin cannot change an execution with a no-cors
``text/plain`` POST; once its origin is allowed, a CORS ``fetch`` (with its preflight) can."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import CREDENTIALS, NO_RETRIES, REGION, START, THING_ARN

pytestmark = pytest.mark.slow

PAGE = b"<!doctype html><title>another site</title><p>another site</p>"
NO_CORS = """async (url) => {
  await fetch(url, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
                    body: JSON.stringify({status: "SUCCEEDED"})});
  return "answered";
}"""
CORS = """async (url) => {
  const answer = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                   body: JSON.stringify({status: "SUCCEEDED",
                                                         includeJobExecutionState: true})});
  return [answer.status, await answer.json()];
}"""


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    """Another local origin: a tiny web site on its own port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _service(allow_origins: list[str]) -> LocalJobsService:
    service = LocalJobsService(clock=ManualClock(START), allow_origins=allow_origins)
    service.start()
    service.backend.create_thing("dev")
    service.backend.create_job("job1", targets=[THING_ARN.format("dev")], document="{}")
    return service


def _status(service: LocalJobsService) -> tuple[str, int]:
    data = boto3.client("iot-jobs-data", endpoint_url=service.url, region_name=REGION,
                        config=NO_RETRIES, **CREDENTIALS)  # fmt: skip
    execution = data.describe_job_execution(thingName="dev", jobId="job1")["execution"]
    return execution["status"], execution["versionNumber"]


def test_a_foreign_page_cannot_update_an_execution_unless_its_origin_is_allowed(
    browser: Any, site: str
) -> None:
    page = browser.new_page()
    try:
        page.goto(site)
        with _service([]) as service:
            url = f"{service.url}/things/dev/jobs/job1"
            # The promise settles once the service has answered (an opaque answer for no-cors).
            assert page.evaluate(NO_CORS, url) == "answered"
            assert service.request_counts.get("Refused") == 1
            assert _status(service) == ("QUEUED", 1)
        with _service([site]) as service:
            url = f"{service.url}/things/dev/jobs/job1"
            status, body = page.evaluate(CORS, url)
            assert status == 200, body
            assert body["executionState"]["status"] == "SUCCEEDED"
            assert _status(service) == ("SUCCEEDED", 2)
    finally:
        page.close()
