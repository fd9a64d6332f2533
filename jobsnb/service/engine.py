"""The execution state machine and everything the service clock drives.

Executions are indexed by job (``Job.executions``) and by thing (``ThingQueue``), so no request
costs more as the fleet grows. Timers, rollout releases and scheduled jobs' next events (start,
window, end) wait in one heap ordered by due time (the commands keep a heap of their own, which
:class:`~jobsnb.service.command_executions.CommandExecutions` merges into ``tick`` and
``next_due``); :meth:`Engine.tick` applies everything that is due, in time order and at the time it
was due, before each operation (the lazy part) and from the server's sweep thread.

Whoever must learn of every change to a thing's pending executions (MQTT's ``jobs/notify`` and
``jobs/notify-next``) registers with :meth:`Engine.on_changes`: it hears of each such thing once
the operation that changed it is done, while the lock is still held, so it sees every state in
the order the service went through them.
"""

from __future__ import annotations

import heapq
import itertools
import operator
import threading
from collections.abc import Iterable

from jobsnb.limits import RETRYABLE_FAILURES, TERMINAL_STATUSES
from jobsnb.service.clock import Clock
from jobsnb.service.executions import Execution
from jobsnb.service.jobs import Job
from jobsnb.service.listeners import Listeners
from jobsnb.service.scheduling import on_schedule_due

__all__ = ["Engine", "ThingQueue"]

_TIMEOUT = 0
_RELEASE = 1
_SCHEDULE = 2
_FAILURES = ("FAILED", "REJECTED", "TIMED_OUT")
_JOB_ID = operator.attrgetter("job_id")


class ThingQueue:
    """One thing's executions: the pending ones (for the "next" order) and its jobs in order.

    ``pending`` holds the QUEUED and IN_PROGRESS executions in queue order, so the stable
    ``min`` and ``sorted`` of the "next" order give a tie to the one queued first. A million
    things hold one queue each, so both are lists made with their first element (no room to
    spare): a dict of one job would cost 184 bytes, a list 64.
    """

    __slots__ = ("_jobs", "pending")

    def __init__(self, first: Execution) -> None:
        self.pending = [first]
        self._jobs = [first.job]

    def add(self, execution: Execution) -> None:
        """Add a newly queued execution; a job with a new id joins the thing's jobs at the end."""
        self.pending.append(execution)
        job, jobs = execution.job, self._jobs
        if job.job_id not in map(_JOB_ID, jobs):
            jobs.append(job)
        elif job not in jobs:
            # A job re-created with a deleted one's id takes its place, as a dict's value would.
            jobs[[known.job_id for known in jobs].index(job.job_id)] = job

    @property
    def jobs(self) -> dict[str, Job]:
        """The thing's jobs by id, in the order each id first queued here (a new dict)."""
        return {job.job_id: job for job in self._jobs}

    def next_pending(self) -> Execution | None:
        """The execution StartNext would take (the first in the "next" order), or None."""
        return min(self.pending, key=Execution.next_order) if self.pending else None

    def ordered_pending(self) -> list[Execution]:
        """The pending executions in the "next" order (:meth:`Execution.next_order`)."""
        return sorted(self.pending, key=Execution.next_order)


