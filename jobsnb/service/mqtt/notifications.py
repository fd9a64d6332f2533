"""``jobs/notify`` and ``jobs/notify-next``: what the service tells a thing when its queue moves.

AWS's rules (developer guide, "Jobs notifications"): a ListNotification on
``$aws/things/{thing}/jobs/notify`` whenever an execution is queued, changes to a non-terminal
status or leaves the pending list (terminal, removed, deleted), with the pending summaries by
status; a NextNotification on ``.../jobs/notify-next`` whenever the first execution of the list
(DescribeJobExecution's ``$next``) becomes another one, with that execution and its document, or
with none when the list empties. Both are worked out once each operation is done, from the
things the engine says it changed (:meth:`~jobsnb.service.listeners.Listeners.on_changes`) and,
for notify-next, the execution each thing was last told of; so every path that moves executions
(requests on either transport, timers, rollouts, schedules, cancellations, group changes)
notifies alike, and a thing that nothing moved costs nothing.
The jobs events (:mod:`~jobsnb.service.mqtt.events`) go out from the same place, after them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jobsnb.service.execution_operations import pending_lists
from jobsnb.service.executions import Execution
from jobsnb.service.listeners import Event
from jobsnb.service.mqtt.events import event_message
from jobsnb.service.mqtt.payloads import encode, execution_data

if TYPE_CHECKING:
    from jobsnb.service.backend import JobsBackend

__all__ = ["JobNotifications", "Send", "Wants"]

#: Hands a message (topic, payload) to the broker; called under the backend's lock, in order.
Send = Callable[[str, bytes], None]
#: Whether a topic has a subscriber (a message nobody would receive is neither made nor sent).
Wants = Callable[[str], bool]


def _everything(topic: str) -> bool:
    return True


class JobNotifications:
    """Listens to the backend's changes; sends AWS's two notifications and the jobs events.

    Parameters
    ----------
    backend
        The service's backend.
    send
        Where messages go (the broker's outbox); it must not block or call the backend.
    wants
        Whether a topic has a subscriber now; None: every topic (a broker the service cannot
        see into). ``sent`` counts what was sent.
    """

    def __init__(self, backend: JobsBackend, send: Send, wants: Wants | None = None) -> None:
        self.backend = backend
        self.send = send
        self.wants = wants or _everything
        self.sent = {"notify": 0, "notify-next": 0}
        # The execution each thing was last told is its next (compared by identity: a retry is
        # a new Execution); a thing told that nothing is next has no entry.
        self._nexts: dict[str, Execution] = {}
        with backend.lock:
            # A service loaded before MQTT started: its things were never told, but their next
            # is what it is; only a change of it is a NextNotification.
            for thing, queue in backend.by_thing.items():
                first = queue.next_pending()
                if first is not None:
                    self._nexts[thing] = first
            self.close = backend.on_changes(self._changed)

    def _changed(self, things: list[str], events: list[Event]) -> None:
        backend, wants = self.backend, self.wants
        now = backend.clock.now()
        queues, nexts = backend.by_thing, self._nexts
        for thing in things:
            queue = queues.get(thing)
            # The engine names a thing only when an execution of it was queued, changed status
            # or left its pending list: each is a ListNotification.
            topic = f"$aws/things/{thing}/jobs/notify"
            if wants(topic):
                self._notify(topic, *pending_lists(queue), now)
            first = queue.next_pending() if queue is not None else None
            if first is not nexts.get(thing):
                if first is None:
                    del nexts[thing]
                else:
                    nexts[thing] = first
                topic = f"$aws/things/{thing}/jobs/notify-next"
                if wants(topic):
                    self._notify_next(topic, first, now)
        for kind, operation, subject, status in events:
            event = event_message(backend, kind, operation, subject, status, now)
            if event is not None and wants(event[0]):
                self.sent[kind] = self.sent.get(kind, 0) + 1
                self.send(event[0], encode(event[1]))

    def _notify(
        self, topic: str, in_progress: list[Execution], queued: list[Execution], now: float
    ) -> None:
        jobs: dict[str, list[dict[str, object]]] = {}
        if in_progress:
            jobs["IN_PROGRESS"] = [ex.data_summary() for ex in in_progress]
        if queued:
            jobs["QUEUED"] = [ex.data_summary() for ex in queued]
        self.sent["notify"] += 1
        self.send(topic, encode({"timestamp": int(now), "jobs": jobs}))

    def _notify_next(self, topic: str, first: Execution | None, now: float) -> None:
        message: dict[str, Any] = {"timestamp": int(now)}
        if first is not None:
            message["execution"] = execution_data(first, now)
        self.sent["notify-next"] += 1
        self.send(topic, encode(message))
