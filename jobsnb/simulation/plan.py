"""The seeded plan of a simulated fleet: its devices, groups, jobs and operator events.

Everything here is decided up front from one seed, with no service in sight: which hardware
model and region each device has, which jobs an operator creates when (firmware updates, reboots,
certificate rotations, config pushes: the catalogue of :mod:`jobsnb.simulation.jobs`) with which
targets and configs, and when the operator cancels a job, moves devices out of a group or enrols
new ones. :mod:`jobsnb.simulation.scheduler` carries the plan out against a running service.

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

import random
from dataclasses import dataclass, field

from jobsnb.exceptions import InvalidParameterError
from jobsnb.simulation.commands import CommandRun, PlannedCommand, plan_commands
from jobsnb.simulation.config import FleetConfig, model_group, region_group
from jobsnb.simulation.jobs import PlannedJob, plan_jobs

__all__ = [
    "ENROL_MINUTES",
    "MAX_THINGS",
    "QUARANTINE_GROUP",
    "Device",
    "FleetEvent",
    "FleetPlan",
    "plan_fleet",
]

#: The most devices a plan may start with.
MAX_THINGS = 100_000
#: When the devices that enrol later join, in simulated minutes from the start: after an hour,
#: so that a sandbox warmed up for up to an hour has exactly the things it was asked for.
ENROL_MINUTES = (60.0, 90.0)
#: Where the operator moves devices out of their region group (targeted by no job).
QUARANTINE_GROUP = "quarantine"
_MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class Device:
    """One simulated device: its thing name, attributes and traits.

    Parameters
    ----------
    name
        The thing name (``<model>-<number>``).
    model, region, firmware
        Its hardware model, region and starting firmware version: the thing's attributes.
    flaky
        Whether it usually fails a first attempt.
    enrolled_after
        Seconds into the simulation when it joins the fleet (0: from the start).

    Examples
    --------
    >>> device = Device("gw200-00001", "gw200", "eu-west-1", "2.3.1", flaky=False)
    >>> device.groups, device.attributes["firmware_version"]
    (('region-eu-west-1', 'model-gw200'), '2.3.1')
    """

    name: str
    model: str
    region: str
    firmware: str
    flaky: bool
    enrolled_after: float = 0.0

    @property
    def attributes(self) -> dict[str, str]:
        """The thing's attributes: ``model``, ``region`` and ``firmware_version``."""
        return {"model": self.model, "region": self.region, "firmware_version": self.firmware}

    @property
    def groups(self) -> tuple[str, str]:
        """Its thing groups: its region's, then its model's."""
        return region_group(self.region), model_group(self.model)


@dataclass(frozen=True, slots=True)
class FleetEvent:
    """An operator action ``at`` seconds in: launch or cancel a job, regroup or enrol devices.

    Parameters
    ----------
    at
        Seconds into the simulation.
    action
        ``launch``, ``cancel``, ``enroll`` or ``regroup``.
    subject
        The job id (launch, cancel) or the device name (enroll).
    count
        How many devices to move out of their region group (regroup).

    Examples
    --------
    >>> [(event.at, event.action) for event in plan_fleet(20, seed=1).events][:2]
    [(0.0, 'launch'), (120.0, 'launch')]
    """

    at: float
    action: str
    subject: str = ""
    count: int = 0


