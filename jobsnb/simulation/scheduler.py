"""The simulated fleet: device agents that run jobs through the data plane, on the service clock.

A :class:`Fleet` carries out a :class:`~jobsnb.simulation.plan.FleetPlan` against a running
:class:`~jobsnb.service.LocalJobsService` whose clock is a :class:`~jobsnb.service.ManualClock`:

* the **operator** (control plane, :mod:`jobsnb.simulation.operator`) builds the fleet, then
  launches and cancels jobs, moves devices between groups and enrols new ones at planned times;
* each **device** acts only through the data plane (:mod:`jobsnb.simulation.devices`): when it
  wakes it calls StartNextPendingJobExecution, reports progress with UpdateJobExecution
  (``statusDetails`` ``step``, ``progress``, ``firmware_version``, with ``expectedVersion`` and a
  step timeout), and finishes SUCCEEDED, FAILED or REJECTED, or goes silent and lets the
  service's timers make it TIMED_OUT; after a job it asks for the next one, so retries
  (executionNumber 2) come back to it.

How devices learn of new jobs: AWS pushes ``jobs/notify-next`` over MQTT when a job reaches a
thing. The local service has no MQTT, so the scheduler stands in for it: after a rollout release
or an operator action it reads, without changing anything, which things the service has just
queued executions for, and wakes the idle ones after a seeded notification delay. Every change of
state is an HTTP request to the service.

The scheduler keeps a heap of (simulated time, action) and moves the clock from one due moment to
the next (its own actions and the service's timers and rollout releases), running each action at
its exact time, one at a time, in a fixed order. So a seed gives the same history however the
time is advanced (one call of two hours, or a live run in small steps), and the outcome of every
execution comes from a generator seeded by (seed, thing, job, executionNumber). With the service
in this process the agents are bound by the GIL either way: one thread making calls in order is
as fast as a pool here, and keeps the history independent of thread scheduling.

Examples
--------
>>> from jobsnb.service import LocalJobsService, ManualClock
>>> from jobsnb.simulation.plan import plan_fleet
>>> with LocalJobsService(clock=ManualClock(1_700_000_000)) as service:
...     fleet = Fleet(service, plan_fleet(30, seed=3))
...     fleet.populate()
...     fleet.advance(3 * 3600)
...     fleet.calls["StartNextPendingJobExecution"] > 0
True
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from jobsnb.exceptions import InvalidParameterError
from jobsnb.service.clock import ManualClock
from jobsnb.service.server import LocalJobsService
from jobsnb.simulation.config import HardwareModel
from jobsnb.simulation.devices import (
    DeviceCallError,
    DeviceDataPlane,
    Run,
    decide,
    final_details,
    progress_details,
    step_minutes,
)
from jobsnb.simulation.operator import FleetOperator
from jobsnb.simulation.plan import Device, FleetEvent, FleetPlan

__all__ = ["Fleet"]

_WAKE, _PROGRESS, _FINISH, _EVENT = range(4)
_ABSENT, _IDLE, _BUSY = range(3)


@dataclass(slots=True)
class _Agent:
    device: Device
    model: HardwareModel
    firmware: str
    state: int = _ABSENT
    wakes: int = 0
    resumes: int = 0
    run: Run | None = None


class Fleet:
    """Simulated devices and their operator, driven on the service's manual clock.

    Parameters
    ----------
    service
        A started local service whose clock is a ManualClock.
    plan
        The seeded plan (:func:`~jobsnb.simulation.plan.plan_fleet`).
    workers
        Threads for populating the fleet over the control plane.
    """

    def __init__(
        self,
        service: LocalJobsService,
        plan: FleetPlan,
        *,
        workers: int = 8,
    ) -> None:
        if not isinstance(service.clock, ManualClock):
            raise InvalidParameterError("service", "needs a service with a ManualClock", service)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidParameterError("workers", "must be an integer >= 1", workers)
        self.service = service
        self.clock: ManualClock = service.clock
        self.plan = plan
        self.start = self.clock.now()
        backend = service.backend
        self.operator = FleetOperator(
            service.url, workers=workers, region=backend.region, account_id=backend.account_id
        )
        self.data = DeviceDataPlane(service.url)
        models = {model.name: model for model in plan.config.models}
        self.agents = {d.name: _Agent(d, models[d.model], d.firmware) for d in plan.devices}
        self.calls: dict[str, int] = {}
        self.moved: list[str] = []
        self.errors: list[str] = []
        self.refusals: dict[str, int] = {}
        self._heap: list[tuple[float, int, int, str]] = []
        self._seq = itertools.count()
        self._seen: dict[str, int] = {}
        self._events_left = len(plan.events)
        self._lock = threading.RLock()
        self._live: threading.Thread | None = None
        self._halt = threading.Event()
        for index, event in enumerate(plan.events):
            self._push(self.start + event.at, _EVENT, str(index))

    # ----------------------------------------------------------------- set-up
    def populate(self) -> None:
        """Create the groups and the initial devices over the control plane; run time 0."""
        self.operator.build(self.plan)
        for device in self.plan.initial_devices():
            self.agents[device.name].state = _IDLE
        self.advance(0.0)

    @property
    def enrolled(self) -> list[str]:
        """Names of the devices in the fleet so far (the initial ones, then late enrolments)."""
        return [name for name, agent in self.agents.items() if agent.state != _ABSENT]

    # ----------------------------------------------------------------- time
    def advance(self, seconds: float) -> None:
        """Run ``seconds`` of simulated time: every due action, at its time, in order."""
        if not seconds >= 0:
            raise InvalidParameterError("seconds", "must be >= 0", seconds)
        with self._lock:
            self.advance_to(self.clock.now() + seconds)

    def advance_to(self, until: float) -> None:
        backend = self.service.backend
        with self._lock:
            self._discover(self.clock.now())
            while True:
                due_action = self._heap[0][0] if self._heap else math.inf
                with backend.lock:
                    due_service = backend.next_due()
                due = min(due_action, math.inf if due_service is None else due_service)
                if due > until:
                    break
                now = self._move_clock(due)
                if due_service is not None and due_service <= now:
                    self._discover(now)
                while self._heap and self._heap[0][0] <= now:
                    _, _, kind, key = heapq.heappop(self._heap)
                    self._act(kind, key, now)
            self._move_clock(until)

    def settled(self) -> bool:
        """True when the plan has nothing left to do and no job has pending executions."""
        if self._events_left:
            return False
        backend = self.service.backend
        with backend.lock:
            return not any(job.pending_count or job.unreleased for job in backend.jobs.values())

    def run(self, speed: float, interval: float = 0.1) -> None:
        """Advance in the background by ``speed`` simulated seconds per real second."""
        if not speed > 0 or math.isinf(speed):
            raise InvalidParameterError("speed", "must be a finite number > 0", speed)
        if not interval > 0:
            raise InvalidParameterError("interval", "must be > 0", interval)
        self.pause()
        self._halt.clear()
        self._live = threading.Thread(
            target=self._run_live, args=(speed, interval), name="jobsnb-fleet", daemon=True
        )
        self._live.start()

    def pause(self) -> None:
        """Stop a background run (the clock stays where it got to)."""
        live, self._live = self._live, None
        if live is not None:
            self._halt.set()
            live.join()

    @property
    def running(self) -> bool:
        return self._live is not None and self._live.is_alive()

    def close(self) -> None:
        self.pause()
        self.data.close()
        self.operator.close()

    def _run_live(self, speed: float, interval: float) -> None:
        last = time.monotonic()
        while not self._halt.wait(interval):
            now = time.monotonic()
            try:
                self.advance((now - last) * speed)
            except Exception as error:  # the service went away: stop quietly, keep the reason
                self.errors.append(f"live run stopped: {error!r}")
                return
            last = now

    def _move_clock(self, at: float) -> float:
        if at > self.clock.now():
            self.clock.set(at)
        backend = self.service.backend
        with backend.lock:
            return backend.tick()

    def _push(self, at: float, kind: int, key: str) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, key))

    def _count(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1

    # ----------------------------------------------------------------- notifications
    def _discover(self, now: float) -> None:
        """Wake idle devices the service has just queued executions for (notify-next)."""
        backend = self.service.backend
        woken: list[tuple[float, _Agent]] = []
        with backend.lock:
            for job_id, job in backend.jobs.items():
                order = job.thing_order
                seen = self._seen.get(job_id, 0)
                for name in order[seen:]:
                    agent = self.agents.get(name)
                    latest = job.latest(name)
                    if agent is not None and agent.state == _IDLE and latest is not None:
                        agent.state = _BUSY
                        woken.append((latest.queued_at, agent))
                self._seen[job_id] = len(order)
        for queued_at, agent in woken:
            rng = random.Random(f"{self.plan.seed}/{agent.device.name}/wake/{agent.wakes}")
            agent.wakes += 1
            delay = self.plan.config.start_delay_seconds * rng.lognormvariate(0.0, 0.6)
            self._push(max(now, queued_at + delay), _WAKE, agent.device.name)

    # ----------------------------------------------------------------- actions
    def _act(self, kind: int, key: str, now: float) -> None:
        if kind == _EVENT:
            self._events_left -= 1
            self._operate(self.plan.events[int(key)])
            self._discover(now)
            return
        agent = self.agents[key]
        if kind == _WAKE:
            self._wake(agent, now)
        elif kind == _PROGRESS:
            self._progress(agent, now)
        else:
            self._finish(agent, now)

    def _operate(self, event: FleetEvent) -> None:
        try:
            if event.action == "launch":
                job = self.plan.job(event.subject)
                assert job is not None
                self.operator.launch(job)
            elif event.action == "cancel":
                self.operator.cancel(event.subject)
            elif event.action == "enroll":
                agent = self.agents[event.subject]
                self.operator.enroll(agent.device)
                agent.state = _IDLE
            elif event.action == "regroup":
                continuous = [j for j in self.plan.jobs if j.target_selection == "CONTINUOUS"]
                devices = {name: agent.device for name, agent in self.agents.items()}
                for job in continuous[:1]:
                    self.moved += self.operator.regroup(job.job_id, event.count, devices)
        except ClientError as error:  # e.g. cancelling a job that already completed
            self.errors.append(f"{event.action} {event.subject}: {error}")

    def _wake(self, agent: _Agent, now: float) -> None:
        name = agent.device.name
        details = {"step": "checking", "progress": "0%", "firmware_version": agent.firmware}
        self._count("StartNextPendingJobExecution")
        try:
            execution = self.data.start_next(name, details)
        except DeviceCallError as error:
            self.errors.append(f"{name} StartNext: {error}")
            self._push(now + 60.0, _WAKE, name)
            return
        if execution is None:
            agent.state, agent.run = _IDLE, None
            return
        run = agent.run = self._decide(agent, execution, now)
        if run.outcome == "SILENT" and run.progress_at is None:
            self._push(run.back_at, _WAKE, name)
        elif run.progress_at is None:
            self._push(run.finish_at, _FINISH, name)
        else:
            self._push(run.progress_at, _PROGRESS, name)

    def _decide(self, agent: _Agent, execution: dict[str, Any], now: float) -> Run:
        previous = agent.run
        key = (str(execution["jobId"]), int(execution["executionNumber"]))
        resumed = previous is not None and (previous.job_id, previous.execution_number) == key
        agent.resumes = agent.resumes + 1 if resumed else 0
        planned = self.plan.job(key[0])
        return decide(
            agent.device,
            agent.model,
            self.plan.config,
            execution,
            now,
            seed=self.plan.seed,
            resumes=agent.resumes,
            risk=planned.risk if planned else 1.0,
        )

    def _progress(self, agent: _Agent, now: float) -> None:
        run = agent.run
        assert run is not None
        details = progress_details(run, agent.firmware)
        if self._update(agent, now, "IN_PROGRESS", details, step_minutes(run.finish_at - now)):
            if run.outcome == "SILENT":
                self._push(run.back_at, _WAKE, agent.device.name)
            else:
                self._push(run.finish_at, _FINISH, agent.device.name)

    def _finish(self, agent: _Agent, now: float) -> None:
        run = agent.run
        assert run is not None
        details = final_details(run, agent.firmware)
        if self._update(agent, now, run.outcome, details, None) and run.outcome == "SUCCEEDED":
            agent.firmware = run.new_firmware or agent.firmware

    def _update(
        self,
        agent: _Agent,
        now: float,
        status: str,
        details: dict[str, str],
        step_minutes: int | None,
    ) -> bool:
        """One UpdateJobExecution; if refused (timed out, canceled...) the device moves on."""
        run = agent.run
        assert run is not None
        self._count("UpdateJobExecution")
        try:
            self.data.update(
                agent.device.name, run.job_id, status, details, run.version, step_minutes
            )
        except DeviceCallError as error:
            self.refusals[error.code] = self.refusals.get(error.code, 0) + 1
            self._push(now + 5.0, _WAKE, agent.device.name)
            return False
        run.version += 1
        if status != "IN_PROGRESS":
            if self._has_pending(agent.device.name):
                self._push(run.back_at, _WAKE, agent.device.name)
            else:
                # AWS tells a device on MQTT (notify-next) that nothing is next, so it asks
                # nothing over HTTP; discovery wakes it when new work is queued.
                agent.state, agent.run = _IDLE, None
        return True

    def _has_pending(self, thing_name: str) -> bool:
        """A read-only look at the thing's queue: the stand-in for MQTT notify-next."""
        backend = self.service.backend
        with backend.lock:
            queue = backend.by_thing.get(thing_name)
            return bool(queue is not None and queue.pending)
