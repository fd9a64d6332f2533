"""The local IoT Jobs service's state and operations, with no HTTP in sight.

Methods are named like the boto3 operations they serve and return model objects; the
``responses`` module turns those into AWS's JSON. Every public method takes the backend's lock
itself and first applies what fell due (:mod:`jobsnb.service.locking`), so the backend is safe to
call from any thread while the service runs: bulk-loading a fleet through ``service.backend`` is
as safe as a request. The read-only views (``status_counts``, ``group_members``, ...) and the
:meth:`~jobsnb.service.listeners.Listeners.on_changes` and
:meth:`~jobsnb.service.command_executions.CommandExecutions.on_command` hooks are what code
outside the backend may use; the attributes behind them are the service's own.
"""

from __future__ import annotations

from typing import Any

from jobsnb.limits import (
    MAX_TARGETS,
    STATUSES,
    TARGET_SELECTIONS,
    check_job_id,
    check_thing_name,
)
from jobsnb.service.certificates import Certificates
from jobsnb.service.clock import Clock, SystemClock
from jobsnb.service.command_executions import CommandExecutions
from jobsnb.service.errors import (
    InvalidRequestException,
    InvalidStateTransitionException,
    ResourceAlreadyExistsException,
)
from jobsnb.service.event_configurations import EventConfigurations
from jobsnb.service.execution_operations import ExecutionOperations
from jobsnb.service.executions import Execution
from jobsnb.service.job_configs import check_description, check_document, parse_job_configs
from jobsnb.service.job_updates import JobUpdates
from jobsnb.service.jobs import Job
from jobsnb.service.locking import locked, operation
from jobsnb.service.paging import page
from jobsnb.service.presigned import check_presigned_url_config
from jobsnb.service.registry import Thing, ThingGroup
from jobsnb.service.scheduling import parse_scheduling_config
from jobsnb.service.templates import CONFIGS, JobTemplates
from jobsnb.service.things import ThingRegistry

__all__ = ["JobsBackend"]


