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

import json
from collections import deque

import paho.mqtt.client as mqtt

from jobsnb.exceptions import JobsnbError
from jobsnb.service import LocalJobsService
from jobsnb.simulation.subscription import FleetClient

__all__ = ["NextNotices", "NoticesLostError"]

#: The devices' subscription, all of them in one filter.
TOPIC = "$aws/things/+/jobs/notify-next"
_PREFIX, _SUFFIX = len("$aws/things/"), len("/jobs/notify-next")


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
        self.inbox: deque[tuple[int, str, float]] = deque()
        self.received = 0
        self._client = FleetClient(
            service, "notify-next", [TOPIC], self._message, NoticesLostError, timeout
        )
        self._endpoint = self._client.endpoint
        # The broker keeps no notify-next for a new subscriber: count from what was sent so far.
        self._baseline = self._sent_total()

    def _message(self, message: mqtt.MQTTMessage) -> None:
        # On paho's network thread: only the thing's name and the execution's queuedAt.
        self.received += 1
        execution = json.loads(message.payload).get("execution")
        if execution is not None:
            topic = message.topic
            self.inbox.append((self.received, topic[_PREFIX:-_SUFFIX], execution["queuedAt"]))

    @property
    def timeout(self) -> float:
        """Real seconds :meth:`catch_up` waits for the next message before it gives up."""
        return self._client.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._client.timeout = seconds

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
        self._client.wait_for(
            lambda: self.received, self.sent, "notify-next messages the service sent"
        )

    def close(self) -> None:
        """Disconnect the client and stop its network thread."""
        self._client.close()
