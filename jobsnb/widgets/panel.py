"""The control panel: pick things, see their pending executions, start and update them safely.

Every network call runs on one background thread, so the notebook stays responsive while an
action runs; :meth:`ControlPanel.wait` blocks until the queued work is done (tests use it).
Every callback is guarded: a bad value is shown as a validation message, anything unexpected
as an error in the panel (and logged to ``jobsnb.widgets``), never as a traceback in the cell.

Every write goes through the same two steps, one execution or thousands: a review (every call:
thing → job, status now → after, the statusDetails sent; the selected things not called and
why) and a Confirm button. One flow is one code path to trust, and a single misplaced click
never changes a device's job. The statusDetails typed for an action are sent by that action
only: the editor is cleared once it has run.

The panel keeps its size: the thing grid, the tables, the review and the results scroll
inside bounded boxes, whatever the selection.
"""

from __future__ import annotations

import html
import logging
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any

import ipywidgets as w
import pandas as pd

from jobsnb.charts.live import live_charts
from jobsnb.client import FleetClient
from jobsnb.exceptions import InvalidParameterError, JobsnbWarning
from jobsnb.widgets.actions import run_plan
from jobsnb.widgets.background import AutoRefresh, ProgressRow, WorkQueue
from jobsnb.widgets.details_editor import DetailsEditor
from jobsnb.widgets.offers import ALL_JOBS, offered_actions, offered_update
from jobsnb.widgets.plans import Plan, plan_start_next, plan_update, still_as_shown
from jobsnb.widgets.selection import FleetLists, ThingPicker, opening
from jobsnb.widgets.table import (
    empty_shown,
    message_html,
    outcome_message,
    pending_html,
    plan_html,
    results_html,
    table_note,
)

__all__ = ["ControlPanel"]

logger = logging.getLogger("jobsnb.widgets")
# A library's logger: without this, Python's last-resort handler would print the tracebacks of
# unexpected errors (logged below) into the cell's output, which the panel is there to avoid.
logger.addHandler(logging.NullHandler())


