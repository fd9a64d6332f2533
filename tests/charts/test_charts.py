"""jobsnb.charts: figures checked by their data and layout, drawn from frames the fleet client
read from the local service, with a known fleet on a manual clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import IPython.display
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import jobsnb.charts as charts
from jobsnb.charts import STATUS_COLORS, STATUS_ORDER
from jobsnb.client import FleetClient
from jobsnb.history import read_history, to_history
from jobsnb.limits import COMMAND_STATUSES, STATUSES
from jobsnb.schema import (
    EXECUTION_COLUMNS,
    JOB_EXECUTION_COLUMNS,
    JOB_SUMMARY_COLUMNS,
    PENDING_COLUMNS,
    empty_frame,
)
from jobsnb.service import LocalJobsService
from tests.helpers import (
    CHART_THINGS,
    MINUTE,
    START,
    by_category,
    fast_client,
    make_job,
    make_things,
)


def note(figure: go.Figure) -> str:
    return str(figure.layout.annotations[0].text)


# --- the shared style --------------------------------------------------------------------------


def test_status_colours_cover_every_status_in_order() -> None:
    assert tuple(STATUS_ORDER) == STATUSES
    assert list(STATUS_COLORS)[: len(STATUSES)] == list(STATUSES)
    assert set(STATUS_COLORS) == set(STATUSES) | set(COMMAND_STATUSES)
    assert len({STATUS_COLORS[s] for s in STATUSES}) == len(STATUSES)
    assert STATUS_COLORS["CREATED"] == STATUS_COLORS["QUEUED"]  # both: not yet picked up
    assert STATUS_COLORS["SUCCEEDED"] == "#009E73"  # Okabe–Ito bluish green
    assert STATUS_COLORS["FAILED"] == "#D55E00"  # vermilion


@pytest.mark.parametrize(
    ("longest", "unit"),
    [("30s", "seconds"), ("119min", "minutes"), ("2h", "hours"), ("47h", "hours"), ("3D", "days")],
)
def test_time_units_are_chosen_by_range(longest: str, unit: str) -> None:
    from jobsnb.charts._style import time_unit

    assert time_unit(pd.Timedelta(longest)).name == unit


def test_every_chart_is_exported_and_returns_a_figure_it_does_not_show(
    fleet: FleetClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert set(charts.__all__) >= {
        "queue_age",
        "status_distribution",
        "rollout_progress",
        "execution_timeline",
        "status_details",
        "time_to_timeout",
        "live",
        "LiveChart",
    }
    shown: list[str] = []
    monkeypatch.setattr(go.Figure, "show", lambda self, *a, **k: shown.append("Figure.show"))
    monkeypatch.setattr(pio, "show", lambda *a, **k: shown.append("plotly.io.show"))
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append("display"))
    pending = fleet.pending(CHART_THINGS, progress=False)
    to_history(pending, tmp_path / "history")
    figures = [
        charts.queue_age(pending),
        charts.status_distribution(fleet.executions(["fw-2", "cfg-1"], progress=False)),
        charts.rollout_progress(read_history(tmp_path / "history")),
        charts.execution_timeline(fleet.executions("fw-2", progress=False)),
        charts.status_details(
            fleet.describe(pending, flatten_details=True, progress=False), "progress"
        ),
        charts.time_to_timeout(fleet.describe(pending, progress=False)),
    ]
    assert [type(figure) for figure in figures] == [go.Figure] * 6
    assert all(figure.data for figure in figures)
    assert shown == []
    assert capsys.readouterr().out == ""


# --- queue_age ---------------------------------------------------------------------------------


def test_queue_age_draws_waiting_and_running_times_per_job(fleet: FleetClient) -> None:
    pending = fleet.pending(CHART_THINGS, progress=False)
    figure = charts.queue_age(pending, timeouts={"fw-2": 60}, title="Queues")

    names = [trace.name for trace in figure.data]
    assert names == ["QUEUED", "oldest waiting", "IN_PROGRESS", "in-progress timeout"]
    queued, oldest, running, timeout = figure.data
    assert by_category(queued) == {"fw-2": [90.0, 90.0], "cfg-1": [30.0, 30.0]}
    assert by_category(running) == {"fw-2": [30.0]}
    assert by_category(timeout) == {"fw-2": [60.0]}
    # The oldest waiting things are marked, the oldest of each job named on the chart.
    assert sorted(oldest.y) == ["cfg-1", "cfg-1", "fw-2", "fw-2"]
    assert {t for t in oldest.text if t} <= {"t-2", "t-3", "t-4", "t-5"}
    assert "queued 2023-11-14 22:13:20 UTC" in " ".join(oldest.hovertext)

    layout = figure.layout
    assert layout.title.text == "Queues"
    assert layout.xaxis.title.text == "Queue age (minutes)"
    assert layout.xaxis2.title.text == "In progress for (minutes)"
    assert layout.yaxis.title.text == "Job"
    assert list(layout.yaxis.categoryarray) == ["fw-2", "cfg-1"]  # first category on top
    # Names of the oldest are drawn past the panel's edge rather than cut, and both panels
    # start a little below 0 so markers at 0 stay clear of the tick labels.
    assert oldest.cliponaxis is False
    assert set(oldest.textposition) <= {"top left", "top right"}
    assert layout.xaxis.range[0] < 0 < 90 < layout.xaxis.range[1]
    assert layout.xaxis2.range[0] < 0 < 60 < layout.xaxis2.range[1]  # the timeout tick fits
    assert queued.marker.color == STATUS_COLORS["QUEUED"]
    assert running.marker.color == STATUS_COLORS["IN_PROGRESS"]


def test_queue_age_picks_hours_for_long_waits_and_takes_any_by_column(
    fleet: FleetClient, service: LocalJobsService
) -> None:
    service.advance(150 * MINUTE)  # fw-2 now waited 4 h; t-0's fw-2 has timed out
    pending = fleet.pending(CHART_THINGS, progress=False)
    sites = pd.DataFrame({"thing_name": CHART_THINGS, "site": ["a", "a", "a", "b", "b", "b"]})
    figure = charts.queue_age(pending.merge(sites, on="thing_name"), by="site", facet="job_id")

    assert figure.layout.xaxis.title.text is None  # titles on the bottom row of facets
    assert figure.layout.xaxis3.title.text == "Queue age (hours)"
    queued_traces = [trace for trace in figure.data if trace.name == "QUEUED"]
    assert [by_category(t) for t in queued_traces] == [
        {"b": [3.0, 3.0]},  # cfg-1 (facets sorted): t-4, t-5
        {"a": [4.0], "b": [4.0]},  # fw-2: t-2 (site a) and t-3 (site b)
    ]
    assert [a.text for a in figure.layout.annotations if a.text in ("cfg-1", "fw-2")] == [
        "cfg-1",
        "fw-2",
    ]


def test_queue_age_of_a_single_row_and_of_an_empty_frame(
    service: LocalJobsService, iot: Any
) -> None:
    client = fast_client(service)
    empty = client.pending(["t-9"], progress=False)
    figure = charts.queue_age(empty)
    assert figure.data == ()
    assert note(figure) == "No pending executions"

    make_things(iot, ["t-9"])
    make_job(iot, "fw-2", ["t-9"], document="{}")
    service.advance(45)
    figure = charts.queue_age(client.pending(["t-9"], progress=False))
    assert by_category(figure.data[0]) == {"fw-2": [45.0]}
    assert figure.layout.xaxis.title.text == "Queue age (seconds)"
    assert "nothing running" in [a.text for a in figure.layout.annotations]


def test_queue_age_names_the_missing_columns_and_the_client_call(fleet: FleetClient) -> None:
    executions = fleet.executions(["fw-2"], progress=False)
    with pytest.raises(ValueError, match=r"queue_age, in_progress_for.*client\.pending\(things\)"):
        charts.queue_age(executions)
    pending = fleet.pending(CHART_THINGS, progress=False)
    with pytest.raises(ValueError, match=r"by: names the column 'site'.*merge"):
        charts.queue_age(pending, by="site")
    with pytest.raises(ValueError, match=r"'detail_progress'.*client\.describe"):
        charts.queue_age(pending, by="detail_progress")
    with pytest.raises(ValueError, match="facet"):
        charts.queue_age(pending, facet="nope")
    with pytest.raises(ValueError, match=r"timeouts\['fw-2'\]"):
        charts.queue_age(pending, timeouts={"fw-2": "an hour"})
    with pytest.raises(ValueError, match="pandas DataFrame"):
        charts.queue_age([1, 2])  # type: ignore[arg-type]


# --- status_distribution -----------------------------------------------------------------------


def test_status_distribution_of_executions_counts_things_per_status(fleet: FleetClient) -> None:
    executions = fleet.executions(["fw-2", "cfg-1"], progress=False)
    figure = charts.status_distribution(executions)

    assert [trace.name for trace in figure.data] == ["QUEUED", "IN_PROGRESS", "SUCCEEDED"]
    assert [list(trace.y) for trace in figure.data] == [["cfg-1", "fw-2"]] * 3
    assert [list(trace.x) for trace in figure.data] == [[2, 2], [0, 1], [0, 1]]
    assert [trace.marker.color for trace in figure.data] == [
        STATUS_COLORS[s] for s in ("QUEUED", "IN_PROGRESS", "SUCCEEDED")
    ]
    assert figure.layout.barmode == "stack"
    assert figure.layout.title.text == "Status distribution"
    assert figure.layout.xaxis.title.text == "Things"
    notes = {a.y: a.text for a in figure.layout.annotations}
    assert notes == {"cfg-1": "2 · 0% done", "fw-2": "4 · 25% done"}
    # hover carries count and share
    assert list(figure.data[0].customdata[1]) == [2, 0.5]


def test_status_distribution_shares_and_facets(fleet: FleetClient) -> None:
    executions = fleet.executions(["fw-2", "cfg-1"], progress=False)
    figure = charts.status_distribution(executions, share=True, title=None)
    assert [list(trace.x) for trace in figure.data] == [[100.0, 50.0], [0.0, 25.0], [0.0, 25.0]]
    assert figure.layout.xaxis.title.text == "Things (%)"
    assert figure.layout.title.text is None

    sites = pd.DataFrame({"thing_name": CHART_THINGS, "site": ["a", "a", "a", "b", "b", "b"]})
    faceted = charts.status_distribution(executions.merge(sites, on="thing_name"), facet="site")
    assert [(t.name, dict(zip(t.y, t.x, strict=True))) for t in faceted.data] == [
        ("QUEUED", {"fw-2": 1}),
        ("IN_PROGRESS", {"fw-2": 1}),
        ("SUCCEEDED", {"fw-2": 1}),
        ("QUEUED", {"cfg-1": 2, "fw-2": 1}),
        ("IN_PROGRESS", {"cfg-1": 0, "fw-2": 0}),
        ("SUCCEEDED", {"cfg-1": 0, "fw-2": 0}),
    ]
    assert [t.showlegend for t in faceted.data] == [True] * 3 + [False] * 3


def test_status_distribution_of_pending_executions(fleet: FleetClient) -> None:
    figure = charts.status_distribution(
        fleet.pending(CHART_THINGS, progress=False), by="thing_name"
    )
    assert [(t.name, dict(zip(t.y, t.x, strict=True))) for t in figure.data] == [
        ("QUEUED", {"t-0": 0, "t-2": 1, "t-3": 1, "t-4": 1, "t-5": 1}),
        ("IN_PROGRESS", {"t-0": 1, "t-2": 0, "t-3": 0, "t-4": 0, "t-5": 0}),
    ]
    assert figure.layout.xaxis.title.text == "Pending executions"
    assert "done" not in " ".join(a.text for a in figure.layout.annotations)


def test_status_distribution_shows_attempts_beside_things_when_retries_exist(
    fleet: FleetClient, iot: Any, data: Any
) -> None:
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
    make_job(iot, "fw-3", ["t-5"], document="{}", jobExecutionsRetryConfig=retry)
    data.start_next_pending_job_execution(thingName="t-5")  # cfg-1 first
    data.update_job_execution(thingName="t-5", jobId="cfg-1", status="SUCCEEDED")
    data.start_next_pending_job_execution(thingName="t-5")
    data.update_job_execution(thingName="t-5", jobId="fw-3", status="FAILED")  # retried

    summary = fleet.job_summary(["fw-2", "fw-3"], progress=False)
    figure = charts.status_distribution(summary)
    things = {t.name: dict(zip(t.y, t.x, strict=True)) for t in figure.data if t.xaxis == "x"}
    attempts = {t.name: dict(zip(t.y, t.x, strict=True)) for t in figure.data if t.xaxis == "x2"}
    assert things["QUEUED"] == {"fw-2": 2, "fw-3": 1}
    assert things["FAILED"] == {"fw-2": 0, "fw-3": 0}
    assert attempts["FAILED"] == {"fw-2": 0, "fw-3": 1}
    assert attempts["QUEUED"] == {"fw-2": 2, "fw-3": 1}
    assert figure.layout.xaxis.title.text == "Things"
    assert figure.layout.xaxis2.title.text == "Attempts (incl. retries)"

    executions = fleet.executions(["fw-3"], progress=False)
    notes = [a.text for a in charts.status_distribution(executions).layout.annotations]
    assert notes == ["1 · 0% done · 1 retry"]


def test_status_distribution_of_job_summaries_names_scheduled_and_finished_jobs(
    fleet: FleetClient, iot: Any
) -> None:
    make_job(
        iot, "nightly", ["t-5"], document="{}",
        schedulingConfig={"startTime": "2023-11-15T06:00"},
    )  # fmt: skip
    iot.cancel_job(jobId="cfg-1")
    summary = fleet.job_summary(["fw-2", "cfg-1", "nightly"], progress=False)
    notes = {a.y: a.text for a in charts.status_distribution(summary).layout.annotations}
    assert notes == {
        "fw-2": "4 · 25% done",
        "cfg-1": "2 · 100% done · CANCELED",
        "nightly": "0 · SCHEDULED, starts Nov 15 06:00 UTC",
    }
    by_status = charts.status_distribution(summary, by="job_status")
    assert not any("SCHEDULED," in a.text for a in by_status.layout.annotations)


def test_status_distribution_of_command_executions_in_the_commands_order(
    fleet: FleetClient, service: LocalJobsService
) -> None:
    for command in ("reboot", "collect-logs"):
        fleet.control.create_command(commandId=command, payload={"content": b"{}"})
    reboots = fleet.start_command(CHART_THINGS, "reboot", progress=False)
    logs = fleet.start_command(CHART_THINGS[:2], "collect-logs", progress=False)
    device = service.backend.update_command_execution
    for (thing, execution), status in zip(
        reboots[["thing_name", "execution_id"]].itertuples(index=False),
        ["SUCCEEDED", "SUCCEEDED", "FAILED", "IN_PROGRESS", "REJECTED"],  # t-5 stays CREATED
        strict=False,
    ):
        device(thing, execution, status)
    answers = fleet.command_executions(pd.concat([reboots, logs]), progress=False)

    figure = charts.status_distribution(answers)
    assert [(t.name, dict(zip(t.y, t.x, strict=True))) for t in figure.data] == [
        ("CREATED", {"collect-logs": 2, "reboot": 1}),
        ("IN_PROGRESS", {"collect-logs": 0, "reboot": 1}),
        ("SUCCEEDED", {"collect-logs": 0, "reboot": 2}),
        ("FAILED", {"collect-logs": 0, "reboot": 1}),
        ("REJECTED", {"collect-logs": 0, "reboot": 1}),
    ]
    assert figure.layout.xaxis.title.text == "Command executions"
    notes = {a.y: a.text for a in figure.layout.annotations}
    assert notes == {"reboot": "6 · 67% done", "collect-logs": "2 · 0% done"}


def test_status_distribution_errors_and_empty_frames(fleet: FleetClient) -> None:
    with pytest.raises(ValueError, match=r"needs the column status, which client\.pending"):
        charts.status_distribution(pd.DataFrame({"job_id": ["j"]}))
    with pytest.raises(ValueError, match="'group'"):
        charts.status_distribution(fleet.executions(["fw-2"], progress=False), by="group")
    for columns in (PENDING_COLUMNS, JOB_EXECUTION_COLUMNS, JOB_SUMMARY_COLUMNS):
        figure = charts.status_distribution(empty_frame(columns))
        assert figure.data == ()
        assert note(figure) == "No executions"


def test_status_distribution_of_a_single_row() -> None:
    frame = empty_frame(JOB_EXECUTION_COLUMNS)
    frame.loc[0, ["job_id", "thing_name", "status"]] = ["fw-2", "t-0", "FAILED"]
    figure = charts.status_distribution(frame)
    assert [(t.name, list(t.x)) for t in figure.data] == [("FAILED", [1])]


# --- rollout_progress --------------------------------------------------------------------------


def test_rollout_progress_stacks_statuses_over_snapshots(
    fleet: FleetClient, service: LocalJobsService, data: Any, tmp_path: Path
) -> None:
    def snapshot() -> None:
        at = pd.Timestamp(service.clock.now(), unit="s", tz="UTC")
        to_history(fleet.executions(["fw-2", "cfg-1"], progress=False), tmp_path, snapshot_at=at)

    snapshot()
    data.update_job_execution(thingName="t-0", jobId="fw-2", status="FAILED")
    service.advance(10 * MINUTE)
    snapshot()
    figure = charts.rollout_progress(read_history(tmp_path), facet="job_id")

    statuses = ["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED"]
    assert [trace.name for trace in figure.data] == statuses * 2
    cfg, fw = figure.data[:4], figure.data[4:]
    assert [list(t.y) for t in fw] == [[2, 2], [1, 0], [1, 1], [0, 1]]
    assert [list(t.y) for t in cfg] == [[2, 2], [0, 0], [0, 0], [0, 0]]
    times = [pd.Timestamp(START + minutes * MINUTE, unit="s") for minutes in (90, 100)]
    assert list(fw[0].x) == times  # UTC, without the zone
    assert {t.stackgroup for t in fw} == {"row2"}
    assert [t.fillcolor for t in fw] == [STATUS_COLORS[t.name] for t in fw]
    assert figure.layout.xaxis2.title.text == "Snapshot time (UTC)"
    assert figure.layout.yaxis.title.text == "Things"

    shares = charts.rollout_progress(read_history(tmp_path), share=True)
    assert {t.groupnorm for t in shares.data} == {"percent"}
    assert shares.layout.yaxis.title.text == "Things (%)"


def test_rollout_progress_of_one_snapshot_and_of_none(tmp_path: Path) -> None:
    frame = pd.DataFrame({"thing_name": ["t-0"], "status": ["QUEUED"]})
    to_history(frame, tmp_path, snapshot_at=pd.Timestamp("2026-01-01", tz="UTC"))
    figure = charts.rollout_progress(read_history(tmp_path))
    assert [(t.name, list(t.y)) for t in figure.data] == [("QUEUED", [1])]
    empty = charts.rollout_progress(read_history(tmp_path).iloc[:0])
    assert empty.data == ()
    assert note(empty) == "No snapshots"
    with pytest.raises(ValueError, match=r"snapshot_at.*read_history"):
        charts.rollout_progress(frame)


# --- execution_timeline ------------------------------------------------------------------------


def test_execution_timeline_draws_queued_started_last_update(fleet: FleetClient) -> None:
    executions = fleet.executions(["fw-2", "cfg-1"], progress=False)
    with pytest.raises(ValueError, match=r"job_id: must name one job.*cfg-1, fw-2"):
        charts.execution_timeline(executions)
    figure = charts.execution_timeline(executions, job_id="fw-2")

    assert figure.layout.title.text == "Executions of fw-2"
    assert [t.name for t in figure.data] == ["queued → started", "IN_PROGRESS", "SUCCEEDED"]
    waiting, running, succeeded = figure.data
    hour = 3_600_000.0
    # Everyone was queued at START; t-0 and t-1 started an hour later; t-2, t-3 still wait
    # (until the latest time the frame knows of: t-1's success, an hour in).
    assert dict(zip(waiting.y, waiting.x, strict=True)) == {
        "t-0": hour, "t-1": hour, "t-2": hour, "t-3": hour
    }  # fmt: skip
    assert set(waiting.base) == {"2023-11-14T22:13:20"}
    assert (list(running.y), list(running.base)) == (["t-0"], ["2023-11-14T23:13:20"])
    assert list(succeeded.y) == ["t-1"]
    assert [t.marker.color for t in figure.data] == [
        STATUS_COLORS[s] for s in ("QUEUED", "IN_PROGRESS", "SUCCEEDED")
    ]
    assert figure.layout.xaxis.type == "date"
    assert figure.layout.xaxis.title.text == "Time (UTC)"
    assert list(figure.layout.yaxis.categoryarray) == ["t-3", "t-2", "t-1", "t-0"]
    assert figure.layout.yaxis.title.text == "Thing"


def test_execution_timeline_edge_cases() -> None:
    empty = charts.execution_timeline(empty_frame(JOB_EXECUTION_COLUMNS))
    assert (empty.data, note(empty)) == ((), "No executions")
    with pytest.raises(ValueError, match=r"queued_at.*client\.executions\(job_ids\)"):
        charts.execution_timeline(pd.DataFrame({"thing_name": ["t"], "job_id": ["j"]}))
    one = empty_frame(JOB_EXECUTION_COLUMNS)
    one.loc[0, ["job_id", "thing_name", "status"]] = ["fw-2", "t-0", "QUEUED"]
    with pytest.raises(ValueError, match="job_id: must be a job of the frame"):
        charts.execution_timeline(one, job_id="fw-9")


# --- status_details ----------------------------------------------------------------------------


def test_status_details_counts_each_value_by_status(fleet: FleetClient) -> None:
    described = fleet.executions(["fw-2"], describe=True, progress=False)
    figure = charts.status_details(described, "progress")
    assert figure.layout.title.text == "statusDetails: progress"
    assert [t.name for t in figure.data] == ["QUEUED", "IN_PROGRESS", "SUCCEEDED"]
    assert list(figure.data[0].x) == ["40%", "100%", "(not reported)"]
    assert [list(t.y) for t in figure.data] == [[0, 0, 2], [1, 0, 0], [0, 1, 0]]
    assert figure.layout.xaxis.title.text == "Progress"
    assert figure.layout.yaxis.title.text == "Things"

    flat = fleet.describe(
        fleet.pending(CHART_THINGS, progress=False), flatten_details=True, progress=False
    )
    figure = charts.status_details(flat, "detail_progress", facet="job_id")
    assert [(t.name, list(t.x), list(t.y)) for t in figure.data] == [
        ("QUEUED", ["40%", "(not reported)"], [0, 2]),
        ("IN_PROGRESS", ["40%", "(not reported)"], [0, 0]),
        ("QUEUED", ["40%", "(not reported)"], [0, 2]),
        ("IN_PROGRESS", ["40%", "(not reported)"], [1, 0]),
    ]
    assert figure.layout.yaxis.title.text == "Executions"


def test_status_details_orders_versions_naturally_and_checks_its_input() -> None:
    frame = pd.DataFrame({
        "status": ["SUCCEEDED"] * 3,
        "status_details": [{"v": "2.10"}, {"v": "2.9"}, {"v": "10.0-rc"}],
    })  # fmt: skip
    assert list(charts.status_details(frame, "v").data[0].x) == ["2.9", "2.10", "10.0-rc"]
    with pytest.raises(ValueError, match=r"status_details \(or detail_v\).*client\.describe"):
        charts.status_details(frame.drop(columns="status_details"), "v")
    empty = charts.status_details(empty_frame(EXECUTION_COLUMNS), "progress")
    assert (empty.data, note(empty)) == ((), "No executions")


# --- the shared vocabulary ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chart", "frame", "extra"),
    [
        (charts.queue_age, "pending", {}),
        (charts.status_distribution, "executions", {}),
        (charts.execution_timeline, "executions", {"job_id": "fw-2"}),
        (charts.status_details, "described", {"key": "progress"}),
        (charts.time_to_timeout, "described", {}),
    ],
)
def test_every_chart_takes_title_template_width_height(
    fleet: FleetClient, chart: Any, frame: str, extra: dict[str, Any]
) -> None:
    frames = {
        "pending": lambda: fleet.pending(CHART_THINGS, progress=False),
        "executions": lambda: fleet.executions(["fw-2"], progress=False),
        "described": lambda: fleet.executions(["fw-2"], describe=True, progress=False),
    }
    figure = chart(
        frames[frame](), title="T", template="plotly_dark", width=640, height=480, **extra
    )
    assert (figure.layout.title.text, figure.layout.width, figure.layout.height) == ("T", 640, 480)
    assert figure.layout.template.layout.paper_bgcolor == "rgb(17,17,17)"
    default = chart(frames[frame](), **extra)
    assert list(default.layout.template.layout.colorway) == [STATUS_COLORS[s] for s in STATUSES]
