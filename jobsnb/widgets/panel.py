"""The control panel: pick things, see their pending executions, start and update them safely.

Every network call runs on one background thread, so the notebook stays responsive while an
action runs; :meth:`ControlPanel.wait` blocks until the queued work is done (tests use it).
Every callback is guarded: a bad value is shown as a validation message, anything unexpected
as an error in the panel (and logged to ``jobsnb.widgets``), never as a traceback in the cell.

Every write goes through the same two steps, one execution or thousands: a review (how many
calls, which transitions, with which statusDetails) and a Confirm button. One flow is one code
path to trust, and a single misplaced click never changes a device's job.
"""

from __future__ import annotations

import html
import logging
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from typing import Any

import ipywidgets as w
import pandas as pd

from jobsnb.client import FleetClient
from jobsnb.exceptions import InvalidParameterError, JobsnbWarning
from jobsnb.limits import check_thing_name
from jobsnb.widgets.actions import (
    ALL_JOBS,
    Plan,
    allowed_statuses,
    plan_start_next,
    plan_update,
    run_plan,
    update_targets,
)
from jobsnb.widgets.details_editor import DetailsEditor
from jobsnb.widgets.selection import ANY_GROUP, MAX_LISTED, ThingPicker
from jobsnb.widgets.table import pending_html, results_html

__all__ = ["ControlPanel"]

logger = logging.getLogger("jobsnb.widgets")
# A library's logger: without this, Python's last-resort handler would print the tracebacks of
# unexpected errors (logged below) into the cell's output, which the panel is there to avoid.
logger.addHandler(logging.NullHandler())

_PLAN_KEYS = ("thing_name", "job_id", "status", "version_number")
_COLOURS = {"error": "#b00020", "invalid": "#b35900", "info": "#333"}