@dataclass(frozen=True)
class FleetPlan:
    """Everything a seed decides: devices, groups, jobs and the operator's timeline.

    Parameters
    ----------
    seed, config
        The seed and the distributions the plan was drawn from.
    devices
        Every device, the initial ones first, then those that enrol later.
    groups
        The thing groups to create: one per region and per model, and the quarantine.
    jobs, events
        The jobs, and the operator's actions in time order.
    commands, command_runs
        The commands the operator creates in the registry at the start, and its runs of them
        (:mod:`~jobsnb.simulation.commands`), in time order.

    Examples
    --------
    >>> plan = plan_fleet(20, seed=1)
    >>> len(plan.devices) > len(plan.initial_devices()), plan.groups[-1]
    (True, 'quarantine')
    """

    seed: int
    config: FleetConfig
    devices: tuple[Device, ...]
    groups: tuple[str, ...]
    jobs: tuple[PlannedJob, ...]
    events: tuple[FleetEvent, ...] = field(default=())
    commands: tuple[PlannedCommand, ...] = field(default=())
    command_runs: tuple[CommandRun, ...] = field(default=())

    @property
    def later(self) -> int:
        """How many devices enrol after the start (``config.enroll_share`` of them).

        Examples
        --------
        >>> quiet = FleetConfig(enroll_share=0)
        >>> plan_fleet(300, seed=0).later, plan_fleet(300, seed=0, config=quiet).later
        (9, 0)
        """
        return sum(1 for device in self.devices if device.enrolled_after > 0)

    def initial_devices(self) -> list[Device]:
        """The devices in the fleet from the start.

        Returns
        -------
        list of Device
            The devices with ``enrolled_after == 0``, in plan order.
        """
        return [device for device in self.devices if device.enrolled_after == 0]

    def job(self, job_id: str) -> PlannedJob | None:
        """A planned job by its id.

        Parameters
        ----------
        job_id
            The job's id.

        Returns
        -------
        PlannedJob or None
            The job, or None when the plan has no such job (one the user created, say).
        """
        return next((job for job in self.jobs if job.job_id == job_id), None)


def plan_fleet(things: int, seed: int = 0, config: FleetConfig | None = None) -> FleetPlan:
    """Plan a fleet of ``things`` devices (plus a few that enrol later) from ``seed``.

    Parameters
    ----------
    things
        Devices at the start, 1 to ``MAX_THINGS``. ``config.enroll_share`` more (3% by default,
        at least one) enrol later, between :data:`ENROL_MINUTES` simulated minutes in, to show a
        CONTINUOUS job picking up new devices; ``FleetConfig(enroll_share=0)`` for none.
    seed
        Same seed (and config), same plan.
    config
        The distributions to draw from (default: :class:`~jobsnb.simulation.config.FleetConfig`).

    Returns
    -------
    FleetPlan
        The devices, groups, jobs and operator events.

    Raises
    ------
    InvalidParameterError
        ``things`` or ``seed`` is not an integer, or ``things`` is out of range.

    Examples
    --------
    >>> plan = plan_fleet(60, seed=1)
    >>> [job.operation for job in plan.jobs][:3]
    ['firmware_update', 'rotate_certificate', 'apply_config']
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
                enrolled_after=rng.uniform(*ENROL_MINUTES) * _MINUTE if late else 0.0,
            )
        )
    size: dict[str, int] = {}
    for device in devices[:things]:
        for group in device.groups:
            size[group] = size.get(group, 0) + 1
    jobs = plan_jobs(config, size, rng)
    events = [FleetEvent(job.launch_after, "launch", job.job_id) for job in jobs]
    events += [
        FleetEvent(job.cancel_after, "cancel", job.job_id)
        for job in jobs
        if job.cancel_after is not None
    ]
    if config.regroup_share:
        count = max(1, round(things * config.regroup_share))
        events.append(FleetEvent(rng.uniform(12, 18) * _MINUTE, "regroup", "", count))
    events += [FleetEvent(d.enrolled_after, "enroll", d.name) for d in devices if d.enrolled_after]
    groups = (
        *(region_group(region) for region in config.regions),
        *(model_group(model.name) for model in config.models),
        QUARANTINE_GROUP,
    )
    commands, runs = plan_commands(config, [d.name for d in devices[:things]], seed)
    return FleetPlan(
        seed,
        config,
        tuple(devices),
        groups,
        tuple(jobs),
        tuple(sorted(events, key=lambda event: event.at)),
        commands,
        tuple(sorted(runs, key=lambda run: run.at)),
    )
