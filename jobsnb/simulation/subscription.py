"""One MQTT client of the fleet, standing in for many devices' subscriptions.

The sandbox's devices hear the service over MQTT (notify-next, command requests). A seed must
give the same history, so the fleet acts only once every message the service counted as sent has
arrived: :meth:`FleetClient.wait_for` waits for a count, and a count that stops growing short of
what was sent is an error naming what is missing (QoS 0 on loopback TCP loses nothing; the count
proves it), never a hang.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jobsnb.exceptions import InvalidParameterError, JobsnbError
from jobsnb.service import LocalJobsService

__all__ = ["FleetClient"]

_client_ids = itertools.count(1)


class FleetClient:
    """A paho client on the service's plain-TCP MQTT listener, subscribed to ``filters``.

    Parameters
    ----------
    service
        A started local service with MQTT.
    name
        What the client is for, in its client id and in the refusal of a service without MQTT.
    filters
        Topic filters, all subscribed at QoS 0.
    handle
        Called on paho's network thread with each message, under :attr:`arrived`'s lock (so it
        may update the counts :meth:`wait_for` reads); :meth:`wait_for` is woken after it.
    lost
        The error raised when messages do not arrive.
    timeout
        Real seconds to wait for the next message before giving up.
    """

    def __init__(
        self,
        service: LocalJobsService,
        name: str,
        filters: list[str],
        handle: Callable[[mqtt.MQTTMessage], None],
        lost: type[JobsnbError],
        timeout: float = 30.0,
    ) -> None:
        endpoint = service.mqtt
        if endpoint is None:
            raise InvalidParameterError(
                "service",
                f"needs MQTT: the devices' {name} come over it "
                "(LocalJobsService(mqtt=True, mqtt_tls_port=None))",
                service,
            )
        self.endpoint, self.timeout, self._lost = endpoint, timeout, lost
        self.arrived = threading.Condition()
        subscribed = threading.Event()

        def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
            with self.arrived:
                handle(message)
                self.arrived.notify_all()

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"jobsnb-fleet-{name}-{next(_client_ids)}"
        )
        client.on_message = on_message
        client.on_subscribe = lambda *_: subscribed.set()
        client.connect(endpoint.host, endpoint.port)
        client.loop_start()
        self.client = client
        client.subscribe([(topic_filter, 0) for topic_filter in filters])
        if not subscribed.wait(timeout):
            self.close()
            raise lost(f"The MQTT broker did not confirm the subscription to {filters}.")

    def wait_for(self, arrived: Callable[[], int], expected: int, what: str) -> None:
        """Return once ``arrived()`` reaches ``expected``; raise when it stops growing short."""
        with self.arrived:
            while arrived() < expected:
                before = arrived()
                self.arrived.wait(self.timeout)
                if arrived() == before:
                    raise self._lost(
                        f"{expected - arrived()} of the {expected} {what} have not reached the "
                        f"fleet's MQTT client after {self.timeout:g} s without a message"
                    )

    def close(self) -> None:
        """Disconnect the client and stop its network thread."""
        self.client.disconnect()
        self.client.loop_stop()
