"""The control panel driven in the kernel like a user would: values set, buttons clicked; then
both the widgets' state and the local service's state (through an unmodified boto3 client)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

import jobsnb
from jobsnb.client import FleetClient
from jobsnb.service.faults import FaultInjector
from jobsnb.widgets import ControlPanel, control_panel
from jobsnb.widgets.actions import run_plan
from jobsnb.widgets.plans import Plan
from tests.helpers import fast_client, make_job, make_things

THING_ARN = "arn:aws:iot:us-east-1:123456789012:thing/{}"


# --- helpers ---------------------------------------------------------------------------------


def state(data: Any, thing: str, job: str) -> tuple[str, int, dict[str, str]]:
    """(status, version, statusDetails) as the service holds them."""
    execution = data.describe_job_execution(thingName=thing, jobId=job)["execution"]
    return execution["status"], execution["versionNumber"], execution.get("statusDetails", {})


@pytest.fixture
def panels() -> Iterator[list[ControlPanel]]:
    made: list[ControlPanel] = []
    yield made
    for panel in made:
        panel.close()


def open_panel(panels: list[ControlPanel], client: FleetClient, *args: Any, **kw: Any) -> Any:
    panel = control_panel(client, *args, **kw)
    panels.append(panel)
    panel.wait(timeout=30)
    return panel


def click(panel: ControlPanel, button: Any) -> None:
    assert not button.disabled, f"{button.description!r} is disabled"
    button.click()
    panel.wait(timeout=30)


class FakeLiveChart:
    """What the panel needs of a jobsnb.charts LiveChart: a figure and refresh()."""

    def __init__(self) -> None:
        self.figure = go.FigureWidget(data=[go.Bar(x=["a"], y=[0])])
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1
        self.figure.data[0].y = [self.refreshes]


# --- selection -------------------------------------------------------------------------------


def test_panel_without_things_offers_the_accounts_things_and_filters_them(service, iot, panels):
    make_things(iot, ["sensor-1", "sensor-2", "gateway-1"])
    make_things(iot, ["sensor-3"], group="north")
    panel = open_panel(panels, fast_client(service))

    assert panel.picker.candidates == ["gateway-1", "sensor-1", "sensor-2", "sensor-3"]
    assert panel.picker.selected == []
    assert "nothing pending" in panel.table.value
    assert "as of" not in panel.table.value, "nothing was read: no time, least of all this clock's"
    assert list(panel.picker.group.options) == ["(any group)", "north"]

    panel.picker.select(["sensor-1", "sensor-2", "sensor-3"])
    assert panel.picker.grid.selected_rows == [1, 2, 3]
    assert panel.picker.count.value == "3 of 4 selected"
    panel.wait(timeout=30)
    assert "0 pending executions on 3 selected things" in panel.table_note.value

    # A person clicks one row of the grid (rows are the candidates, in order, filtered or not).
    panel.picker.grid.selected_rows = [2]
    panel.wait(timeout=30)
    assert panel.picker.selected == ["sensor-2"]
    assert "0 pending executions on 1 selected thing" in panel.table_note.value

    panel.picker.group.value = "north"
    panel.wait(timeout=30)
    assert panel.picker.candidates == ["sensor-3"]
    assert panel.picker.selected == ["sensor-3"]
    assert panel.picker.grid.selected_rows == [0]
    assert "north: 1 thing" in panel.message.value
    panel.picker.select(())
    assert panel.picker.selected == []
    panel.picker.group.value = "(any group)"
    panel.wait(timeout=30)
    assert panel.picker.candidates == ["gateway-1", "sensor-1", "sensor-2", "sensor-3"]
    assert "Error" not in panel.message.value


def test_panel_on_a_group_selects_its_things_and_shows_their_pending_executions(
    service, iot, panels
):
    names = make_things(iot, ["a", "b", "c"], group="fleet")
    make_things(iot, ["other"])
    make_job(iot, "fw", names)
    panel = open_panel(panels, fast_client(service), group="fleet")

    assert panel.picker.selected == ["a", "b", "c"]
    assert panel.picker.group.value == "fleet"
    assert sorted(panel.shown["thing_name"]) == ["a", "b", "c"]
    for name in names:
        assert f"<td>{name}</td>" in panel.table.value
    assert list(panel.status.options) == ["IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"]


def test_panel_from_a_frame_of_long_queued_executions(service, iot, panels):
    make_things(iot, ["old-1", "old-2", "new-1"])
    make_job(iot, "fw", ["old-1", "old-2"])
    service.advance(3 * 3600)
    make_job(iot, "fw-new", ["new-1"])
    client = fast_client(service)
    pending = client.pending(["old-1", "old-2", "new-1"], progress=False)
    stuck = pending[(pending.status == "QUEUED") & (pending.queue_age > pd.Timedelta("2h"))]

    panel = open_panel(panels, client, frame=stuck)

    assert panel.picker.candidates == ["old-1", "old-2"]
    assert panel.picker.selected == ["old-1", "old-2"]
    assert panel.job.value == "fw"
    assert "3h 00m" in panel.table.value


def test_bad_arguments_raise_naming_the_argument(service):
    client = fast_client(service)
    with pytest.raises(jobsnb.InvalidParameterError, match="things, group"):
        control_panel(client, ["a"], group="g")
    with pytest.raises(jobsnb.InvalidParameterError, match="frame"):
        control_panel(client, frame=pd.DataFrame({"x": [1]}))
    with pytest.raises(jobsnb.InvalidParameterError, match=r"things\[0\]"):
        control_panel(client, ["not a name"])
    with pytest.raises(jobsnb.InvalidParameterError, match="existing thing group"):
        control_panel(client, group="nowhere")
    with pytest.raises(jobsnb.InvalidParameterError, match="client"):
        control_panel(service.url)  # type: ignore[arg-type]


# --- the statusDetails editor ----------------------------------------------------------------


def test_details_are_checked_as_typed_and_block_the_actions(service, iot, panels):
    make_things(iot, ["a"])
    make_job(iot, "fw", ["a"])
    panel = open_panel(panels, fast_client(service), ["a"])
    editor = panel.details

    editor.add.click()
    row = editor.rows[0]
    row.key.value = "progress"
    row.value.value = "40%"
    assert editor.value == {"progress": "40%"}
    assert "✓" in row.check.value
    assert not panel.start_button.disabled
    assert not panel.update_button.disabled

    row.key.value = "bad key"
    assert "must be 1-128 characters, each a letter" in row.check.value
    assert "1 row to fix" in editor.message.value
    assert "must be" not in editor.message.value, "the rule is said once, beside its row"
    assert "[a-zA-Z" not in row.check.value, "rules are in words, not regular expressions"
    assert panel.start_button.disabled
    assert panel.update_button.disabled
    row.key.value = "progress"

    row.value.value = "x" * 1025
    assert "1-1024 characters" in (editor.error or "")
    row.value.value = "line\nbreak"
    assert "control characters" in (editor.error or "")
    row.value.value = "40%"

    for index in range(10):
        editor.add_row(f"k{index}", "v")
    assert "at most 10 pairs" in (editor.error or "")
    for extra in list(editor.rows[1:]):
        extra.remove.click()
    editor.add_row("progress", "again")
    assert "each key once" in (editor.error or "")
    editor.remove_row(editor.rows[-1])

    editor.step_timeout_text.value = "soon"
    assert "step timeout: must be an integer" in (editor.error or "")
    editor.step_timeout_text.value = "20000"
    assert "between 1 and 10080" in (editor.error or "")
    editor.step_timeout_text.value = "15"
    assert editor.valid
    assert editor.step_timeout == 15
    assert not panel.start_button.disabled


# --- start and update ------------------------------------------------------------------------


def test_start_next_then_update_to_succeeded(service, iot, data, panels):
    make_things(iot, ["a", "b"])
    make_job(iot, "fw", ["a", "b"])
    chart = FakeLiveChart()
    panel = open_panel(panels, fast_client(service), ["a", "b"], charts=[chart])
    panel.picker.select(["a"])
    panel.wait(timeout=30)
    table_before = panel.table.value
    refreshes = chart.refreshes

    panel.details.add_row("step", "download")
    panel.details.step_timeout_text.value = "30"
    click(panel, panel.start_button)
    assert panel.plan is not None
    assert "Start next on 1 thing of job fw: 1 × QUEUED → IN_PROGRESS" in panel.plan_html.value
    assert panel.plan.executions[
        ["thing_name", "job_id", "status", "status_after"]
    ].values.tolist() == [["a", "fw", "QUEUED", "IN_PROGRESS"]]
    assert "<td>step=download</td>" in panel.plan_html.value.replace(" class='jobsnb-wrap'", "")
    assert "1 selected thing not called: nothing pending" not in panel.plan_html.value
    assert state(data, "a", "fw")[0] == "QUEUED", "nothing is sent before Confirm"
    click(panel, panel.confirm_button)

    assert panel.plan is None
    assert panel.confirm_button.disabled
    assert panel.results[["thing_name", "outcome", "status", "version_number"]].values.tolist() == [
        ["a", "started", "IN_PROGRESS", 2]
    ]
    assert state(data, "a", "fw") == ("IN_PROGRESS", 2, {"step": "download"})
    assert state(data, "b", "fw")[0] == "QUEUED"
    assert panel.table.value != table_before
    assert "IN_PROGRESS" in panel.table.value
    assert "step=download" in panel.table.value
    assert chart.refreshes > refreshes
    assert panel.progress.value == panel.progress.max == 1
    assert "Done" in panel.message.value
    # Sent once: the editor is empty for the next action, and says so.
    assert panel.details.value is None
    assert panel.details.step_timeout is None
    assert "editor is cleared" in panel.message.value

    panel.status.value = "SUCCEEDED"
    click(panel, panel.update_button)
    assert "(no statusDetails)" in panel.plan_html.value
    click(panel, panel.cancel_button)
    panel.details.add_row("step", "done")
    click(panel, panel.update_button)
    assert "1 × IN_PROGRESS → SUCCEEDED" in panel.plan_html.value
    click(panel, panel.confirm_button)

    assert panel.results[["thing_name", "outcome", "status_before", "status"]].values.tolist() == [
        ["a", "updated", "IN_PROGRESS", "SUCCEEDED"]
    ]
    assert state(data, "a", "fw") == ("SUCCEEDED", 3, {"step": "done"})
    assert "nothing pending" in panel.table.value
    assert "1 selected thing has nothing pending" in panel.table.value
    assert panel.update_button.disabled
    assert "nothing pending for the selection" in panel.action_note.value
    assert panel.start_button.disabled
    assert "no selected thing has a next execution" in panel.action_note.value


def test_a_version_conflict_is_reported_with_the_current_state_and_not_overwritten(
    service, iot, data, panels
):
    make_things(iot, ["a", "b"])
    make_job(iot, "fw", ["a", "b"])
    panel = open_panel(panels, fast_client(service), ["a", "b"])
    assert panel.shown["version_number"].tolist() == [1, 1]

    # Meanwhile a device (or another operator) moves thing a's execution on.
    data.update_job_execution(
        thingName="a", jobId="fw", status="IN_PROGRESS", statusDetails={"by": "device"}
    )

    panel.status.value = "FAILED"
    click(panel, panel.update_button)
    assert "2 × QUEUED → FAILED" in panel.plan_html.value
    click(panel, panel.confirm_button)

    results = panel.results.set_index("thing_name")
    assert results.loc["b", "outcome"] == "updated"
    conflict = results.loc["a"]
    assert conflict["outcome"] == "conflict"
    assert conflict["error_code"] == "InvalidStateTransitionException"
    assert (conflict["status_before"], conflict["status"]) == ("QUEUED", "IN_PROGRESS")
    assert conflict["version_number"] == 2
    assert conflict["status_details"] == {"by": "device"}
    assert "you saw QUEUED v1, it is now IN_PROGRESS v2; not overwritten" in conflict["message"]
    assert state(data, "a", "fw") == ("IN_PROGRESS", 2, {"by": "device"})
    assert state(data, "b", "fw")[0] == "FAILED"
    assert "1 conflict" in panel.message.value
    assert "conflict" in panel.results_html.value
    assert "not overwritten" in panel.results_html.value
    # The table now shows the current state, so a new review would expect version 2.
    assert panel.shown[["thing_name", "version_number"]].values.tolist() == [["a", 2]]


def test_run_plan_tells_a_conflict_from_a_refusal_of_a_terminal_execution(service, iot, data):
    make_things(iot, ["a", "b"])
    make_job(iot, "fw", ["a", "b"])
    data.update_job_execution(thingName="b", jobId="fw", status="SUCCEEDED")  # b: v2, terminal
    client = fast_client(service)
    seen = client.describe([("a", "fw"), ("b", "fw")], progress=False)
    keys = ["thing_name", "job_id", "execution_number", "status", "version_number"]
    plan = Plan("update", seen[keys].assign(status_after="FAILED"), "FAILED", None, None)
    data.update_job_execution(thingName="a", jobId="fw", status="IN_PROGRESS")  # a: v1 -> v2

    results = run_plan(client, plan).set_index("thing_name")

    assert results.loc["a", "outcome"] == "conflict"
    assert (results.loc["a", "status"], results.loc["a", "version_number"]) == ("IN_PROGRESS", 2)
    assert "you saw QUEUED v1, it is now IN_PROGRESS v2" in results.loc["a", "message"]
    failed = results.loc["b"]
    assert (failed["outcome"], failed["error_code"]) == (
        "failed",
        "InvalidStateTransitionException",
    )
    assert failed["status_before"] == "SUCCEEDED"
    assert "terminal" in failed["message"]  # the service's own reason, shown as it is
    assert state(data, "a", "fw")[:2] == ("IN_PROGRESS", 2)
    assert state(data, "b", "fw")[:2] == ("SUCCEEDED", 2)


def test_bulk_update_shows_transitions_needs_confirmation_and_reports_failures(
    service, iot, data, panels
):
    names = make_things(iot, [f"dev-{i:02d}" for i in range(8)], group="fleet")
    make_job(iot, "fw", names[:7])
    make_job(iot, "hotfix", names[7:])
    for name in names[:2]:
        data.start_next_pending_job_execution(thingName=name)
    panel = open_panel(panels, fast_client(service, workers=4), group="fleet")

    assert list(panel.job.options) == ["(all jobs)", "fw", "hotfix"]
    panel.status.value = "SUCCEEDED"
    panel.details.add_row("result", "ok")
    click(panel, panel.update_button)
    plan = panel.plan
    assert plan is not None
    assert plan.summary.startswith("Update 8 executions on 8 things of jobs fw (7), hotfix (1): ")
    assert dict(plan.transitions) == {"QUEUED → SUCCEEDED": 6, "IN_PROGRESS → SUCCEEDED": 2}
    assert "6 × QUEUED → SUCCEEDED, 2 × IN_PROGRESS → SUCCEEDED" in panel.plan_html.value
    # The review lists every execution it will update, with what is sent.
    assert panel.plan_html.value.count("result=ok") == 8
    for name in names:
        assert f"<td>{name}</td>" in panel.plan_html.value

    click(panel, panel.cancel_button)
    assert panel.plan is None
    assert panel.confirm_button.disabled
    assert "nothing was sent" in panel.message.value
    assert [state(data, n, "fw")[0] for n in names[:3]] == ["IN_PROGRESS"] * 2 + ["QUEUED"]

    click(panel, panel.update_button)
    # The hotfix job is deleted while the operator reviews: its execution is gone.
    iot.delete_job(jobId="hotfix", force=True)
    click(panel, panel.confirm_button)

    results = panel.results.set_index("thing_name")
    assert (results["outcome"] == "updated").sum() == 7
    failed = results.loc[names[7]]
    assert (failed["outcome"], failed["error_code"]) == ("failed", "ResourceNotFoundException")
    assert failed["status_before"] == "QUEUED"
    for name in names[:7]:
        assert state(data, name, "fw") == (
            "SUCCEEDED",
            3 if name in names[:2] else 2,
            {"result": "ok"},
        )
    assert "1 failed" in panel.message.value
    assert "ResourceNotFoundException" in panel.results_html.value
    assert panel.progress.value == panel.progress.max == 8
    assert "nothing pending" in panel.table.value


def test_bulk_start_next_with_service_faults_reports_each_thing(service, iot, data, panels):
    names = make_things(iot, [f"dev-{i:02d}" for i in range(24)])
    make_job(iot, "fw", names)
    client = fast_client(service, retry=jobsnb.RetryPolicy(max_attempts=1))
    panel = open_panel(panels, client, names)
    click(panel, panel.start_button)
    assert dict(panel.plan.transitions) == {"QUEUED → IN_PROGRESS": 24}

    service.faults = FaultInjector(0.5, seed=11)
    panel.confirm_button.click()
    panel.wait(timeout=30)
    service.faults = FaultInjector(0.0)

    results = panel.results.set_index("thing_name")
    assert sorted(results.index) == names
    counts = results["outcome"].value_counts().to_dict()
    assert set(counts) == {"started", "failed"}, counts
    for name, row in results.iterrows():
        if row["outcome"] == "started":
            assert state(data, name, "fw")[:2] == ("IN_PROGRESS", 2)
        else:
            assert row["error_code"] == "ServiceUnavailableException"
            assert state(data, name, "fw")[:2] == ("QUEUED", 1)
    assert f"{counts['failed']} failed" in panel.message.value


def test_a_terminal_execution_offers_no_status_and_says_why(service, iot, panels):
    make_things(iot, ["a"])
    make_job(iot, "fw", ["a"])
    panel = open_panel(panels, fast_client(service), ["a"])
    shown = panel.shown.copy()
    shown["status"] = shown["status"].cat.set_categories(shown["status"].cat.categories)
    shown.loc[0, "status"] = "CANCELED"
    panel.shown = shown
    panel.job.value = "fw"

    assert list(panel.status.options) == []
    assert panel.update_button.disabled
    assert "terminal" in panel.action_note.value
    with pytest.raises(jobsnb.InvalidParameterError, match="terminal"):
        panel.review_update()  # called from code it raises; from the button it would say so


# --- safety ----------------------------------------------------------------------------------


def test_a_changed_selection_or_table_drops_the_plan(service, iot, data, panels):
    make_things(iot, ["a", "b"])
    make_job(iot, "fw", ["a", "b"])
    panel = open_panel(panels, fast_client(service), ["a", "b"])
    click(panel, panel.update_button)
    assert panel.plan is not None
    panel.picker.select(["a"])
    panel.wait(timeout=30)
    assert panel.plan is None
    assert panel.confirm_button.disabled
    assert "review the action again" in panel.message.value

    click(panel, panel.update_button)
    data.start_next_pending_job_execution(thingName="a")
    click(panel, panel.refresh_button)
    assert panel.plan is None
    assert "table changed since the review" in panel.message.value
    assert state(data, "a", "fw")[0] == "IN_PROGRESS"


def test_errors_appear_in_the_panel_never_as_a_traceback(service, iot, panels, caplog, capfd):
    make_things(iot, ["a"])
    make_job(iot, "fw", ["a"])
    client = fast_client(service)
    panel = open_panel(panels, client, ["a"])

    panel.picker.select(())
    panel.wait(timeout=30)
    assert panel.start_button.disabled
    assert "Select things in the grid above" in panel.action_note.value
    panel.start_button.click()  # from code, even disabled: it says why, it never raises
    assert "select at least one thing" in panel.message.value
    assert panel.plan is None

    panel.picker.select(["a"])
    panel.wait(timeout=30)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the network is down")

    client.pending = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="jobsnb.widgets"):
        click(panel, panel.refresh_button)
    assert "RuntimeError: the network is down" in panel.message.value
    assert "the network is down" in caplog.text
    assert "Traceback" not in capfd.readouterr().err, "a traceback would land in the cell"

    panel.confirm()
    assert "Nothing to confirm" in panel.message.value


def test_failed_reads_show_in_the_table_with_their_error_code(service, iot, panels):
    make_things(iot, ["a", "b"])
    make_job(iot, "fw", ["a", "b"])
    client = fast_client(service, retry=jobsnb.RetryPolicy(max_attempts=1))
    service.faults = FaultInjector(1.0)
    panel = open_panel(panels, client, ["a", "b"])
    service.faults = FaultInjector(0.0)
    assert "ServiceUnavailableException" in panel.table.value
    assert "2 calls failed" in panel.table_note.value


def test_actions_run_in_the_background_and_can_be_stopped(service, iot, data, panels):
    names = make_things(iot, [f"dev-{i:02d}" for i in range(6)])
    make_job(iot, "fw", names)
    client = fast_client(service, workers=1)
    panel = open_panel(panels, client, names)
    click(panel, panel.start_button)

    service.app.latency = 0.25  # each call takes a while: the action is under way for seconds
    future = panel.confirm()
    assert future is not None
    # The cell is free while the calls run: the panel shows it is busy, and how far it is.
    assert panel.busy
    assert panel.start_button.disabled
    assert panel.update_button.disabled
    assert not panel.stop_button.disabled
    assert "Running: Start next on 6 things" in panel.message.value
    until(lambda: panel.progress.value >= 1, "the first call to be counted")
    assert panel.progress_label.value.endswith("/ 6 calls")
    panel.stop_button.click()
    assert "Stopping" in panel.message.value
    # Then the table is read again, slowly: the note counts the calls as they come back.
    until(lambda: "/ 6 calls" in panel.table_note.value, "the refresh's progress")
    assert "refreshing…" in panel.table_note.value
    panel.wait(timeout=30)
    service.app.latency = 0.0

    outcomes = panel.results.set_index("thing_name")["outcome"]
    assert sorted(outcomes.index) == names, "every thing has its row: nothing is lost"
    done = int((outcomes == "started").sum())
    assert 1 <= done < 6, outcomes.to_dict()
    assert set(outcomes) == {"started", "not run"}
    for name, outcome in outcomes.items():
        assert state(data, name, "fw")[0] == ("IN_PROGRESS" if outcome == "started" else "QUEUED")
    not_run = panel.results[panel.results["outcome"] == "not run"]
    assert set(not_run["message"]) == {"stopped before this call"}
    assert f"Stopped: {done} of 6 done, {6 - done} not run." in panel.message.value
    assert not panel.busy
    assert panel.stop_button.disabled
    assert panel.progress.max == 6


def until(condition: Any, what: str, seconds: float = 30.0) -> None:
    """Wait for ``condition()`` to hold (a concrete state, polled), or fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def auto_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "jobsnb-panel-auto" and t.is_alive()]


