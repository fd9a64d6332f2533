"""jobsnb.charts.live: a chart bound to a client, redrawn into an Output widget on every refresh;
a refresh that fails as a whole keeps the last good picture, marked stale, and backs off."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets
import plotly.graph_objects as go
import pytest

import jobsnb
import jobsnb.charts as charts
from jobsnb.charts.live import MAX_BACKOFF_SECONDS, LiveChart, live_charts
from jobsnb.client import FleetClient
from jobsnb.exceptions import FanoutError
from jobsnb.service import LocalJobsService
from jobsnb.service.faults import FaultInjector
from tests.helpers import CHART_THINGS, MINUTE, by_category, fast_client, make_job, make_things

PLOTLY_MIME = "application/vnd.plotly.v1+json"
NO_RETRIES = jobsnb.RetryPolicy(max_attempts=1)


class Attempts:
    """Counts a live chart's refreshes as they end (worked or not), from any thread, so that a
    test waits for the background thread's next refresh instead of sleeping."""

    def __init__(self, live: LiveChart) -> None:
        self.count = 0
        self.intervals: list[float | None] = []
        self._done = threading.Condition()
        refresh = live.refresh

        def counted() -> None:
            try:
                refresh()
            finally:
                with self._done:
                    self.count += 1
                    self.intervals.append(live.interval)
                    self._done.notify_all()

        live.refresh = counted  # type: ignore[method-assign]

    def wait_for(self, done: Callable[[], bool], timeout: float = 30) -> None:
        with self._done:
            assert self._done.wait_for(done, timeout), "the background refresh did not come"


def shown(live: LiveChart) -> list[dict[str, Any]]:
    """What the chart's Output widget holds: each output's data by mime type."""
    return [output["data"] for output in live.widget.outputs]


def drawn_bars(live: LiveChart) -> list[tuple[str, list[Any]]]:
    """The traces of the plotly JSON the widget shows, as (name, x)."""
    figure = shown(live)[0][PLOTLY_MIME]
    return [(trace["name"], trace["x"]) for trace in figure["data"]]


def test_live_queue_age_redraws_the_same_figure(
    fleet: FleetClient, service: LocalJobsService, data: Any
) -> None:
    live = charts.live(charts.queue_age, fleet, CHART_THINGS, timeouts={"fw-2": 60})
    figure = live.figure
    assert type(figure) is go.Figure
    assert live.source == "pending"
    assert live.refreshes == 1
    assert len(live.frame) == 5
    assert by_category(figure.data[0]) == {"fw-2": [90.0, 90.0], "cfg-1": [30.0, 30.0]}

    data.start_next_pending_job_execution(thingName="t-2")
    service.advance(10 * MINUTE)
    assert live.refresh() is None

    assert live.figure is figure
    assert live.refreshes == 2
    assert by_category(figure.data[0]) == {"fw-2": [100.0], "cfg-1": [40.0, 40.0]}
    assert by_category(figure.data[2]) == {"fw-2": [10.0, 40.0]}
    assert not live.stale
    assert live.note is None


def test_live_widget_holds_the_plotly_bundle_and_no_plotly_js(fleet: FleetClient) -> None:
    live = charts.live(charts.status_distribution, fleet, jobs=["fw-2"], title="fw-2 live")
    assert isinstance(live.widget, ipywidgets.Output)
    [picture] = shown(live)
    assert set(picture) == {PLOTLY_MIME, "text/plain"}
    assert picture[PLOTLY_MIME]["layout"]["title"]["text"] == "fw-2 live"
    assert drawn_bars(live) == [("QUEUED", [2]), ("IN_PROGRESS", [1]), ("SUCCEEDED", [1])]
    # What a saved notebook keeps of the chart: the figure's JSON, a few kB, not plotly.js.
    state = json.dumps(live.widget.get_state(), default=str)
    assert len(state) < 20_000, len(state)
    assert "_esm" not in state
    assert "Plotly.newPlot" not in state
    assert not isinstance(live.figure, go.FigureWidget)
    # Displaying the live chart displays its widget.
    bundle = live._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == live.widget.model_id
    assert bundle["text/plain"].startswith("LiveChart(status_distribution")


def test_live_status_distribution_from_executions(fleet: FleetClient, data: Any, iot: Any) -> None:
    live = charts.live(charts.status_distribution, fleet, jobs=["fw-2"])
    assert live.source == "executions"
    figure = live.figure
    assert [(t.name, list(t.x)) for t in figure.data] == [
        ("QUEUED", [2]),
        ("IN_PROGRESS", [1]),
        ("SUCCEEDED", [1]),
    ]
    data.update_job_execution(thingName="t-0", jobId="fw-2", status="SUCCEEDED")
    live.refresh()
    assert live.figure is figure
    # IN_PROGRESS is gone: the traces are swapped, still in the same figure
    assert [(t.name, list(t.x)) for t in figure.data] == [("QUEUED", [2]), ("SUCCEEDED", [2])]
    assert figure.layout.annotations[0].text == "4 · 50% done"
    assert drawn_bars(live) == [("QUEUED", [2]), ("SUCCEEDED", [2])]


