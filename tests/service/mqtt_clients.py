"""MQTT devices for the tests of the service's jobs topics: paho clients that act as things.

A :class:`Device` connects to an MQTT listener (the service's plain-TCP or mutual-TLS one, or
a broker ``jobsnb serve --mqtt-broker`` is attached to) with its thing name as client id,
subscribes to its jobs topics and keeps every message it receives, per topic, in arrival order.
Tests wait on messages with a timeout (a bound on a hang, never an assertion about time); a
message that must *not* come is proven absent by the order of the ones that do, since the
service sends a thing's messages in the order it made them.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

__all__ = ["WAIT", "Device", "jobs_topic"]

#: How long a test waits for a message before it fails (a hang guard, not a time assertion).
WAIT = 20.0


def jobs_topic(thing: str, *levels: str) -> str:
    """``jobs_topic("t1", "j1", "update")`` → ``$aws/things/t1/jobs/j1/update``."""
    return "/".join(("$aws/things", thing, "jobs", *levels))


class Device:
    """A paho client acting as ``thing`` on the service's MQTT port.

    Parameters
    ----------
    port
        The MQTT port: the service's plain-TCP one, or its mutual-TLS one with ``tls``.
    thing
        The thing name, also the client id unless ``client_id`` says otherwise.
    subscribe
        Topic filters to subscribe to at QoS 1 (default: everything under the thing's jobs).
    clean_session
        False for a persistent session: the broker keeps its subscriptions, and the QoS 1
        messages they match while it is away, for its next connection.
    protocol
        ``mqtt.MQTTv311`` (what the embedded broker speaks) or ``mqtt.MQTTv5``.
    tls
        For the mutual-TLS port: the CA file the device trusts, its certificate and key files.
    host
        The host to connect to; with ``tls``, also the name the server certificate must carry.

    Raises
    ------
    ConnectionRefusedError
        When the broker's CONNACK refuses the device (the message is its reason).
    AssertionError
        When no CONNACK comes: the connection is closed first, or none comes in :data:`WAIT`.
    """

    def __init__(
        self,
        port: int,
        thing: str,
        *,
        client_id: str | None = None,
        subscribe: tuple[str, ...] | None = None,
        tls: tuple[str, str, str] | None = None,
        host: str = "127.0.0.1",
        clean_session: bool = True,
        protocol: int = mqtt.MQTTv311,
    ) -> None:
        self.thing = thing
        self._lock = threading.Condition()
        self._messages: dict[str, deque[bytes]] = defaultdict(deque)
        self.received: list[tuple[str, bytes]] = []
        #: (topic, QoS) of every message, in arrival order.
        self.qos: list[tuple[str, int]] = []
        self.closed = threading.Event()
        connected = threading.Event()
        # MQTT 5 has a clean start instead, which paho refuses to mix with clean_session.
        session = {"clean_session": clean_session} if protocol != mqtt.MQTTv5 else {}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or thing,
            protocol=protocol,
            reconnect_on_failure=False,
            **session,
        )
        connack: list[Any] = []
        self.client.on_message = self._on_message
        self.client.on_connect = lambda *args: (connack.append(args[3]), connected.set())
        # A close before any CONNACK ends the wait for it too (then connack stays empty).
        self.client.on_disconnect = lambda *_: (self.closed.set(), connected.set())
        if tls is not None:
            ca_file, cert_file, key_file = tls
            self.client.tls_set(ca_certs=ca_file, certfile=cert_file, keyfile=key_file)
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        try:
            if not connected.wait(WAIT):
                raise AssertionError(f"{thing} did not connect")
            if not connack:
                raise AssertionError(f"{thing} was disconnected before any CONNACK")
            if connack[0].is_failure:
                raise ConnectionRefusedError(str(connack[0]))
            filters = subscribe if subscribe is not None else (jobs_topic(thing, "#"),)
            for topic_filter in filters:
                if not self.subscribe(topic_filter):
                    raise AssertionError(f"{thing} may not subscribe to {topic_filter}")
        except BaseException:
            self.close()  # no paho network thread outlives a device that failed to set up
            raise

    def subscribe(self, topic_filter: str, qos: int = 1) -> bool:
        """Subscribe and wait for the broker's SUBACK; False when it refused the filter."""
        granted: list[Any] = []
        acked = threading.Event()
        self.client.on_subscribe = lambda *args: (granted.extend(args[3]), acked.set())
        self.client.subscribe(topic_filter, qos)
        if not acked.wait(WAIT):
            raise AssertionError(f"no SUBACK for {topic_filter}")
        return not granted[0].is_failure

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._messages[message.topic].append(message.payload)
            self.received.append((message.topic, message.payload))
            self.qos.append((message.topic, message.qos))
            self._lock.notify_all()

    # ----------------------------------------------------------------- receiving
    def raw(self, topic: str, timeout: float = WAIT) -> bytes:
        """The oldest unread message on ``topic`` as bytes (waits for one)."""
        with self._lock:
            if not self._lock.wait_for(lambda: bool(self._messages[topic]), timeout):
                raise AssertionError(f"no message on {topic}; got {self.topics()}")
            return self._messages[topic].popleft()

    def first_of(self, *topics: str, timeout: float = WAIT) -> tuple[str, bytes]:
        """The oldest unread message on the first of ``topics`` that has one (waits for one)."""
        with self._lock:
            if not self._lock.wait_for(lambda: any(self._messages[t] for t in topics), timeout):
                raise AssertionError(f"no message on {topics}; got {self.topics()}")
            topic = next(t for t in topics if self._messages[t])
            return topic, self._messages[topic].popleft()

    def next(self, *levels: str) -> Any:
        """The oldest unread message on the thing's jobs topic ``levels``, decoded."""
        return json.loads(self.raw(jobs_topic(self.thing, *levels)))

    def unread(self, *levels: str) -> list[Any]:
        """Every message on the thing's jobs topic ``levels`` not read yet (no waiting)."""
        with self._lock:
            queue = self._messages[jobs_topic(self.thing, *levels)]
            found = [json.loads(payload) for payload in queue]
            queue.clear()
            return found

    def wait_count(self, count: int, *levels: str) -> None:
        """Wait until ``count`` messages in all arrived on ``levels`` (read or not)."""
        topic = jobs_topic(self.thing, *levels)

        def arrived() -> bool:
            return sum(1 for name, _ in self.received if name == topic) >= count

        with self._lock:
            if not self._lock.wait_for(arrived, WAIT):
                raise AssertionError(f"fewer than {count} messages on {topic}")

    def topics(self) -> dict[str, int]:
        """Unread messages per topic (for failure messages)."""
        return {topic: len(queue) for topic, queue in self._messages.items() if queue}

    # ----------------------------------------------------------------- requests
    def publish(self, topic: str, payload: bytes | str, qos: int = 1) -> None:
        """Publish ``payload`` as is on ``topic``."""
        self.client.publish(topic, payload, qos=qos)

    def request(self, levels: str, payload: dict[str, Any] | bytes | None = None) -> Any:
        """Publish on the jobs topic ``levels`` (``"start-next"``, ``"j1/update"``) and return
        ``(outcome, answer)``: ``"accepted"`` or ``"rejected"`` and the decoded answer."""
        topic = jobs_topic(self.thing, *levels.split("/"))
        if payload is None:
            payload = b""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.publish(topic, body)
        accepted, rejected = f"{topic}/accepted", f"{topic}/rejected"
        with self._lock:
            if not self._lock.wait_for(
                lambda: bool(self._messages[accepted] or self._messages[rejected]), WAIT
            ):
                raise AssertionError(f"no answer to {topic}; got {self.topics()}")
            outcome = "accepted" if self._messages[accepted] else "rejected"
            payload_bytes = self._messages[f"{topic}/{outcome}"].popleft()
        return outcome, json.loads(payload_bytes)

    def accepted(self, levels: str, payload: dict[str, Any] | bytes | None = None) -> Any:
        """The accepted answer to a request (fails on a rejection)."""
        outcome, answer = self.request(levels, payload)
        assert outcome == "accepted", answer
        return answer

    def rejected(self, levels: str, payload: dict[str, Any] | bytes | None = None) -> Any:
        """The rejected answer to a request (fails when it is accepted)."""
        outcome, answer = self.request(levels, payload)
        assert outcome == "rejected", answer
        return answer

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()
