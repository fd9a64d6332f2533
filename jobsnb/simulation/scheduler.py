"""When the simulated fleet acts: a heap of timed actions, run on the service's manual clock.

A :class:`Fleet` carries out a :class:`~jobsnb.simulation.plan.FleetPlan` against a running
:class:`~jobsnb.service.LocalJobsService` whose clock is a :class:`~jobsnb.service.ManualClock`:

* the **operator** (control plane, :mod:`jobsnb.simulation.operator`) builds the fleet, then
  launches and cancels jobs, moves devices between groups and enrols new ones at planned times;
* each **device** (:class:`~jobsnb.simulation.devices.DeviceAgent`) acts only through the data
  plane: StartNext, progress and outcome reports, or silence until the service times it out.

How devices learn of new jobs: as with AWS, from ``jobs/notify-next`` over MQTT. The service
runs its MQTT endpoint and the fleet holds one client subscribed to every thing's notify-next
(:class:`~jobsnb.simulation.notices.NextNotices`, standing in for the devices' own
subscriptions). After a clock move or an operator action, once every notify-next the service
has sent so far has arrived, it wakes the idle devices whose message carries an execution, after
a seeded notification delay from its ``queuedAt``. A busy device is not woken: it asks
``has_pending`` when it finishes. Every change of state of a job is an HTTP request to the
service. Commands, which AWS sends and devices answer over MQTT only, arrive on the devices'
request topics and are answered on their response topics through one more MQTT client
(:class:`~jobsnb.simulation.answers.CommandAnswers`); a command request is read once every one
the service sent has arrived, at the time of the step.

The scheduler keeps a heap of (simulated time, action) and moves the clock from one due step to
the next on an absolute grid of ``config.step_seconds`` (10 s): the devices' actions due within
a step are taken at its end, their calls sent together, pipelined in heap order on one
connection (:class:`~jobsnb.simulation.wire.DeviceDataPlane`), which the service answers one
after the other; operator actions run between them in order, and the service's timers and
rollout releases fire at their own exact times. So a seed gives the same history however the
time is advanced (one call of two hours, or a live run in small steps), and the outcome of every
execution comes from a generator seeded by (seed, thing, job, executionNumber). With the service
in this process, devices and service share one GIL: a batch per step, one thread, keeps the
history independent of thread scheduling and pays the round trip once per step rather than once
per call.

Examples
--------
>>> from jobsnb.service import LocalJobsService, ManualClock
>>> from jobsnb.simulation.plan import plan_fleet
>>> clock = ManualClock(1_700_000_000)
>>> with LocalJobsService(clock=clock, mqtt=True, mqtt_tls_port=None) as service:
...     fleet = Fleet(service, plan_fleet(30, seed=3))
...     fleet.populate()
...     fleet.advance(3 * 3600)
...     fleet.close()
...     fleet.calls["StartNextPendingJobExecution"] > 0
True
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import itertools
import math
import threading
import time
from collections.abc import Iterator

from botocore.exceptions import ClientError

from jobsnb.exceptions import InvalidParameterError
from jobsnb.service import LocalJobsService, ManualClock
from jobsnb.simulation.answers import CommandAnswers
from jobsnb.simulation.devices import ABSENT, IDLE, WAKE, DeviceAgent
from jobsnb.simulation.notices import NextNotices
from jobsnb.simulation.operator import FleetOperator
from jobsnb.simulation.plan import FleetEvent, FleetPlan
from jobsnb.simulation.wire import DeviceDataPlane

__all__ = ["Fleet", "fewer_collections"]

#: An operator action in the heap, beside the devices' WAKE, PROGRESS and FINISH; and the
#: operator's command runs, which queue no job execution (so they wake no device).
_EVENT = 3
_COMMAND = 4
#: The cyclic garbage collector's thresholds while the fleet runs (at least these).
_GC_THRESHOLDS = (50_000, 20, 20)


_gc_users = 0
_gc_before: tuple[int, int, int] = gc.get_threshold()
_gc_lock = threading.Lock()


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run less often while fleets run, then as before.

    A big fleet keeps millions of objects alive (devices, executions, timers), and the
    collector's default thresholds scan them all again and again: 10% of a 100,000-device
    rollout went to it. Garbage that is not in a cycle is freed at once either way. Counted, so
    that fleets advancing in several threads put the thresholds back only when the last ends.
    """
    global _gc_users, _gc_before
    with _gc_lock:
        if _gc_users == 0:
            _gc_before = gc.get_threshold()
            raised = (max(old, new) for old, new in zip(_gc_before, _GC_THRESHOLDS, strict=True))
            gc.set_threshold(*raised)
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_before)


