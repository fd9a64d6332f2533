"""The jobs a simulated operator launches: what each one is, and the seeded catalogue.

A :class:`PlannedJob` is a CreateJob request and the times around it (launch, cancel);
:func:`plan_jobs` is the catalogue :func:`~jobsnb.simulation.plan.plan_fleet` draws from:
firmware updates with rollout rates, timeouts and retries, a CONTINUOUS certificate rotation, a
reboot, a risky config push with an abort config, a hotfix the operator cancels, and a config
change scheduled for a daily maintenance window.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobsnb.exceptions import InvalidParameterError
from jobsnb.simulation.config import FleetConfig, HardwareModel, model_group, region_group

__all__ = ["PlannedJob", "plan_jobs"]

_MINUTE = 60.0


@dataclass(frozen=True)
class PlannedJob:
    """A job the operator creates ``launch_after`` seconds into the simulation.

    Parameters
    ----------
    job_id, operation, document, description
        The job, its document's ``operation`` and the document itself (JSON).
    target_groups, target_selection
        The thing groups it targets, SNAPSHOT or CONTINUOUS.
    launch_after, cancel_after
        Seconds into the simulation when the operator creates it, and cancels it (None: never).
    timeout_config, retry_config, rollout_config, abort_config
        CreateJob's configs, as boto3 takes them (None: not set).
    risk
        Multiplies the devices' failure rate for this job.
    start_after, window_after, window_minutes
        A scheduled job: its startTime this many seconds after its launch, and a daily
        maintenance window of ``window_minutes`` opening ``window_after`` seconds after it
        (None: not scheduled).

    Examples
    --------
    >>> from jobsnb.simulation.plan import plan_fleet
    >>> job = plan_fleet(20, seed=1).jobs[0]
    >>> job.operation, job.target_selection, job.launch_after
    ('firmware_update', 'SNAPSHOT', 0.0)
    """

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
    start_after: float | None = None
    window_after: float | None = None
    window_minutes: int = 30

    def create_job_kwargs(self, group_arn: str, now: float | None = None) -> dict[str, Any]:
        """CreateJob's keyword arguments for boto3.

        Parameters
        ----------
        group_arn
            A thing group's ARN with ``{}`` in place of the name.
        now
            The service clock's time (epoch seconds) at launch: a scheduled job's startTime and
            window are set from it.

        Returns
        -------
        dict
            ``jobId``, ``targets``, ``document``, ``description``, ``targetSelection`` and the
            configs that are set (``schedulingConfig`` for a scheduled job).

        Raises
        ------
        InvalidParameterError
            ``now`` is missing for a scheduled job.

        Examples
        --------
        >>> from jobsnb.simulation.plan import plan_fleet
        >>> job = plan_fleet(20, seed=1).jobs[0]
        >>> kwargs = job.create_job_kwargs("arn:aws:iot:eu-west-1:111122223333:thinggroup/{}")
        >>> kwargs["targets"], "jobExecutionsRolloutConfig" in kwargs
        (['arn:aws:iot:eu-west-1:111122223333:thinggroup/model-gw200'], True)
        """
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
        if self.start_after is not None:
            if now is None:
                raise InvalidParameterError("now", "is needed for a scheduled job", now)
            kwargs["schedulingConfig"] = self._scheduling(now)
        return kwargs

    def _scheduling(self, now: float) -> dict[str, Any]:
        assert self.start_after is not None
        opens = _utc(now + (self.window_after or self.start_after))
        window = {
            "startTime": f"cron({opens.minute} {opens.hour} ? * * *)",
            "durationInMinutes": self.window_minutes,
        }
        start = _utc(now + self.start_after).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"startTime": start, "maintenanceWindows": [window]}


def plan_jobs(config: FleetConfig, size: dict[str, int], rng: random.Random) -> list[PlannedJob]:
    """The operator's jobs for a fleet: what each does, its targets, configs and times.

    A firmware update for the first model (rollout rate, timeout, retries); a CONTINUOUS
    certificate rotation on every region; a firmware update for the second model; a reboot of
    the first region; a risky config push for the last model with an abort config; a hotfix
    for the first model that the operator cancels 25 minutes in; and, created 5 minutes in, a
    config change for the smallest model group that is SCHEDULED for 50 minutes, then rolls out
    in a daily 30-minute maintenance window opening 10 minutes after its start.

    Parameters
    ----------
    config
        The fleet's distributions (models, regions, rollout minutes).
    size
        Devices per thing group at the start (a group with none gets no job).
    rng
        The plan's generator (firmware checksums); the same state gives the same jobs.

    Returns
    -------
    list of PlannedJob
        In launch order.

    Examples
    --------
    >>> size = {"region-lab": 10, "model-gw200": 6, "model-gw100": 4}
    >>> config = FleetConfig(regions=("lab",))
    >>> [(job.job_id, job.launch_after) for job in plan_jobs(config, size, random.Random(0))][:3]
    [('fw-gw200-2-4-0', 0.0), ('cert-rotation-2024', 120.0), ('maintenance-gw100', 300.0)]
    """
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
            cancel_after=at + 25 * _MINUTE if hotfix else None,
        )

    first = models[0]
    jobs = [
        firmware(first, 0.0),
        PlannedJob(
            "cert-rotation-2024",
            "rotate_certificate",
            tuple(region_group(region) for region in regions),
            "CONTINUOUS",
            2 * _MINUTE,
            _document(operation="rotate_certificate", certificate_authority="fleet-ca-2024"),
            "Rotate device certificates to the 2024 CA",
            timeout_config={"inProgressTimeoutInMinutes": 20},
            retry_config={"criteriaList": [{"failureType": "ALL", "numberOfRetries": 1}]},
            rollout_config=rate(sum(size[region_group(r)] for r in regions)),
        ),
    ]
    if len(models) > 1:
        jobs.append(firmware(models[1], 10 * _MINUTE))
    jobs.append(
        PlannedJob(
            f"reboot-{regions[0]}",
            "reboot",
            (region_group(regions[0]),),
            "SNAPSHOT",
            20 * _MINUTE,
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
            30 * _MINUTE,
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
    jobs.append(firmware(first, 35 * _MINUTE, hotfix=True))
    # Planned last, so that it draws nothing from ``rng`` before the other jobs do.
    smallest = min(models, key=lambda model: size[model_group(model.name)])
    group = model_group(smallest.name)
    jobs.insert(
        2,
        PlannedJob(
            f"maintenance-{smallest.name}",
            "apply_config",
            (group,),
            "SNAPSHOT",
            5 * _MINUTE,
            _document(operation="apply_config", config={"log_level": "warning"}),
            f"Quieter logs for {smallest.name}, in its daily maintenance window",
            rollout_config=rate(size[group], 20),
            start_after=50 * _MINUTE,
            window_after=60 * _MINUTE,
        ),
    )
    return jobs


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _next_version(version: str, hotfix: bool) -> str:
    major, minor, *_ = (int(part) for part in version.split("."))
    return f"{major}.{minor + 1}.{1 if hotfix else 0}"


def _document(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"), sort_keys=True)
