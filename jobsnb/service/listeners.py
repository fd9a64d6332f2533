"""Who hears of the engine's changes: the hook code outside the state machine may register.

:meth:`Listeners.on_changes` hears of every thing whose pending executions changed and of the
jobs events (an execution ending, a job completing, canceled or deleted), once the operation that
made them is done (MQTT's ``jobs/notify``, ``jobs/notify-next`` and ``$aws/events`` come from
it), under the backend's lock, in the order the service went through its states.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobsnb.service.executions import Execution
    from jobsnb.service.jobs import Job

__all__ = ["ChangeListener", "Event", "Listeners"]

#: A jobs event: ("job" or "jobExecution", AWS's operation name, the Job or the Execution, and
#: its status when the event happened).
Event = tuple[str, str, object, str]
#: Called with the things whose pending executions changed and the events, under the lock.
ChangeListener = Callable[[list[str], list[Event]], None]


class Listeners:
    """The engine's change listeners, and what changed since they last heard."""

    lock: threading.RLock

    def __init__(self) -> None:
        self._change_listeners: list[ChangeListener] = []
        #: Operations under way on this thread (the lock is re-entrant): changes are published
        #: when the outermost one is done (:func:`~jobsnb.service.locking.operation`).
        self.operation_depth = 0
        # Things whose pending executions changed since the last publish_changes (an ordered
        # set) and the events since; None while nobody listens, so a fleet without MQTT pays
        # one test per change.
        self._changed: dict[str, None] | None = None
        self._jobs_events: list[Event] | None = None

    def on_changes(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener(thing_names, events)`` after each operation that changed something.

        A thing's pending list changes when an execution of it is queued, changes status or is
        deleted; an event is an execution ending or deleted, or a job completing, being canceled
        or deleted (AWS's jobs events). The call comes once the operation (or the clock's tick)
        is done, with the lock still held, so the listener may read the state it is told of but
        must not change it. Returns a function that removes the listener.
        """
        with self.lock:
            self._change_listeners.append(listener)
            if self._changed is None:
                self._changed, self._jobs_events = {}, []

        def remove() -> None:
            with self.lock:
                if listener in self._change_listeners:
                    self._change_listeners.remove(listener)
                if not self._change_listeners:
                    self._changed = self._jobs_events = None

        return remove

    def publish_changes(self) -> None:
        """Tell the change listeners what changed since the last call (under the lock).

        Inside an operation this waits for the outermost one to finish.
        """
        if self.operation_depth:
            return
        changed, events = self._changed, self._jobs_events
        if changed or events:
            self._changed, self._jobs_events = {}, []
            things = list(changed or ())
            for listener in self._change_listeners:
                listener(things, events or [])

    def _touch(self, thing_name: str) -> None:
        changed = self._changed
        if changed is not None:
            changed[thing_name] = None

    def _event(self, kind: str, operation: str, subject: Job | Execution, status: str = "") -> None:
        """Record an event of ``subject``: its status now, or ``status``."""
        events = self._jobs_events
        if events is not None:
            events.append((kind, operation, subject, status or subject.status))
