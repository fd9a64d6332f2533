"""What a simulated device does over time: its actions, each one data-plane call.

A :class:`DeviceAgent` carries out what :func:`~jobsnb.simulation.outcomes.decide` drew for each
execution through the data plane
(:class:`~jobsnb.simulation.wire.DeviceDataPlane`), one HTTP call per action: it wakes and calls
StartNextPendingJobExecution, reports progress with UpdateJobExecution (``statusDetails``
``step``, ``progress``, ``firmware_version``, with ``expectedVersion`` and a step timeout), and
reports its outcome, or goes silent and lets the service's timers make it TIMED_OUT; after a job
it asks for the next one, so retries (executionNumber 2) come back to it. Each action says when
the device acts next; the scheduler (:mod:`jobsnb.simulation.scheduler`) keeps the time.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from jobsnb.simulation.config import HardwareModel
from jobsnb.simulation.outcomes import Run, decide, final_details, progress_details, step_minutes
from jobsnb.simulation.plan import Device, FleetPlan
from jobsnb.simulation.wire import Call, DeviceDataPlane, Reply

__all__ = [
    "ABSENT",
    "BUSY",
    "FINISH",
    "IDLE",
    "PROGRESS",
    "WAKE",
    "DeviceAgent",
]

#: A device's states: not enrolled yet, waiting for a notice, working on (or away from) a job.
ABSENT, IDLE, BUSY = range(3)
#: A device's actions: ask for the next job, report progress, report the outcome.
WAKE, PROGRESS, FINISH = range(3)


class DeviceAgent:
    """One simulated device: its state between actions, and each action, one HTTP call.

    Parameters
    ----------
    device, model
        The planned device and its hardware model.
    plan
        The fleet's plan: its seed, its distributions and its jobs' risk.
    data
        The data-plane client the devices share (it counts their calls and refusals).
    has_pending
        Whether a thing has a QUEUED or IN_PROGRESS execution: the answer MQTT's notify-next
        gives a device after a job, so that it asks nothing over HTTP when nothing is next.

    Examples
    --------
    >>> from jobsnb.service import LocalJobsService
    >>> from jobsnb.simulation.operator import FleetOperator
    >>> from jobsnb.simulation.plan import plan_fleet
    >>> plan = plan_fleet(1, seed=1)
    >>> device, model = plan.devices[0], plan.config.models[0]
    >>> with LocalJobsService() as service:
    ...     operator = FleetOperator(service)
    ...     operator.build(plan)  # its thing, in its groups
    ...     operator.launch(plan.jobs[0])  # a firmware update for its model
    ...     data = DeviceDataPlane(service.url)
    ...     agent = DeviceAgent(device, model, plan, data, service.backend.has_pending)
    ...     agent.state = IDLE
    ...     wake_at = agent.notified(now=0.0, queued_at=0.0)
    ...     after = agent.act(WAKE, wake_at)  # StartNext: the update, and when it reports next
    ...     agent.state == BUSY, agent.run.operation, after[0] > wake_at
    (True, 'firmware_update', True)
    """

    def __init__(
        self,
        device: Device,
        model: HardwareModel,
        plan: FleetPlan,
        data: DeviceDataPlane,
        has_pending: Callable[[str], bool],
    ) -> None:
        self.device, self.model, self.firmware = device, model, device.firmware
        self._plan, self._data, self._has_pending = plan, data, has_pending
        self.state = ABSENT
        self.wakes = self.resumes = 0
        self.run: Run | None = None
        # The scheduler's count of queued notices when the device last asked and found nothing
        # pending: older notices are about work it has seen (or that is gone), so they do not
        # wake it again.
        self.looked = 0

    def notified(self, now: float, queued_at: float) -> float:
        """An execution was queued for the idle device: it is busy from now on.

        Parameters
        ----------
        now
            The service clock.
        queued_at
            When the execution was queued.

        Returns
        -------
        float
            When the device calls StartNext: a seeded notification delay after ``queued_at``.
        """
        rng = random.Random(f"{self._plan.seed}/{self.device.name}/wake/{self.wakes}")
        self.wakes += 1
        self.state = BUSY
        delay = self._plan.config.start_delay_seconds * rng.lognormvariate(0.0, 0.6)
        return max(now, queued_at + delay)

    def act(self, action: int, now: float) -> tuple[float, int] | None:
        """Do ``action`` (WAKE, PROGRESS or FINISH), due at ``now``: its call, then its answer.

        Parameters
        ----------
        action
            WAKE, PROGRESS or FINISH.
        now
            The service clock.

        Returns
        -------
        tuple of (float, int) or None
            When the device acts next and how, or None when it is IDLE, waiting for a notice.
        """
        return self.answered(action, now, self._data.exchange([self.call(action, now)])[0])

    def call(self, action: int, now: float) -> Call:
        """The data-plane call ``action`` makes at ``now`` (the scheduler sends it in a batch).

        Parameters
        ----------
        action
            WAKE (StartNext), PROGRESS or FINISH (UpdateJobExecution).
        now
            The service clock.

        Returns
        -------
        Call
            The request, for :meth:`DeviceDataPlane.exchange`.
        """
        name = self.device.name
        if action == WAKE:
            details = {"step": "checking", "progress": "0%", "firmware_version": self.firmware}
            return self._data.start_next_call(name, details)
        run = self.run
        assert run is not None
        if action == PROGRESS:
            details = progress_details(run, self.firmware)
            minutes = step_minutes(run.finish_at - now)
            return self._data.update_call(
                name, run.job_id, "IN_PROGRESS", details, run.version, minutes
            )
        details = final_details(run, self.firmware)
        return self._data.update_call(name, run.job_id, run.outcome, details, run.version)

    def answered(self, action: int, now: float, reply: Reply) -> tuple[float, int] | None:
        """Carry on from the answer to :meth:`call`'s request.

        Parameters
        ----------
        action
            The action whose call was answered.
        now
            The service clock.
        reply
            The service's answer.

        Returns
        -------
        tuple of (float, int) or None
            When the device acts next and how, or None when it is IDLE, waiting for a notice.
        """
        if action == WAKE:
            return self._woke(now, reply)
        run = self.run
        assert run is not None
        if reply.error is not None:  # timed out, canceled, throttled...: it asks again
            return now + 5.0, WAKE
        run.version += 1
        if action == PROGRESS:
            return (run.back_at, WAKE) if run.outcome == "SILENT" else (run.finish_at, FINISH)
        if run.outcome == "SUCCEEDED":
            self.firmware = run.new_firmware or self.firmware
        if self._has_pending(self.device.name):
            return run.back_at, WAKE
        self.state, self.run = IDLE, None
        return None

    def _woke(self, now: float, reply: Reply) -> tuple[float, int] | None:
        if reply.error is not None:  # throttled, a fault...: the device tries again in a minute
            return now + 60.0, WAKE
        execution = reply.body.get("execution")
        if execution is None:
            self.state, self.run = IDLE, None
            return None
        previous = self.run
        key = (str(execution["jobId"]), int(execution["executionNumber"]))
        resumed = previous is not None and (previous.job_id, previous.execution_number) == key
        self.resumes = self.resumes + 1 if resumed else 0
        planned = self._plan.job(key[0])
        run = self.run = decide(
            self.device,
            self.model,
            self._plan.config,
            execution,
            now,
            seed=self._plan.seed,
            resumes=self.resumes,
            risk=planned.risk if planned else 1.0,
        )
        if run.outcome == "SILENT" and run.progress_at is None:
            return run.back_at, WAKE
        if run.progress_at is None:
            return run.finish_at, FINISH
        return run.progress_at, PROGRESS