class ControlPanel:
    """Start and update job executions on many things from a notebook; see :func:`control_panel`.

    The parts are attributes, so that code (and tests) can drive them like a user: ``picker``
    (:class:`~jobsnb.widgets.selection.ThingPicker`), ``refresh_button``, ``table`` (HTML),
    ``details`` (:class:`~jobsnb.widgets.details_editor.DetailsEditor`), ``job`` (dropdown:
    the job both actions act on), ``start_button``, ``status`` (dropdown), ``update_button``,
    ``plan_html``, ``confirm_button``, ``cancel_button``, ``stop_button``, ``progress``,
    ``message``, ``results_html``; the state is in :attr:`shown` (the frame the table shows),
    :attr:`plan` (awaiting confirmation) and :attr:`results` (of the last action).
    """

    def __init__(
        self,
        client: FleetClient,
        *,
        things: Iterable[str] | None = None,
        group: str | None = None,
        frame: pd.DataFrame | None = None,
        charts: Sequence[Any] = (),
        every: float | None = None,
    ) -> None:
        if not isinstance(client, FleetClient):
            raise InvalidParameterError("client", "must be a FleetClient: jobsnb.connect()", client)
        start = opening(things, group, frame)
        self.client = client
        self.shown: pd.DataFrame = empty_shown()
        self.plan: Plan | None = None
        self.results: pd.DataFrame = pd.DataFrame()
        self._work = WorkQueue(guard=self._guard)
        self._auto = AutoRefresh(lambda: self._guard(self.refresh))
        self._refresh_queued = threading.Event()
        self._stop = threading.Event()
        self._lists = FleetLists(client, start.things)
        # The job the person chose (or a frame named): offered whenever the selection has it.
        self._wanted_job = start.job
        self._running = False
        self._offering = False
        self._build()
        try:
            self._lists.fill(self.picker, group)
        except InvalidParameterError:
            self._work.close()
            raise
        except Exception as error:  # the lists are a convenience: show the panel anyway
            self._unexpected("listing things", error)
        self.picker.select(self.picker.candidates if group is not None else start.selected)
        self.charts = live_charts(charts, self.client, self.picker.candidates)
        self.charts_box.children = [getattr(c, "widget", c.figure) for c in self.charts]
        # Only now: the observers would otherwise refresh on every step of the set-up.
        self.picker.on_change(lambda _: self._changed("selection", refresh=True))
        self.picker.group.observe(lambda change: self._group_changed(change["new"]), "value")
        self.refresh()
        if every is not None:
            self.start(every)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.picker = ThingPicker()
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.auto_refresh = self._auto.button
        self.table_note = w.HTML()
        self.table = w.HTML("<i>loading…</i>")
        self.details = DetailsEditor()
        self.job = w.Dropdown(description="Job", options=[ALL_JOBS], value=ALL_JOBS)
        self.start_button = w.Button(
            description="Start next…", button_style="primary", disabled=True
        )
        self.status = w.Dropdown(description="Set status", options=[])
        self.update_button = w.Button(description="Update…", button_style="primary")
        self.action_note = w.HTML()
        self.plan_html = w.HTML()
        self.confirm_button = w.Button(description="Confirm", button_style="danger", disabled=True)
        self.cancel_button = w.Button(description="Cancel", disabled=True)
        self._progress = ProgressRow()
        self.progress, self.progress_label = self._progress.bar, self._progress.label
        self.stop_button = self._progress.stop_button
        self.message = w.HTML()
        self.results_html = w.HTML()
        self.charts_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))

        self.refresh_button.on_click(lambda _: self._guard(self.refresh))
        self.start_button.on_click(lambda _: self._guard(self.review_start_next))
        self.update_button.on_click(lambda _: self._guard(self.review_update))
        self.confirm_button.on_click(lambda _: self._guard(self.confirm))
        self.cancel_button.on_click(lambda _: self._guard(self.cancel))
        self.stop_button.on_click(lambda _: self.stop_action())
        self.job.observe(lambda change: self._job_chosen(change["new"]), "value")
        self.details.on_change(lambda: self._guard(self._changed, "statusDetails"))

        self.widget = w.VBox(
            [
                self.picker.widget,
                w.HBox([self.refresh_button, self.auto_refresh, self.table_note]),
                self.table,
                self.details.widget,
                w.HBox([self.job, self.start_button, self.status, self.update_button]),
                self.action_note,
                self.plan_html,
                w.HBox([self.confirm_button, self.cancel_button]),
                self._progress.widget,
                self.message,
                self.results_html,
                self.charts_box,
            ],
            layout=w.Layout(border="1px solid #ddd", padding="6px", max_width="1100px"),
        )
        self.widget.add_class("jobsnb-panel")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        try:
            return self.widget._repr_mimebundle_(**kwargs)
        except Exception as error:
            # IPython swallows exceptions raised here: say it before re-raising.
            warnings.warn(f"the control panel could not be shown: {error!r}", JobsnbWarning,
                          stacklevel=2)  # fmt: skip
            raise

    # ------------------------------------------------------------------ public actions
    def refresh(self) -> Future[None] | None:
        """Re-read the selected things' pending executions and the linked charts, in the background.

        Returns the refresh's future, or None when a refresh is already waiting to run.
        """
        if self._refresh_queued.is_set():
            return None
        self._refresh_queued.set()
        self.table_note.value = "<i>refreshing…</i>"
        return self._work.submit(self._refresh_now)

    def review_start_next(self) -> Plan:
        """Plan StartNextPendingJobExecution on the selected things (of the chosen job)."""
        plan = plan_start_next(
            self.shown,
            self.picker.selected,
            job=self.job.value,
            status_details=self.details.value,
            step_timeout_minutes=self.details.step_timeout,
        )
        return self._propose(plan)

    def review_update(self) -> Plan:
        """Plan UpdateJobExecution on the selected executions as shown; wait for Confirm."""
        if not self.status.options:
            reason = offered_update(self.shown, self.picker.selected, self.job.value)[2]
            raise InvalidParameterError("status", reason, None)
        plan = plan_update(
            self.shown,
            self.picker.selected,
            status=self.status.value,
            job=self.job.value,
            status_details=self.details.value,
            step_timeout_minutes=self.details.step_timeout,
        )
        return self._propose(plan)

    def confirm(self) -> Future[None] | None:
        """Run the plan under review, in the background; None when there is none."""
        plan = self.plan
        if plan is None:
            self._say("invalid", "Nothing to confirm: review an action first.")
            return None
        self.confirm_button.disabled = self.cancel_button.disabled = True
        self._stop.clear()
        # Before the work is queued, so that no second click gets in meanwhile.
        self._set_running(True, plan.count)
        self._say("info", f"Running: {plan.summary}")
        return self._work.submit(self._run, plan)

    def cancel(self) -> None:
        """Drop the plan under review."""
        self._show_plan(None)
        self._say("info", "Cancelled: nothing was sent.")

    def stop_action(self) -> None:
        """Stop the running action after the calls in flight; the rest come back ``not run``."""
        if self._running:
            self._stop.set()
            self._say("info", "Stopping: the calls in flight finish, no new call starts…")

    def wait(self, timeout: float | None = None) -> None:
        """Block until every queued refresh and action has finished.

        Raises ``TimeoutError`` when work is still running after ``timeout`` seconds (None: wait
        as long as it takes).
        """
        self._work.wait(timeout)

    @property
    def busy(self) -> bool:
        """Whether background work is queued or running."""
        return self._work.busy

    def start(self, every: float) -> None:
        """Refresh the table and the charts every ``every`` seconds until :meth:`stop`."""
        self._auto.start(every)

    def stop(self) -> None:
        """Stop refreshing by itself."""
        self._auto.stop()

    def close(self) -> None:
        """Stop the background work and close the widgets."""
        self.stop()
        self._stop.set()
        self._work.close()
        for chart in self.charts:
            getattr(chart, "stop", lambda: None)()
        self.widget.close_all()

    # ------------------------------------------------------------------ background work
    def _guard(self, work: Callable[..., Any], *args: Any) -> Any:
        """Run ``work``; show what goes wrong in the panel instead of raising."""
        try:
            return work(*args)
        except InvalidParameterError as error:
            self._say("invalid", str(error))
        except Exception as error:
            self._unexpected(getattr(work, "__name__", repr(work)), error)
        return None

    def _unexpected(self, doing: str, error: Exception) -> None:
        logger.error("jobsnb control panel: %s failed", doing, exc_info=error)
        self._say("error", f"{type(error).__name__}: {error}")

    def _refresh_now(self) -> None:
        self._refresh_queued.clear()
        selected = self.picker.selected
        frame = (
            self.client.pending(selected, details=True, progress=self._reading, on_error="ignore")
            if selected
            else empty_shown()
        )
        self.shown = frame
        self.table.value = pending_html(frame, things=selected)
        self.table_note.value = table_note(frame, selected)
        self._offer_jobs()
        if self.plan is not None and not self._running and not still_as_shown(self.plan, frame):
            self._show_plan(None)
            self._say("invalid", "The table changed since the review: review the action again.")
        self._refresh_charts()

    def _reading(self, done: int, total: int) -> None:
        self.table_note.value = f"<i>refreshing… {done:,} / {total:,} calls</i>"

    def _refresh_charts(self) -> None:
        for chart in self.charts:
            try:
                chart.refresh()
            except Exception as error:
                logger.exception("jobsnb control panel: a chart's refresh failed")
                self._say("error", f"A chart could not refresh: {type(error).__name__}: {error}")

    def _run(self, plan: Plan) -> None:
        try:
            self.results = run_plan(
                self.client, plan, progress=self._progress.show, stop=self._stop
            )
        finally:
            self._set_running(False, plan.count)
            self._show_plan(None)
        self.results_html.value = results_html(self.results)
        kind, text = outcome_message(self.results, plan.summary)
        if plan.status_details is not None or plan.step_timeout_minutes is not None:
            self.details.clear()  # sent once: the next action starts with none
            text += " The statusDetails editor is cleared for the next action."
        self._say(kind, text)
        self._refresh_now()

    def _set_running(self, running: bool, total: int) -> None:
        self._running = running
        self.refresh_button.disabled = running
        self._progress.running(running, total)
        self._offer_actions()

    # ------------------------------------------------------------------ reactions
    def _group_changed(self, group: str) -> None:
        self.picker.count.value = f"<i>loading {html.escape(group)}…</i>"

        def load() -> None:
            names = self._lists.things(group)
            if self.picker.group.value != group:
                return  # another group was chosen meanwhile: its own load follows
            self.picker.set_candidates(names, select=names)
            self._say("info", f"{group}: {len(names):,} things, all selected.")

        self._work.submit(load)

    def _changed(self, what: str, *, refresh: bool = False) -> None:
        """The selection, the job or the details changed: a plan under review is void."""
        if self.plan is not None and not self._running:
            self._show_plan(None)
            self._say("info", f"The {what} changed: review the action again.")
        self._offer_actions()
        if refresh:
            self.refresh()

    def _job_chosen(self, job: str) -> None:
        if not self._offering:
            self._wanted_job = job
            self._guard(self._changed, "job")

    def _offer_jobs(self) -> None:
        jobs = sorted(offered_update(self.shown, self.picker.selected, None)[0])
        wanted = self._wanted_job or self.job.value
        options = [ALL_JOBS, *jobs]
        # Not hold_trait_notifications: a selection widget cross-validates its old value against
        # its new options there and raises. New options move the value: the observer ignores it.
        self._offering = True
        try:
            if list(self.job.options) != options:
                self.job.options = options
            self.job.value = wanted if wanted in options else ALL_JOBS
        finally:
            self._offering = False
        self._offer_actions()

    def _offer_actions(self) -> None:
        """Enable what the selection, the job and the details allow; say why not otherwise."""
        offer = offered_actions(self.shown, self.picker.selected, self.job.value)
        previous = self.status.value
        self.status.options = list(offer.statuses)
        if offer.statuses:
            self.status.value = previous if previous in offer.statuses else offer.statuses[0]
        valid = self.details.valid and not self._running
        self.start_button.disabled = not offer.can_start or not valid
        self.update_button.disabled = not offer.statuses or not valid
        self.action_note.value = " ".join(f"<i>{html.escape(n)}</i>" for n in offer.notes)

    # ------------------------------------------------------------------ messages
    def _propose(self, plan: Plan) -> Plan:
        self.results_html.value = ""  # the last action's results are not this one's
        self._show_plan(plan)
        self._say("info", "Review the calls above, then Confirm (or Cancel).")
        return plan

    def _show_plan(self, plan: Plan | None) -> None:
        self.plan = plan
        self.plan_html.value = "" if plan is None else plan_html(plan)
        self.confirm_button.disabled = self.cancel_button.disabled = plan is None

    def _say(self, kind: str, text: str) -> None:
        self.message.value = message_html(kind, text)
