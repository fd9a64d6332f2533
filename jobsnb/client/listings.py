"""Names the account lists: its things, its thing groups and its jobs, page after page.

Each list is read through :meth:`~jobsnb.client.control_plane.ControlPlane.pages_or_raise`
(:data:`~jobsnb.limits.MAX_PAGE_SIZE` names a call, within the control budget, each page
retried on its own); a call that fails for good raises its boto3 error. The names feed the fan-outs:
``client.pending(client.things("model-gw200"))``, ``client.job_summary(client.jobs("SCHEDULED"))``.
"""

from __future__ import annotations

from typing import Any

from jobsnb.client.control_plane import ControlPlane
from jobsnb.client.registry import ThingNames
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import JOB_STATUSES, TARGET_SELECTIONS, check_thing_name

__all__ = ["Listings"]


def _one_of(value: str | None, allowed: tuple[str, ...], field: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidParameterError(field, f"must be one of {', '.join(allowed)}", value)


class Listings:
    """The control plane's name lists of a :class:`~jobsnb.client.FleetClient`."""

    def __init__(self, control: ControlPlane) -> None:
        self.control = control

    def things(
        self,
        group: str | None = None,
        *,
        recursive: bool = False,
        attribute: tuple[str, str] | None = None,
        limit: int | None = None,
    ) -> list[str]:
        """Thing names: all things, or the members of thing ``group``, page after page.

        Parameters
        ----------
        group
            List this group's members (ListThingsInThingGroup); None lists all (ListThings).
        recursive
            Include the members of ``group``'s child groups.
        attribute
            ``(name, value)``: only things whose attribute ``name`` is ``value`` (no group).
        limit
            Stop listing after that many names.

        Returns
        -------
        list of str
            The names, as a :class:`~jobsnb.client.registry.ThingNames` list: known to the
            account, so ``pending(..., check_things=True)`` does not check them. A call that
            fails for good raises its boto3 error.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     _ = service.backend.create_thing_group("north")
        ...     for name in ("sensor-1", "sensor-2"):
        ...         _ = service.backend.create_thing(name)
        ...     _ = service.backend.add_thing_to_thing_group("north", "sensor-2")
        ...     client = jobsnb.connect(service)
        ...     everything, north = client.things(), client.things("north")
        >>> sorted(everything), north
        (['sensor-1', 'sensor-2'], ['sensor-2'])
        """
        control = self.control.calls.control
        if group is not None:
            check_thing_name(group, "group")
            if attribute is not None:
                raise InvalidParameterError("attribute", "cannot be combined with group", attribute)
            pages = self.control.pages_or_raise(
                control.list_things_in_thing_group,
                {"thingGroupName": group, "recursive": recursive},
                "things",
                limit,
            )
            return ThingNames([name for page in pages for name in page.get("things", [])][:limit])
        kwargs: dict[str, Any] = {}
        if attribute is not None:
            kwargs = {"attributeName": attribute[0], "attributeValue": attribute[1]}
        pages = self.control.pages_or_raise(control.list_things, kwargs, "things", limit)
        return ThingNames(
            [thing["thingName"] for page in pages for thing in page.get("things", [])][:limit]
        )

    def groups(self, *, limit: int | None = None) -> list[str]:
        """Names of thing groups: ListThingGroups, page after page.

        Parameters
        ----------
        limit
            Stop listing after that many names.

        Returns
        -------
        list of str
            The names. A call that fails for good raises its boto3 error.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     _ = service.backend.create_thing_group("north")
        ...     jobsnb.connect(service).groups()
        ['north']
        """
        pages = self.control.pages_or_raise(
            self.control.calls.control.list_thing_groups, {}, "thingGroups", limit
        )
        return [g["groupName"] for page in pages for g in page.get("thingGroups", [])][:limit]

    def jobs(
        self,
        status: str | None = None,
        *,
        target_selection: str | None = None,
        group: str | None = None,
        limit: int | None = None,
    ) -> list[str]:
        """Job ids of the account: ListJobs, page after page, in the order it lists them.

        Parameters
        ----------
        status
            Only jobs in this status (:data:`~jobsnb.limits.JOB_STATUSES`: ``"SCHEDULED"``,
            ``"IN_PROGRESS"``, ...); None lists all.
        target_selection
            Only ``"SNAPSHOT"`` or only ``"CONTINUOUS"`` jobs.
        group
            Only jobs targeting this thing group.
        limit
            Stop listing after that many ids.

        Returns
        -------
        list of str
            The job ids, to pass to :meth:`~jobsnb.FleetClient.job_summary` or
            :meth:`~jobsnb.FleetClient.executions`. A call that fails for good raises its
            boto3 error.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     for job_id in ("fw-1", "fw-2"):
        ...         _ = service.backend.create_job(job_id, [arn], "{}")
        ...     _ = service.backend.cancel_job("fw-1")
        ...     client = jobsnb.connect(service)
        ...     client.jobs(), client.jobs("IN_PROGRESS")
        (['fw-1', 'fw-2'], ['fw-2'])
        """
        _one_of(status, JOB_STATUSES, "status")
        _one_of(target_selection, TARGET_SELECTIONS, "target_selection")
        kwargs: dict[str, Any] = {}
        if status is not None:
            kwargs["status"] = status
        if target_selection is not None:
            kwargs["targetSelection"] = target_selection
        if group is not None:
            kwargs["thingGroupName"] = check_thing_name(group, "group")
        pages = self.control.pages_or_raise(
            self.control.calls.control.list_jobs, kwargs, "jobs", limit
        )
        return [job["jobId"] for page in pages for job in page.get("jobs", [])][:limit]
