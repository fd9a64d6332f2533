"""jobsnb.charts.live: a chart bound to a client refreshes its FigureWidget in place."""

from __future__ import annotations

import time
from typing import Any

import plotly.graph_objects as go
import pytest

import jobsnb
import jobsnb.charts as charts
from jobsnb.client import FleetClient
from jobsnb.service import LocalJobsService
from tests.helpers import CHART_THINGS, MINUTE, by_category, fast_client, make_job, make_things


def test_live_queue_age_refreshes_the_same_widget_in_place(
    fleet: FleetClient, service: LocalJobsService, data: Any
) -> None:
    live = charts.live(charts.queue_age, fleet, CHART_THINGS, timeouts={"fw-2": 60})
    widget = live.figure
    assert isinstance(widget, go.FigureWidget)
    assert live.source == "pending"
    assert live.refreshes == 1
    assert len(live.frame) == 5
    assert by_category(widget.data[0]) == {"fw-2": [90.0, 90.0], "cfg-1": [30.0, 30.0]}

    data.start_next_pending_job_execution(thingName="t-2")
    service.advance(10 * MINUTE)
    assert live.refresh() is live

    assert live.figure is widget
    assert live.refreshes == 2
    assert by_category(widget.data[0]) == {"fw-2": [100.0], "cfg-1": [40.0, 40.0]}
    assert by_category(widget.data[2]) == {"fw-2": [10.0, 40.0]}


def test_live_status_distribution_from_executions(fleet: FleetClient, data: Any, iot: Any) -> None:
    live = charts.live(charts.status_distribution, fleet, jobs=["fw-2"])
    assert live.source == "executions"
    widget = live.figure
    assert [(t.name, list(t.x)) for t in widget.data] == [
        ("QUEUED", [2]),
        ("IN_PROGRESS", [1]),
        ("SUCCEEDED", [1]),
    ]
    data.update_job_execution(thingName="t-0", jobId="fw-2", status="SUCCEEDED")
    live.refresh()
    assert live.figure is widget
    # IN_PROGRESS is gone: the traces are swapped, still in the same widget
    assert [(t.name, list(t.x)) for t in widget.data] == [("QUEUED", [2]), ("SUCCEEDED", [2])]
    assert widget.layout.annotations[0].text == "4 · 50% done"


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
    with live:
        live.start(every=0.2)
        assert live.running
        deadline = time.monotonic() + 20
        while live.refreshes < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not live.running
    assert live.refreshes >= 3
    assert live.error is None
    after_stop = live.refreshes
    time.sleep(0.5)
    assert live.refreshes == after_stop


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


def test_live_chart_says_when_calls_failed(clock: Any) -> None:
    with LocalJobsService(clock=clock, fault_rate=1.0, seed=3) as service:
        client = jobsnb.connect(service, retry=jobsnb.RetryPolicy(max_attempts=1))
        live = charts.live(charts.queue_age, client, ["sensor-1", "sensor-2"]).refresh()
        assert live.errors is not None
        assert sorted(live.errors["thing_name"]) == ["sensor-1", "sensor-2"]
        notes = [a.text for a in live.figure.layout.annotations]
        assert any("2 calls failed (ServiceUnavailableException)" in text for text in notes)
