"""What the test modules share: AWS constants, builders that seed the local service through real
boto3 clients, schema assertions, and a ``jobsnb serve`` subprocess. Test modules import from here,
never from each other."""

from __future__ import annotations

import _thread
import http.client
import os
import queue
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pandas as pd
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import jobsnb
from jobsnb.client import FleetClient
from jobsnb.frames import STATUS_DTYPE, Column
from jobsnb.limits import STATUSES

REGION = "us-east-1"
ACCOUNT = "123456789012"
# Any credentials work against the local service; these never leave loopback.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# One attempt, no retries: a test that expects a 429 or 503 must see it. (botocore reads
# `max_attempts` as retries after the first call; `total_max_attempts` counts them all.)
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
#: Where the tests' manual service clock starts.
START = 1_700_000_000.0

# --- seeding through the control plane ---------------------------------------------------------

THING_ARN = "arn:aws:iot:us-east-1:123456789012:thing/{}"
GROUP_ARN = "arn:aws:iot:us-east-1:123456789012:thinggroup/{}"
DOCUMENT = '{"operation":"update","version":"2.1"}'
#: The job document of the service tests' jobs.
REBOOT = {"operation": "reboot"}
#: The things of the chart tests' fleet.
CHART_THINGS = [f"t-{i}" for i in range(6)]
MINUTE = 60


def error_of(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str, int]:
    """The (code, message, HTTP status) of the ClientError ``call(**kwargs)`` raises."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def utc(seconds: float) -> pd.Timestamp:
    """The service clock's START + ``seconds`` as a UTC timestamp."""
    return pd.Timestamp(START + seconds, unit="s", tz="UTC").as_unit("ns")


def make_things(iot: Any, names: Iterable[str], group: str | None = None) -> list[str]:
    """Create things (and put them in ``group``) through the control plane."""
    names = list(names)
    if group is not None:
        iot.create_thing_group(thingGroupName=group)
    for name in names:
        iot.create_thing(thingName=name)
        if group is not None:
            iot.add_thing_to_thing_group(thingGroupName=group, thingName=name)
    return names


def make_job(
    iot: Any,
    job_id: str,
    things: Iterable[str] = (),
    *,
    group: str | None = None,
    document: str = DOCUMENT,
    **config: Any,
) -> None:
    """CreateJob on things and/or a group; ``config`` are CreateJob's own keyword arguments."""
    targets = [THING_ARN.format(t) for t in things]
    if group is not None:
        targets.append(GROUP_ARN.format(group))
    iot.create_job(jobId=job_id, targets=targets, document=document, **config)


def fast_client(service: Any, **options: Any) -> FleetClient:
    """A client whose budgets do not slow a test down (AWS's 200/s would cap 300 calls at 1.5 s)."""
    options.setdefault("reads_per_second", 10_000)
    options.setdefault("writes_per_second", 10_000)
    options.setdefault("control_per_second", 10_000)
    return jobsnb.connect(service.url, **options)


def before_call(boto_client: Any, operation: str, action: Callable[[], Any]) -> None:
    """Run ``action()`` once, just before ``boto_client``'s first ``operation`` call: changes the
    real service between two calls of one client method (another writer, a fault)."""
    lock = threading.Lock()
    fired = False

    def once(**_: Any) -> None:
        nonlocal fired
        with lock:  # the client's other threads wait until the change is made
            if not fired:
                fired = True
                action()

    service_id = boto_client.meta.service_model.service_id.hyphenize()
    boto_client.meta.events.register(f"before-call.{service_id}.{operation}", once)


class Calls:
    """Counts a boto3 client's ``operation`` calls as they are sent (``sent``: every attempt)
    and as their answers are parsed (``answered``)."""

    def __init__(self, boto_client: Any, operation: str) -> None:
        self.sent = self.answered = 0
        self._lock = threading.Lock()
        service_id = boto_client.meta.service_model.service_id.hyphenize()
        events = boto_client.meta.events
        events.register(f"before-send.{service_id}.{operation}", self._sent)
        events.register(f"after-call.{service_id}.{operation}", self._answered)

    def _sent(self, **_: Any) -> Any:
        with self._lock:
            self.sent += 1
        return None  # botocore sends the request itself

    def _answered(self, **_: Any) -> None:
        with self._lock:
            self.answered += 1


