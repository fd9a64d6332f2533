"""The local service's HTTP/1.1 server: both planes on one port, in a background thread.

The server speaks just enough HTTP/1.1 for AWS SDKs and CLIs (keep-alive, Content-Length and
chunked bodies, ``Expect: 100-continue``) and answers each request with a single write on a
TCP_NODELAY socket: Python's ``http.server`` writes headers and body separately, which meets
Nagle's algorithm and delayed ACKs on loopback and stalls ~40 ms per keep-alive request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import threading
import time
import uuid
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from jobsnb.exceptions import InvalidParameterError, ServiceStartError
from jobsnb.service.backend import JobsBackend
from jobsnb.service.clock import Clock, ManualClock
from jobsnb.service.errors import (
    AwsError,
    InternalFailureException,
    InvalidRequestException,
    ResourceNotFoundException,
    ThrottlingException,
)
from jobsnb.service.faults import FaultInjector, TokenBucket
from jobsnb.service.requests import Request
from jobsnb.service.routes import DATA, match, plane_of

__all__ = ["LocalJobsService"]

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # far above any real request: a job document is at most 32 KB
MAX_DRAIN = 64 * 1024 * 1024  # an oversized body up to this is read and discarded, then answered
MAX_LINE = 16 * 1024
MAX_HEADERS = 100
IDLE_TIMEOUT = 120.0
_REASONS = {
    200: "OK", 400: "Bad Request", 402: "Payment Required", 404: "Not Found",
    409: "Conflict", 410: "Gone", 413: "Payload Too Large", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable",
}  # fmt: skip


class _BadHttpError(Exception):
    """The bytes on the connection are not HTTP we can answer; reply 400 and close."""


class _Handler(socketserver.StreamRequestHandler):
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def handle(self) -> None:
        try:
            while self._handle_one():
                pass
        except (OSError, TimeoutError):
            pass  # the peer went away or idled out

    def _handle_one(self) -> bool:
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return False
        try:
            method, target, version, headers = self._read_head(line)
            body, too_large = self._read_body(headers)
        except _BadHttpError as bad:
            self._send(
                *self.server.service.error_response(InvalidRequestException(str(bad))), False
            )
            return False
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        if too_large:
            error = InvalidRequestException(f"The request body is larger than {MAX_BODY} bytes.")
            self._send(*self.server.service.error_response(error), keep_alive)
            return keep_alive
        status, payload, request_id = self.server.service.dispatch(method, target, headers, body)
        self._send(status, payload, request_id, keep_alive)
        return keep_alive

    def _read_head(self, line: bytes) -> tuple[str, str, str, dict[str, str]]:
        if len(line) > MAX_LINE:
            raise _BadHttpError("The request line is too long.")
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadHttpError("Malformed request line.")
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            raw = self.rfile.readline(MAX_LINE + 1)
            if len(raw) > MAX_LINE:
                raise _BadHttpError("A header line is too long.")
            if raw in (b"\r\n", b"\n", b""):
                return method, target, version, headers
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep or not name.strip():
                raise _BadHttpError("Malformed header line.")
            headers[name.strip().lower()] = value.strip()
        raise _BadHttpError("Too many headers.")

    def _read_body(self, headers: dict[str, str]) -> tuple[bytes, bool]:
        """The body, and whether it was too large (then it was drained and dropped)."""
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        raw_length = headers.get("content-length", "0") or "0"
        if not raw_length.isdigit():
            raise _BadHttpError("Invalid Content-Length.")
        length = int(raw_length)
        if length <= MAX_BODY:
            body = self.rfile.read(length)
            if len(body) < length:
                raise OSError("connection closed mid-body")
            return body, False
        if length > MAX_DRAIN:
            raise _BadHttpError(f"The request body is larger than {MAX_BODY} bytes.")
        self._drain(length)
        return b"", True

    def _drain(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                raise OSError("connection closed mid-body")
            length -= len(chunk)

    def _read_chunked(self) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(MAX_LINE + 1)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BadHttpError("Malformed chunked body.") from None
            if size == 0:
                while self.rfile.readline(MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass
                return (b"".join(parts), False) if total <= MAX_BODY else (b"", True)
            total += size
            if total > MAX_DRAIN:
                raise _BadHttpError(f"The request body is larger than {MAX_BODY} bytes.")
            if total > MAX_BODY:
                self._drain(size)
            else:
                parts.append(self.rfile.read(size))
            self.rfile.readline(MAX_LINE + 1)

    def _send(self, status: int, payload: bytes, request_id: str, keep_alive: bool) -> None:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n"
            f"x-amzn-RequestId: {request_id}\r\n"
            # The service clock's time, so clients can age executions in simulated time too.
            f"Date: {formatdate(self.server.service.clock.now(), usegmt=True)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        )
        if status >= 400:
            error_type = json.loads(payload)["__type"]
            head += f"x-amzn-ErrorType: {error_type}\r\n"
        self.wfile.write(head.encode("latin-1") + b"\r\n" + payload)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], service: LocalJobsService) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.service = service
        self.connections: set[socket.socket] = set()
        super().__init__(address, _Handler)


class LocalJobsService:
    """The local AWS IoT Jobs service: data and control plane on one port, in a thread.

    Parameters
    ----------
    host, port
        Where to listen; ``port=0`` picks a free port. Binds 127.0.0.1 unless told otherwise.
    latency_ms
        Delay added to every request, like a real region's round trip.
    throttle_rps
        Requests per second allowed in each of AWS's data-plane quota groups (reads:
        GetPendingJobExecutions + DescribeJobExecution; writes: StartNext + Update +
        StartCommandExecution); over it, 429 ThrottlingException. None: no throttling.
    fault_rate
        Probability that a data-plane request fails with 503 ServiceUnavailableException.
    seed
        Seeds the fault generator, for repeatable runs.
    clock
        Where time comes from; a :class:`~jobsnb.service.ManualClock` lets tests move it.
    region, account_id
        Used in ARNs.
    sweep_interval
        Seconds between background sweeps that apply due timers and rollout releases (requests
        also apply them as they arrive).

    Examples
    --------
    >>> import boto3
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     jobs = boto3.client("iot-jobs-data", endpoint_url=service.url,
    ...                         region_name="us-east-1", aws_access_key_id="x",
    ...                         aws_secret_access_key="x")
    ...     jobs.get_pending_job_executions(thingName="sensor-1")["queuedJobs"]
    []
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_ms: float = 0.0,
        throttle_rps: float | None = None,
        fault_rate: float = 0.0,
        seed: int | None = None,
        clock: Clock | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        sweep_interval: float = 0.5,
    ) -> None:
        if latency_ms < 0:
            raise InvalidParameterError("latency_ms", "must be >= 0", latency_ms)
        if throttle_rps is not None and throttle_rps <= 0:
            raise InvalidParameterError("throttle_rps", "must be > 0 or None", throttle_rps)
        if not 0.0 <= fault_rate <= 1.0:
            raise InvalidParameterError("fault_rate", "must be between 0 and 1", fault_rate)
        if not sweep_interval > 0:
            raise InvalidParameterError("sweep_interval", "must be > 0 seconds", sweep_interval)
        self.host = host
        self.port = port
        self.latency = latency_ms / 1000.0
        self.backend = JobsBackend(clock, region, account_id)
        self.clock = self.backend.clock
        self.buckets = (
            {"read": TokenBucket(throttle_rps), "write": TokenBucket(throttle_rps)}
            if throttle_rps
            else {}
        )
        self.faults = FaultInjector(fault_rate, seed)
        self.sweep_interval = sweep_interval
        self._counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        if self._server is None:
            raise ServiceStartError("The service is not running: call start() or use `with`.")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> LocalJobsService:
        """Start serving in background threads; returns self."""
        if self._server is not None:
            return self
        try:
            self._server = _Server((self.host, self.port), self)
        except OSError as error:
            raise ServiceStartError(f"Cannot listen on {self.host}:{self.port}: {error}") from error
        self.port = self._server.server_address[1]
        self.backend.endpoint_address = self.url
        self._stopping.clear()
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever,
                name="jobsnb-service",
                daemon=True,
            ),
            threading.Thread(target=self._sweep, name="jobsnb-sweep", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        # shutdown() waits for the accept loop's next poll; a connection wakes it at once.
        stopper = threading.Thread(target=server.shutdown, daemon=True)
        stopper.start()
        wake_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        with contextlib.suppress(OSError):
            socket.create_connection((wake_host, self.port), timeout=1).close()
        stopper.join()
        server.server_close()
        for connection in list(server.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Block until interrupted (used by ``jobsnb serve``)."""
        self.start()
        try:
            while not self._stopping.wait(3600):
                pass
        finally:
            self.stop()

    def __enter__(self) -> LocalJobsService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _sweep(self) -> None:
        while not self._stopping.wait(self.sweep_interval):
            self.backend.tick()

    # ----------------------------------------------------------------- the clock
    def advance(self, seconds: float) -> None:
        """Move a manual clock forward and apply the timers and rollouts that fall due."""
        if not isinstance(self.clock, ManualClock):
            raise InvalidParameterError("clock", "advance() needs a ManualClock", self.clock)
        self.clock.advance(seconds)
        self.backend.tick()

    # ----------------------------------------------------------------- counters
    @property
    def request_count(self) -> int:
        with self._counts_lock:
            return sum(self._counts.values())

    @property
    def request_counts(self) -> dict[str, int]:
        with self._counts_lock:
            return dict(self._counts)

    def _count(self, operation: str) -> None:
        with self._counts_lock:
            self._counts[operation] = self._counts.get(operation, 0) + 1

    # ----------------------------------------------------------------- requests
    def error_response(self, error: AwsError) -> tuple[int, bytes, str]:
        payload = json.dumps({"message": error.message, "__type": error.code}).encode()
        return error.status, payload, str(uuid.uuid4())

    def dispatch(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str]:
        """Answer one request: (HTTP status, JSON payload, request id)."""
        path, _, query_string = target.partition("?")
        plane = plane_of(headers.get("authorization"))
        found = match(plane, method, path)
        if found is None:
            self._count("Unknown")
            return self.error_response(
                ResourceNotFoundException(f"No {plane}-plane operation matches {method} {path}")
            )
        route, params = found
        self._count(route.operation)
        if self.latency:
            time.sleep(self.latency)
        try:
            if route.quota is not None:
                bucket = self.buckets.get(route.quota)
                if bucket is not None and not bucket.take():
                    raise ThrottlingException("Rate exceeded")
                if route.plane == DATA and self.faults.strikes():
                    raise route.unavailable("Service unavailable (simulated fault)")
            query = dict(parse_qsl(query_string, keep_blank_values=True))
            request = Request(method, params, query, body, invalid=route.invalid)
            backend = self.backend
            # Operations lock for themselves; holding the lock here too keeps the answer's
            # serialisation consistent with the operation's state.
            with backend.lock:
                result: dict[str, Any] = route.handler(backend, request)
            return 200, json.dumps(result, separators=(",", ":")).encode(), str(uuid.uuid4())
        except AwsError as error:
            return self.error_response(error)
        except InvalidParameterError as error:
            return self.error_response(route.invalid(str(error)))
        except Exception:
            log.exception("Unexpected error in %s", route.operation)
            # A 5xx shape the operation's model lists, so boto3 raises a modelled exception.
            failure = route.unavailable if route.plane == DATA else InternalFailureException
            return self.error_response(failure(f"Internal error in {route.operation}"))
