"""How simulated devices talk to the data plane: AWS's HTTPS requests, pipelined on one connection.

A device that authenticates with its X.509 certificate sends AWS IoT's jobs data plane plain
REST-JSON requests with no SigV4 signature; the local service routes unsigned requests to the
data plane. The simulated devices send exactly those requests (the method, path and JSON body
boto3's ``iot-jobs-data`` client sends: ``tests/simulation/test_wire.py`` compares them) over one
keep-alive HTTP/1.1 connection, and parse the answers with httptools (llhttp, the parser the
service's uvicorn uses).

Why not boto3, as the devices once did: a boto3 call costs ~0.9 ms of client CPU, and a
100,000-device rollout makes over half a million calls. Why one pipelined connection: the
devices due at the same simulated second send their calls in one batch (:meth:`exchange`); the
service answers a connection's requests one after the other, in the order sent, so a batch is
as deterministic as the same calls made one by one, and the socket and event-loop costs are paid
once per batch rather than once per call.

Examples
--------
>>> from jobsnb.client._boto import make_client, make_session
>>> from jobsnb.service import LocalJobsService
>>> with LocalJobsService() as service:
...     iot = make_client("iot", make_session(), endpoint_url=service.url)
...     thing = iot.create_thing(thingName="sensor-1")
...     _ = iot.create_job(jobId="reboot-1", targets=[thing["thingArn"]], document="{}")
...     device = DeviceDataPlane(service.url)
...     (started,) = device.exchange([device.start_next_call("sensor-1", {"step": "rebooting"})])
...     version = started.body["execution"]["versionNumber"]
...     done = device.update_call("sensor-1", "reboot-1", "SUCCEEDED", {"step": "done"}, version)
...     stale = device.update_call("sensor-1", "reboot-1", "SUCCEEDED", {}, version)
...     replies = device.exchange([done, stale])  # pipelined, answered in order
...     device.close()
...     [reply.error and reply.error.code for reply in replies], device.calls["UpdateJobExecution"]
([None, 'InvalidStateTransitionException'], 2)
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httptools

from jobsnb.exceptions import InvalidParameterError

__all__ = ["CONNECTION_LOST", "Call", "DeviceCallError", "DeviceDataPlane", "Reply"]

#: Calls sent before their answers are read: small enough that the requests of one batch fit in
#: the socket buffers (so neither side blocks writing), large enough to amortise the round trip.
_WINDOW = 64
#: Seconds a device waits for an answer before it gives the connection up.
_TIMEOUT = 60.0
#: Names made only of these need no escaping in a path (AWS's thing names and job ids).
_PATH_SAFE = re.compile(r"[A-Za-z0-9_:$-]+")
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode
#: The code of a call the connection dropped before its answer came (the device tries again).
CONNECTION_LOST = "ConnectionLost"


class DeviceCallError(Exception):
    """A data-plane call a device made was refused.

    Parameters
    ----------
    code
        AWS's error code (``ThrottlingException``, ``VersionConflictException``, ...).
    message
        AWS's error message.

    Examples
    --------
    >>> error = DeviceCallError("ThrottlingException", "Rate exceeded")
    >>> error.code, str(error)
    ('ThrottlingException', 'ThrottlingException: Rate exceeded')
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class Call:
    """One data-plane request, ready to send: its AWS operation and its HTTP bytes."""

    operation: str
    request: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to one :class:`Call`: the response's JSON, or AWS's error code and message."""

    body: dict[str, Any]
    error: DeviceCallError | None = None


class _Responses:
    """httptools callbacks: each complete response's status and body, in order."""

    def __init__(self) -> None:
        self.done: list[tuple[int, bytes]] = []
        self._body: list[bytes] = []
        self.status = 0
        self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, chunk: bytes) -> None:
        self._body.append(chunk)

    def on_message_complete(self) -> None:
        self.done.append((self.status, b"".join(self._body)))
        self._body.clear()


