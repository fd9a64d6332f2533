"""What a simulated device does with one execution: its seeded outcome and its timeline.

:func:`decide` draws, from a generator seeded by (seed, thing, job, executionNumber, resumes),
whether the device succeeds, fails, rejects the job or goes silent, and when it reports progress
and finishes; the hardware model sets the rates and the speed, the job's operation (read from
the job document) the typical duration and the step names, and flaky devices usually fail a
first attempt. :func:`progress_details` and :func:`final_details` are the statusDetails it
reports on the way.
"""

from __future__ import annotations

import functools
import json
import math
import random
from dataclasses import dataclass
from typing import Any

from jobsnb.simulation.config import FleetConfig, HardwareModel
from jobsnb.simulation.plan import Device

__all__ = ["Run", "decide", "final_details", "progress_details", "step_minutes"]

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
    operation, version = _what_to_do(execution.get("jobDocument") or "{}")
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
        back_at = now + duration + step_minutes(duration) * 60 + away
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
        version,
        rng.choice(reasons),
        rng.randint(55, 95),
    )


@functools.lru_cache(maxsize=1024)
def _what_to_do(document_text: str) -> tuple[str, str | None]:
    """A job document's ``operation`` and, for a firmware update, its ``version``.

    Cached: the fleet's devices receive the same few documents thousands of times.
    """
    try:
        document = json.loads(document_text)
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    operation = str(document.get("operation", "custom"))
    version = document.get("version") if operation == "firmware_update" else None
    return operation, None if version is None else str(version)


def progress_details(run: Run, firmware: str) -> dict[str, str]:
    """The statusDetails of the progress report, halfway through."""
    step = _STEPS.get(run.operation, ("working", "working"))[1]
    return {"step": step, "progress": "50%", "firmware_version": firmware}


def final_details(run: Run, firmware: str) -> dict[str, str]:
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


def step_minutes(seconds: float) -> int:
    """A step timeout in minutes with room to spare: 1.5 times the expected time, plus one."""
    return min(10080, max(1, math.ceil(seconds * 1.5 / 60) + 1))
