"""Clocks for the local service: real time, or time that tests and simulations move by hand."""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """Anything with ``now()`` returning epoch seconds."""

    def now(self) -> float:
        """The current time, in epoch seconds."""


class SystemClock:
    """The machine's wall clock."""

    def now(self) -> float:
        """The machine's time, in epoch seconds (``time.time()``)."""
        return time.time()


class ManualClock:
    """A clock that only moves when told to.

    Examples
    --------
    >>> clock = ManualClock(1_700_000_000.0)
    >>> clock.advance(90)
    >>> clock.now()
    1700000090.0
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = float(time.time() if start is None else start)
        self._lock = threading.Lock()

    def now(self) -> float:
        """The clock's time, in epoch seconds; only :meth:`advance` and :meth:`set` move it."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError(f"seconds: must be >= 0 (got {seconds})")
        with self._lock:
            self._now += seconds

    def set(self, timestamp: float) -> None:
        """Move the clock to ``timestamp`` epoch seconds, which must not be in its past."""
        with self._lock:
            if timestamp < self._now:
                raise ValueError(f"timestamp: must not be before the clock's now ({self._now})")
            self._now = float(timestamp)
