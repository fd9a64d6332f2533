"""amqtt's broker, taught AWS IoT's rules for the reserved ``$aws`` topics and device identity.

amqtt is a maintained pure-Python broker (pip alone installs it). Four of its methods change:

* ``_handle_client_session`` and ``_authenticate``: on the TLS listener the device presents a
  certificate the service's CA issued; it must be ACTIVE and attached to the thing named by the
  client id (AWS's ``iot:Connection.Thing.ThingName``). A persistent session is resumed with
  this connection's certificate (amqtt keeps the earlier one's), and only on the listener it
  was opened on. The plain-TCP listener takes any client, for quick tests.
* ``_handle_message_delivery``: amqtt closes the connection of any client that publishes on a
  ``$`` topic (MQTT 3.1.1 §4.7.2 lets a server keep such topics to itself). AWS devices publish
  their jobs requests on ``$aws/things/{thing}/jobs/...``: those go to the jobs topics and the
  answer to the requesting client alone, as AWS sends it ("response messages ... don't pass
  through the message broker"). A device's command response
  (``$aws/commands/things/{thing}/executions/{id}/response/json``) is answered the same way
  (:mod:`~jobsnb.service.mqtt.commands`). Publishing on a topic only AWS publishes on
  (answers, notifications, events, command requests), or on another thing's topics over TLS, or
  a payload over AWS IoT's 128 KB, closes the connection, as AWS does for a publish it refuses.
* ``_topic_filtering``: over TLS a device subscribes to its own thing's ``$aws/things/...``
  and ``$aws/commands/things/...`` topics (and the events), as the usual AWS policy allows; and
  before each subscription and each message delivered to it, and at each request, its
  certificate is checked again: one deactivated, revoked or detached since it connected gets
  nothing more, and its connection closes.

They are amqtt's private methods, as are the broadcast queue the notifications go into and the
subscriptions :meth:`JobsBroker.has_subscriber` reads: ``pyproject.toml`` pins amqtt to the
minor version they were read from, and the tests drive each through a real client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from amqtt.broker import Action, Broker

from jobsnb.limits import MAX_MQTT_PAYLOAD_BYTES
from jobsnb.service.mqtt.commands import CommandTopics, command_thing, response_target
from jobsnb.service.mqtt.topics import Admit, JobsTopics, is_reserved, request_thing

if TYPE_CHECKING:
    from amqtt.contexts import ListenerConfig
    from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
    from amqtt.session import Session

    from jobsnb.service.backend import JobsBackend

__all__ = ["JobsBroker"]

_log = logging.getLogger("jobsnb.service.mqtt")
#: How many of the latest refusals ``JobsBroker.refused`` keeps.
_REFUSALS_KEPT = 1000


class JobsBroker(Broker):  # type: ignore[misc]
    """An amqtt broker that answers AWS IoT's jobs topics from ``backend``.

    Parameters
    ----------
    backend
        The service's backend.
    config
        amqtt's broker configuration (listeners).
    loop
        The event loop the broker runs on.
    admit
        The quota and fault check of the jobs requests (:data:`~.topics.Admit`).
    """

    def __init__(
        self,
        backend: JobsBackend,
        config: dict[str, Any],
        loop: asyncio.AbstractEventLoop,
        admit: Admit | None = None,
    ) -> None:
        super().__init__(config, loop=loop)
        self.backend = backend
        self.jobs = JobsTopics(backend, admit)
        self.commands = CommandTopics(backend)
        self.refused: list[str] = []
        self._answering: set[asyncio.Task[Any]] = set()

    def listening_port(self, listener: str) -> int:
        """The port a started listener is bound to (the one the OS chose for port 0)."""
        sockets = self._servers[listener].instance.sockets
        return int(sockets[0].getsockname()[1])

    def has_subscriber(self, topic: str) -> bool:
        """Whether a subscription (a connected or a persistent session's) matches ``topic``.

        Safe from any thread: the filters are copied in one step under the GIL. At fleet scale
        most notifications have no subscriber (a sandbox listens to notify-next only), and
        neither making nor routing them is then the cheapest way.
        """
        return any(
            self._matches(topic, topic_filter) for topic_filter in tuple(self._subscriptions)
        )

    def broadcast_now(self, messages: list[tuple[str, bytes]]) -> None:
        """Queue each (topic, payload) for its subscribers, in order (on the broker's loop).

        What ``internal_message_broadcast`` does, without a task per message: at fleet scale
        the notifications are most of the broker's work.
        """
        queue = self._broadcast_queue
        for topic, payload in messages:
            queue.put_nowait({"session": None, "topic": topic, "data": payload})

    # ----------------------------------------------------------------- identity
    async def _handle_client_session(
        self,
        reader: Any,
        writer: Any,
        client_session: Session,
        handler: BrokerProtocolHandler,
        server: Any,
        listener_name: str,
    ) -> None:
        # amqtt resumes a persistent session (clean session off) with the Session object of the
        # earlier connection, its TLS details included: identity must be this connection's, and
        # a session opened on one listener is not resumed on the other (its subscriptions were
        # checked, or not, by that listener's rules).
        ssl_object = writer.get_ssl_info()
        crossed = client_session.parent == 1 and (
            (client_session.ssl_object is None) != (ssl_object is None)
        )
        client_session.jobsnb_crossed = crossed
        if not crossed:
            client_session.ssl_object = ssl_object
        await super()._handle_client_session(
            reader, writer, client_session, handler, server, listener_name
        )

    async def _authenticate(self, session: Session, listener: ListenerConfig) -> bool:
        if session.jobsnb_crossed:
            return self._refuse(
                session, "its persistent session was opened on the other listener (TLS or not)"
            )
        if session.ssl_object is None:
            return True
        reason = self._identity_problem(session)
        return True if reason is None else self._refuse(session, reason)

    def _identity_problem(self, session: Session) -> str | None:
        """Why the TLS session's certificate may not act as its client id now, or None."""
        der = session.ssl_object.getpeercert(binary_form=True)
        if der is None:
            return "presented no client certificate"
        return self.backend.authorize_device(der, session.client_id or "")

    def _refuse(self, session: Session, reason: str) -> bool:
        message = f"client {session.client_id!r} refused: {reason}"
        self.refused.append(message)
        if len(self.refused) > _REFUSALS_KEPT:  # a device refused in a loop must not grow it
            del self.refused[0]
        _log.info(message)
        return False

    async def _topic_filtering(self, session: Session, topic: str, action: Action) -> bool:
        if session.ssl_object is None or action == Action.PUBLISH:
            return True
        # A certificate deactivated, revoked or detached since the device connected: nothing
        # more reaches it, and its connection closes (AWS disconnects such devices).
        revoked = self._identity_problem(session)
        if revoked is not None:
            self._refuse(session, revoked)
            handler = self._get_handler(session)
            if handler is not None:
                await self._disconnect(handler)
            return False
        if action != Action.SUBSCRIBE:
            return True
        if topic.startswith("$aws/things/"):
            return bool(topic.split("/")[2] == session.client_id)
        if topic.startswith("$aws/commands/"):
            return bool(command_thing(topic) == session.client_id)
        return not topic.startswith("$") or topic.startswith("$aws/events/")

    # ----------------------------------------------------------------- publishes
    async def _handle_message_delivery(
        self,
        client_session: Session,
        handler: BrokerProtocolHandler,
        wait_deliver: asyncio.Future[Any],
    ) -> bool:
        message = wait_deliver.result()
        topic = getattr(message, "topic", None)
        size = len(getattr(message, "data", None) or b"")
        if size > MAX_MQTT_PAYLOAD_BYTES:
            self._refuse(
                client_session,
                f"published {size} bytes on {topic}, over AWS IoT's 128 KB message limit",
            )
            await self._disconnect(handler)
            return True
        if not (isinstance(topic, str) and topic.startswith("$aws/")):
            return bool(
                await super()._handle_message_delivery(client_session, handler, wait_deliver)
            )
        response = response_target(topic)
        if response is not None:
            thing: str | None = response[0]
        else:
            thing = None if is_reserved(topic) else request_thing(topic)
        over_tls = client_session.ssl_object is not None
        if thing is None or (over_tls and thing != client_session.client_id):
            self._refuse(client_session, f"may not publish on {topic}")
            await self._disconnect(handler)
            return True
        # A certificate made INACTIVE or REVOKED, or detached from the thing, since the device
        # connected: its next request closes the connection.
        revoked = self._identity_problem(client_session) if over_tls else None
        if revoked is not None:
            self._refuse(client_session, revoked)
            await self._disconnect(handler)
            return True
        data = bytes(message.data or b"")
        if response is not None:
            reply_topic, payload = self.commands.answer(topic, data)
        else:
            reply_topic, payload = self.jobs.answer(topic, data)
        task = asyncio.ensure_future(
            handler.mqtt_publish(
                reply_topic, payload, self._qos_for(client_session, reply_topic), False
            )
        )
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)
        return True

    async def _disconnect(self, handler: BrokerProtocolHandler) -> None:
        # Returning False from delivery only stops amqtt reading the client's packets: the socket
        # stays open and the device hangs. Closing it takes amqtt's own disconnect path instead.
        if handler.writer is not None:
            with contextlib.suppress(OSError):
                await handler.writer.close()

    def _qos_for(self, session: Session, topic: str) -> int:
        """The QoS of the session's subscription that matches ``topic`` (0 when none does)."""
        best = 0
        for topic_filter, subscribers in self._subscriptions.items():
            if self._matches(topic, topic_filter):
                for subscriber, qos in subscribers:
                    if subscriber is session:
                        best = max(best, min(int(qos), 1))
        return best
