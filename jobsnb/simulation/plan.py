"""The seeded plan of a simulated fleet: its devices, groups, jobs and operator events.

Everything here is decided up front from one seed, with no service in sight: which hardware
model and region each device has, which jobs an operator creates when (firmware updates, reboots,
certificate rotations, config pushes) with which targets and configs, and when the operator
cancels a job, moves devices out of a group or enrols new ones. :mod:`jobsnb.simulation.scheduler`
carries the plan out against a running service.

Examples
--------
>>> from jobsnb.simulation.plan import plan_fleet
>>> plan = plan_fleet(200, seed=7)
>>> len(plan.initial_devices()), sorted(plan.groups)[:2]
(200, ['model-cam-c1', 'model-gw100'])
>>> plan_fleet(200, seed=7) == plan
True
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

from jobsnb.exceptions import InvalidParameterError
from jobsnb.simulation.config import FleetConfig, HardwareModel

__all__ = [
    "MAX_THINGS",
    "QUARANTINE_GROUP",
    "Device",
    "FleetEvent",
    "FleetPlan",
    "PlannedJob",
    "plan_fleet",
]

MAX_THINGS = 100_000
QUARANTINE_GROUP = "quarantine"
MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class Device:
    """One simulated device: its thing name, attributes and traits."""

    name: str
    model: str
    region: str
    firmware: str
    flaky: bool
    enrolled_after: float = 0.0

    @property
    def attributes(self) -> dict[str, str]:
        return {"model": self.model, "region": self.region, "firmware_version": self.firmware}

    @property
    def groups(self) -> tuple[str, str]:
        return region_group(self.region), model_group(self.model)


@dataclass(frozen=True)
class PlannedJob:
    """A job the operator creates ``launch_after`` seconds into the simulation."""

    job_id: str
    operation: str
    target_groups: tuple[str, ...]
    target_selection: str
    launch_after: float
    document: str
    description: str
    timeout_config: dict[str, Any] | None = None
    retry_config: dict[str, Any] | None = None
    rollout_config: dict[str, Any] | None = None
    abort_config: dict[str, Any] | None = None
    risk: float = 1.0
    cancel_after: float | None = None

    def create_job_kwargs(self, group_arn: str) -> dict[str, Any]:
        """CreateJob's keyword arguments; ``group_arn`` is a format string taking the name."""
        kwargs: dict[str, Any] = {
            "jobId": self.job_id,
            "targets": [group_arn.format(name) for name in self.target_groups],
            "document": self.document,
            "description": self.description,
            "targetSelection": self.target_selection,
        }
        configs = {
            "timeoutConfig": self.timeout_config,
            "jobExecutionsRetryConfig": self.retry_config,
            "jobExecutionsRolloutConfig": self.rollout_config,
            "abortConfig": self.abort_config,
        }
        kwargs.update({key: value for key, value in configs.items() if value is not None})
        return kwargs


@dataclass(frozen=True, slots=True)
class FleetEvent:
    """An operator action ``at`` seconds in: launch or cancel a job, regroup or enrol devices.

    ``subject`` is the job id (launch, cancel) or the device name (enroll); ``count`` the number
    of devices to move out of their region group (regroup).
    """

    at: float
    action: str
    subject: str = ""
    count: int = 0


@dataclass(frozen=True)
class FleetPlan:
    """Everything a seed decides: devices, groups, jobs and the operator's timeline."""

    seed: int
    config: FleetConfig
    devices: tuple[Device, ...]
    groups: tuple[str, ...]
    jobs: tuple[PlannedJob, ...]
    events: tuple[FleetEvent, ...] = field(default=())

    def initial_devices(self) -> list[Device]:
        return [device for device in self.devices if device.enrolled_after == 0]

    def job(self, job_id: str) -> PlannedJob | None:
        return next((job for job in self.jobs if job.job_id == job_id), None)


def region_group(region: str) -> str:
    return f"region-{region}"


def model_group(model: str) -> str:
    return f"model-{model}"


