"""The devices' ``jobs/notify-next`` subscriptions: one MQTT client for the whole fleet.

A device learns that a job reached it from AWS IoT's ``$aws/things/{thing}/jobs/notify-next``
message. The fleet stands in for its devices' subscriptions with one paho-mqtt client subscribed
to ``$aws/things/+/jobs/notify-next`` on the service's MQTT endpoint (one wildcard: the broker's
routing cost grows with the number of subscriptions), and keeps, in arrival order, the messages
that carry an execution: the thing they are for and the execution's ``queuedAt``.

The simulation's history must be a function of its seed, so the fleet reads its inbox only after
:meth:`NextNotices.catch_up`: every notify-next the service has sent so far has arrived
(the service counts them, ``service.mqtt.notifications_sent``). QoS 0 is enough for "nothing
lost" on loopback TCP, and the count proves it: a message that never comes fails the run with an
error naming how many are missing, rather than letting a device sleep through its job.

Examples
--------
>>> import boto3
>>> from jobsnb.service import LocalJobsService
>>> with LocalJobsService(mqtt=True, mqtt_tls_port=None) as service:
...     notices = NextNotices(service)
...     iot = boto3.client("iot", endpoint_url=service.url, region_name="us-east-1",
...                        aws_access_key_id="x", aws_secret_access_key="x")
...     arn = iot.create_thing(thingName="dev-1")["thingArn"]
...     _ = iot.create_job(jobId="j1", targets=[arn], document="{}")
...     notices.catch_up()
...     (number, thing, _), = notices.inbox
...     notices.close()
...     number, thing, notices.received
(1, 'dev-1', 1)
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jobsnb.exceptions import InvalidParameterError, JobsnbError
from jobsnb.service import LocalJobsService

__all__ = ["NextNotices", "NoticesLostError"]

#: The devices' subscription, all of them in one filter.
TOPIC = "$aws/things/+/jobs/notify-next"
_PREFIX, _SUFFIX = len("$aws/things/"), len("/jobs/notify-next")
_client_ids = itertools.count(1)


class NoticesLostError(JobsnbError):
    """Notify-next messages the service sent did not reach the fleet's subscription in time."""


class NextNotices:
    """One MQTT client subscribed to every thing's ``jobs/notify-next``; an inbox in order.

    Parameters
    ----------
    service
        A started local service with MQTT (``LocalJobsService(mqtt=True, mqtt_tls_port=None)``).
    timeout
        Real seconds :meth:`catch_up` waits for the next message before it gives up.

    Attributes
    ----------
    inbox
        ``(number, thing name, queuedAt)`` of each message that carries an execution, in
        arrival order; ``number`` counts every notify-next received since the subscription
        (with or without an execution), as the service counts those it sent.
    received
        Notify-next messages received so far.
    """

    def __init__(self, service: LocalJobsService, timeout: float = 30.0) -> None:
        endpoint = service.mqtt
        if endpoint is None:
            raise InvalidParameterError(
                "service",
                "needs MQTT: the devices learn of jobs from notify-next "
                "(LocalJobsService(mqtt=True, mqtt_tls_port=None))",
                service,
            )
        self._endpoint = endpoint
        self.timeout = timeout
        self.inbox: deque[tuple[int, str, float]] = deque()
        self.received = 0
        self._arrived = threading.Condition()
        self._subscribed = threading.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"jobsnb-fleet-{next(_client_ids)}"
        )
        client.on_message = self._message
        client.on_subscribe = lambda *_: self._subscribed.set()
        client.connect(endpoint.host, endpoint.port)
        client.loop_start()
        self._client = client
        client.subscribe(TOPIC, qos=0)
        if not self._subscribed.wait(timeout):
            self.close()
            raise NoticesLostError(f"The MQTT broker did not confirm the subscription to {TOPIC}.")
        # The broker keeps no notify-next for a new subscriber: count from what was sent so far.
        self._baseline = self._sent_total()

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        # On paho's network thread: only the thing's name and the execution's queuedAt.
        body = json.loads(message.payload)
        with self._arrived:
            self.received += 1
            execution = body.get("execution")
            if execution is not None:
                topic = message.topic
                self.inbox.append((self.received, topic[_PREFIX:-_SUFFIX], execution["queuedAt"]))
            self._arrived.notify_all()

    def _sent_total(self) -> int:
        return self._endpoint.notifications_sent.get("notify-next", 0)

    @property
    def sent(self) -> int:
        """Notify-next messages the service has sent since the subscription."""
        return self._sent_total() - self._baseline

    def catch_up(self) -> None:
        """Return once every notify-next the service has sent so far has arrived.

        Raises
        ------
        NoticesLostError
            No message arrived for :attr:`timeout` seconds while some were still missing.
        """
        expected = self.sent
        with self._arrived:
            while self.received < expected:
                before = self.received
                self._arrived.wait(self.timeout)
                if self.received == before:
                    raise NoticesLostError(
                        f"{expected - self.received} of the {expected} notify-next messages the "
                        f"service sent have not reached the fleet's subscription to {TOPIC} "
                        f"after {self.timeout:g} s without a message"
                    )

    def close(self) -> None:
        """Disconnect the client and stop its network thread."""
        self._client.disconnect()
        self._client.loop_stop()