class Fleet:
    """Simulated devices and their operator, driven on the service's manual clock.

    Parameters
    ----------
    service
        A started local service whose clock is a ManualClock, with MQTT
        (``mqtt=True, mqtt_tls_port=None``): its devices learn of jobs from notify-next.
    plan
        The seeded plan (:func:`~jobsnb.simulation.plan.plan_fleet`).

    Attributes
    ----------
    calls
        Data-plane calls the devices made, per operation.
    refusals
        Device calls the service refused, per AWS error code (throttling, faults, conflicts).
    errors, moved
        Operator actions the service refused, and the devices the operator moved to quarantine.
    notices
        The fleet's notify-next subscription (``notices.received``: messages so far).

    Examples
    --------
    >>> from jobsnb.service import LocalJobsService, ManualClock
    >>> from jobsnb.simulation.plan import plan_fleet
    >>> clock = ManualClock(1_700_000_000)
    >>> with LocalJobsService(clock=clock, mqtt=True, mqtt_tls_port=None) as service:
    ...     fleet = Fleet(service, plan_fleet(10, seed=1))
    ...     fleet.populate()
    ...     fleet.advance(240)  # four minutes: the first two jobs are out
    ...     fleet.close()
    ...     len(fleet.enrolled), service.backend.job_ids()
    (10, ['fw-gw200-2-4-0', 'cert-rotation-2024'])
    """

    def __init__(
        self,
        service: LocalJobsService,
        plan: FleetPlan,
    ) -> None:
        if not isinstance(service.clock, ManualClock):
            raise InvalidParameterError("service", "needs a service with a ManualClock", service)
        self.service = service
        self.clock: ManualClock = service.clock
        self.plan = plan
        self.start = self.clock.now()
        backend = service.backend
        self.operator = FleetOperator(service)
        self.data = DeviceDataPlane(service.url)
        self.calls, self.refusals = self.data.calls, self.data.refusals
        models = {model.name: model for model in plan.config.models}
        self.agents = {
            d.name: DeviceAgent(d, models[d.model], plan, self.data, backend.has_pending)
            for d in plan.devices
        }
        self.moved: list[str] = []
        self.errors: list[str] = []
        self._heap: list[tuple[float, int, int, str]] = []
        self._seq = itertools.count()
        self._events_left = len(plan.events)
        self._lock = threading.RLock()
        self._live: threading.Thread | None = None
        self._halt = threading.Event()
        for index, event in enumerate(plan.events):
            self._push(self.start + event.at, _EVENT, str(index))
        for index, run in enumerate(plan.command_runs):
            self._push(self.start + run.at, _COMMAND, str(index))
        self.notices = NextNotices(service)
        self.commands = CommandAnswers(service, plan.seed, plan.config, set(self.agents))
        self._stop_listening = (self.commands.close, self.notices.close)

    # ----------------------------------------------------------------- set-up
    def populate(self) -> None:
        """Load the groups and the initial devices into the service; run time 0.

        The operator bulk-loads the thing groups, the things with their attributes and the
        groups' members (:class:`~jobsnb.simulation.operator.FleetOperator`), then takes its
        actions planned at time 0 over HTTP. A device whose thing already had work queued (a
        service loaded before the fleet) asks for it, as a device does when it boots.
        """
        with fewer_collections():
            self.operator.build(self.plan)
        self.operator.create_commands(self.plan)
        now = self.clock.now()
        for device in self.plan.initial_devices():
            agent = self.agents[device.name]
            agent.state = IDLE
            if self.service.backend.has_pending(device.name):
                self._push(agent.notified(now, now), WAKE, device.name)
        self.advance(0.0)

    @property
    def enrolled(self) -> list[str]:
        """Names of the devices in the fleet so far (the initial ones, then late enrolments)."""
        return [name for name, agent in self.agents.items() if agent.state != ABSENT]

    # ----------------------------------------------------------------- time
    def advance(self, seconds: float) -> None:
        """Run ``seconds`` of simulated time: every due action, at its time, in order.

        Parameters
        ----------
        seconds
            Simulated seconds (>= 0); the clock ends exactly ``seconds`` later.
        """
        if not seconds >= 0:
            raise InvalidParameterError("seconds", "must be >= 0", seconds)
        with self._lock:
            self.advance_to(self.clock.now() + seconds)

    def advance_to(self, until: float) -> None:
        """Run simulated time up to the epoch second ``until`` (the clock ends there).

        Parameters
        ----------
        until
            Epoch seconds on the service clock; earlier than now runs only what is due now.
        """
        backend, grid = self.service.backend, self.plan.config.step_seconds
        with self._lock, fewer_collections():
            self._notify(self.clock.now())
            while True:
                self.commands.catch_up(self.clock.now())
                due_action = self._heap[0][0] if self._heap else math.inf
                due_action = min(due_action, self.commands.next_due())
                due_service = backend.next_due()
                due = min(due_action, math.inf if due_service is None else due_service)
                # Everything due within a step runs at its end, the devices' calls in one batch:
                # the grid is absolute, so the history does not depend on how time is advanced.
                step = math.ceil(due / grid) * grid if due < math.inf else due
                if step > until:
                    break
                now = self._move_clock(step)
                if due_service is not None and due_service <= now:
                    self._notify(now)
                self._run_due(now)
            self._move_clock(until)

    def _run_due(self, now: float) -> None:
        """Run every action due by ``now``: device calls batched, operator actions in between."""
        self.commands.answer_due(now)
        batch: list[tuple[str, int]] = []
        while self._heap and self._heap[0][0] <= now:
            _, _, kind, key = heapq.heappop(self._heap)
            if kind == _EVENT:
                self._call(batch, now)  # the calls due before the operator's action go first
                batch = []
                self._events_left -= 1
                self._operate(self.plan.events[int(key)])
                self._notify(now)
                continue
            if kind == _COMMAND:
                self._start_commands(int(key))
            else:
                batch.append((key, kind))
            if not self._heap or self._heap[0][0] > now:
                self._call(batch, now)  # its answers may make some device act again at once
                batch = []

    def settled(self) -> bool:
        """Whether the plan has nothing left to do and no job has pending executions.

        Returns
        -------
        bool
            True when no operator action is left and no job has executions QUEUED, IN_PROGRESS
            or still held back by its rollout.
        """
        return not self._events_left and not self.service.backend.has_pending_work()

    def run(self, speed: float, interval: float = 0.1) -> None:
        """Advance in the background by ``speed`` simulated seconds per real second.

        Parameters
        ----------
        speed
            Simulated seconds per real second (finite, > 0; 1: real time).
        interval
            Real seconds between two advances of the clock.
        """
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
        """True while a background run (:meth:`run`) advances the clock."""
        return self._live is not None and self._live.is_alive()

    def close(self) -> None:
        """Stop a background run, stop listening to the service and close the boto3 clients."""
        self.pause()
        for stop in self._stop_listening:
            stop()
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
        return self.service.backend.tick()

    def _push(self, at: float, kind: int, key: str) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, key))

    # ----------------------------------------------------------------- notifications
    def _notify(self, now: float) -> None:
        """Wake the idle devices that notify-next told of an execution, once all have arrived."""
        notices = self.notices
        notices.catch_up()
        inbox = notices.inbox
        while inbox:
            notice, name, queued_at = inbox.popleft()
            agent = self.agents.get(name)
            # A busy device is not woken: it asks has_pending when it is done.
            if agent is not None and agent.state == IDLE and notice > agent.looked:
                self._push(agent.notified(now, queued_at), WAKE, name)

    # ----------------------------------------------------------------- actions
    def _call(self, batch: list[tuple[str, int]], now: float) -> None:
        """The devices' calls of ``batch``, pipelined in order, then each device's next action."""
        if not batch:
            return
        # Counted before the calls: a notice sent during them (another client creating a job)
        # may be about work a device did not see, so it must still wake the device.
        seen = self.notices.sent
        agents = [self.agents[key] for key, _ in batch]
        calls = [agent.call(kind, now) for agent, (_, kind) in zip(agents, batch, strict=True)]
        replies = self.data.exchange(calls)
        for agent, (key, kind), reply in zip(agents, batch, replies, strict=True):
            after = agent.answered(kind, now, reply)
            if after is None:
                agent.looked = seen
            else:
                self._push(after[0], after[1], key)

    def _start_commands(self, index: int) -> None:
        run = self.plan.command_runs[index]
        try:
            self.operator.start_commands(run)
        except ClientError as error:  # e.g. the user deprecated or deleted the command
            self.errors.append(f"command {run.command_id}: {error}")

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
                agent.state = IDLE
            elif event.action == "regroup":
                continuous = [j for j in self.plan.jobs if j.target_selection == "CONTINUOUS"]
                devices = {name: agent.device for name, agent in self.agents.items()}
                for job in continuous[:1]:
                    self.moved += self.operator.regroup(job.job_id, event.count, devices)
        except ClientError as error:  # e.g. cancelling a job that already completed
            self.errors.append(f"{event.action} {event.subject}: {error}")
