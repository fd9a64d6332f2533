"""Malformed and hostile HTTP on raw sockets: a prompt 4xx or a close, never a crash, a hang or
unbounded memory, while a good call made at the same time keeps answering within a second."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from jobsnb.service import LocalJobsService, ManualClock
from jobsnb.service.protocol import MAX_HEAD
from tests.helpers import CREDENTIALS, NO_RETRIES, REGION, START

PROMPT = 5.0  # seconds: far more than a prompt answer takes, far less than a hang
GOOD_CALL = 1.0  # seconds a good call may take while hostile connections are open


@pytest.fixture
def svc() -> Iterator[LocalJobsService]:
    with LocalJobsService(clock=ManualClock(START), request_timeout=1.0) as service:
        yield service


def connect(service: LocalJobsService) -> socket.socket:
    port = int(service.url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=PROMPT)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a socket timeout fails the test)."""
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_and_body(raw: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, json.loads(body)


def assert_refused_as_aws_json(raw: bytes, status: int = 400) -> None:
    code, headers, body = status_and_body(raw)
    assert code == status, raw[:300]
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-requestid"]
    assert headers["x-amzn-errortype"] == body["__type"]
    assert isinstance(body["message"], str)


def good_call_seconds(service: LocalJobsService) -> float:
    data = boto3.client(
        "iot-jobs-data", endpoint_url=service.url, region_name=REGION, config=NO_RETRIES,
        **CREDENTIALS,
    )  # fmt: skip
    began = time.perf_counter()
    assert data.get_pending_job_executions(thingName="good")["queuedJobs"] == []
    return time.perf_counter() - began


HEAD = (
    b"POST /things/dev/jobs/job1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
)


@pytest.mark.parametrize(
    "request_bytes",
    [
        # A negative chunk size: the old parser read until the client stopped sending.
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n",
        # A non-ASCII digit passes str.isdigit(); the old handler crashed with no answer.
        HEAD + "Content-Length: \u00b9\r\n\r\n".encode(),
        # Two different lengths: the old parser waited for bytes that never came.
        HEAD + b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
        # Both framings at once (request smuggling).
        HEAD + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
        b"GARBAGE\r\n\r\n",
        b"GET /things/dev/jobs HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /things/dev/jobs HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
    ],
    ids=["negative-chunk", "unicode-length", "two-lengths", "length-and-chunked", "garbage",
         "version", "header-name"],
)  # fmt: skip
def test_malformed_framing_gets_a_prompt_aws_400_and_a_close(svc, request_bytes):
    with connect(svc) as sock:
        sock.sendall(request_bytes)
        raw = read_until_closed(sock)
    assert_refused_as_aws_json(raw)
    assert good_call_seconds(svc) < GOOD_CALL


def test_a_negative_chunk_size_does_not_read_what_follows(svc):
    with connect(svc) as sock:
        sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n")
        assert_refused_as_aws_json(read_until_closed(sock))
        sent = 0
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(64):  # up to 64 MB, which the old server read and kept
                sock.sendall(b"x" * (1 << 20))
                sent += 1 << 20
    assert sent < 64 << 20, "the server kept reading after refusing the request"


def test_a_request_trickling_in_is_cut_off_at_its_deadline(svc):
    slow = connect(svc)
    slow.sendall(b"GET /things/dev/jobs HTTP/1.1\r\n")
    began = time.monotonic()
    closed = threading.Event()

    def trickle() -> None:
        with contextlib.suppress(OSError):
            while not closed.is_set():
                slow.sendall(b"X")  # one byte of a header line every 0.1 s
                time.sleep(0.1)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(trickle)
        assert good_call_seconds(svc) < GOOD_CALL
        assert read_until_closed(slow) == b""  # closed by the service, not answered
        closed.set()
    waited = time.monotonic() - began
    assert 0.9 <= waited < PROMPT, waited  # request_timeout=1.0
    slow.close()


def test_a_body_that_stops_arriving_is_cut_off_at_its_deadline(svc):
    with connect(svc) as sock:
        sock.sendall(HEAD + b"Content-Length: 100\r\n\r\n{")
        began = time.monotonic()
        assert good_call_seconds(svc) < GOOD_CALL
        assert read_until_closed(sock) == b""
        assert 0.9 <= time.monotonic() - began < PROMPT


def test_an_endless_head_is_refused_at_its_size_cap(svc):
    with connect(svc) as sock:
        sock.sendall(b"GET /things/dev/jobs HTTP/1.1\r\nX-Long: ")
        sent = 0
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while sent < 1024 * MAX_HEAD:  # 64 MB
                sock.sendall(b"a" * MAX_HEAD)
                sent += MAX_HEAD
        raw = read_until_closed(sock)
    assert_refused_as_aws_json(raw)
    assert sent < 1024 * MAX_HEAD, "the service kept reading an endless header"
    assert good_call_seconds(svc) < GOOD_CALL


def test_idle_connections_cost_no_thread_and_are_capped(clock: ManualClock) -> None:
    with LocalJobsService(clock=clock, max_connections=50) as service:
        threads = threading.active_count()
        idle = [connect(service) for _ in range(50)]
        try:
            assert threading.active_count() == threads
            with connect(service) as surplus:  # the 51st: one too many
                assert_refused_as_aws_json(read_until_closed(surplus), status=503)
            idle.pop().close()
            assert good_call_seconds(service) < GOOD_CALL
        finally:
            for sock in idle:
                sock.close()


def test_hundreds_of_idle_connections_leave_good_calls_prompt(svc):
    threads = threading.active_count()
    idle = [connect(svc) for _ in range(300)]
    try:
        assert threading.active_count() == threads
        assert good_call_seconds(svc) < GOOD_CALL
    finally:
        for sock in idle:
            sock.close()


def test_latency_delays_each_request_without_blocking_the_others(clock: ManualClock) -> None:
    with LocalJobsService(clock=clock, latency_ms=400) as service:
        good_call_seconds(service)  # connect and warm up
        began = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            seconds = list(pool.map(lambda _: good_call_seconds(service), range(8)))
        elapsed = time.perf_counter() - began
    assert min(seconds) >= 0.4  # each one waited its latency...
    assert elapsed < 8 * 0.4 / 2, elapsed  # ...at the same time, not one after another


def test_a_whole_request_over_the_head_cap_in_one_read_is_answered(svc):
    """Only the head counts against MAX_HEAD: a request whose head and large body arrive in one
    read (and the request after it on the connection) is answered, not refused as a long head."""
    body = b'{"attributePayload": {"attributes": {"a": "b"}}}' + b" " * (2 * MAX_HEAD)
    head = (
        b"POST /things/t%d HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iot/aws4_request, "
        b"SignedHeaders=host, Signature=abc\r\nContent-Length: %d\r\n\r\n"
    )
    with connect(svc) as sock:
        for index in range(3):
            sock.sendall(head % (index, len(body)) + body)
            answer = b""
            while b"}" not in answer:
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
            assert b'"thingName":"t%d"' % index in answer, answer[:300]