def test_auto_refresh_rereads_by_itself_until_stopped(service, iot, panels):
    make_things(iot, ["a"])
    panel = open_panel(panels, fast_client(service), ["a"])
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "fw-auto" not in panel.table.value

    panel.start(every=0.05)
    assert panel.auto_refresh.value
    assert "0.05 s" in panel.auto_refresh.description
    make_job(iot, "fw-auto", ["a"], document="{}")
    until(lambda: "fw-auto" in panel.table.value, "the table to show the new job by itself")

    panel.stop()
    assert not panel.auto_refresh.value
    until(lambda: not auto_threads(), "the refresh thread to end")
    panel.wait(timeout=30)

    panel.auto_refresh.value = True  # the toggle, as a person clicks it
    until(auto_threads, "the toggle to start refreshing")
    make_job(iot, "cfg-auto", ["a"], document="{}")
    until(lambda: "cfg-auto" in panel.table.value, "the toggle's refresh to show the job")
    panel.auto_refresh.value = False
    until(lambda: not auto_threads(), "the toggle to stop refreshing")


def test_real_live_charts_update_in_place_after_an_action_and_on_refresh(
    service, iot, data, panels
):
    import jobsnb.charts as charts

    names = make_things(iot, ["a", "b", "c"])
    make_job(iot, "fw", names)
    client = fast_client(service)
    status = charts.live(charts.status_distribution, client, names)
    panel = open_panel(panels, client, names, charts=[status, charts.queue_age])
    queue = panel.charts[1]
    figures = [status.widget, queue.widget]
    assert list(panel.charts_box.children) == figures
    assert [(t.name, t.x) for t in status.figure.data] == [("QUEUED", (3,))]

    panel.picker.select(["a"])
    panel.wait(timeout=30)
    click(panel, panel.start_button)
    click(panel, panel.confirm_button)
    assert [(t.name, t.x) for t in status.figure.data] == [("QUEUED", (2,)), ("IN_PROGRESS", (1,))]
    assert [t.name for t in queue.figure.data if len(t.x)] == [
        "QUEUED",
        "oldest waiting",
        "IN_PROGRESS",
    ]

    # Someone else finishes it: the refresh button brings table and charts up to date.
    data.update_job_execution(thingName="a", jobId="fw", status="SUCCEEDED")
    click(panel, panel.refresh_button)
    assert [(t.name, t.x) for t in status.figure.data] == [("QUEUED", (2,))]
    assert [panel.charts_box.children[0], panel.charts_box.children[1]] == figures
    assert "nothing pending" in panel.table.value
