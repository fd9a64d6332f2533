"""The jobs topics on a broker a team already runs (Mosquitto): the service as one of its clients.

``LocalJobsService(mqtt="mqtt://127.0.0.1:1883")`` starts no broker of its own: it connects to
that one with paho-mqtt, subscribes to the four jobs request topics and the command response
topic of every thing, answers each on its ``accepted`` or ``rejected`` topic and publishes the
notifications, events and command requests there. What changes against the embedded broker:
the answers pass through the broker, so any client subscribed to a thing's answer topics sees
them (AWS sends them to the requester alone), and who may connect and publish what is the
broker's configuration (Mosquitto's ``require_certificate`` and ``use_identity_as_username``
with the service's CA, :attr:`ca_file`).
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jobsnb.exceptions import InvalidParameterError, ServiceStartError
from jobsnb.service.mqtt.commands import RESPONSE_FILTER, CommandTopics, response_target
from jobsnb.service.mqtt.shared import SharedEndpoint
from jobsnb.service.mqtt.topics import REQUEST_FILTERS, Admit, JobsTopics

if TYPE_CHECKING:
    from jobsnb.service.backend import JobsBackend

__all__ = ["SUBSCRIPTIONS", "AttachedEndpoint"]

#: The jobs request topics and the command response topics of every thing (the answers, one
#: level deeper, do not match).
SUBSCRIPTIONS = (*REQUEST_FILTERS, RESPONSE_FILTER)
#: How long start() waits for the broker to accept the connection and the subscriptions.
CONNECT_TIMEOUT = 10.0


class AttachedEndpoint(SharedEndpoint):
    """The service's jobs topics on the MQTT broker at ``url`` (``mqtt://host:port``).

    Parameters
    ----------
    backend
        The service's backend.
    url
        The broker: ``mqtt://host[:port]`` (1883 when no port is given).
    client_id
        The service's client id on that broker; None: ``jobsnb-local-service-`` and a random
        suffix, so that two services on one broker do not take each other's connection (each
        then answers every request: attach one service per broker).
    admit
        The quota and fault check of the jobs requests; None admits every request.
    """

    def __init__(
        self,
        backend: JobsBackend,
        url: str,
        client_id: str | None = None,
        admit: Admit | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise InvalidParameterError("mqtt", "must be True, a port, or mqtt://host[:port]", url)
        SharedEndpoint.__init__(self, backend)
        self.url = url
        self.host = parts.hostname
        try:
            self.port = parts.port or 1883
        except ValueError:
            raise InvalidParameterError("mqtt", "has a port that is not 0-65535", url) from None
        self.tls_port: int | None = None
        self.jobs = JobsTopics(backend, admit)
        self.commands = CommandTopics(backend)
        client_id = client_id or f"jobsnb-local-service-{uuid.uuid4().hex[:8]}"
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self._client.on_message = self._request

    def start(self) -> AttachedEndpoint:
        """Connect, subscribe to the request topics, and start publishing notifications."""
        connected, subscribed = threading.Event(), threading.Event()
        refused: list[str] = []

        def on_connect(client: mqtt.Client, _: Any, __: Any, code: Any, ___: Any) -> None:
            if code.is_failure:
                refused.append(str(code))
            else:
                # On every connect: paho reconnects by itself after the broker restarts, with
                # a clean session, and the request topics must be subscribed to again.
                client.subscribe([(topic, 1) for topic in SUBSCRIPTIONS])
            connected.set()

        def on_subscribe(client: mqtt.Client, _: Any, __: Any, codes: Any, ___: Any) -> None:
            refused.extend(str(code) for code in codes if code.is_failure)
            subscribed.set()

        self._client.on_connect = on_connect
        self._client.on_subscribe = on_subscribe
        try:
            self._client.connect(self.host, self.port)
        except OSError as error:
            raise ServiceStartError(
                f"Cannot reach the MQTT broker at {self.url}: {error}"
            ) from None
        self._client.loop_start()
        if not connected.wait(CONNECT_TIMEOUT) or refused:
            self._client.disconnect()
            self._client.loop_stop()
            why = refused[0] if refused else f"no CONNACK in {CONNECT_TIMEOUT:g} s"
            raise ServiceStartError(f"The MQTT broker at {self.url} refused the service: {why}")
        if not subscribed.wait(CONNECT_TIMEOUT) or refused:
            self.stop()
            why = refused[0] if refused else f"no SUBACK in {CONNECT_TIMEOUT:g} s"
            raise ServiceStartError(
                f"The MQTT broker at {self.url} refused the jobs request topics: {why}"
            )
        self._write_files()
        self._start_notifying(self.send)
        return self

    def _request(self, client: mqtt.Client, _: Any, message: mqtt.MQTTMessage) -> None:
        topic, body = message.topic, bytes(message.payload)
        if response_target(topic) is not None:
            reply_topic, payload = self.commands.answer(topic, body)
        else:
            reply_topic, payload = self.jobs.answer(topic, body)
        client.publish(reply_topic, payload, qos=1)

    def send(self, topic: str, payload: bytes) -> None:
        """Publish ``payload`` on ``topic`` (any thread; paho keeps the order)."""
        self._client.publish(topic, payload, qos=1)

    def stop(self) -> None:
        """Stop publishing, unsubscribe and disconnect."""
        self._close_shared()
        self._client.disconnect()
        self._client.loop_stop()
