"""The service's MQTT endpoint: an amqtt broker in its own thread, and the jobs topics on it.

:class:`MqttEndpoint` starts :class:`~jobsnb.service.mqtt.broker.JobsBroker` on an event loop
of its own with a plain-TCP listener and, unless told not to, a mutual-TLS one whose server
certificate and client CA are the service's own (:attr:`ca_file` is what devices trust, as they
trust AmazonRootCA1 with AWS). The backend's pending changes become ``jobs/notify`` and
``jobs/notify-next`` messages (:mod:`~jobsnb.service.mqtt.notifications`), handed to the
broker's loop in the order the service made them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

from jobsnb.exceptions import ServiceStartError
from jobsnb.service.hosts import WILDCARD_HOSTS, machine_names
from jobsnb.service.loops import new_event_loop
from jobsnb.service.mqtt.broker import JobsBroker
from jobsnb.service.mqtt.shared import SharedEndpoint
from jobsnb.service.mqtt.topics import Admit

if TYPE_CHECKING:
    from jobsnb.service.backend import JobsBackend

__all__ = ["MqttEndpoint"]

_log = logging.getLogger("jobsnb.service.mqtt")

# amqtt logs every refused or dropped client at WARNING; they are the devices' business, and
# Python's last-resort handler would print them into notebooks.
logging.getLogger("amqtt").addHandler(logging.NullHandler())
logging.getLogger("transitions").addHandler(logging.NullHandler())


class MqttEndpoint(SharedEndpoint):
    """An MQTT broker serving AWS IoT's jobs topics for ``backend``.

    Parameters
    ----------
    backend
        The service's backend.
    host
        Where both listeners bind (127.0.0.1 unless told otherwise).
    port
        The plain-TCP port (AWS has none; 1883 by convention); 0 picks a free one.
    tls_port
        The mutual-TLS port (AWS's is 8883); 0 picks a free one; None: no TLS listener.
    admit
        The quota and fault check of the jobs requests (the HTTPS app's, so both transports
        share ``throttle_rps`` and ``fault_rate``); None admits every request.

    Examples
    --------
    >>> from jobsnb.service import JobsBackend
    >>> endpoint = MqttEndpoint(JobsBackend()).start()
    >>> endpoint.port > 0
    True
    >>> endpoint.stop()
    """

    def __init__(
        self,
        backend: JobsBackend,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_port: int | None = 0,
        admit: Admit | None = None,
    ) -> None:
        SharedEndpoint.__init__(self, backend)
        self.admit = admit
        self.host, self.port, self.tls_port = host, port, tls_port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: JobsBroker | None = None
        self._thread: threading.Thread | None = None
        self._outbox: list[tuple[str, bytes]] = []
        self._outbox_lock = threading.Lock()

    @property
    def broker(self) -> JobsBroker:
        """The running broker."""
        if self._broker is None:
            raise ServiceStartError("The MQTT endpoint is not running.")
        return self._broker

    def start(self) -> MqttEndpoint:
        """Start the broker's thread and listeners; returns self once they accept connections."""
        if self._loop is not None:
            return self
        files = self._write_files(**self._server_files())
        listeners: dict[str, Any] = {
            "default": {"type": "tcp", "bind": f"{self.host}:{self.port}"},
        }
        if self.tls_port is not None:
            listeners["tls"] = {
                "type": "tcp",
                "bind": f"{self.host}:{self.tls_port}",
                "ssl": True,
                "cafile": files["ca.pem"],
                "certfile": files["server.pem"],
                "keyfile": files["server.key"],
            }
        loop = new_event_loop()
        made: list[JobsBroker] = []
        loop.set_exception_handler(_log_quietly)
        started: asyncio.Future[None] = loop.create_future()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                # amqtt's constructor binds its shutdown future to the thread's event loop; bound
                # to another, broker.shutdown() waits 5 s for a wake-up that never comes.
                config = {"listeners": listeners, "plugins": {}}
                made.append(JobsBroker(self.backend, config, loop, self.admit))
                loop.run_until_complete(made[0].start())
            except Exception as error:
                started.set_exception(error)
                # A listener may be bound already (the TLS one failed after the plain one).
                if made:
                    with contextlib.suppress(Exception):
                        loop.run_until_complete(made[0].shutdown())
                loop.close()
                return
            finally:
                ready.set()
            loop.run_forever()
            with contextlib.suppress(Exception):
                loop.run_until_complete(made[0].shutdown())
            loop.close()

        ready = threading.Event()
        self._thread = threading.Thread(target=run, name="jobsnb-mqtt", daemon=True)
        self._thread.start()
        ready.wait()
        if started.done() and started.exception() is not None:
            self._close_shared()
            raise ServiceStartError(f"Cannot start the MQTT broker: {started.exception()}")
        broker = made[0]
        self._loop, self._broker = loop, broker
        self.port = broker.listening_port("default")
        if self.tls_port is not None:
            self.tls_port = broker.listening_port("tls")
        self._start_notifying(self.send, broker.has_subscriber)
        return self

    def _server_files(self) -> dict[str, str]:
        if self.tls_port is None:
            return {}
        cert_pem, key_pem = self.backend.authority.server_credentials(_server_names(self.host))
        return {"server.pem": cert_pem, "server.key": key_pem}

    def send(self, topic: str, payload: bytes) -> None:
        """Broadcast ``payload`` on ``topic`` to its subscribers (any thread; order kept).

        Messages wait in one outbox that the broker's loop drains: one wake-up of the loop
        carries every message sent since it last ran, not one each.
        """
        loop = self._loop
        if loop is None:
            return
        with self._outbox_lock:
            self._outbox.append((topic, payload))
            wake = len(self._outbox) == 1
        if wake:
            loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._outbox_lock:
            messages, self._outbox = self._outbox, []
        if self._broker is not None:
            self._broker.broadcast_now(messages)

    def stop(self) -> None:
        """Close every connection and stop the broker's thread."""
        loop, self._loop = self._loop, None
        self._close_shared()
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._broker = None


def _log_quietly(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A client that drops its connection mid-handshake is the client's business: log, quietly.

    amqtt lets such errors reach the loop, whose default handler prints a traceback to stderr
    (into a notebook's output).
    """
    _log.debug(
        "MQTT connection error: %s", context.get("message"), exc_info=context.get("exception")
    )


def _server_names(host: str) -> list[str]:
    """The names the TLS server certificate answers to besides localhost and the loopbacks.

    On a wildcard bind (``0.0.0.0``, ``::``) devices on the network reach the machine by its
    name or one of its addresses: the certificate names them all, as the HTTP side's Host check
    accepts them.
    """
    if host not in WILDCARD_HOSTS:
        return [host]
    names = machine_names()
    with contextlib.suppress(OSError):
        for *_, address in socket.getaddrinfo(socket.gethostname(), None):
            names.add(str(address[0]))
    return sorted(names)