def plan_fleet(things: int, seed: int = 0, config: FleetConfig | None = None) -> FleetPlan:
    """Plan a fleet of ``things`` devices (plus a few that enrol later) from ``seed``.

    Examples
    --------
    >>> plan = plan_fleet(60, seed=1)
    >>> [job.operation for job in plan.jobs][:3]
    ['firmware_update', 'rotate_certificate', 'firmware_update']
    """
    if isinstance(things, bool) or not isinstance(things, int) or not 1 <= things <= MAX_THINGS:
        raise InvalidParameterError("things", f"must be an integer from 1 to {MAX_THINGS}", things)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidParameterError("seed", "must be an integer", seed)
    config = config or FleetConfig()
    rng = random.Random(f"jobsnb-fleet/{seed}")
    enrolled = max(1, round(things * config.enroll_share)) if config.enroll_share else 0
    width = max(5, len(str(things + enrolled)))
    weights = [model.share for model in config.models]
    devices = []
    for index in range(things + enrolled):
        model = rng.choices(config.models, weights)[0]
        region = rng.choice(config.regions)
        flaky = rng.random() < config.flaky_share
        late = index >= things
        devices.append(
            Device(
                f"{model.name}-{index + 1:0{width}d}",
                model.name,
                region,
                model.firmware,
                flaky,
                enrolled_after=rng.uniform(40, 70) * MINUTE if late else 0.0,
            )
        )
    size: dict[str, int] = {}
    for device in devices[:things]:
        for group in device.groups:
            size[group] = size.get(group, 0) + 1
    jobs = _plan_jobs(config, size, things, rng)
    events = [FleetEvent(job.launch_after, "launch", job.job_id) for job in jobs]
    events += [
        FleetEvent(job.cancel_after, "cancel", job.job_id)
        for job in jobs
        if job.cancel_after is not None
    ]
    if config.regroup_share:
        count = max(1, round(things * config.regroup_share))
        events.append(FleetEvent(rng.uniform(12, 18) * MINUTE, "regroup", "", count))
    events += [FleetEvent(d.enrolled_after, "enroll", d.name) for d in devices if d.enrolled_after]
    groups = (
        *(region_group(region) for region in config.regions),
        *(model_group(model.name) for model in config.models),
        QUARANTINE_GROUP,
    )
    return FleetPlan(
        seed,
        config,
        tuple(devices),
        groups,
        tuple(jobs),
        tuple(sorted(events, key=lambda event: event.at)),
    )


def _plan_jobs(
    config: FleetConfig, size: dict[str, int], things: int, rng: random.Random
) -> list[PlannedJob]:
    models = [model for model in config.models if size.get(model_group(model.name))]
    regions = [region for region in config.regions if size.get(region_group(region))]

    def rate(targets: int, minutes: float = config.rollout_minutes) -> dict[str, Any]:
        per_minute = min(1000, max(1, math.ceil(targets / minutes)))
        return {"maximumPerMinute": per_minute}

    def firmware(model: HardwareModel, at: float, hotfix: bool = False) -> PlannedJob:
        version = _next_version(model.firmware, hotfix)
        group = model_group(model.name)
        job_id = f"fw-{model.name}-{version.replace('.', '-')}"
        return PlannedJob(
            job_id,
            "firmware_update",
            (group,),
            "SNAPSHOT",
            at,
            _document(
                operation="firmware_update",
                version=version,
                url=f"https://firmware.example.com/{model.name}/{version}.bin",
                sha256=f"{rng.getrandbits(256):064x}",
            ),
            f"Firmware {version} for {model.name}",
            timeout_config={"inProgressTimeoutInMinutes": 60},
            retry_config={
                "criteriaList": [
                    {"failureType": "FAILED", "numberOfRetries": 2},
                    {"failureType": "TIMED_OUT", "numberOfRetries": 1},
                ]
            },
            rollout_config=rate(size[group], config.rollout_minutes * (2 if hotfix else 1)),
            cancel_after=at + 25 * MINUTE if hotfix else None,
        )

    first = models[0]
    jobs = [
        firmware(first, 0.0),
        PlannedJob(
            "cert-rotation-2024",
            "rotate_certificate",
            tuple(region_group(region) for region in regions),
            "CONTINUOUS",
            2 * MINUTE,
            _document(operation="rotate_certificate", certificate_authority="fleet-ca-2024"),
            "Rotate device certificates to the 2024 CA",
            timeout_config={"inProgressTimeoutInMinutes": 20},
            retry_config={"criteriaList": [{"failureType": "ALL", "numberOfRetries": 1}]},
            rollout_config=rate(things),
        ),
    ]
    if len(models) > 1:
        jobs.append(firmware(models[1], 10 * MINUTE))
    jobs.append(
        PlannedJob(
            f"reboot-{regions[0]}",
            "reboot",
            (region_group(regions[0]),),
            "SNAPSHOT",
            20 * MINUTE,
            _document(operation="reboot", reason="apply kernel parameters"),
            f"Reboot every device in {regions[0]}",
            timeout_config={"inProgressTimeoutInMinutes": 15},
        )
    )
    risky = models[-1]
    group = model_group(risky.name)
    jobs.append(
        PlannedJob(
            f"config-{risky.name}-telemetry",
            "apply_config",
            (group,),
            "SNAPSHOT",
            30 * MINUTE,
            _document(operation="apply_config", config={"telemetry_interval_s": 5}),
            f"Faster telemetry for {risky.name} (a risky config push, aborted on failures)",
            rollout_config=rate(size[group], config.rollout_minutes * 2),
            abort_config={
                "criteriaList": [
                    {
                        "failureType": "FAILED",
                        "action": "CANCEL",
                        "thresholdPercentage": 25.0,
                        "minNumberOfExecutedThings": max(3, min(100, size[group] // 10)),
                    }
                ]
            },
            risk=4.0,
        )
    )
    jobs.append(firmware(first, 35 * MINUTE, hotfix=True))
    return jobs


def _next_version(version: str, hotfix: bool) -> str:
    major, minor, *_ = (int(part) for part in version.split("."))
    return f"{major}.{minor + 1}.{1 if hotfix else 0}"


def _document(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"), sort_keys=True)
