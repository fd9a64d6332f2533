"""``jobs/notify`` and ``jobs/notify-next``: what the service tells a thing when its queue moves.

AWS's rules (developer guide, "Jobs notifications"): a ListNotification on
``$aws/things/{thing}/jobs/notify`` whenever an execution is queued, changes to a non-terminal
status or leaves the pending list (terminal, removed, deleted), with the pending summaries by
status; a NextNotification on ``.../jobs/notify-next`` whenever the first execution of the list
(DescribeJobExecution's ``$next``) becomes another one, with that execution and its document, or
with none when the list empties. Both are derived here from what the list *is* after each
operation, compared with what was last sent, so every path that moves executions (requests on
either transport, timers, rollouts, schedules, cancellations, group changes) notifies alike.
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

__all__ = ["JobNotifications", "Send"]

#: Hands a message (topic, payload) to the broker; called under the backend's lock, in order.
Send = Callable[[str, bytes], None]


class JobNotifications:
    """Listens to the backend's changes; sends AWS's two notifications and the jobs events.

    Parameters
    ----------
    backend
        The service's backend.
    send
        Where messages go (the broker's outbox); it must not block or call the backend.
    """

    def __init__(self, backend: JobsBackend, send: Send) -> None:
        self.backend = backend
        self.send = send
        self.sent = {"notify": 0, "notify-next": 0}
        # What each thing was last told; a thing with nothing pending has no entry.
        self._lists: dict[str, tuple[tuple[str, int, str], ...]] = {}
        self._nexts: dict[str, tuple[str, int]] = {}
        self.close = backend.on_changes(self._changed)

    def _changed(self, things: list[str], events: list[Event]) -> None:
        backend = self.backend
        now = backend.clock.now()
        queues = backend.by_thing
        for thing in things:
            in_progress, queued = pending_lists(queues.get(thing))
            listed = tuple(
                (ex.job.job_id, ex.execution_number, ex.status) for ex in (*in_progress, *queued)
            )
            if listed != self._lists.get(thing, ()):
                self._remember(self._lists, thing, listed)
                self._notify(thing, in_progress, queued, now)
            pending = in_progress or queued
            first = pending[0] if pending else None
            key = (first.job.job_id, first.execution_number) if first is not None else None
            if key != self._nexts.get(thing):
                self._remember(self._nexts, thing, key)
                self._notify_next(thing, first, now)
        for kind, operation, subject, status in events:
            event = event_message(backend, kind, operation, subject, status, now)
            if event is not None:
                self.sent[kind] = self.sent.get(kind, 0) + 1
                self.send(event[0], encode(event[1]))

    @staticmethod
    def _remember(seen: dict[str, Any], thing: str, value: object) -> None:
        if value:
            seen[thing] = value
        else:
            seen.pop(thing, None)

    def _notify(
        self, thing: str, in_progress: list[Execution], queued: list[Execution], now: float
    ) -> None:
        jobs: dict[str, list[dict[str, object]]] = {}
        if in_progress:
            jobs["IN_PROGRESS"] = [ex.data_summary() for ex in in_progress]
        if queued:
            jobs["QUEUED"] = [ex.data_summary() for ex in queued]
        self.sent["notify"] += 1
        self.send(f"$aws/things/{thing}/jobs/notify", encode({"timestamp": int(now), "jobs": jobs}))

    def _notify_next(self, thing: str, first: Execution | None, now: float) -> None:
        message: dict[str, Any] = {"timestamp": int(now)}
        if first is not None:
            message["execution"] = execution_data(first, now)
        self.sent["notify-next"] += 1
        self.send(f"$aws/things/{thing}/jobs/notify-next", encode(message))
