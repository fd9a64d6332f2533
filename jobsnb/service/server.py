"""The local service's lifecycle: :class:`JobsApp` on uvicorn, in a background thread.

HTTP/1.1 is uvicorn's on an asyncio event loop, so an idle connection or a request waiting out
``--latency-ms`` costs no thread; each connection is a
:class:`~jobsnb.service.protocol.GuardedHttpProtocol` (request deadlines, a head-size cap, a
connection cap, AWS-shaped parse errors).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Sequence

import uvicorn
from uvicorn.server import ServerState

from jobsnb.exceptions import InvalidParameterError, ServiceStartError
from jobsnb.limits import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from jobsnb.service.app import JobsApp
from jobsnb.service.backend import JobsBackend
from jobsnb.service.clock import Clock, ManualClock
from jobsnb.service.faults import FaultInjector
from jobsnb.service.loops import new_event_loop
from jobsnb.service.mqtt import AttachedEndpoint, MqttEndpoint
from jobsnb.service.protocol import (
    IDLE_TIMEOUT,
    MAX_CONNECTIONS,
    REQUEST_TIMEOUT,
    ConnectionLimits,
    GuardedHttpProtocol,
)

__all__ = ["LocalJobsService"]


class LocalJobsService:
    """The local AWS IoT Jobs service: data and control plane on one port, in a thread.

    Parameters
    ----------
    host, port
        Where to listen; ``port=0`` picks a free port. Binds 127.0.0.1 unless told otherwise.
    latency_ms
        Delay added to every request, like a real region's round trip (other requests go on).
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
    request_timeout, idle_timeout, max_connections
        Seconds a request may take to arrive (head and body), seconds a connection may idle, and
        connections open at once (:data:`REQUEST_TIMEOUT`, :data:`IDLE_TIMEOUT`,
        :data:`MAX_CONNECTIONS`).
    allow_origins
        Origins (``"http://localhost:8888"``; ``"*"`` for all) whose web pages may call the
        service. Any other ``Origin``, or a ``Host`` not the service's address, gets 403.

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
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        sweep_interval: float = 0.5,
        request_timeout: float = REQUEST_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        allow_origins: Sequence[str] = (),
        mqtt: bool | int | str = False,
        mqtt_tls_port: int | None = 0,
    ) -> None:
        if latency_ms < 0:
            raise InvalidParameterError("latency_ms", "must be >= 0", latency_ms)
        if throttle_rps is not None and throttle_rps <= 0:
            raise InvalidParameterError("throttle_rps", "must be > 0 or None", throttle_rps)
        if not 0.0 <= fault_rate <= 1.0:
            raise InvalidParameterError("fault_rate", "must be between 0 and 1", fault_rate)
        timeouts = {"sweep_interval": sweep_interval, "request_timeout": request_timeout}
        for name, seconds in {**timeouts, "idle_timeout": idle_timeout}.items():
            if not seconds > 0:
                raise InvalidParameterError(name, "must be > 0 seconds", seconds)
        if type(max_connections) is not int or max_connections < 1:
            rule = "must be an integer >= 1"
            raise InvalidParameterError("max_connections", rule, max_connections)
        self.host, self.port = host, port
        self.backend = JobsBackend(clock, region, account_id)
        self.clock = self.backend.clock
        self.app = JobsApp(
            self.backend,
            latency_ms=latency_ms,
            throttle_rps=throttle_rps,
            fault_rate=fault_rate,
            seed=seed,
            allow_origins=allow_origins,
        )
        self.mqtt: MqttEndpoint | AttachedEndpoint | None = None
        if isinstance(mqtt, str):
            self.mqtt = AttachedEndpoint(self.backend, mqtt, admit=self.app.admit)
        elif mqtt is not False:
            if mqtt is not True and not _is_port(mqtt):
                rule = "must be True, a port number 0-65535 or mqtt://host[:port]"
                raise InvalidParameterError("mqtt", rule, mqtt)
            if mqtt_tls_port is not None and not _is_port(mqtt_tls_port):
                rule = "must be a port number 0-65535 or None"
                raise InvalidParameterError("mqtt_tls_port", rule, mqtt_tls_port)
            port = 0 if mqtt is True else int(mqtt)
            self.mqtt = MqttEndpoint(self.backend, host, port, mqtt_tls_port, self.app.admit)
        self.sweep_interval = sweep_interval
        self.limits = ConnectionLimits(request_timeout, idle_timeout, max_connections)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        """The service's base URL (both planes); raises when it is not running."""
        if self._loop is None:
            raise ServiceStartError("The service is not running: call start() or use `with`.")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> LocalJobsService:
        """Start serving in background threads; returns self."""
        if self._loop is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host, self.port), family=family, backlog=1024)
        except OSError as error:
            raise ServiceStartError(f"Cannot listen on {self.host}:{self.port}: {error}") from error
        self.port = sock.getsockname()[1]
        loop = new_event_loop()
        ready = threading.Event()
        self._stopping.clear()
        self._threads = [
            threading.Thread(
                target=self._serve, args=(loop, sock, ready), name="jobsnb-service", daemon=True
            ),
            threading.Thread(target=self._sweep, name="jobsnb-sweep", daemon=True),
        ]
        self._loop = loop
        self.backend.endpoint_address = self.url
        self.app.browsers.serve_at(self.host, self.port)
        for thread in self._threads:
            thread.start()
        ready.wait()
        if self.mqtt is not None:
            try:
                self.mqtt.start()
            except ServiceStartError:
                self.stop()
                raise
        return self

    def _serve(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, ready: threading.Event
    ) -> None:
        config = uvicorn.Config(
            self.app,
            http=GuardedHttpProtocol,
            ws="none",
            lifespan="off",
            interface="asgi3",
            log_config=None,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            date_header=False,
            # The watchdog below closes idle connections; uvicorn's own timer only as a backstop.
            timeout_keep_alive=int(self.limits.idle_timeout) + 60,
        )
        config.load()
        state = ServerState()
        asyncio.set_event_loop(loop)

        def protocol() -> asyncio.Protocol:
            return GuardedHttpProtocol(
                config=config,
                server_state=state,
                app_state={},
                _loop=loop,
                limits=self.limits,
                jobs_app=self.app,
            )

        server = loop.run_until_complete(loop.create_server(protocol, sock=sock))
        tick = min(1.0, self.limits.request_timeout / 4, self.limits.idle_timeout / 4)

        def watchdog() -> None:
            now = loop.time()
            for connection in list(state.connections):
                if isinstance(connection, GuardedHttpProtocol):
                    connection.expire(now)
            loop.call_later(tick, watchdog)

        loop.call_later(tick, watchdog)
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for connection in list(state.connections):
                connection.transport.close()
            for task in list(state.tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        if self.mqtt is not None:
            self.mqtt.stop()
        self._stopping.set()
        loop.call_soon_threadsafe(loop.stop)
        for thread in self._threads:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C), then stop."""
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

    # ----------------------------------------------------------------- counters and faults
    @property
    def request_count(self) -> int:
        """Requests answered so far."""
        return sum(self.app.request_counts.values())

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests answered so far, per operation (``Unknown`` for unmatched routes)."""
        return self.app.request_counts

    @property
    def faults(self) -> FaultInjector:
        """The simulated-fault generator; replace it to change the fault rate while running."""
        return self.app.faults

    @faults.setter
    def faults(self, injector: FaultInjector) -> None:
        self.app.faults = injector


def _is_port(value: object) -> bool:
    return type(value) is int and 0 <= value <= 65535