def test_live_from_pending_until_it_empties(service: LocalJobsService, iot: Any) -> None:
    client = fast_client(service)
    live = charts.live(charts.status_distribution, client, ["t-0"], source="pending")
    assert live.figure.data == ()
    assert live.figure.layout.annotations[0].text == "No executions"
    make_things(iot, ["t-0"])
    make_job(iot, "fw-2", ["t-0"], document="{}")
    live.refresh()
    assert [(t.name, list(t.x)) for t in live.figure.data] == [("QUEUED", [1])]


def test_live_start_refreshes_in_the_background_until_stopped(fleet: FleetClient) -> None:
    live = charts.live(charts.queue_age, fleet, CHART_THINGS)
    attempts = Attempts(live)
    with live:
        assert live.start(every=0.05) is None  # as a cell's last line: no second picture
        assert live.running
        assert live.interval == 0.05
        attempts.wait_for(lambda: attempts.count >= 3)
    assert not live.running
    assert live.interval is None
    assert live.refreshes >= 4
    assert live.error is None
    assert live.stop() is None


def test_live_every_starts_at_once(fleet: FleetClient) -> None:
    live = charts.live(charts.status_distribution, fleet, jobs="fw-2", every=0.1)
    try:
        assert live.running
    finally:
        live.stop()
    assert not live.running
    assert "status_distribution" in repr(live)


def test_live_refuses_what_it_cannot_feed(fleet: FleetClient) -> None:
    with pytest.raises(ValueError, match="chart: must be a jobsnb chart fed by a client call"):
        charts.live(charts.rollout_progress, fleet, CHART_THINGS)
    with pytest.raises(ValueError, match="source: must be one of queue_age's: pending"):
        charts.live(charts.queue_age, fleet, CHART_THINGS, source="executions")
    with pytest.raises(ValueError, match="jobs: must be given"):
        charts.live(charts.execution_timeline, fleet, CHART_THINGS)
    with pytest.raises(ValueError, match="every: must be a positive number"):
        charts.live(charts.queue_age, fleet, CHART_THINGS).start(every=0)


def test_live_timeline_and_details_are_fed_by_jobs(fleet: FleetClient) -> None:
    timeline = charts.live(charts.execution_timeline, fleet, jobs=["fw-2"])
    assert timeline.figure.data[0].name == "queued → started"
    details = charts.live(charts.status_details, fleet, jobs=["fw-2"], key="progress")
    assert details.source == "described"
    assert list(details.figure.data[0].x) == ["40%", "100%", "(not reported)"]


def test_live_chart_names_the_calls_that_failed_and_draws_the_rest(clock: Any) -> None:
    things = [f"sensor-{i}" for i in range(20)]
    with LocalJobsService(clock=clock, fault_rate=0.5, seed=3) as service:
        client = jobsnb.connect(service, retry=NO_RETRIES)
        live = charts.live(charts.queue_age, client, things)
    assert live.errors is not None
    assert 0 < len(live.errors) < len(things)
    assert not live.stale  # some calls answered: a picture of those, not a stale one
    notes = [a.text for a in live.figure.layout.annotations]
    failed = f"{len(live.errors)} calls failed (ServiceUnavailableException): see live.errors"
    assert failed in notes
    assert len(shown(live)) == 1


def test_live_chart_whose_first_refresh_fails_says_so(clock: Any) -> None:
    with LocalJobsService(clock=clock, fault_rate=1.0, seed=3) as service:
        client = jobsnb.connect(service, retry=NO_RETRIES)
        live = charts.live(charts.queue_age, client, ["sensor-1", "sensor-2"])
    assert live.errors is not None
    assert sorted(live.errors["thing_name"]) == ["sensor-1", "sensor-2"]
    assert live.stale
    assert live.frame is None
    assert live.refreshes == 0
    assert isinstance(live.error, FanoutError)
    # No "No pending executions": nothing came back, and the picture says that instead.
    notes = [a.text for a in live.figure.layout.annotations]
    assert notes == [
        "No data yet: the refresh failed",
        "2 calls failed (ServiceUnavailableException): see live.errors",
    ]
    assert live.figure.layout.title.text == "Queue age and in-progress time"
    assert live.note is not None
    assert live.note.startswith("refresh failed: every call failed (2 ServiceUnavailableException)")
    picture, note = shown(live)
    assert PLOTLY_MIME in picture
    assert note["text/plain"] == live.note