class Engine(Listeners):
    """State transitions of executions, and the timers, retries, rollouts and aborts they cause."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        # One lock for the whole state: a request's work is microseconds, and one lock makes
        # racing StartNext/Update calls on one thing simply serial.
        self.lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self.by_thing: dict[str, ThingQueue] = {}
        self._heap: list[tuple[float, int, int, Execution | Job]] = []
        self._seq = itertools.count()
        Listeners.__init__(self)

    # ----------------------------------------------------------------- the clock
    def now(self) -> float:
        """The service clock's time, in epoch seconds."""
        return self.clock.now()

    def tick(self) -> float:
        """Apply every timer, rollout release and schedule event due by now; return now."""
        with self.lock:
            now = self._apply_due()
            self.publish_changes()
            return now

    def _apply_due(self) -> float:
        now = self.clock.now()
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, _, kind, target = heapq.heappop(heap)
            if kind == _TIMEOUT:
                assert isinstance(target, Execution)
                # Entries go stale when a timer is reset; only the current deadline counts.
                if target.deadline() == due:
                    self.finish(target, "TIMED_OUT", due)
            else:
                assert isinstance(target, Job)
                if _current(kind, target) == due:
                    if kind == _RELEASE:
                        self.release(target, due)
                    else:
                        self._run_schedule(target, due)
        return now

    def next_due(self) -> float | None:
        """When the next timer, rollout release or schedule event falls due (stale ones dropped)."""
        with self.lock:
            heap = self._heap
            while heap:
                due, _, kind, target = heap[0]
                if _current(kind, target) == due:
                    return due
                heapq.heappop(heap)
            return None

    def _schedule(self, due: float, kind: int, target: Execution | Job) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), kind, target))

    # ----------------------------------------------------------------- executions
    def queue(self, job: Job, thing_name: str, at: float, retry_attempt: int = 0) -> Execution:
        """Queue a new execution of ``job`` on the thing at ``at`` and return it.

        Its execution number is one more than the thing's latest for the job (1 for the first).
        """
        runs = job.executions.get(thing_name)
        number = runs[-1].execution_number + 1 if runs else 1
        execution = Execution(job, thing_name, number, at, retry_attempt)
        if runs is None:
            # Made with its first element, the list has no spare room: most things run a job once.
            job.executions[thing_name] = [execution]
            job.thing_order.append(thing_name)
        else:
            runs.append(execution)
        job.counts["QUEUED"] += 1
        job.pending_count += 1
        queue = self.by_thing.get(thing_name)
        if queue is None:
            self.by_thing[thing_name] = ThingQueue(execution)
        else:
            queue.add(execution)
        self._touch(thing_name)
        return execution

    def _move(self, execution: Execution, status: str, at: float) -> None:
        counts = execution.job.counts
        counts[execution.status] -= 1
        counts[status] += 1
        execution.status = status
        execution.version += 1
        execution.last_updated_at = at
        self._touch(execution.thing_name)

    def start(self, execution: Execution, at: float) -> None:
        """QUEUED → IN_PROGRESS: startedAt once, and the job's in-progress timer."""
        self._move(execution, "IN_PROGRESS", at)
        if execution.started_at is None:
            execution.started_at = at
        minutes = execution.job.in_progress_minutes
        if minutes is not None and execution.progress_deadline is None:
            execution.progress_deadline = at + minutes * 60
            self._schedule_timeout(execution)

    def set_step_timer(self, execution: Execution, minutes: int | None, at: float) -> None:
        """Replace the step timer; -1 removes it; it never runs past the in-progress deadline."""
        if minutes is None:
            return
        if minutes == -1:
            execution.step_deadline = None
            return
        deadline = at + minutes * 60
        if execution.progress_deadline is not None:
            deadline = min(deadline, execution.progress_deadline)
        execution.step_deadline = deadline
        self._schedule_timeout(execution)

    def _schedule_timeout(self, execution: Execution) -> None:
        deadline = execution.deadline()
        if deadline is not None:
            self._schedule(deadline, _TIMEOUT, execution)

    def finish(self, execution: Execution, status: str, at: float, force: bool = False) -> None:
        """Move a pending execution to terminal ``status`` and apply what follows from it."""
        assert status in TERMINAL_STATUSES
        was_in_progress = execution.status == "IN_PROGRESS"
        self._move(execution, status, at)
        execution.step_deadline = execution.progress_deadline = None
        execution.force_canceled = force and was_in_progress
        job = execution.job
        job.pending_count -= 1
        job.last_updated_at = at
        self.by_thing[execution.thing_name].pending.remove(execution)
        self._event("jobExecution", status.lower(), execution)
        if (
            status in RETRYABLE_FAILURES
            and job.status == "IN_PROGRESS"
            and execution.retry_attempt < job.retries_allowed(status)
        ):
            self.queue(job, execution.thing_name, at, execution.retry_attempt + 1)
        if status == "SUCCEEDED" and job.rollout is not None:
            job.rollout.succeeded_since_increase += 1
        if status in _FAILURES:
            self._check_abort(job, at)
        self.check_completed(job, at)

    def forget(self, execution: Execution) -> None:
        """Remove one execution from every index (DeleteJobExecution, DeleteJob)."""
        job = execution.job
        job.counts[execution.status] -= 1
        runs = job.executions[execution.thing_name]
        runs.remove(execution)
        if not runs:
            del job.executions[execution.thing_name]
        if execution.pending:
            job.pending_count -= 1
            self.by_thing[execution.thing_name].pending.remove(execution)
            self._touch(execution.thing_name)
        execution.step_deadline = execution.progress_deadline = None
        self._event("jobExecution", "deleted", execution)

    # ----------------------------------------------------------------- jobs
    def launch(self, job: Job, things: Iterable[str]) -> None:
        """Queue ``things`` for a new job, all at once or through its rollout."""
        at = job.created_at
        self.jobs[job.job_id] = job
        if job.schedule is not None:
            job.unreleased.extend(things)
            self._run_schedule(job, at)
            return
        if job.rollout is None:
            for name in things:
                self.queue(job, name, at)
        else:
            job.unreleased.extend(things)
            self.release(job, at)
        self.check_completed(job, at)

    def add_target(self, job: Job, thing_name: str, at: float) -> None:
        """A thing joined a CONTINUOUS job's group: give it an execution unless it has one."""
        latest = job.latest(thing_name)
        if (latest is not None and latest.status != "REMOVED") or thing_name in job.unreleased:
            return
        schedule = job.schedule
        if schedule is not None and schedule.stopped:
            return
        if (
            (job.rollout is not None and job.unreleased)
            or job.status == "SCHEDULED"
            or (schedule is not None and not schedule.releasing(at))
        ):
            job.unreleased.append(thing_name)
        else:
            self.queue(job, thing_name, at)

    def remove_target(self, job: Job, thing_name: str, at: float) -> None:
        """A thing left a CONTINUOUS job's groups: its pending execution becomes REMOVED."""
        latest = job.latest(thing_name)
        if latest is not None and latest.pending:
            self.finish(latest, "REMOVED", at)
        elif thing_name in job.unreleased:
            job.unreleased.remove(thing_name)

    def release(self, job: Job, at: float) -> None:
        """Queue the job's next things: a minute's worth of its rollout, or all without one.

        Nothing while the job is not IN_PROGRESS, or its schedule holds the rollout back
        (outside a maintenance window, after endTime).
        """
        rollout = job.rollout
        job.next_release_at = None
        if job.status != "IN_PROGRESS" or (
            job.schedule is not None and not job.schedule.releasing(at)
        ):
            return
        if rollout is None:
            while job.unreleased:
                self.queue(job, job.unreleased.popleft(), at)
            return
        for _ in range(min(rollout.rate, len(job.unreleased))):
            self.queue(job, job.unreleased.popleft(), at)
            rollout.notified_since_increase += 1
        rollout.maybe_increase()
        if job.unreleased:
            job.next_release_at = at + 60.0
            self._schedule(job.next_release_at, _RELEASE, job)

    def cancel(
        self, job: Job, at: float, *, force: bool, reason: str | None, comment: str | None
    ) -> None:
        """CancelJob and aborts: QUEUED executions (IN_PROGRESS too when ``force``) → CANCELED."""
        self._event("job", "cancellation_in_progress", job)
        job.status = "CANCELED"
        job.force_canceled = job.force_canceled or force
        job.reason_code = reason if reason is not None else job.reason_code
        job.comment = comment if comment is not None else job.comment
        job.last_updated_at = at
        job.unreleased.clear()
        job.next_release_at = None
        for name in job.thing_order:
            latest = job.latest(name)
            if latest is None:
                continue
            if latest.status == "QUEUED" or (force and latest.status == "IN_PROGRESS"):
                self.finish(latest, "CANCELED", at, force=force)
        self._event("job", "canceled", job)

    def _check_abort(self, job: Job, at: float) -> None:
        if job.status != "IN_PROGRESS" or not job.abort_criteria:
            return
        counts = job.counts
        executed = sum(counts[status] for status in ("SUCCEEDED", *_FAILURES))
        for criterion in job.abort_criteria:
            if executed < criterion.min_executed:
                continue
            kinds = _FAILURES if criterion.failure_type == "ALL" else (criterion.failure_type,)
            failures = sum(counts[kind] for kind in kinds)
            if failures * 100.0 / executed >= criterion.threshold_percentage:
                self.cancel(
                    job,
                    at,
                    force=False,
                    reason="ABORTED",
                    comment=(
                        f"Aborted: {failures} of {executed} executed things "
                        f"{criterion.failure_type} (threshold "
                        f"{criterion.threshold_percentage}%)"
                    ),
                )
                return

    def check_completed(self, job: Job, at: float) -> None:
        """Complete an IN_PROGRESS SNAPSHOT job at ``at`` once nothing is pending or unreleased."""
        if (
            job.status == "IN_PROGRESS"
            and not job.continuous
            and job.pending_count == 0
            and not job.unreleased
        ):
            job.status = "COMPLETED"
            job.completed_at = at
            job.last_updated_at = at
            self._event("job", "completed", job)

    def _run_schedule(self, job: Job, at: float) -> None:
        assert job.schedule is not None
        due = on_schedule_due(self, job, at)
        job.schedule.next_event_at = due
        if due is not None:
            self._schedule(due, _SCHEDULE, job)


def _current(kind: int, target: Execution | Job) -> float | None:
    """When the heap entry's target is now due: an entry whose time differs is stale."""
    if isinstance(target, Execution):
        return target.deadline()
    if kind == _RELEASE:
        return target.next_release_at
    if target.schedule is None or target.status not in ("SCHEDULED", "IN_PROGRESS"):
        return None  # canceled, completed or deleted: its schedule no longer runs
    return target.schedule.next_event_at
