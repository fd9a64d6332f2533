"""Charts that follow the fleet: a chart bound to a client, refreshed in place.

:func:`live` wraps any chart function that declares a source (:func:`queue_age`,
:func:`status_distribution`, :func:`execution_timeline`, :func:`status_details`) in a
:class:`LiveChart`: a :class:`plotly.graph_objects.FigureWidget` that :meth:`LiveChart.refresh`
updates in place (new values into the same traces, one batched message to the browser), on
demand or every N seconds from a background thread.

Examples
--------
>>> import jobsnb, jobsnb.charts
>>> from jobsnb.service import LocalJobsService
>>> with LocalJobsService() as service:
...     client = jobsnb.connect(service)
...     live = jobsnb.charts.live(jobsnb.charts.queue_age, client, ["sensor-1"])
...     live.frame.empty, live.figure.layout.annotations[0].text
(True, 'No pending executions')
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from jobsnb.charts._sources import FETCHES, TARGETS, sources_of
from jobsnb.exceptions import InvalidParameterError, JobsnbWarning

__all__ = ["LiveChart", "live", "live_charts"]


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
    """Bind ``chart`` to ``client``: fetch once, draw a FigureWidget, refresh it in place.

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
        Its ``figure`` is the FigureWidget; display it (or the LiveChart) in a notebook.
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
    figure
        The :class:`plotly.graph_objects.FigureWidget`; always the same object.
    frame
        The last frame fetched (``None`` before the first refresh).
    refreshes
        How many refreshes have completed.
    error
        The exception of the last background refresh that failed, else ``None`` (it is also
        warned about; the refreshes go on).
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
        self.figure = go.FigureWidget()
        self.frame: pd.DataFrame | None = None
        self.refreshes = 0
        #: The last background refresh that failed as a whole (None after one that worked).
        self.error: BaseException | None = None
        #: The calls of the last refresh that failed for good (the frame's ``jobsnb.errors``).
        self.errors: pd.DataFrame | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        name = getattr(self.chart, "__name__", "chart")
        return (
            f"LiveChart({name}, source={self.source!r}, {len(self.targets)} targets, "
            f"refreshes={self.refreshes}, running={self.running})"
        )

    @property
    def running(self) -> bool:
        """Whether background refreshes are on."""
        return self._thread is not None and self._thread.is_alive()

    def refresh(self) -> LiveChart:
        """Fetch the frame again and update :attr:`figure` in place; return ``self``."""
        with self._lock:
            frame = FETCHES[self.source](self.client, self.targets)
            drawn = self.chart(frame, **self.chart_kwargs)
            errors = frame.jobsnb.errors
            if not errors.empty:
                # Nothing silently dropped: say on the chart that some things are missing.
                codes = ", ".join(sorted(set(errors["error_code"].astype(str))))
                drawn.add_annotation(
                    text=f"{len(errors)} calls failed ({codes}): see live.errors",
                    xref="paper",
                    yref="paper",
                    x=1,
                    y=1.02,
                    xanchor="right",
                    yanchor="bottom",
                    showarrow=False,
                    font={"color": "#D55E00"},
                )
            update_in_place(self.figure, drawn)
            self.frame = frame
            self.errors = errors
            self.refreshes += 1
        return self

    def start(self, every: float) -> LiveChart:
        """Refresh every ``every`` seconds in a background thread until :meth:`stop`."""
        if isinstance(every, bool) or not isinstance(every, int | float) or every <= 0:
            raise InvalidParameterError("every", "must be a positive number of seconds", every)
        self.stop()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(float(every),), name="jobsnb-live-chart", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> LiveChart:
        """Stop background refreshes (waits for one in flight to finish)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return self

    def __enter__(self) -> LiveChart:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.refresh()
                self.error = None
            except Exception as error:  # one failed fetch must not end the live chart
                # Kept, not warned: a warning raised on this thread reaches no cell.
                self.error = error

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        try:
            return self.figure._repr_mimebundle_(**kwargs)
        except Exception as error:
            # IPython swallows exceptions raised while displaying; say what went wrong first.
            warnings.warn(
                f"could not display the live chart: {error!r}", JobsnbWarning, stacklevel=1
            )
            raise


def update_in_place(widget: go.FigureWidget, drawn: go.Figure) -> None:
    """Make ``widget`` show ``drawn``: same traces → new values in place, else swap the traces."""
    same = len(widget.data) == len(drawn.data) and all(
        (old.type, old.name) == (new.type, new.name)
        for old, new in zip(widget.data, drawn.data, strict=True)
    )
    if not same:
        widget.data = ()
        widget.add_traces(list(drawn.data))
    with widget.batch_update():
        if same:
            for old, new in zip(widget.data, drawn.data, strict=True):
                old.update(new.to_plotly_json(), overwrite=True)
        widget.layout = drawn.layout


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
        What refreshes and has a ``figure``: :class:`LiveChart` or anything shaped like one.

    Raises
    ------
    InvalidParameterError
        Naming ``charts[i]`` when an item is neither.
    """
    linked: list[Any] = []
    for index, chart in enumerate(charts):
        if hasattr(chart, "refresh") and hasattr(chart, "figure"):
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
