"""How a fan-out tells its progress: a bar in a notebook or a terminal, or the caller's callback.

:func:`progress_reporter` turns a fan-out's ``progress`` argument into a :class:`Reporter` that
the fan-out feeds, from the calling thread, with the count of calls ended:

- ``True``: a bar, drawn only once the fan-out has taken over a second. In an IPython kernel
  (JupyterLab, nbclient) it is a plain HTML line shown with a display id and updated in place,
  then blanked when the fan-out ends: no widget, so nothing is left behind to say "model not
  found" once the bar is gone, neither in the browser nor in a saved notebook. Elsewhere it is
  a text ``tqdm`` bar that erases itself (``leave=False``).
- a callable ``progress(done, total)``: called at most :data:`CALLBACKS_PER_SECOND` times a
  second as calls end, and always once at the end with the final count.
- ``False``: nothing.

Examples
--------
>>> seen = []
>>> reporter = progress_reporter(lambda done, total: seen.append((done, total)), 3, "Echo")
>>> reporter.update(1); reporter.update(2); reporter.close(3)
>>> seen  # the first at once, the second within a tenth of a second: coalesced; then the end
[(1, 3), (3, 3)]
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any, Final, TypeAlias

from jobsnb.exceptions import InvalidParameterError

__all__ = [
    "CALLBACKS_PER_SECOND",
    "DRAW_AFTER_SECONDS",
    "Progress",
    "Reporter",
    "check_progress",
    "check_stop",
    "offset",
    "progress_reporter",
]

#: A fan-out's ``progress``: a bar (True), none (False), or ``progress(done, total)``.
Progress: TypeAlias = bool | Callable[[int, int], None]
#: The most calls a second of a ``progress(done, total)`` callback (the last one always comes).
CALLBACKS_PER_SECOND: Final = 10
#: A bar is drawn only for fan-outs that take longer than this.
DRAW_AFTER_SECONDS: Final = 1.0


class Reporter:
    """Told how many calls ended; passes it on at most ``per_second`` times a second.

    ``update(done)`` is called as calls end, ``close(done)`` once at the end. Subclasses draw;
    this one calls ``callback(done, total)``.
    """

    def __init__(self, callback: Callable[[int, int], None], total: int, per_second: float) -> None:
        self.callback = callback
        self.total = total
        self.interval = 1.0 / per_second
        self.started = time.monotonic()
        self._last = -float("inf")

    def update(self, done: int) -> None:
        """``done`` calls have ended; pass it on unless the last report was too recent."""
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.callback(done, self.total)

    def close(self, done: int) -> None:
        """The fan-out ended with ``done`` calls ended: always passed on."""
        self.callback(done, self.total)


class _NotebookBar(Reporter):
    """An HTML line in the cell's output, updated in place through its display id."""

    def __init__(self, total: int, operation: str) -> None:
        super().__init__(self._draw, total, CALLBACKS_PER_SECOND)
        self.operation = operation
        self._handle: Any = None

    def update(self, done: int) -> None:
        if time.monotonic() - self.started > DRAW_AFTER_SECONDS:
            super().update(done)

    def close(self, done: int) -> None:
        if self._handle is not None:
            # Blank, not a summary: the cell's output stays its result, and a saved notebook
            # does not change with every run's timing.
            self._handle.update({"text/plain": ""}, raw=True)

    def _draw(self, done: int, total: int) -> None:
        from IPython.display import display

        seconds = time.monotonic() - self.started
        text = f"{self.operation}: {done:,} / {total:,} things, {seconds:.0f} s"
        bar = (
            f'<progress value="{done}" max="{total}" style="width: 20em"></progress> '
            f"<code>{html.escape(text)}</code>"
        )
        shown = {"text/plain": text, "text/html": bar}
        if self._handle is None:
            self._handle = display(shown, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self._handle.update(shown, raw=True)


class _TextBar(Reporter):
    """A ``tqdm`` text bar (never its notebook widget) that erases itself at the end."""

    def __init__(self, total: int, operation: str) -> None:
        from tqdm import tqdm

        super().__init__(self._advance, total, CALLBACKS_PER_SECOND)
        self._bar = tqdm(
            total=total, desc=operation, unit="thing", delay=DRAW_AFTER_SECONDS, leave=False
        )

    def _advance(self, done: int, total: int) -> None:
        self._bar.update(done - self._bar.n)

    def close(self, done: int) -> None:
        self._bar.close()


def progress_reporter(progress: Progress, total: int, operation: str) -> Reporter | None:
    """The reporter of a fan-out's ``progress`` argument, or None for none.

    Parameters
    ----------
    progress
        True (a bar: HTML in an IPython kernel, text elsewhere), False, or a callable
        ``progress(done, total)``.
    total
        The fan-out's items.
    operation
        The AWS operation, named on the bar.

    Returns
    -------
    Reporter or None
        None when ``progress`` is False, or True for no items.

    Examples
    --------
    >>> progress_reporter(False, 10, "Echo") is None
    True
    """
    check_progress(progress)
    if callable(progress):
        return Reporter(progress, total, CALLBACKS_PER_SECOND)
    if not progress or total == 0:
        return None
    if _in_kernel():
        return _NotebookBar(total, operation)
    return _TextBar(total, operation)


def offset(progress: Progress, before: int) -> Progress:
    """``progress`` for a follow-up fan-out: a callable sees ``before`` more, done and total.

    A method that makes a second fan-out after its first (describing what it found) reports
    both as one count: ``done`` keeps growing, and ``total`` grows once the second one's size
    is known.

    Examples
    --------
    >>> seen = []
    >>> offset(lambda done, total: seen.append((done, total)), 5)(2, 3)
    >>> seen, offset(True, 5)
    ([(7, 8)], True)
    """
    if not callable(progress):
        return progress
    callback = progress

    def shifted(done: int, total: int) -> None:
        callback(before + done, before + total)

    return shifted


def check_progress(progress: object) -> None:
    """Raise :class:`~jobsnb.exceptions.InvalidParameterError` unless ``progress`` is valid.

    Examples
    --------
    >>> check_progress(True); check_progress(print)
    >>> check_progress("yes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jobsnb.exceptions.InvalidParameterError: progress: must be True, False or a callable ...
    """
    if not isinstance(progress, bool) and not callable(progress):
        raise InvalidParameterError(
            "progress", "must be True, False or a callable progress(done, total)", progress
        )


def check_stop(stop: object) -> None:
    """Raise :class:`~jobsnb.exceptions.InvalidParameterError` unless ``stop`` is None or an Event.

    Examples
    --------
    >>> check_stop(None); check_stop(threading.Event())
    >>> check_stop(True)
    Traceback (most recent call last):
    ...
    jobsnb.exceptions.InvalidParameterError: stop: must be None or a threading.Event (got True)
    """
    if stop is not None and not isinstance(stop, threading.Event):
        raise InvalidParameterError("stop", "must be None or a threading.Event", stop)


def _in_kernel() -> bool:
    """Whether this runs in an IPython kernel (a notebook), not a terminal or a script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