class JobsBackend(
    Certificates,
    EventConfigurations,
    JobUpdates,
    JobTemplates,
    ExecutionOperations,
    CommandExecutions,
):
    """Things, thing groups, jobs, commands and their executions of one account in one region.

    Also the certificates that identify devices (:mod:`~jobsnb.service.certificates`) and the
    event configurations (:mod:`~jobsnb.service.event_configurations`).

    Examples
    --------
    >>> from jobsnb.service import JobsBackend, ManualClock
    >>> backend = JobsBackend(ManualClock(1_700_000_000))
    >>> _ = backend.create_thing("sensor-1")
    >>> job = backend.create_job("fw-2", targets=[backend.thing_arn("sensor-1")], document="{}")
    >>> backend.start_next_pending_job_execution("sensor-1").status
    'IN_PROGRESS'
    """

    def __init__(
        self,
        clock: Clock | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        ExecutionOperations.__init__(self, clock or SystemClock())
        ThingRegistry.__init__(self, self.clock, region, account_id)
        self.endpoint_address = "http://127.0.0.1"
        self.job_order: list[str] = []
        self.continuous_by_group: dict[str, list[Job]] = {}
        CommandExecutions.__init__(self)
        self._init_templates()
        self._init_certificates()
        self._init_event_configurations()

    # ----------------------------------------------------------------- registry hooks
    def _joined_group(self, group: ThingGroup, thing: Thing) -> None:
        now = self.now()
        for job in self.continuous_by_group.get(group.arn, ()):
            if job.status in ("IN_PROGRESS", "SCHEDULED"):
                self.add_target(job, thing.name, now)

    def _left_group(self, group: ThingGroup, thing: Thing) -> None:
        now = self.now()
        for job in self.continuous_by_group.get(group.arn, ()):
            if job.status in ("IN_PROGRESS", "SCHEDULED") and not self._targets_thing(job, thing):
                self.remove_target(job, thing.name, now)

    def _deleted_thing(self, thing: Thing) -> None:
        now = self.now()
        queue = self.by_thing.get(thing.name)
        if queue is not None:
            for execution in list(queue.pending):
                self.finish(execution, "REMOVED", now)
        # A thing a rollout or a schedule still holds back gets no execution when released.
        for job in self.jobs.values():
            if thing.name in job.unreleased:
                job.unreleased.remove(thing.name)
                self.check_completed(job, now)

    def _targets_thing(self, job: Job, thing: Thing) -> bool:
        if thing.arn in job.targets:
            return True
        return any(self.group_arn(name) in job.targets for name in thing.groups)

    # ----------------------------------------------------------------- jobs
    @operation
    def create_job(
        self,
        job_id: str,
        targets: list[str],
        document: str | None = None,
        description: str | None = None,
        target_selection: str = "SNAPSHOT",
        timeout_config: dict[str, Any] | None = None,
        retry_config: dict[str, Any] | None = None,
        rollout_config: dict[str, Any] | None = None,
        abort_config: dict[str, Any] | None = None,
        scheduling_config: dict[str, Any] | None = None,
        presigned_url_config: dict[str, Any] | None = None,
        job_template_arn: str | None = None,
        document_parameters: dict[str, str] | None = None,
    ) -> Job:
        """Create a job and queue its executions, at once or through its rollout; return it.

        ``targets`` are ARNs of things and thing groups of this account and region. A group
        stands for its members at creation, not its child groups'; a CONTINUOUS job also queues
        for things that join it later, and a thing that leaves has its pending execution REMOVED.
        With ``job_template_arn`` the job takes its template's document, description and configs
        (those given here win; :mod:`~jobsnb.service.templates`).

        Raises
        ------
        ResourceAlreadyExistsException
            When a job with ``job_id`` exists.
        ResourceNotFoundException
            When a target thing or thing group, or the template, does not exist.
        InvalidRequestException
            When the id, targets, document, description, a config or a document parameter
            breaks AWS's rules.
        """
        check_job_id(job_id)
        if job_id in self.jobs:
            raise ResourceAlreadyExistsException(f"Job {job_id} already exists.")
        if not isinstance(targets, list) or not 1 <= len(targets) <= MAX_TARGETS:
            raise InvalidRequestException(f"targets must list 1 to {MAX_TARGETS} ARNs")
        if target_selection not in TARGET_SELECTIONS:
            raise InvalidRequestException("targetSelection must be SNAPSHOT or CONTINUOUS")
        if job_template_arn is not None or document_parameters is not None:
            document, basis, configs = self.job_basis(
                job_template_arn, document, document_parameters
            )
            description = basis if description is None else description
            given = (
                timeout_config,
                retry_config,
                rollout_config,
                abort_config,
                presigned_url_config,
            )
            timeout_config, retry_config, rollout_config, abort_config, presigned_url_config = (
                configs.get(name) if value is None else value
                for name, value in zip(CONFIGS, given, strict=True)
            )
        document = check_document(document)
        check_description(description)
        presigned_url_config = check_presigned_url_config(presigned_url_config)
        presigned = self.presigned_document(document, presigned_url_config)
        now = self.now()
        job = Job(
            job_id,
            self._arn("job", job_id),
            document,
            list(dict.fromkeys(targets)),
            target_selection,
            now,
            description,
            presigned_url_config=presigned_url_config,
            job_template_arn=job_template_arn,
            document_parameters=document_parameters,
            presigned=presigned,
            last_updated_at=now,
        )
        parse_job_configs(job, timeout_config, retry_config, rollout_config, abort_config)
        job.schedule = parse_scheduling_config(scheduling_config, now)
        if job.schedule is not None:
            job.status = "SCHEDULED"  # until startTime, which may be now (launch applies it)
        things = self._resolve_targets(job.targets)
        self._follow_groups(job, job.targets)
        self.job_order.append(job_id)
        self.launch(job, things)
        return job

    @operation
    def describe_job(self, job_id: str) -> Job:
        """The job with ``job_id``; ResourceNotFoundException when there is none (or deleted)."""
        return self._job(job_id)

    @operation
    def list_jobs(
        self,
        status: str | None = None,
        target_selection: str | None = None,
        thing_group_name: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> tuple[list[Job], str | None]:
        """One page of jobs in creation order, and the next token (None on the last page).

        ``status`` and ``target_selection`` keep the jobs that have them; ``thing_group_name``
        those that target that group's ARN. InvalidRequestException for a bad ``next_token`` or
        a ``max_results`` outside 1-250.
        """
        group_arn = self.group_arn(thing_group_name) if thing_group_name else None

        def keep(job_id: str) -> Job | None:
            job = self.jobs.get(job_id)
            if job is None or (status is not None and job.status != status):
                return None
            if target_selection is not None and job.target_selection != target_selection:
                return None
            if group_arn is not None and group_arn not in job.targets:
                return None
            return job

        return page(self.job_order, keep, next_token, max_results)

    @operation
    def list_job_executions_for_job(
        self,
        job_id: str,
        status: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> tuple[list[Execution], str | None]:
        """The latest execution of every thing of the job (retries show in ``retryAttempt``)."""
        job = self.describe_job(job_id)
        _check_status_filter(status)

        def keep(thing_name: str) -> Execution | None:
            latest = job.latest(thing_name)
            if latest is None or (status is not None and latest.status != status):
                return None
            return latest

        return page(job.thing_order, keep, next_token, max_results)

    @operation
    def list_job_executions_for_thing(
        self,
        thing_name: str,
        status: str | None = None,
        job_id: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> tuple[list[Execution], str | None]:
        """The latest execution of every job on the thing, terminal ones included."""
        check_thing_name(thing_name)
        _check_status_filter(status)
        queue = self.by_thing.get(thing_name)
        jobs = list(queue.jobs.values()) if queue is not None else []

        def keep(job: Job) -> Execution | None:
            latest = job.latest(thing_name) if job.job_id in self.jobs else None
            if latest is None or (status is not None and latest.status != status):
                return None
            if job_id is not None and job.job_id != job_id:
                return None
            return latest

        return page(jobs, keep, next_token, max_results)

    @operation
    def cancel_job(
        self,
        job_id: str,
        force: bool = False,
        reason_code: str | None = None,
        comment: str | None = None,
    ) -> Job:
        """Cancel the job and return it; a CANCELED job is cancelled again only with ``force``.

        Its QUEUED executions, and with ``force`` its IN_PROGRESS ones, become CANCELED; things
        its rollout has not released get none.

        Raises
        ------
        ResourceNotFoundException
            When the job does not exist.
        InvalidRequestException
            When the job is COMPLETED.
        """
        job = self.describe_job(job_id)
        if job.status == "COMPLETED":
            raise InvalidRequestException(f"Job {job_id} is already COMPLETED.")
        if job.status == "CANCELED" and not force:
            return job
        self.cancel(job, self.now(), force=force, reason=reason_code, comment=comment)
        return job

    @operation
    def delete_job(self, job_id: str, force: bool = False) -> None:
        """Delete the job and every execution of it.

        Raises
        ------
        ResourceNotFoundException
            When the job does not exist.
        InvalidStateTransitionException
            When the job is IN_PROGRESS and ``force`` is false.
        """
        job = self.describe_job(job_id)
        if job.status == "IN_PROGRESS" and not force:
            raise InvalidStateTransitionException(
                f"Job {job_id} is IN_PROGRESS; cancel it first or delete with force=true."
            )
        self._event("job", "deletion_in_progress", job, "DELETION_IN_PROGRESS")
        for runs in list(job.executions.values()):
            for execution in list(runs):
                self.forget(execution)
        for arn in job.targets:
            jobs = self.continuous_by_group.get(arn)
            if jobs is not None and job in jobs:
                jobs.remove(job)
        # The thing queues keep their entry: ListJobExecutionsForThing pages by offset over it
        # and skips deleted jobs, so tokens handed out before the deletion stay valid.
        job.status = "DELETION_IN_PROGRESS"
        del self.jobs[job_id]
        self._event("job", "deleted", job)

    # ----------------------------------------------------------------- read-only views
    @locked
    def status_counts(self) -> dict[str, int]:
        """Executions per status over every job (attempts, as AWS's job counters count them)."""
        totals: dict[str, int] = {}
        for job in self.jobs.values():
            for status, count in job.counts.items():
                if count:
                    totals[status] = totals.get(status, 0) + count
        return totals

    @locked
    def group_members(self) -> dict[str, list[str]]:
        """Each thing group and its current members, in the order they joined."""
        return {
            name: [thing for thing in group.member_order if thing in group.members]
            for name, group in self.groups.items()
        }

    @locked
    def has_pending(self, thing_name: str) -> bool:
        """True when the thing has a QUEUED or IN_PROGRESS execution."""
        queue = self.by_thing.get(thing_name)
        return bool(queue is not None and queue.pending)

    @locked
    def has_pending_work(self) -> bool:
        """True while a job has pending executions or things its rollout has not released."""
        return any(job.pending_count or job.unreleased for job in self.jobs.values())

    @locked
    def job_ids(self) -> list[str]:
        """The ids of the jobs that exist, in creation order."""
        return [job_id for job_id in self.job_order if job_id in self.jobs]

    @locked
    def group_names(self) -> list[str]:
        """The names of the thing groups that exist, in creation order."""
        return list(self.groups)


def _check_status_filter(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise InvalidRequestException(f"status must be one of {', '.join(STATUSES)}")
