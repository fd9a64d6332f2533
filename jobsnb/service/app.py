"""The service as an ASGI application: route → quota / fault / latency → handler → AWS JSON.

:class:`JobsApp` is what the HTTP server (:mod:`jobsnb.service.server`) runs for every request.
It reads the body within :data:`MAX_BODY`, waits the simulated latency without blocking other
requests, throttles per AWS quota group, injects the seeded faults, calls the operation's handler
and answers the way AWS's REST-JSON services do: JSON, ``x-amzn-RequestId``, and for an error its
modelled shape in ``__type`` and ``x-amzn-ErrorType``. It never answers a 5xx for bad input: an
unexpected failure is logged and answered with a 5xx shape the operation's model lists.

Examples
--------
>>> from jobsnb.service.backend import JobsBackend
>>> app = JobsApp(JobsBackend())
>>> answer = app.dispatch("GET", "/things/sensor-1/jobs", "", None, b"")
>>> answer.status, answer.body
(200, b'{"inProgressJobs":[],"queuedJobs":[]}')
>>> app.request_counts
{'GetPendingJobExecutions': 1}
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from jobsnb.service.backend import JobsBackend
from jobsnb.service.browsers import BrowserPolicy
from jobsnb.service.errors import (
    AccessDeniedException,
    AwsError,
    InvalidRequestException,
    ResourceNotFoundException,
    ServiceUnavailableException,
    ThrottlingException,
)
from jobsnb.service.faults import FaultInjector, TokenBucket
from jobsnb.service.requests import Request
from jobsnb.service.routes import DATA, Route, match, plane_of

__all__ = ["MAX_BODY", "MAX_DRAIN", "Answer", "JobsApp", "error_answer"]

log = logging.getLogger(__name__)

#: The largest request body read (a job document is at most 32 KB); larger ones are refused.
MAX_BODY = 1024 * 1024
#: An oversized body up to this size is read and dropped before the refusal, so that a client
#: still sending it reads the answer; past it the connection is closed after the answer.
MAX_DRAIN = 64 * 1024 * 1024

# One encoder for every answer: json.dumps with separators= builds a new one per call. NaN and
# Infinity are not JSON: the service never takes them in, and never sends them out either.
_JSON = json.JSONEncoder(separators=(",", ":"), allow_nan=False)

# A CORS preflight names the headers its request will carry here.
_PREFLIGHT_HEADERS = b"access-control-request-headers"
# Headers that carry operation members (AttachThingPrincipal's principal), passed to handlers.
_MEMBER_HEADERS = (b"x-amzn-principal",)
_HEADERS_READ = frozenset(
    {b"authorization", b"origin", b"host", _PREFLIGHT_HEADERS, *_MEMBER_HEADERS}
)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Answer:
    """One response: HTTP status, JSON body, request id, and the error shape for errors."""

    status: int
    body: bytes
    request_id: str
    error_type: str | None = None


_IDS = random.Random()


def _request_id() -> str:
    """A request id shaped like AWS's (a version-4 UUID).

    Unique, not secret: drawn from a generator seeded once, not from the system's entropy
    source, which costs a system call per request.
    """
    digits = f"{_IDS.getrandbits(128):032x}"
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-a{digits[17:20]}-{digits[20:]}"


def error_answer(error: AwsError) -> Answer:
    """The AWS JSON error response for ``error``, with the members the error carries."""
    body = _JSON.encode({"message": error.message, "__type": error.code, **error.members()})
    return Answer(error.status, body.encode(), _request_id(), error.code)


class _Disconnected(Exception):
    """The client went away (or missed the request deadline) before its body arrived."""


class JobsApp:
    """Both planes of the local service, for one backend.

    Parameters
    ----------
    backend
        The state and operations (:class:`~jobsnb.service.backend.JobsBackend`).
    latency_ms
        Delay added to every request, like a real region's round trip.
    throttle_rps
        Requests per second allowed in each of AWS's data-plane quota groups; None: no limit.
    fault_rate, seed
        Probability that a data-plane request fails with its modelled 5xx, and the seed.
    allow_origins
        Origins whose web pages may call the service (:class:`~jobsnb.service.browsers.
        BrowserPolicy`); any other ``Origin``, or a ``Host`` not the service's, gets 403.
    """

    def __init__(
        self,
        backend: JobsBackend,
        *,
        latency_ms: float = 0.0,
        throttle_rps: float | None = None,
        fault_rate: float = 0.0,
        seed: int | None = None,
        allow_origins: Iterable[str] = (),
    ) -> None:
        self.backend = backend
        self.browsers = BrowserPolicy(allow_origins)
        self.latency = latency_ms / 1000.0
        self.buckets = (
            {"read": TokenBucket(throttle_rps), "write": TokenBucket(throttle_rps)}
            if throttle_rps
            else {}
        )
        self.faults = FaultInjector(fault_rate, seed)
        self._counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()
        self._date_cache = (-1, b"")

    # ----------------------------------------------------------------- counters
    @property
    def request_counts(self) -> dict[str, int]:
        """Requests answered so far, per operation.

        ``Unknown`` counts unmatched routes, ``Refused`` what the Origin and Host policy refused.
        """
        with self._counts_lock:
            return dict(self._counts)

    def _count(self, operation: str) -> None:
        with self._counts_lock:
            self._counts[operation] = self._counts.get(operation, 0) + 1

    # ----------------------------------------------------------------- ASGI
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (the ASGI 3 interface the server calls)."""
        if scope["type"] != "http":
            return
        found = {
            name: value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _HEADERS_READ
        }
        authorization, origin = found.get(b"authorization"), found.get(b"origin")
        method = str(scope["method"])
        raw_path = bytes(scope["raw_path"]).decode("latin-1")
        try:
            body, size = await _read_body(receive)
        except _Disconnected:
            return
        refused = self.browsers.refusal(origin, found.get(b"host"))
        if refused is not None:
            self._count("Refused")
            error_body = error_answer(AccessDeniedException(refused))
            await self._send(send, error_body, close=size > MAX_DRAIN)
            return
        cors = self.browsers.cors_headers(origin)
        if method == "OPTIONS" and origin is not None:
            extra = self.browsers.preflight_headers(origin, found.get(_PREFLIGHT_HEADERS))
            await self._send(send, Answer(204, b"", _request_id()), close=False, extra=extra)
            return
        if size > MAX_BODY:
            route = match(plane_of(authorization), method, raw_path)
            invalid = route[0].invalid if route is not None else InvalidRequestException
            error = invalid(f"The request body is larger than {MAX_BODY} bytes.")
            await self._send(send, error_answer(error), close=size > MAX_DRAIN, extra=cors)
            return
        if self.latency:
            await asyncio.sleep(self.latency)
        query = bytes(scope["query_string"]).decode("latin-1")
        members = {name.decode(): found[name] for name in _MEMBER_HEADERS if name in found}
        answer = self.dispatch(method, raw_path, query, authorization, body, members)
        await self._send(send, answer, close=False, extra=cors)

    def _date(self) -> bytes:
        """The service clock's time as an HTTP date, so clients age executions in its time."""
        second = int(self.backend.clock.now())
        if self._date_cache[0] != second:
            self._date_cache = (second, formatdate(second, usegmt=True).encode())
        return self._date_cache[1]

    def headers(self, answer: Answer, *, close: bool) -> list[tuple[bytes, bytes]]:
        """The response headers of ``answer``, as AWS's REST-JSON services send them."""
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(answer.body)).encode()),
            (b"x-amzn-requestid", answer.request_id.encode()),
            (b"date", self._date()),
            (b"x-content-type-options", b"nosniff"),
        ]
        if answer.status == 204:
            # A 204 has no body, and HTTP forbids it a Content-Length (DeleteCommand sends one).
            del headers[1]
        if answer.error_type is not None:
            headers.append((b"x-amzn-errortype", answer.error_type.encode()))
        if close:
            headers.append((b"connection", b"close"))
        return headers

    def refusal(self, error: AwsError) -> bytes:
        """A whole response refusing a request before it reached the app, connection closing.

        For the HTTP layer, which refuses requests that never become ASGI calls.
        """
        answer = error_answer(error)
        status = f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}\r\n".encode()
        head = b"".join(k + b": " + v + b"\r\n" for k, v in self.headers(answer, close=True))
        return status + head + b"\r\n" + answer.body

    async def _send(
        self,
        send: Send,
        answer: Answer,
        *,
        close: bool,
        extra: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        headers = [*self.headers(answer, close=close), *extra]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    # ----------------------------------------------------------------- one request
    def dispatch(
        self,
        method: str,
        raw_path: str,
        query_string: str,
        authorization: str | None,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Answer one request whose body has been read (no latency: the caller waits it).

        ``headers`` are those that carry operation members, by lower-case name.
        """
        plane = plane_of(authorization)
        found = match(plane, method, raw_path)
        if found is None:
            self._count("Unknown")
            return error_answer(
                ResourceNotFoundException(f"No {plane}-plane operation matches {method} {raw_path}")
            )
        route, params = found
        self._count(route.operation)
        try:
            self._admit(route)
            query = dict(parse_qsl(query_string, keep_blank_values=True)) if query_string else {}
            request = Request(
                method, params, query, body, invalid=route.invalid, headers=headers or {}
            )
            # Operations lock for themselves; holding the lock here too keeps the answer's
            # serialisation consistent with the operation's state.
            with self.backend.lock:
                result = route.handler(self.backend, request)
            # A handler answering another 2xx (DeleteCommand's 202/204) says so in ``status``.
            status = getattr(result, "status", 200)
            payload = b"" if status == 204 else _JSON.encode(result).encode()
            return Answer(status, payload, _request_id())
        except InvalidRequestException as error:
            # The backend's input rules speak InvalidRequestException; an operation whose model
            # names another validation shape (StartCommandExecution) answers with that one.
            return error_answer(route.invalid(error.message))
        except AwsError as error:
            return error_answer(error)
        except Exception:
            log.exception("Unexpected error in %s", route.operation)
            return error_answer(route.unavailable(f"Internal error in {route.operation}"))

    def _admit(self, route: Route) -> None:
        """Throttle by the route's quota group, then strike with a simulated fault."""
        if route.quota is None:
            return
        self.admit(route.quota, route.unavailable if route.plane == DATA else None)

    def admit(
        self, quota: str, unavailable: type[AwsError] | None = ServiceUnavailableException
    ) -> None:
        """Take one request of quota group ``quota`` ("read" or "write"), or refuse it.

        The MQTT jobs requests go through here too, so ``throttle_rps`` and ``fault_rate`` hold
        for both transports. Raises ThrottlingException over the quota, then ``unavailable``
        when a simulated fault strikes (no fault when None).
        """
        bucket = self.buckets.get(quota)
        if bucket is not None and not bucket.take():
            raise ThrottlingException("Rate exceeded")
        if unavailable is not None and self.faults.strikes():
            raise unavailable("Service unavailable (simulated fault)")


async def _read_body(receive: Receive) -> tuple[bytes, int]:
    """The body (empty when it is over MAX_BODY) and its full size, read at most to MAX_DRAIN."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size <= MAX_BODY:
            parts.append(chunk)
        elif parts:
            parts.clear()
        if size > MAX_DRAIN or not message.get("more_body", False):
            return b"".join(parts), size
