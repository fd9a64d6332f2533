"""The local service's HTTP/1.1 connections: uvicorn's httptools protocol, guarded.

HTTP/1.1 is uvicorn's, with its httptools (llhttp) parser: strict framing (one Content-Length,
ASCII digits only, valid chunk sizes, no smuggling), keep-alive, ``Expect: 100-continue``.
:class:`GuardedHttpProtocol` adds what a service listening next to a browser on the user's
machine needs and uvicorn leaves to a proxy: a deadline for each request (head and body), a cap
on the head's size, a cap on open connections, and parse errors answered as AWS JSON errors
rather than text; and it sends the answers to pipelined requests together.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from jobsnb.service.app import JobsApp
from jobsnb.service.errors import (
    AwsError,
    InvalidRequestException,
    ServiceUnavailableException,
)

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_CONNECTIONS",
    "MAX_HEAD",
    "REQUEST_TIMEOUT",
    "ConnectionLimits",
    "GuardedHttpProtocol",
]

#: Seconds a request may take to arrive, head and body, from its first byte.
REQUEST_TIMEOUT = 30.0
#: Seconds a connection may stay open with no request under way.
IDLE_TIMEOUT = 120.0
#: Bytes a request's line and headers may take.
MAX_HEAD = 64 * 1024
#: Connections open at once; one more is answered 503 and closed.
MAX_CONNECTIONS = 1024


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How long a request may take to arrive, how long a connection may idle, how many at once."""

    request_timeout: float = REQUEST_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    max_connections: int = MAX_CONNECTIONS


class _PipelinedWrites:
    """A transport that holds a response's writes while more pipelined requests wait behind it.

    uvicorn writes each response's head and body separately, two sends per request. When a
    client pipelines (the simulated devices send a batch of calls at once), the answers it is
    waiting for go out together, in one send, when the last queued request is answered; a
    response with nothing queued behind it, and anything before a close, goes out at once.
    """

    def __init__(self, transport: asyncio.Transport, protocol: HttpToolsProtocol) -> None:
        self._transport, self._protocol = transport, protocol
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if self._protocol.pipeline:
            self._held.append(data)
            return
        if self._held:
            self._held.append(data)
            data = b"".join(self._held)
            self._held.clear()
        self._transport.write(data)

    def close(self) -> None:
        if self._held and not self._transport.is_closing():
            self._transport.write(b"".join(self._held))
        self._held.clear()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with request deadlines, a head-size cap and a connection cap."""

    def __init__(
        self, *args: Any, limits: ConnectionLimits, jobs_app: JobsApp, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.jobs_app = jobs_app
        # When the current wait began (a request arriving, or the connection idling), and how
        # long it may last; None while a response is being made. One watchdog per server reads
        # these (see ``expire``), so no request pays for a timer of its own.
        self._waiting_since: float | None = None
        self._allowed = limits.idle_timeout
        self._in_head = True
        self._head_bytes = 0
        self._completed = False

    # ----------------------------------------------------------------- asyncio.Protocol
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept the connection and start its idle deadline; over the cap, answer 503 and close."""
        super().connection_made(cast(asyncio.Transport, _PipelinedWrites(transport, self)))
        # uvicorn writes a response's head and body separately: without NODELAY, Nagle's
        # algorithm and the client's delayed ACK stall each keep-alive response ~40 ms.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(ServiceUnavailableException("Too many open connections; try again."))
            return
        self._wait(self.limits.idle_timeout)

    def data_received(self, data: bytes) -> None:
        """Feed ``data`` to the parser; a head over :data:`MAX_HEAD` bytes is refused with a 400."""
        counting = self._in_head
        self._completed = False
        super().data_received(data)
        # A read that completed a request (head and body) counts for none: what follows the
        # request in it is at most one read of the next head, and the next reads count.
        if counting and self._in_head and not self._completed and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD:
                self._refuse(InvalidRequestException(f"The request head is over {MAX_HEAD} bytes."))

    # ----------------------------------------------------------------- parser callbacks
    def on_message_begin(self) -> None:
        """A request began: it must arrive, head and body, within the request timeout."""
        super().on_message_begin()
        self._wait(self.limits.request_timeout)

    def on_headers_complete(self) -> None:
        """The head is complete: stop counting its bytes."""
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request arrived: no deadline while its response is made."""
        self._waiting_since = None
        self._in_head, self._head_bytes, self._completed = True, 0, True
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """The response went out: the connection may now idle for the idle timeout."""
        self._wait(self.limits.idle_timeout)
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        """A request uvicorn cannot parse: an AWS-shaped 400, then close."""
        self._refuse(InvalidRequestException(msg))

    # ----------------------------------------------------------------- limits
    def expire(self, now: float) -> None:
        """Close the connection if its request has not arrived, or it has idled, for too long."""
        since = self._waiting_since
        if since is not None and now - since > self._allowed:
            self.transport.close()

    def _wait(self, seconds: float) -> None:
        self._waiting_since, self._allowed = self.loop.time(), seconds

    def _refuse(self, error: AwsError) -> None:
        if not self.transport.is_closing():
            self.transport.write(self.jobs_app.refusal(error))
            self.transport.close()
