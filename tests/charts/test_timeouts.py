"""jobsnb.charts.time_to_timeout: the time each running execution has left, as the service says.

The fleet (conftest): fw-2 has a 60-minute in-progress timeout; t-0 started it 30 minutes ago.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import jobsnb.charts as charts
from jobsnb.charts import STATUS_COLORS
from jobsnb.client import FleetClient
from jobsnb.schema import EXECUTION_COLUMNS, empty_frame
from jobsnb.service import LocalJobsService
from tests.helpers import CHART_THINGS, MINUTE, by_category, make_job


def test_it_draws_the_seconds_describe_job_execution_reports(fleet: FleetClient) -> None:
    running = fleet.describe(fleet.pending(CHART_THINGS, progress=False), progress=False)
    figure = charts.time_to_timeout(running)

    assert [t.name for t in figure.data] == ["IN_PROGRESS", "times out within 10 minutes"]
    box, near = figure.data
    assert by_category(box) == {"fw-2": [30.0]}  # 60-minute timeout, 30 minutes in
    assert list(near.x) == []
    assert box.marker.color == STATUS_COLORS["IN_PROGRESS"]
    assert near.marker.color == STATUS_COLORS["TIMED_OUT"]
    assert figure.layout.xaxis.title.text == "Time left before timing out (minutes)"
    assert figure.layout.yaxis.title.text == "Job"
    assert figure.layout.title.subtitle.text == (
        "0 of 1 running executions time out within 10 minutes"
    )
    assert "times out in 30m 00s" in box.text[0]


def test_a_step_timeout_shortens_the_time_left_and_the_chart_shows_it(
    fleet: FleetClient, data: Any
) -> None:
    # The job's timeout leaves 30 minutes; the device asks for a 5-minute step: the service
    # will time the execution out in 5 minutes, and so does the chart (a job-timeout tick
    # at 60 minutes would say there is time).
    data.update_job_execution(
        thingName="t-0", jobId="fw-2", status="IN_PROGRESS", stepTimeoutInMinutes=5
    )
    running = fleet.describe(fleet.pending(CHART_THINGS, progress=False), progress=False)
    seconds = running.set_index("thing_name").loc["t-0", "approximate_seconds_before_timed_out"]
    assert seconds == 300

    figure = charts.time_to_timeout(running, within=pd.Timedelta(minutes=10))
    box, near = figure.data
    assert by_category(box) == {"fw-2": [5.0]}
    assert (list(near.x), list(near.text)) == ([5.0], ["t-0"])
    assert near.cliponaxis is False
    assert figure.layout.title.subtitle.text.startswith("1 of 1 running executions")
    band = figure.layout.shapes[0]
    assert (band.x0, band.x1) == (0, 10.0)
    assert figure.layout.xaxis.range[0] < 0


def test_executions_without_a_timer_are_counted_not_drawn(
    fleet: FleetClient, iot: Any, data: Any, service: LocalJobsService
) -> None:
    make_job(iot, "cfg-2", ["t-5"], document="{}")  # no timeout at all
    data.start_next_pending_job_execution(thingName="t-5")  # cfg-1 first
    data.update_job_execution(thingName="t-5", jobId="cfg-1", status="SUCCEEDED")
    data.start_next_pending_job_execution(thingName="t-5")  # then cfg-2
    service.advance(MINUTE)
    running = fleet.executions(["fw-2", "cfg-2"], describe=True, progress=False)
    figure = charts.time_to_timeout(running, within=None)

    assert [t.name for t in figure.data] == ["IN_PROGRESS"]
    assert by_category(figure.data[0]) == {"fw-2": [29.0]}
    assert figure.layout.title.subtitle.text == ("2 running executions; 1 has no timer")


def test_its_input_and_empty_frames(fleet: FleetClient) -> None:
    pending = fleet.pending(CHART_THINGS, progress=False)
    with pytest.raises(ValueError, match=r"approximate_seconds_before_timed_out.*describe"):
        charts.time_to_timeout(pending)
    described = fleet.describe(pending, progress=False)
    with pytest.raises(ValueError, match="within"):
        charts.time_to_timeout(described, within="soon")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nearest"):
        charts.time_to_timeout(described, nearest=-1)
    with pytest.raises(ValueError, match="'site'"):
        charts.time_to_timeout(described, by="site")
    empty = charts.time_to_timeout(empty_frame(EXECUTION_COLUMNS))
    assert (empty.data, empty.layout.annotations[0].text) == ((), "No running executions")
    queued_only = described[described["status"] == "QUEUED"]
    assert charts.time_to_timeout(queued_only).layout.annotations[0].text == (
        "No running executions"
    )