def test_live_chart_keeps_its_picture_and_backs_off_while_every_call_fails(
    fleet: FleetClient, service: LocalJobsService
) -> None:
    client = fast_client(service, retry=NO_RETRIES)
    live = charts.live(charts.queue_age, client, CHART_THINGS)
    good = [(t.name, list(t.x), list(t.y)) for t in live.figure.data]
    good_picture = shown(live)[0]
    attempts = Attempts(live)
    with live:
        service.faults = FaultInjector(1.0)
        live.start(every=0.05)
        attempts.wait_for(lambda: attempts.count >= 3)
        assert attempts.intervals[:3] == [0.1, 0.2, 0.4]  # doubling while every call fails
        assert live.stale
        assert isinstance(live.error, FanoutError)
        assert [(t.name, list(t.x), list(t.y)) for t in live.figure.data] == good
        assert live.refreshes == 1
        picture, note = shown(live)
        assert picture == good_picture
        assert "stale: last refreshed " in note["text/plain"]
        assert (
            "refresh failed: every call failed (6 ServiceUnavailableException)"
            in (note["text/plain"])
        )
        assert "retrying in " in note["text/plain"]
        assert "stale: last refreshed" in note["text/html"]
        # The service answers again: the usual pace and a clean picture.
        service.faults = FaultInjector(0.0)
        attempts.wait_for(lambda: live.refreshes >= 2)
        assert not live.stale
        assert live.error is None
        assert live.note is None
        assert live.failures == 0
        assert live.interval == 0.05
        assert len(shown(live)) == 1
        assert [(t.name, list(t.x), list(t.y)) for t in live.figure.data] == good


def test_live_chart_of_a_service_that_has_gone(
    fleet: FleetClient, service: LocalJobsService
) -> None:
    client = fast_client(service, retry=NO_RETRIES)
    live = charts.live(charts.status_distribution, client, CHART_THINGS)
    figure, good = live.figure, [(t.name, list(t.x)) for t in live.figure.data]
    service.stop()
    for _ in range(2):  # 12 connection failures: the client's breaker opens on the way
        live.refresh()
        assert live.stale
        assert live.figure is figure
        assert [(t.name, list(t.x)) for t in figure.data] == good
        assert "No executions" not in json.dumps(shown(live)[0][PLOTLY_MIME])
    assert client.breaker.state == "open"
    assert live.note is not None
    assert "EndpointConnectionError" in live.note or "EndpointUnreachable" in live.note
    assert "retrying" not in live.note  # refreshed on demand: nothing retries by itself

    service.start()  # the same port again
    client.breaker.cooldown = 0.0
    live.refresh()
    assert not live.stale
    # The breaker let one call probe the endpoint and ended the others: a partial picture,
    # which says so. The next refresh finds the breaker closed.
    assert live.errors is not None
    assert set(live.errors["error_code"]) <= {"EndpointUnreachable"}
    live.refresh()
    assert live.errors is not None
    assert live.errors.empty
    assert [(t.name, list(t.x)) for t in figure.data] == good
    assert len(shown(live)) == 1


def test_live_chart_whose_refresh_raises_keeps_its_picture(fleet: FleetClient) -> None:
    live = charts.live(charts.status_distribution, fleet, CHART_THINGS)
    good = [(t.name, list(t.x)) for t in live.figure.data]
    live.chart_kwargs["by"] = "no_such_column"
    with pytest.raises(ValueError, match="no_such_column"):
        live.refresh()
    assert live.stale
    assert isinstance(live.error, ValueError)
    assert [(t.name, list(t.x)) for t in live.figure.data] == good
    assert live.note is not None
    assert "refresh failed: InvalidParameterError: by" in live.note


def test_live_backoff_has_a_cap(fleet: FleetClient) -> None:
    live = charts.live(charts.queue_age, fleet, CHART_THINGS)
    live._every, live.failures = 30.0, 20
    assert live.interval == MAX_BACKOFF_SECONDS
    live._every = 900.0
    assert live.interval == 900.0  # never more often than asked for
    live._every = None


def test_live_charts_makes_chart_functions_live(fleet: FleetClient) -> None:
    ready = charts.live(charts.queue_age, fleet, CHART_THINGS)
    linked = live_charts([ready, charts.status_distribution], fleet, CHART_THINGS)
    assert linked[0] is ready
    assert isinstance(linked[1], LiveChart)
    assert linked[1].source == "pending"
    assert all(isinstance(chart.widget, ipywidgets.Output) for chart in linked)
    with pytest.raises(ValueError, match=r"charts\[0\]: must be a live chart"):
        live_charts([42], fleet, CHART_THINGS)
