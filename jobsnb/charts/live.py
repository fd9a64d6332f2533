"""Charts that follow the fleet: a chart bound to a client, redrawn on every refresh.

:func:`live` wraps any chart function that declares a source (:func:`queue_age`,
:func:`status_distribution`, :func:`execution_timeline`, :func:`status_details`) in a
:class:`LiveChart`. :meth:`LiveChart.refresh` fetches the frame again and redraws, on demand or
every N seconds from a background thread (:meth:`LiveChart.start`). What a notebook shows is
:attr:`LiveChart.widget`, an :class:`ipywidgets.Output` holding the figure as plotly's mime
bundle (a saved notebook keeps the figure's JSON, not plotly.js); :attr:`LiveChart.figure` is
the :class:`plotly.graph_objects.Figure` last drawn, always the same object.

A refresh that fails as a whole (it raised, or every call failed) keeps the last good picture
and marks it stale with a note under it; the background refreshes then back off, doubling
their interval up to :data:`MAX_BACKOFF_SECONDS`, and the next refresh that works brings back
the usual pace and a clean picture. When only some calls fail, the chart is drawn from the
rest with a note on it naming the failed calls (:attr:`LiveChart.errors`).

Examples
--------
A service that has gone: the picture stays, marked stale, and says why.

>>> import jobsnb, jobsnb.charts
>>> from jobsnb.service import LocalJobsService
>>> service = LocalJobsService().start()
>>> client = jobsnb.connect(service, retry=jobsnb.RetryPolicy(max_attempts=1))
>>> live = jobsnb.charts.live(jobsnb.charts.queue_age, client, ["sensor-1"])
>>> service.stop()
>>> live.refresh()
>>> live.stale, type(live.error).__name__, len(live.widget.outputs)
(True, 'FanoutError', 2)
>>> print(live.note.split("; ")[1][:61])
refresh failed: every call failed (1 EndpointConnectionError)
>>> _ = service.start()
>>> live.refresh()
>>> live.stale, live.note, len(live.widget.outputs)
(False, None, 1)
>>> service.stop()
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import ipywidgets
import pandas as pd
import plotly.graph_objects as go

from jobsnb.charts._live_render import (
    annotate_failed_calls,
    describe_failure,
    every_call_failed,
    outputs_of,
    placeholder,
    plotly_bundle,
    redraw,
)
from jobsnb.charts._sources import FETCHES, TARGETS, sources_of
from jobsnb.exceptions import InvalidParameterError, JobsnbWarning

__all__ = ["MAX_BACKOFF_SECONDS", "LiveChart", "live", "live_charts"]

#: The longest wait between background refreshes while they fail (unless ``every`` is longer).
MAX_BACKOFF_SECONDS: Final = 300.0


def live(
    chart: Callable[..., go.Figure],
    client: Any,
    things: str | Iterable[str] | None = None,
    *,
    jobs: str | Iterable[str] | None = None,
    source: str | None = None,
    every: float | None = None,
    **chart_kwargs: Any,
) -> LiveChart:
    """Bind ``chart`` to ``client``: fetch once, draw, and redraw on every refresh.

    Parameters
    ----------
    chart
        A jobsnb chart function that declares its source: :func:`queue_age` (fed by
        ``client.pending(things)``), :func:`status_distribution` (``client.pending(things)``,
        ``client.executions(jobs)`` or ``client.job_summary(jobs)``),
        :func:`execution_timeline` (``client.executions(jobs)``) or :func:`status_details`
        (``client.executions(jobs, describe=True)``).
    client
        A :class:`jobsnb.FleetClient`.
    things
        The things to ask about, for sources fed by things (``pending``).
    jobs
        The job ids to ask about, for sources fed by jobs (``executions``, ``described``,
        ``job_summary``).
    source
        Which of the chart's sources to fetch: ``"pending"``, ``"executions"``,
        ``"described"`` or ``"job_summary"``. Default: the chart's first, or its first fed by
        jobs when only ``jobs`` is given.
    every
        Refresh every this many seconds from the start (default: only on demand).
    **chart_kwargs
        Passed to ``chart`` on every refresh (``by=``, ``title=``, ...).

    Returns
    -------
    LiveChart
        Display it (or its ``widget``) in a notebook; its ``figure`` is the last drawing.

    Examples
    --------
    >>> import jobsnb, jobsnb.charts
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     arn = service.backend.create_thing("sensor-1").arn
    ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
    ...     client = jobsnb.connect(service)
    ...     live = jobsnb.charts.live(jobsnb.charts.status_distribution, client, jobs="fw-2")
    ...     _ = service.backend.start_next_pending_job_execution("sensor-1")
    ...     live.refresh()
    >>> [(trace.name, list(trace.x)) for trace in live.figure.data], live.refreshes
    ([('IN_PROGRESS', [1])], 2)
    """
    sources = sources_of(chart)
    name = getattr(chart, "__name__", repr(chart))
    if not sources:
        raise InvalidParameterError(
            "chart", "must be a jobsnb chart fed by a client call (e.g. charts.queue_age)", name
        )
    if source is None:
        by_jobs = [s for s in sources if TARGETS[s] == "jobs"]
        source = by_jobs[0] if things is None and jobs is not None and by_jobs else sources[0]
    if source not in sources:
        raise InvalidParameterError(
            "source", f"must be one of {name}'s: {', '.join(sources)}", source
        )
    wanted = TARGETS[source]
    targets = things if wanted == "things" else jobs
    if targets is None:
        raise InvalidParameterError(
            wanted, f"must be given: source {source!r} of {name} asks about {wanted}", None
        )
    names = [targets] if isinstance(targets, str) else list(targets)
    result = LiveChart(chart, client, names, source=source, chart_kwargs=chart_kwargs)
    result.refresh()
    if every is not None:
        result.start(every)
    return result


class LiveChart:
    """A chart bound to a client and a set of things (or jobs); make one with :func:`live`.

    Attributes
    ----------
    widget
        The :class:`ipywidgets.Output` that shows the chart: the last good picture (plotly's
        mime bundle) and, while it is stale, a note under it. Display it, or put it in a box;
        displaying the LiveChart displays it.
    figure
        The :class:`plotly.graph_objects.Figure` last drawn; always the same object.
    frame
        The frame the picture was drawn from (``None`` before a refresh has worked).
    refreshes
        How many refreshes have worked.
    errors
        The calls of the latest refresh that failed for good (its frame's ``jobsnb.errors``).
    error
        Why the latest refresh failed as a whole, else ``None``: the exception it raised, or a
        :class:`~jobsnb.exceptions.FanoutError` when every call failed (its ``errors`` are
        the failed calls).
    failures
        Refreshes in a row that failed as a whole (0 after one that worked).
    refreshed_at
        When the picture was drawn (UTC), ``None`` before a refresh has worked.
    """

    def __init__(
        self,
        chart: Callable[..., go.Figure],
        client: Any,
        targets: list[str],
        *,
        source: str,
        chart_kwargs: dict[str, Any],
    ) -> None:
        self.chart = chart
        self.client = client
        self.targets = targets
        self.source = source
        self.chart_kwargs = chart_kwargs
        self.figure = go.Figure()
        # In an HBox the widget grows into the free width: plotly sizes a new picture to its
        # box, and a box as wide as its (empty, just replaced) content would squash it flat.
        self.widget = ipywidgets.Output(layout={"flex": "1 1 auto", "min_width": "320px"})
        self.frame: pd.DataFrame | None = None
        self.refreshes = 0
        self.errors: pd.DataFrame | None = None
        self.error: BaseException | None = None
        self.failures = 0
        self.refreshed_at: datetime | None = None
        self._bundle: dict[str, Any] | None = None
        self._every: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        name = getattr(self.chart, "__name__", "chart")
        return (
            f"LiveChart({name}, source={self.source!r}, {len(self.targets)} targets, "
            f"refreshes={self.refreshes}, running={self.running}, stale={self.stale})"
        )

    @property
    def running(self) -> bool:
        """Whether background refreshes are on."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def stale(self) -> bool:
        """Whether the latest refresh failed as a whole, so the picture is older than it."""
        return self.error is not None

    @property
    def interval(self) -> float | None:
        """Seconds the background waits before its next refresh; ``None`` when not running.

        ``every`` while refreshes work; doubled for each one in a row that failed as a whole,
        up to :data:`MAX_BACKOFF_SECONDS` (or ``every``, if that is longer).
        """
        every = self._every
        if every is None:
            return None
        return min(every * 2.0 ** min(self.failures, 64), max(every, MAX_BACKOFF_SECONDS))

    @property
    def note(self) -> str | None:
        """The note shown under a stale picture (``None`` while the picture is current)."""
        if self.error is None:
            return None
        parts = []
        if self.refreshed_at is not None:
            parts.append(f"stale: last refreshed {self.refreshed_at:%H:%M:%S} UTC")
        parts.append(f"refresh failed: {describe_failure(self.error)}")
        interval = self.interval
        if interval is not None:
            parts.append(f"retrying in {interval:g} s")
        return "; ".join(parts)

    def refresh(self) -> None:
        """Fetch the frame again and redraw; keep the picture, marked stale, if that fails.

        Raises what the fetch or the chart raised, after marking the picture stale (the
        background refreshes of :meth:`start` go on). Failed calls raise nothing: when some
        fail, the chart is drawn from the rest with a note naming them; when all fail, the
        picture is kept and marked stale, and :attr:`error` says why.
        """
        with self._lock:
            try:
                frame = FETCHES[self.source](self.client, self.targets)
                errors = frame.jobsnb.errors
                failed = every_call_failed(frame, errors, self.targets, TARGETS[self.source])
                drawn = None if failed else self.chart(frame, **self.chart_kwargs)
            except Exception as error:
                self._failed(error, None)
                raise
            if failed is not None or drawn is None:
                self._failed(failed, errors)
                return
            if not errors.empty:
                annotate_failed_calls(drawn, errors)
            self._draw(drawn)
            self.frame, self.errors, self.error, self.failures = frame, errors, None, 0
            self.refreshed_at = datetime.now(UTC)
            self.refreshes += 1
            self._show()

    def start(self, every: float) -> None:
        """Refresh every ``every`` seconds in a background thread until :meth:`stop`.

        Returns None, so that ``live.start(30)`` as a cell's last line draws nothing more.
        While refreshes fail as a whole, the wait doubles (:attr:`interval`).

        Examples
        --------
        >>> import jobsnb, jobsnb.charts
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     client = jobsnb.connect(service)
        ...     live = jobsnb.charts.live(jobsnb.charts.queue_age, client, ["sensor-1"])
        ...     live.start(30)
        ...     print(live.running, live.interval)
        ...     live.stop()
        True 30.0
        """
        if isinstance(every, bool) or not isinstance(every, int | float) or every <= 0:
            raise InvalidParameterError("every", "must be a positive number of seconds", every)
        self.stop()
        self._stop.clear()
        self._every = float(every)
        self._show_note()
        self._thread = threading.Thread(target=self._run, name="jobsnb-live-chart", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop background refreshes (waits for one in flight to finish)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._every is not None:
            self._every = None
            self._show_note()

    def __enter__(self) -> LiveChart:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.interval or 0.0):
            # Kept in self.error and shown on the chart, not warned: a warning raised on this
            # thread reaches no cell. One failed refresh must not end the live chart.
            with contextlib.suppress(Exception):
                self.refresh()

    def _failed(self, error: BaseException | None, errors: pd.DataFrame | None) -> None:
        self.error, self.failures = error, self.failures + 1
        if errors is not None:
            self.errors = errors
        if self.refreshed_at is None:
            self._draw(placeholder(self.chart, self.chart_kwargs, errors))
        self._show()

    def _draw(self, drawn: go.Figure) -> None:
        redraw(self.figure, drawn)
        self._bundle = plotly_bundle(self.figure)

    def _show_note(self) -> None:
        """Say whether (and when) refreshes will retry, once they are started or stopped."""
        if self.error is not None:
            with self._lock:
                self._show()

    def _show(self) -> None:
        # The trait, not `with widget:`, which captures the output of whichever thread runs.
        self.widget.outputs = outputs_of(self._bundle, self.note)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        try:
            bundle = self.widget._repr_mimebundle_(**kwargs)
            if isinstance(bundle, dict):
                bundle["text/plain"] = repr(self)
            return bundle
        except Exception as error:
            # IPython swallows exceptions raised while displaying; say what went wrong first.
            warnings.warn(
                f"could not display the live chart: {error!r}", JobsnbWarning, stacklevel=1
            )
            raise


def live_charts(charts: Iterable[Any], client: Any, things: Sequence[str]) -> list[Any]:
    """Each of ``charts`` as a live chart: live charts as they are, chart functions made live.

    Parameters
    ----------
    charts
        Live charts (``live(...)``) or chart functions such as :func:`queue_age`.
    client, things
        What a chart function is made live on (:func:`live`'s ``client`` and ``things``).

    Returns
    -------
    list
        What refreshes and has a ``widget`` to show: :class:`LiveChart` or anything shaped like
        one (``figure`` is still accepted in place of ``widget``).

    Raises
    ------
    InvalidParameterError
        Naming ``charts[i]`` when an item is neither.
    """
    linked: list[Any] = []
    for index, chart in enumerate(charts):
        if hasattr(chart, "refresh") and (hasattr(chart, "widget") or hasattr(chart, "figure")):
            linked.append(chart)
        elif callable(chart):
            linked.append(live(chart, client, things))
        else:
            raise InvalidParameterError(
                f"charts[{index}]",
                "must be a live chart (jobsnb.charts.live(...)) or a chart function",
                chart,
            )
    return linked
