"""Who hears of the engine's changes: the hooks code outside the state machine may register.

:meth:`Listeners.on_queued` hears of every execution queued; :meth:`Listeners.on_pending_changed`
of every thing whose pending executions changed, once the operation that changed them is done
(MQTT's ``jobs/notify`` and ``jobs/notify-next`` are computed from it). Both are called under the
backend's lock, in the order the service went through its states.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Listeners", "PendingListener", "QueuedListener"]

#: Called with (job id, thing name, queuedAt) for every execution queued, under the lock.
QueuedListener = Callable[[str, str, float], None]
#: Called with the names of the things whose pending executions changed, under the lock.
PendingListener = Callable[[list[str]], None]


class Listeners:
    """The engine's listener lists and the set of things changed since they last heard."""

    lock: threading.RLock

    def __init__(self) -> None:
        self._listeners: list[QueuedListener] = []
        self._pending_listeners: list[PendingListener] = []
        # Things whose pending executions changed since the last publish_changes (an ordered
        # set); None while nobody listens, so a fleet without MQTT pays one test per change.
        self._changed: dict[str, None] | None = None

    def on_queued(self, listener: QueuedListener) -> Callable[[], None]:
        """Call ``listener(job_id, thing_name, queued_at)`` for every execution queued from now on.

        Calls come in queue order (job creation, rollout release, retry, a thing joining a
        CONTINUOUS job's group) while the lock is held, so a listener only records what it is
        told; it must not call the backend. Returns a function that removes the listener.
        """
        with self.lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def on_pending_changed(self, listener: PendingListener) -> Callable[[], None]:
        """Call ``listener(thing_names)`` after each operation that changed things' pending lists.

        A thing's pending list changes when an execution of it is queued, changes status or is
        deleted. The call comes once the operation (or the clock's tick) is done, with the lock
        still held, so the listener may read the state it is told of but must not change it.
        Returns a function that removes the listener.
        """
        with self.lock:
            self._pending_listeners.append(listener)
            if self._changed is None:
                self._changed = {}

        def remove() -> None:
            with self.lock:
                if listener in self._pending_listeners:
                    self._pending_listeners.remove(listener)
                if not self._pending_listeners:
                    self._changed = None

        return remove

    def publish_changes(self) -> None:
        """Tell the pending listeners of the things changed since the last call (under the lock)."""
        changed = self._changed
        if changed:
            self._changed = {}
            things = list(changed)
            for listener in self._pending_listeners:
                listener(things)

    def _touch(self, thing_name: str) -> None:
        changed = self._changed
        if changed is not None:
            changed[thing_name] = None