def after_answers(
    boto_client: Any, operation: str, answers: int, action: Callable[[], Any]
) -> Calls:
    """Run ``action()`` once, from the client's worker thread, as soon as ``answers`` calls of
    ``operation`` have been answered; the returned counter goes on counting afterwards."""
    calls = Calls(boto_client, operation)
    lock = threading.Lock()
    fired = False

    def maybe(**_: Any) -> None:
        nonlocal fired
        with lock:
            if not fired and calls.answered >= answers:
                fired = True
                action()

    service_id = boto_client.meta.service_model.service_id.hyphenize()
    # Registered after the counter's handler: ``answered`` already counts this answer.
    boto_client.meta.events.register(f"after-call.{service_id}.{operation}", maybe)
    return calls


def interrupt_main() -> None:
    """What Ctrl-C does to the main thread, from any thread: a KeyboardInterrupt there."""
    _thread.interrupt_main()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LossyProxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` that loses answers.

    It forwards every request to the service and passes its answer back, except for every
    ``every``-th request whose ``"METHOD path"`` matches ``lose``: that one the service handles
    (an update is applied), and the proxy then closes the client's connection without a word,
    as a network that drops a response does. ``lost`` counts them.
    """

    def __init__(self, upstream: str, lose: str, every: int = 3) -> None:
        address = urlsplit(upstream)
        self.upstream = (address.hostname or "127.0.0.1", address.port or 80)
        self.lose, self.every = re.compile(lose), every
        self.matched = self.lost = 0
        self._lock = threading.Lock()
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            # The data plane's verbs (http.server calls do_<VERB>).
            def do_GET(self) -> None:
                proxy.forward(self)

            def do_POST(self) -> None:
                proxy.forward(self)

            def do_PUT(self) -> None:
                proxy.forward(self)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LossyProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _loses(self, request: str) -> bool:
        if not self.lose.fullmatch(request):
            return False
        with self._lock:
            self.matched += 1
            lost = self.matched % self.every == 0
            self.lost += lost
            return lost

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        host, port = self.upstream
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Host"] = f"{host}:{port}"  # the service answers only to its own address
        upstream = http.client.HTTPConnection(host, port, timeout=30)
        try:
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            reply = upstream.getresponse()
            data = reply.read()
        finally:
            upstream.close()
        if self._loses(f"{handler.command} {handler.path}"):
            handler.close_connection = True  # the answer never reaches the client
            return
        handler.send_response_only(reply.status, reply.reason)
        for key, value in reply.getheaders():
            if key.lower() not in _HOP_BY_HOP | {"content-length"}:
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding"})


def dtypes_of(columns: Iterable[Column]) -> dict[str, Any]:
    return {c.name: c.pandas_dtype for c in columns}


def assert_schema(frame: pd.DataFrame, columns: Iterable[Column]) -> None:
    """Exactly these columns, in this order, with these dtypes."""
    expected = dtypes_of(columns)
    assert list(frame.columns) == list(expected)
    assert dict(frame.dtypes) == expected
    if "status" in frame.columns:
        assert frame["status"].dtype == STATUS_DTYPE
        assert list(frame["status"].cat.categories) == list(STATUSES)
        assert frame["status"].cat.ordered


def no_errors(frame: pd.DataFrame) -> None:
    errors = frame.jobsnb.errors
    assert errors.empty, errors.to_dict("records")


# --- the wire -------------------------------------------------------------------------------------

#: The keys of GetPendingJobExecutions' summaries and of DescribeJobExecution's execution.
SUMMARY_KEYS = {"jobId", "queuedAt", "lastUpdatedAt", "versionNumber", "executionNumber"}
EXECUTION_KEYS = {
    "jobId",
    "thingName",
    "status",
    "statusDetails",
    "queuedAt",
    "lastUpdatedAt",
    "versionNumber",
    "executionNumber",
}

# --- charts ---------------------------------------------------------------------------------------


def by_category(trace: Any) -> dict[str, list[Any]]:
    """A horizontal trace's x values per y category, sorted."""
    values: dict[str, list[Any]] = {}
    for x, y in zip(trace.x, trace.y, strict=True):
        values.setdefault(y, []).append(x)
    return {key: sorted(xs) for key, xs in values.items()}


# --- `jobsnb serve` as a subprocess ---------------------------------------------------------------

URL = re.compile(r"http://127\.0\.0\.1:(\d+)")
STARTUP_SECONDS = 30.0
MODULE = [sys.executable, "-m", "jobsnb"]
SCRIPT = [str(Path(sys.executable).parent / "jobsnb")]


class Server:
    def __init__(self, proc: subprocess.Popen[str], url: str, stderr: Path) -> None:
        self.proc, self.url, self.stderr = proc, url, stderr

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)

    def next_lines(self, count: int) -> list[str]:
        """The next ``count`` lines it prints (the startup lines after the URL's)."""
        assert self.proc.stdout is not None
        stdout, lines = self.proc.stdout, queue.Queue[str]()
        threading.Thread(
            target=lambda: [lines.put(stdout.readline()) for _ in range(count)], daemon=True
        ).start()
        return [lines.get(timeout=STARTUP_SECONDS).rstrip("\n") for _ in range(count)]


def first_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if selector.select(timeout=0.1):
            return proc.stdout.readline()
        if proc.poll() is not None:
            break
    raise AssertionError(f"no startup line (exit code {proc.poll()})")


@contextmanager
def serve(tmp_path: Path, *flags: str, command: list[str] = MODULE) -> Iterator[Server]:
    stderr = tmp_path / f"stderr-{time.monotonic_ns()}.txt"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [*command, "serve", "--port", "0", *flags],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        line = first_line(proc)
        match = URL.search(line)
        assert match, f"first stdout line has no URL: {line!r}; stderr: {stderr.read_text()}"
        yield Server(proc, match.group(0), stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()


def assert_clean_exit(server: Server, code: int) -> None:
    stderr = server.stderr.read_text()
    assert code == 0, f"exit code {code}; stderr: {stderr[-2000:]}"
    assert "Traceback" not in stderr, stderr[-2000:]


class RefusingProxy(LossyProxy):
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` that refuses some requests.

    Every request whose ``"METHOD path?query"`` matches ``refuse`` gets a 400
    ``InvalidRequestException`` in AWS's REST-JSON shape, as an account that does not offer an
    endpoint type answers DescribeEndpoint; every other request reaches the service. ``refused``
    counts the refusals.
    """

    def __init__(self, upstream: str, refuse: str) -> None:
        super().__init__(upstream, lose=r"(?!)")  # loses nothing
        self.refuse = re.compile(refuse)
        self.refused = 0

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        if not self.refuse.fullmatch(f"{handler.command} {handler.path}"):
            super().forward(handler)
            return
        with self._lock:
            self.refused += 1
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        body = (
            b'{"message":"Endpoint type not supported for this account",'
            b'"__type":"InvalidRequestException"}'
        )
        handler.send_response_only(400, "Bad Request")
        handler.send_header("Content-Type", "application/json")
        handler.send_header("x-amzn-ErrorType", "InvalidRequestException")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


# --- MQTT (the devices are tests.service.mqtt_clients.Device) -------------------------------------

#: How long a test waits for an MQTT message or connection (a bound on a hang, not an assertion).
MQTT_WAIT = 20.0


MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@contextmanager
def running_mosquitto(tmp_path: Path, port: int | None = None) -> Iterator[str]:
    """A Mosquitto broker on 127.0.0.1 (on ``port``, or a free one) taking anonymous clients;
    yields its mqtt:// URL.

    Skips without Debian's ``mosquitto`` (``make test`` installs it as root), except under
    ``CI=true``, where it fails.
    """
    if not os.access(MOSQUITTO, os.X_OK):
        reason = "mosquitto is not installed (apt-get install mosquitto)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    port = port or closed_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    broker = subprocess.Popen([MOSQUITTO, "-c", str(config)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + MQTT_WAIT  # a bound on a hang, not a time assertion
        while not _listening(port):
            assert broker.poll() is None, broker.stderr.read() if broker.stderr else ""
            assert time.monotonic() < deadline, "mosquitto did not listen"
            time.sleep(0.05)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