class ControlPanel:
    """Start and update job executions on many things from a notebook; see :func:`control_panel`.

    The parts are attributes, so that code (and tests) can drive them like a user: ``picker``
    (:class:`~jobsnb.widgets.selection.ThingPicker`), ``refresh_button``, ``table`` (HTML),
    ``details`` (:class:`~jobsnb.widgets.details_editor.DetailsEditor`), ``start_button``,
    ``job`` and ``status`` (dropdowns), ``update_button``, ``plan_html``, ``confirm_button``,
    ``cancel_button``, ``stop_button``, ``progress``, ``message``, ``results_html``; the state
    is in :attr:`shown` (the frame the table shows), :attr:`plan` (awaiting confirmation) and
    :attr:`results` (of the last action).
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
            raise InvalidParameterError(
                "client", "must be a FleetClient: jobsnb.connect(...)", client
            )
        chosen = {"things": things, "group": group, "frame": frame}
        given = [name for name, value in chosen.items() if value is not None]
        if len(given) > 1:
            raise InvalidParameterError(
                ", ".join(given), "give at most one of things, group and frame", None
            )
        self.client = client
        self.shown: pd.DataFrame = shown_executions_empty()
        self.plan: Plan | None = None
        self.results: pd.DataFrame = pd.DataFrame()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobsnb-panel")
        self._futures: list[Future[None]] = []
        self._futures_lock = threading.Lock()
        self._refresh_queued = threading.Event()
        self._stop = threading.Event()
        self._auto: tuple[threading.Thread, threading.Event] | None = None
        self._own_things: list[str] = []
        self._preset_job: str | None = None
        self._running = False
        self._build()

        selected: list[str] = []
        job: str | None = None
        if frame is not None:
            self._own_things = _frame_things(frame)
            selected = list(self._own_things)
            jobs: list[Any] = (
                list(frame["job_id"].dropna().unique()) if "job_id" in frame.columns else []
            )
            job = str(jobs[0]) if len(jobs) == 1 else None
        elif things is not None:
            self._own_things = _checked_things(things)
            selected = list(self._own_things)
        try:
            self._load_lists(group)
        except InvalidParameterError:
            self._executor.shutdown()
            raise
        except Exception as error:  # the lists are a convenience: show the panel anyway
            self._unexpected("listing things", error)
        if group is not None:
            selected = self.picker.candidates
        self.picker.select(selected)
        if job is not None:
            self._preset_job = job
        self.charts = self._link(charts)
        self.charts_box.children = [chart.figure for chart in self.charts]
        # Only now: the observers would otherwise refresh on every step of the set-up.
        self.picker.on_change(lambda _: self._selection_changed())
        self.picker.group.observe(lambda change: self._group_changed(change["new"]), "value")
        self.refresh()
        self._every = 30.0
        if every is not None:
            self.start(every)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.picker = ThingPicker()
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.auto_refresh = w.ToggleButton(description="Auto-refresh", value=False)
        self.table_note = w.HTML()
        self.table = w.HTML("<i>loading…</i>")
        self.details = DetailsEditor()
        self.start_button = w.Button(description="Start next…", button_style="primary")
        self.job = w.Dropdown(description="Job", options=[ALL_JOBS], value=ALL_JOBS)
        self.status = w.Dropdown(description="Set status", options=[])
        self.update_button = w.Button(description="Update…", button_style="primary")
        self.update_reason = w.HTML()
        self.plan_html = w.HTML()
        self.confirm_button = w.Button(description="Confirm", button_style="danger", disabled=True)
        self.cancel_button = w.Button(description="Cancel", disabled=True)
        self.progress = w.IntProgress(value=0, min=0, max=1, description="Progress")
        self.progress_label = w.HTML()
        self.stop_button = w.Button(description="Stop", disabled=True)
        self.message = w.HTML()
        self.results_html = w.HTML()
        self.charts_box = w.HBox()

        self.refresh_button.on_click(lambda _: self._guard(self.refresh))
        self.auto_refresh.observe(lambda c: self._guard(self._toggle_auto, c["new"]), "value")
        self.start_button.on_click(lambda _: self._guard(self.review_start_next))
        self.update_button.on_click(lambda _: self._guard(self.review_update))
        self.confirm_button.on_click(lambda _: self._guard(self.confirm))
        self.cancel_button.on_click(lambda _: self._guard(self.cancel))
        self.stop_button.on_click(lambda _: self.stop_action())
        self.job.observe(lambda _: self._guard(self._offer_statuses), "value")
        self.details.on_change(lambda: self._guard(self._details_changed))

        self.widget = w.VBox(
            [
                self.picker.widget,
                w.HBox([self.refresh_button, self.auto_refresh, self.table_note]),
                self.table,
                self.details.widget,
                w.HBox([self.start_button]),
                w.HBox([self.job, self.status, self.update_button]),
                self.update_reason,
                self.plan_html,
                w.HBox([self.confirm_button, self.cancel_button]),
                w.HBox([self.progress, self.progress_label, self.stop_button]),
                self.message,
                self.results_html,
                self.charts_box,
            ],
            layout=w.Layout(border="1px solid #ddd", padding="6px"),
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
        return self._submit(self._refresh_now)

    def review_start_next(self) -> Plan:
        """Plan StartNextPendingJobExecution on the selected things; wait for Confirm."""
        plan = plan_start_next(
            self.shown,
            self.picker.selected,
            status_details=self.details.value,
            step_timeout_minutes=self.details.step_timeout,
        )
        return self._propose(plan)

    def review_update(self) -> Plan:
        """Plan UpdateJobExecution on the selected executions as shown; wait for Confirm."""
        if not self.status.options:
            raise InvalidParameterError("status", self._no_status_reason(), None)
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
        self._show_plan(None)
        self._stop.clear()
        # Before the work is queued, so that no second click gets in meanwhile.
        self._set_running(True, plan.count)
        return self._submit(self._run, plan)

    def cancel(self) -> None:
        """Drop the plan under review."""
        self._show_plan(None)
        self._say("info", "Cancelled: nothing was sent.")

    def stop_action(self) -> None:
        """Stop the running action after the calls in flight; the rest come back ``not run``."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        """Block until every queued refresh and action has finished.

        Raises ``TimeoutError`` when work is still running after ``timeout`` seconds (None: wait
        as long as it takes).
        """
        while True:
            with self._futures_lock:
                self._futures = [f for f in self._futures if not f.done()]
                pending = list(self._futures)
            if not pending:
                return
            _, not_done = wait_for(pending, timeout)
            if not_done:
                raise TimeoutError(f"the panel is still busy after {timeout} s")

    @property
    def busy(self) -> bool:
        """Whether background work is queued or running."""
        with self._futures_lock:
            return any(not f.done() for f in self._futures)

    def start(self, every: float) -> None:
        """Refresh the table and the charts every ``every`` seconds until :meth:`stop`."""
        if every <= 0:
            raise InvalidParameterError("every", "must be a positive number of seconds", every)
        self.stop()
        self._every = every
        halt = threading.Event()

        def loop() -> None:
            while not halt.wait(every):
                self._guard(self.refresh)

        thread = threading.Thread(target=loop, name="jobsnb-panel-auto", daemon=True)
        self._auto = (thread, halt)
        thread.start()
        if not self.auto_refresh.value:
            self.auto_refresh.value = True
        self.auto_refresh.description = f"Auto-refresh ({every:g} s)"

    def stop(self) -> None:
        """Stop refreshing by itself."""
        if self._auto is not None:
            self._auto[1].set()
            self._auto = None
        if self.auto_refresh.value:
            self.auto_refresh.value = False

    def _toggle_auto(self, on: bool) -> None:
        if on and self._auto is None:
            self.start(self._every)
        elif not on and self._auto is not None:
            self.stop()

    def close(self) -> None:
        """Stop the background work and close the widgets."""
        self.stop()
        self._stop.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        for chart in self.charts:
            stop = getattr(chart, "stop", None)
            if callable(stop):
                stop()
        self.widget.close_all()

    # ------------------------------------------------------------------ background work
    def _submit(self, work: Callable[..., None], *args: Any) -> Future[None]:
        def run() -> None:
            self._guard(work, *args)

        future = self._executor.submit(run)
        with self._futures_lock:
            self._futures.append(future)
        return future

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
            self.client.pending(selected, details=True, progress=False, on_error="ignore")
            if selected
            else shown_executions_empty()
        )
        self.shown = frame
        self.table.value = pending_html(frame, things=selected)
        count = len(frame.jobsnb.errors)
        self.table_note.value = (
            f"{_many(len(frame), 'pending execution')} on {_many(len(selected), 'selected thing')}"
            + (f"; <b>{count} calls failed</b>" if count else "")
        )
        self._offer_jobs()
        if self.plan is not None and not _still_as_shown(self.plan, frame):
            self._show_plan(None)
            self._say("invalid", "The table changed since the review: review the action again.")
        self._refresh_charts()

    def _refresh_charts(self) -> None:
        for chart in self.charts:
            try:
                chart.refresh()
            except Exception as error:
                logger.exception("jobsnb control panel: a chart's refresh failed")
                self._say("error", f"A chart could not refresh: {type(error).__name__}: {error}")

    def _run(self, plan: Plan) -> None:
        try:
            self.results = run_plan(self.client, plan, progress=self._progressed, stop=self._stop)
        finally:
            self._set_running(False, plan.count)
        self.results_html.value = results_html(self.results)
        outcomes = Counter(self.results["outcome"]) if not self.results.empty else Counter()
        words = {"failed": ("failed", "failed"), "conflict": ("conflict", "conflicts")}
        bad = {k: n for k, n in outcomes.items() if k in words}
        if bad:
            self._say(
                "error",
                "Done, with "
                + ", ".join(f"{n} {words[k][n != 1]}" for k, n in bad.items())
                + ": see the results below.",
            )
        else:
            self._say("info", f"Done: {plan.summary}.")
        self._refresh_now()

    def _progressed(self, done: int, total: int) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.progress_label.value = f"{done} / {total} calls"

    def _set_running(self, running: bool, total: int) -> None:
        self._running = running
        for button in (self.start_button, self.update_button, self.refresh_button):
            button.disabled = running
        self.stop_button.disabled = not running
        if running:
            self.progress.bar_style = "info"
            self._progressed(0, total)
        else:
            self.progress.bar_style = "success"
            self.start_button.disabled = not self.details.valid
            self._offer_statuses()

    # ------------------------------------------------------------------ reactions
    def _load_lists(self, group: str | None) -> None:
        groups = sorted(self.client.groups(limit=MAX_LISTED))
        self.picker.group.options = [ANY_GROUP, *groups]
        if group is not None:
            if group not in groups:
                raise InvalidParameterError("group", "must be an existing thing group", group)
            self.picker.group.value = group
            self.picker.set_candidates(
                sorted(self.client.things(group, recursive=True, limit=MAX_LISTED))
            )
        elif not self._own_things:
            self._own_things = sorted(self.client.things(limit=MAX_LISTED))
            self.picker.set_candidates(self._own_things)
        else:
            self.picker.set_candidates(self._own_things)

    def _group_changed(self, group: str) -> None:
        def load() -> None:
            if group == ANY_GROUP:
                names = self._own_things or sorted(self.client.things(limit=MAX_LISTED))
            else:
                names = sorted(self.client.things(group, recursive=True, limit=MAX_LISTED))
            self.picker.set_candidates(names, select=names)

        self._submit(load)

    def _selection_changed(self) -> None:
        if self.plan is not None:
            self._show_plan(None)
            self._say("info", "The selection changed: review the action again.")
        self.refresh()

    def _details_changed(self) -> None:
        error = self.details.error
        self.start_button.disabled = error is not None or self._running
        self._offer_statuses()
        if error is not None and self.plan is not None:
            self._show_plan(None)

    def _offer_jobs(self) -> None:
        rows = update_targets(self.shown, self.picker.selected, None)
        jobs = sorted(set(rows["job_id"].dropna()))
        wanted = self._preset_job if self._preset_job in jobs else self.job.value
        self.job.options = [ALL_JOBS, *jobs]
        self.job.value = wanted if wanted in self.job.options else ALL_JOBS
        self._offer_statuses()

    def _offer_statuses(self) -> None:
        rows = update_targets(self.shown, self.picker.selected, self.job.value)
        allowed = allowed_statuses(rows["status"].astype(str)) if not rows.empty else ()
        previous = self.status.value
        self.status.options = list(allowed)
        if allowed:
            self.status.value = previous if previous in allowed else allowed[0]
        reason = "" if allowed else self._no_status_reason()
        self.update_button.disabled = not allowed or not self.details.valid or self._running
        self.update_reason.value = f"<i>{html.escape(reason)}</i>" if reason else ""

    def _no_status_reason(self) -> str:
        rows = update_targets(self.shown, self.picker.selected, self.job.value)
        if rows.empty:
            return "Update: nothing pending for the selection (select things, or refresh)."
        return "Update: every targeted execution is terminal; a device can set nothing."

    # ------------------------------------------------------------------ messages
    def _propose(self, plan: Plan) -> Plan:
        self._show_plan(plan)
        self._say("info", "Review the action, then Confirm (or Cancel).")
        return plan

    def _show_plan(self, plan: Plan | None) -> None:
        self.plan = plan
        if plan is None:
            self.plan_html.value = ""
        else:
            lines = "".join(
                f"<li>{n} &times; {html.escape(move)}</li>" for move, n in plan.transitions.items()
            )
            self.plan_html.value = (
                f"<div class='jobsnb-plan'><b>{html.escape(plan.summary)}</b><ul>{lines}</ul></div>"
            )
        self.confirm_button.disabled = plan is None
        self.cancel_button.disabled = plan is None

    def _say(self, kind: str, text: str) -> None:
        colour = _COLOURS.get(kind, "#333")
        self.message.value = (
            f"<div class='jobsnb-message jobsnb-{kind}' style='color:{colour}'>"
            f"{html.escape(text)}</div>"
        )

    def _link(self, charts: Sequence[Any]) -> list[Any]:
        linked = []
        for index, chart in enumerate(charts):
            if hasattr(chart, "refresh") and hasattr(chart, "figure"):
                linked.append(chart)
            elif callable(chart):
                from jobsnb import charts as charts_module  # the charts' heavy imports, late

                things = self.picker.candidates
                linked.append(charts_module.live(chart, self.client, things))
            else:
                raise InvalidParameterError(
                    f"charts[{index}]",
                    "must be a live chart (jobsnb.charts.live(...)) or a chart function",
                    chart,
                )
        return linked


def shown_executions_empty() -> pd.DataFrame:
    """The frame the table shows before anything was read: pending columns, no rows."""
    from jobsnb.frames import pending_frame

    frame = pending_frame([], pd.Timestamp.now(tz="UTC"))
    frame = frame.assign(status_details=pd.Series([], dtype=object))
    frame.attrs["errors"] = ()
    return frame


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _checked_things(things: Iterable[str]) -> list[str]:
    names = [things] if isinstance(things, str) else list(things)
    for index, name in enumerate(names):
        check_thing_name(name, f"things[{index}]")
    return list(dict.fromkeys(names))


def _frame_things(frame: pd.DataFrame) -> list[str]:
    if not isinstance(frame, pd.DataFrame) or "thing_name" not in frame.columns:
        raise InvalidParameterError("frame", "must be a DataFrame with a thing_name column", frame)
    return _checked_things(frame["thing_name"].dropna().astype(str))


def _still_as_shown(plan: Plan, shown: pd.DataFrame) -> bool:
    """Whether every execution of ``plan`` still has the status and version it was planned on."""
    if plan.executions.empty:
        return True

    def states(frame: pd.DataFrame) -> set[tuple[str, ...]]:
        columns = [frame[c].astype(object).to_numpy() for c in _PLAN_KEYS]
        return {tuple(str(v) for v in row) for row in zip(*columns, strict=True)}

    return states(plan.executions) <= states(shown)
