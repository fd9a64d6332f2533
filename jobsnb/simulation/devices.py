"""What a simulated device does: its seeded behaviour per execution, and its actions over time.

:func:`decide` draws, from a generator seeded by (seed, thing, job, executionNumber, resumes),
whether the device succeeds, fails, rejects the job or goes silent, and when it reports progress
and finishes; the hardware model sets the rates and the speed, the job's operation (read from
the job document) the typical duration and the step names, and flaky devices usually fail a
first attempt.

A :class:`DeviceAgent` carries that out through the data plane
(:class:`~jobsnb.simulation.wire.DeviceDataPlane`), one HTTP call per action: it wakes and calls
StartNextPendingJobExecution, reports progress with UpdateJobExecution (``statusDetails``
``step``, ``progress``, ``firmware_version``, with ``expectedVersion`` and a step timeout), and
reports its outcome, or goes silent and lets the service's timers make it TIMED_OUT; after a job
it asks for the next one, so retries (executionNumber 2) come back to it. Each action says when
the device acts next; the scheduler (:mod:`jobsnb.simulation.scheduler`) keeps the time.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobsnb.simulation.config import FleetConfig, HardwareModel
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
    "Run",
    "decide",
]

#: A device's states: not enrolled yet, waiting for a notice, working on (or away from) a job.
ABSENT, IDLE, BUSY = range(3)
#: A device's actions: ask for the next job, report progress, report the outcome.
WAKE, PROGRESS, FINISH = range(3)

#: Median minutes a job takes on a device of speed 1, and how much riskier than the model's rate.
_MINUTES = {"firmware_update": 16.0, "reboot": 3.0, "rotate_certificate": 2.0, "apply_config": 1.0}
_REPORTS_PROGRESS = frozenset({"firmware_update"})
_RISK = {"firmware_update": 1.5, "reboot": 0.4, "rotate_certificate": 0.8, "apply_config": 1.0}
_STEPS = {
    "firmware_update": ("downloading", "installing"),
    "reboot": ("shutting-down", "booting"),
    "rotate_certificate": ("generating-csr", "installing-certificate"),
    "apply_config": ("validating", "applying"),
}
_FAILURES = {
    "firmware_update": ("checksum mismatch", "flash write error", "battery too low"),
    "reboot": ("watchdog reset loop",),
    "rotate_certificate": ("CSR rejected by CA", "secure element busy"),
    "apply_config": ("config schema validation failed", "sensor does not support 5 s telemetry"),
}
_REJECTIONS = ("unsupported hardware revision", "deferred by site operator", "not enough storage")


@dataclass(slots=True)
class Run:
    """What a device does with one execution, decided when it starts it (see :func:`decide`).

    Parameters
    ----------
    job_id, execution_number, version
        The execution, and the version the device last saw (for ``expectedVersion``).
    operation
        The job document's ``operation`` (``firmware_update``, ``reboot``, ...; ``custom``).
    outcome
        SUCCEEDED, FAILED, REJECTED, or SILENT (the device goes away and the service's timers
        make the execution TIMED_OUT).
    progress_at, finish_at, back_at
        When it reports progress (None: it does not), reports its outcome, and asks again.
    new_firmware
        The version a successful firmware update installs.
    reason, failed_progress
        The ``reason`` a failure or rejection reports, and how far a failed run got (percent).

    Examples
    --------
    >>> run = Run("reboot-1", 1, 2, "reboot", "SUCCEEDED", None, 180.0, 190.0, None, "", 0)
    >>> run.outcome, run.progress_at  # a reboot reports no progress, it just finishes
    ('SUCCEEDED', None)
    """

    job_id: str
    execution_number: int
    version: int
    operation: str
    outcome: str
    progress_at: float | None
    finish_at: float
    back_at: float
    new_firmware: str | None
    reason: str
    failed_progress: int


def decide(
    device: Device,
    model: HardwareModel,
    config: FleetConfig,
    execution: dict[str, Any],
    now: float,
    *,
    seed: int,
    resumes: int = 0,
    risk: float = 1.0,
) -> Run:
    """What ``device`` does with the ``execution`` StartNext just gave it at ``now``.

    Parameters
    ----------
    device, model
        The device and its hardware model (rates and speed).
    config
        The fleet's distributions (flaky devices, offline time).
    execution
        StartNextPendingJobExecution's ``execution``.
    now
        The service clock when the device started the execution.
    seed
        The fleet's seed: with the thing, job, executionNumber and ``resumes``, it seeds the draw.
    resumes
        How many times in a row the device came back to this same execution (after going
        silent or a refused report); a resumed run neither rejects nor goes silent again.
    risk
        Multiplies the failure rate (a risky job).

    Returns
    -------
    Run
        The outcome and the timeline.

    Examples
    --------
    >>> from jobsnb.simulation.plan import plan_fleet
    >>> plan = plan_fleet(5, seed=1)
    >>> device = plan.devices[0]
    >>> model = {m.name: m for m in plan.config.models}[device.model]
    >>> execution = {"jobId": "reboot-1", "executionNumber": 1, "versionNumber": 2,
    ...              "jobDocument": '{"operation": "reboot"}'}
    >>> run = decide(device, model, plan.config, execution, 0.0, seed=1)
    >>> run == decide(device, model, plan.config, execution, 0.0, seed=1)
    True
    >>> run.operation, run.outcome in ("SUCCEEDED", "FAILED", "REJECTED", "SILENT")
    ('reboot', True)
    """
    job_id, number = str(execution["jobId"]), int(execution["executionNumber"])
    resumed = resumes > 0
    rng = random.Random(f"{seed}/{device.name}/{job_id}/{number}/{resumes}")
    try:
        document = json.loads(execution.get("jobDocument") or "{}")
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    operation = str(document.get("operation", "custom"))
    failure = min(1.0, model.failure_rate * risk * _RISK.get(operation, 1.0))
    if device.flaky and number == 1:
        failure = max(failure, config.flaky_failure_rate)
    rejection = model.rejection_rate if not resumed and number == 1 else 0.0
    silence = model.silence_rate if not resumed else 0.0
    draw = rng.random()
    if draw < rejection:
        outcome = "REJECTED"
    elif draw < rejection + silence:
        outcome = "SILENT"
    elif draw < rejection + silence + failure * (1 - rejection - silence):
        outcome = "FAILED"
    else:
        outcome = "SUCCEEDED"
    duration = _MINUTES.get(operation, 5.0) * 60 * model.speed * rng.lognormvariate(0, 0.35)
    # Only operations that take a while report progress halfway; a reboot just finishes.
    progress_at: float | None = now + duration * 0.5 if operation in _REPORTS_PROGRESS else None
    finish_at = now + duration * (rng.uniform(0.55, 1.0) if outcome == "FAILED" else 1.0)
    if outcome == "REJECTED":
        progress_at, finish_at = None, now + rng.uniform(3.0, 40.0)
    elif outcome == "SILENT" and rng.random() < 0.5:
        progress_at = None
    back_at = finish_at + rng.uniform(2.0, 20.0)
    if outcome == "SILENT":
        # Away long enough that the service's timers notice; it asks for work when back.
        away = config.offline_minutes * 60 * rng.lognormvariate(0, 0.5)
        back_at = now + duration + _step_minutes(duration) * 60 + away
    version = document.get("version") if operation == "firmware_update" else None
    reasons = _REJECTIONS if outcome == "REJECTED" else _FAILURES.get(operation, ("error",))
    return Run(
        job_id,
        number,
        int(execution["versionNumber"]),
        operation,
        outcome,
        progress_at,
        finish_at,
        back_at,
        str(version) if version is not None else None,
        rng.choice(reasons),
        rng.randint(55, 95),
    )


def _progress_details(run: Run, firmware: str) -> dict[str, str]:
    """The statusDetails of the progress report, halfway through."""
    step = _STEPS.get(run.operation, ("working", "working"))[1]
    return {"step": step, "progress": "50%", "firmware_version": firmware}


def _final_details(run: Run, firmware: str) -> dict[str, str]:
    """The statusDetails of the final report (SUCCEEDED, FAILED or REJECTED)."""
    details = {"firmware_version": firmware}
    if run.outcome == "SUCCEEDED":
        details.update(step="done", progress="100%")
        if run.new_firmware is not None:
            details["firmware_version"] = run.new_firmware
    elif run.outcome == "REJECTED":
        details.update(step="validating", progress="0%", reason=run.reason)
    else:
        step = _STEPS.get(run.operation, ("working", "working"))[1]
        details.update(step=step, progress=f"{run.failed_progress}%", reason=run.reason)
    return details


def _step_minutes(seconds: float) -> int:
    """A step timeout in minutes with room to spare: 1.5 times the expected time, plus one."""
    return min(10080, max(1, math.ceil(seconds * 1.5 / 60) + 1))


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
    ...     operator = FleetOperator(service.url)
    ...     operator.build(plan, service.backend)  # its thing, in its groups
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
            details = _progress_details(run, self.firmware)
            minutes = _step_minutes(run.finish_at - now)
            return self._data.update_call(
                name, run.job_id, "IN_PROGRESS", details, run.version, minutes
            )
        details = _final_details(run, self.firmware)
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