class DeviceDataPlane:
    """The jobs data plane as devices call it, over one pipelined keep-alive connection.

    One instance serves every simulated device; each call names its thing, as a device's own
    client would. Not thread-safe: the scheduler makes the calls from one thread.

    Parameters
    ----------
    url
        The service's endpoint URL (``http://127.0.0.1:PORT``).

    Attributes
    ----------
    calls
        Calls made, per operation (refused ones too).
    refusals
        Calls the service refused, per AWS error code.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise InvalidParameterError("url", "must be http://HOST:PORT", url)
        self._address = (parts.hostname, parts.port)
        self._host = parts.netloc
        self._socket: socket.socket | None = None
        self.calls: dict[str, int] = {}
        self.refusals: dict[str, int] = {}

    # ----------------------------------------------------------------- requests
    def start_next_call(self, thing_name: str, status_details: dict[str, str]) -> Call:
        """StartNextPendingJobExecution's request (``PUT /things/{thing}/jobs/$next``)."""
        body = {"statusDetails": status_details}
        return self._call("StartNextPendingJobExecution", "PUT", thing_name, "$next", body)

    def update_call(
        self,
        thing_name: str,
        job_id: str,
        status: str,
        status_details: dict[str, str],
        expected_version: int,
        step_timeout_minutes: int | None = None,
    ) -> Call:
        """UpdateJobExecution's request, with ``expectedVersion`` as a careful device sends it.

        Parameters
        ----------
        thing_name, job_id
            The execution: the device's thing and the job.
        status
            IN_PROGRESS (a progress report) or the outcome: SUCCEEDED, FAILED or REJECTED.
        status_details
            The statusDetails to store (they replace the previous ones key by key).
        expected_version
            The version the device last saw; a newer one on the service is a conflict.
        step_timeout_minutes
            A new step timer, or None to leave the timers as they are.
        """
        body: dict[str, Any] = {
            "status": status,
            "statusDetails": status_details,
            "expectedVersion": expected_version,
        }
        if step_timeout_minutes is not None:
            body["stepTimeoutInMinutes"] = step_timeout_minutes
        return self._call("UpdateJobExecution", "POST", thing_name, job_id, body)

    def _call(
        self, operation: str, method: str, thing_name: str, leaf: str, body: dict[str, Any]
    ) -> Call:
        payload = _ENCODE(body)
        if _PATH_SAFE.fullmatch(thing_name) and _PATH_SAFE.fullmatch(leaf):
            path = f"/things/{thing_name}/jobs/{leaf}"  # AWS's names: nothing to escape
        else:
            path = f"/things/{quote(thing_name, safe='')}/jobs/{quote(leaf, safe='$')}"
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        return Call(operation, (head + payload).encode())

    # ----------------------------------------------------------------- sending
    def exchange(self, calls: Sequence[Call]) -> list[Reply]:
        """Send ``calls`` in order, pipelined, and return their replies in the same order.

        A call whose answer never came (the service closed the connection) is refused with
        ``ConnectionLost``; the next exchange opens a new connection.
        """
        replies: list[Reply] = []
        for start in range(0, len(calls), _WINDOW):
            window = calls[start : start + _WINDOW]
            answers: list[tuple[int, bytes] | None] = [*self._send(window)]
            answers += [None] * (len(window) - len(answers))
            replies += map(self._reply, window, answers)
        return replies

    def _send(self, window: Sequence[Call]) -> list[tuple[int, bytes]]:
        responses = _Responses()
        try:
            connection = self._connection()
            connection.sendall(b"".join(call.request for call in window))
            while len(responses.done) < len(window):
                data = connection.recv(1 << 18)
                if not data:
                    break
                responses.parser.feed_data(data)
        except (OSError, httptools.HttpParserError):
            pass
        if len(responses.done) < len(window):
            self.close()
        return responses.done

    def _connection(self) -> socket.socket:
        if self._socket is None:
            connection = socket.create_connection(self._address)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.settimeout(_TIMEOUT)
            self._socket = connection
        return self._socket

    def _reply(self, call: Call, answer: tuple[int, bytes] | None) -> Reply:
        self.calls[call.operation] = self.calls.get(call.operation, 0) + 1
        if answer is None:
            code, message = CONNECTION_LOST, "the connection closed before the answer came"
        else:
            status, body = answer
            try:
                parsed = json.loads(body) if len(body) > 2 else {}  # most updates answer {}
            except ValueError:
                parsed = {}
            if not isinstance(parsed, dict):
                parsed = {}
            if status < 300:
                return Reply(parsed)
            code = str(parsed.get("__type") or parsed.get("code") or f"HTTP{status}")
            message = str(parsed.get("message", ""))
        self.refusals[code] = self.refusals.get(code, 0) + 1
        return Reply({}, DeviceCallError(code, message))

    def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        connection, self._socket = self._socket, None
        if connection is not None:
            connection.close()
