"""The fleet's operator: the control-plane side of a simulated fleet.

The fleet's things and thing groups (thing groups, then each device's thing with its attributes,
then the groups' members in the plan's order; a late enrolment likewise) are bulk-loaded through
the service's backend, which is as safe as a request (each backend operation takes the service's
lock): a 100,000-thing fleet is 300,000 CreateThing and AddThingToThingGroup calls, minutes over
HTTP, ~2 s this way. The operator's jobs go over HTTP through one boto3 ``iot`` client, as an
operator's script would: CreateJob, CancelJob, ListJobExecutionsForJob, and the group moves
(AddThingToThingGroup, RemoveThingFromThingGroup) that quarantine devices; so do its commands
(CreateCommand, GetCommand, and StartCommandExecution through an ``iot-jobs-data`` client).

A group's member order is the order a job's rollout releases executions in, so members are
added in the plan's order.

Examples
--------
>>> from jobsnb.service import LocalJobsService
>>> from jobsnb.simulation.plan import plan_fleet
>>> with LocalJobsService() as service:
...     operator = FleetOperator(service)
...     operator.build(plan_fleet(20, seed=1))
...     len(service.backend.things), service.request_counts.get("CreateThing", 0)
(20, 0)
"""

from __future__ import annotations

from typing import Any

from jobsnb.client._boto import CONTROL_PLANE, DATA_PLANE, make_client, make_session
from jobsnb.limits import MAX_PAGE_SIZE
from jobsnb.service import LocalJobsService
from jobsnb.simulation.commands import CommandRun
from jobsnb.simulation.jobs import PlannedJob
from jobsnb.simulation.plan import QUARANTINE_GROUP, Device, FleetPlan

__all__ = ["FleetOperator"]


class FleetOperator:
    """Control-plane calls for one fleet, against the service at ``url``.

    Parameters
    ----------
    url
        The service's endpoint URL.
    region, account_id
        The service's, for the thing group ARNs that jobs target.

    Examples
    --------
    >>> from jobsnb.service import LocalJobsService
    >>> from jobsnb.simulation.plan import plan_fleet
    >>> plan = plan_fleet(5, seed=1)
    >>> with LocalJobsService() as service:
    ...     operator = FleetOperator(service)
    ...     operator.build(plan)
    ...     operator.launch(plan.jobs[0])
    ...     operator.cancel(plan.jobs[0].job_id)
    ...     operator.close()
    ...     service.request_counts["CreateJob"], service.request_counts["CancelJob"]
    (1, 1)
    """

    def __init__(self, service: LocalJobsService) -> None:
        self.backend = service.backend
        self.clock = service.clock  # a scheduled job's startTime counts from the service's now
        session = make_session()
        self.iot = make_client(CONTROL_PLANE, session, endpoint_url=service.url)
        self._data = make_client(DATA_PLANE, session, endpoint_url=service.url)
        self.thing_arn = f"arn:aws:iot:{self.backend.region}:{self.backend.account_id}:thing/{{}}"
        self.group_arn = (
            f"arn:aws:iot:{self.backend.region}:{self.backend.account_id}:thinggroup/{{}}"
        )

    def build(self, plan: FleetPlan) -> None:
        """Load the plan's groups and its initially enrolled devices, in their groups.

        Parameters
        ----------
        plan
            The plan: its groups, and its devices with ``enrolled_after == 0``.
        """
        for group in plan.groups:
            self.backend.create_thing_group(group, **_group_properties(group))
        devices = plan.initial_devices()
        for device in devices:
            self.backend.create_thing(device.name, device.attributes)
        for device in devices:
            self.enroll(device, created=True)

    def enroll(self, device: Device, *, created: bool = False) -> None:
        """A device joins the fleet: its thing, then its groups (CONTINUOUS jobs queue for it).

        Parameters
        ----------
        device
            The device; its groups must exist.
        created
            Whether its thing exists already.
        """
        if not created:
            self.backend.create_thing(device.name, device.attributes)
        for group in device.groups:
            self.backend.add_thing_to_thing_group(group, device.name)

    def create_commands(self, plan: FleetPlan) -> None:
        """CreateCommand for each of the plan's commands (``reboot``, ``collect-logs``).

        Parameters
        ----------
        plan
            The plan: its ``commands``.
        """
        for command in plan.commands:
            self.iot.create_command(**command.create_command_kwargs())

    def start_commands(self, run: CommandRun) -> list[str]:
        """StartCommandExecution of the run's command on each of its devices.

        Parameters
        ----------
        run
            The planned run.

        Returns
        -------
        list of str
            The execution ids, in the run's target order.
        """
        command_arn = self.iot.get_command(commandId=run.command_id)["commandArn"]
        started = []
        for thing in run.targets:
            kwargs: dict[str, Any] = {
                "targetArn": self.thing_arn.format(thing),
                "commandArn": command_arn,
                "executionTimeoutSeconds": run.timeout_seconds,
            }
            if run.parameters:
                kwargs["parameters"] = run.parameters
            started.append(self._data.start_command_execution(**kwargs)["executionId"])
        return started

    def launch(self, job: PlannedJob) -> None:
        """CreateJob for a planned job, on the thing groups it targets (scheduled from now).

        Parameters
        ----------
        job
            The planned job.
        """
        self.iot.create_job(**job.create_job_kwargs(self.group_arn, self.clock.now()))

    def cancel(self, job_id: str) -> None:
        """CancelJob (reason SUPERSEDED): its QUEUED executions become CANCELED.

        Parameters
        ----------
        job_id
            The job to cancel.
        """
        self.iot.cancel_job(jobId=job_id, reasonCode="SUPERSEDED", comment="Superseded")

    def regroup(self, job_id: str, count: int, devices: dict[str, Device]) -> list[str]:
        """Move up to ``count`` devices with pending executions of ``job_id`` to quarantine.

        They leave their region group, so their pending execution of a CONTINUOUS job on region
        groups becomes REMOVED.

        Parameters
        ----------
        job_id
            The job whose QUEUED, then IN_PROGRESS, executions pick the devices.
        count
            How many devices to move at most.
        devices
            The fleet's devices by name (others the service lists are left alone).

        Returns
        -------
        list of str
            The names moved, the first ones the service lists.
        """
        moved: list[str] = []
        for status in ("QUEUED", "IN_PROGRESS"):
            listed = self.iot.list_job_executions_for_job(
                jobId=job_id, status=status, maxResults=min(MAX_PAGE_SIZE, max(1, count))
            )["executionSummaries"]
            for summary in listed:
                name = summary["thingArn"].rsplit("/", 1)[1]
                device = devices.get(name)
                if device is None or name in moved or len(moved) >= count:
                    continue
                region_group = device.groups[0]
                self.iot.add_thing_to_thing_group(thingGroupName=QUARANTINE_GROUP, thingName=name)
                self.iot.remove_thing_from_thing_group(thingGroupName=region_group, thingName=name)
                moved.append(name)
        return moved

    def close(self) -> None:
        """Close the boto3 clients' connections."""
        self.iot.close()
        self._data.close()


def _group_properties(group: str) -> dict[str, Any]:
    """A planned group's description and attributes: ``region-eu`` is the devices in eu."""
    kind, _, value = group.partition("-")
    if not value:
        return {"description": "Devices set aside"}
    return {"description": f"Devices by {kind}: {value}", "attributes": {kind: value}}
