"""Work off the notebook's thread: one queue of network work, and a refresh on a timer.

A widget's callback runs on the kernel's thread; a call that waits on the network there freezes
the notebook. The panel hands such work to a :class:`WorkQueue` (one worker, so refreshes and
actions happen in the order they were asked for) and refreshes itself with a :class:`Repeater`.

Examples
--------
>>> queue = WorkQueue(guard=lambda work, *args: work(*args))
>>> done = []
>>> _ = queue.submit(done.append, "refreshed")
>>> queue.wait(timeout=5)
>>> done, queue.busy
(['refreshed'], False)
>>> queue.close()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from typing import Any

import ipywidgets as w

from jobsnb.exceptions import InvalidParameterError

__all__ = ["AutoRefresh", "ProgressRow", "Repeater", "WorkQueue"]

Guard = Callable[..., Any]


class WorkQueue:
    """Runs submitted work one item at a time on a background thread, each under ``guard``.

    Parameters
    ----------
    guard
        ``guard(work, *args)`` runs ``work(*args)`` and turns what it raises into something the
        user sees; the queue's thread never dies of an exception.
    """

    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobsnb-panel")
        self._futures: list[Future[None]] = []
        self._lock = threading.Lock()

    def submit(self, work: Callable[..., Any], *args: Any) -> Future[None]:
        """Queue ``work(*args)``; the future is done when it has run."""

        def run() -> None:
            self._guard(work, *args)

        future = self._executor.submit(run)
        with self._lock:
            self._futures.append(future)
        return future

    def wait(self, timeout: float | None = None) -> None:
        """Block until everything queued has run (work queued meanwhile included).

        Raises
        ------
        TimeoutError
            When work is still running after ``timeout`` seconds (None: wait as long as it
            takes).
        """
        while True:
            with self._lock:
                self._futures = [f for f in self._futures if not f.done()]
                pending = list(self._futures)
            if not pending:
                return
            _, not_done = wait_for(pending, timeout)
            if not_done:
                raise TimeoutError(f"the panel is still busy after {timeout} s")

    @property
    def busy(self) -> bool:
        """Whether work is queued or running."""
        with self._lock:
            return any(not f.done() for f in self._futures)

    def close(self) -> None:
        """Drop what has not started, and wait for what has."""
        self._executor.shutdown(wait=True, cancel_futures=True)


class Repeater:
    """Calls ``action`` every so many seconds on a daemon thread, from start to stop.

    Parameters
    ----------
    action
        What to call; it should return quickly (e.g. queue a refresh).
    """

    def __init__(self, action: Callable[[], Any]) -> None:
        self._action = action
        self._halt: threading.Event | None = None

    @property
    def running(self) -> bool:
        """Whether it is calling ``action`` periodically."""
        return self._halt is not None

    def start(self, every: float) -> None:
        """(Re)start calling ``action`` every ``every`` seconds, the first time after one wait."""
        self.stop()
        halt = self._halt = threading.Event()

        def loop() -> None:
            while not halt.wait(every):
                self._action()

        threading.Thread(target=loop, name="jobsnb-panel-auto", daemon=True).start()

    def stop(self) -> None:
        """Stop calling ``action`` (a call under way finishes)."""
        if self._halt is not None:
            self._halt.set()
            self._halt = None


class AutoRefresh:
    """An "Auto-refresh" toggle: while it is on, ``action`` is called every :attr:`every` s.

    :meth:`start` and :meth:`stop` (from code) and the toggle (from a person) agree.
    """

    def __init__(self, action: Callable[[], Any], every: float = 30.0) -> None:
        self.every = every
        self._repeater = Repeater(action)
        self.button = w.ToggleButton(description="Auto-refresh", value=False)
        self.button.observe(lambda change: self._toggled(change["new"]), "value")

    @property
    def running(self) -> bool:
        """Whether it refreshes by itself."""
        return self._repeater.running

    def start(self, every: float | None = None) -> None:
        """Refresh every ``every`` seconds (default: the last interval) until :meth:`stop`."""
        every = self.every if every is None else every
        if isinstance(every, bool) or not isinstance(every, int | float) or every <= 0:
            raise InvalidParameterError("every", "must be a positive number of seconds", every)
        self.every = float(every)
        self._repeater.start(self.every)
        self.button.description = f"Auto-refresh ({self.every:g} s)"
        self.button.value = True

    def stop(self) -> None:
        """Stop refreshing by itself."""
        self._repeater.stop()
        self.button.value = False

    def _toggled(self, on: bool) -> None:
        if on and not self.running:
            self.start()
        elif not on and self.running:
            self.stop()


class ProgressRow:
    """A running action's progress: a bar, ``done / total calls`` and a Stop button."""

    def __init__(self) -> None:
        self.bar = w.IntProgress(value=0, min=0, max=1, description="Progress")
        self.label = w.HTML()
        self.label.add_class("jobsnb-progress-label")
        self.stop_button = w.Button(description="Stop", disabled=True)
        self.widget = w.HBox([self.bar, self.label, self.stop_button])

    def show(self, done: int, total: int) -> None:
        """``done`` of ``total`` calls made."""
        self.bar.max = max(total, 1)
        self.bar.value = done
        self.label.value = f"{done} / {total} calls"

    def running(self, on: bool, total: int) -> None:
        """An action of ``total`` calls starts (Stop enabled) or has ended."""
        self.stop_button.disabled = not on
        self.bar.bar_style = "info" if on else "success"
        if on:
            self.show(0, total)
