"""The operations on one thing's executions, over the execution state machine.

The data plane's GetPendingJobExecutions, StartNextPendingJobExecution, DescribeJobExecution and
UpdateJobExecution (what devices call), and the control plane's CancelJobExecution and
DeleteJobExecution, named like the boto3 operations. Each takes the backend's lock and applies
what fell due first (:func:`~jobsnb.service.locking.operation`).
"""

from __future__ import annotations

from jobsnb.limits import (
    DEVICE_STATUSES,
    MAX_PENDING_SUMMARIES,
    MAX_PENDING_SUMMARIES_SCHEDULED,
    VERSION_MISMATCH,
    check_execution_number,
    check_job_id,
    check_status_details,
    check_step_timeout,
    check_thing_name,
)
from jobsnb.service.engine import Engine, ThingQueue
from jobsnb.service.errors import (
    InvalidRequestException,
    InvalidStateTransitionException,
    ResourceNotFoundException,
    VersionConflictException,
)
from jobsnb.service.executions import Execution
from jobsnb.service.locking import operation

__all__ = ["ExecutionOperations", "pending_lists"]


def pending_lists(queue: ThingQueue | None) -> tuple[list[Execution], list[Execution]]:
    """A thing's next pending executions, split into IN_PROGRESS and QUEUED, as devices see them.

    At most 10, or 15 when one of the thing's pending executions is of a job with a
    schedulingConfig (the developer guide's job limits: 10 without, 15 with); the same list
    answers GetPendingJobExecutions and makes MQTT's ``jobs/notify``.
    """
    if queue is None:
        return [], []
    first = queue.ordered_pending()
    cap = MAX_PENDING_SUMMARIES
    # Only a thing with more than 10 pending pays for the look at its jobs' schedules.
    if len(first) > cap and any(ex.job.schedule is not None for ex in first):
        cap = MAX_PENDING_SUMMARIES_SCHEDULED
    first = first[:cap]
    in_progress = [ex for ex in first if ex.status == "IN_PROGRESS"]
    queued = [ex for ex in first if ex.status == "QUEUED"]
    return in_progress, queued


class ExecutionOperations(Engine):
    """The operations on single executions, over the engine's state machine."""

    @operation
    def find_execution(
        self, thing_name: str, job_id: str, execution_number: int | None = None
    ) -> Execution:
        """The thing's latest execution of the job, or the one numbered ``execution_number``.

        Raises
        ------
        ResourceNotFoundException
            When the job does not exist or has no such execution on the thing.
        InvalidRequestException
            When the thing name or job id is malformed.
        """
        check_thing_name(thing_name)
        check_job_id(job_id)
        job = self.jobs.get(job_id)
        runs = job.executions.get(thing_name) if job is not None else None
        if not runs:
            raise ResourceNotFoundException(
                f"Job execution of job {job_id} on thing {thing_name} cannot be found."
            )
        if execution_number is None:
            return runs[-1]
        for execution in runs:
            if execution.execution_number == execution_number:
                return execution
        raise ResourceNotFoundException(
            f"Execution number {execution_number} of job {job_id} on thing {thing_name} "
            "cannot be found."
        )

    @operation
    def get_pending_job_executions(
        self, thing_name: str
    ) -> tuple[list[Execution], list[Execution]]:
        """The next pending executions, split into IN_PROGRESS and QUEUED.

        At most 10, or 15 when one of the thing's pending executions is of a job with a
        schedulingConfig (the developer guide's job limits: 10 without, 15 with).
        """
        check_thing_name(thing_name)
        return pending_lists(self.by_thing.get(thing_name))

    @operation
    def start_next_pending_job_execution(
        self,
        thing_name: str,
        status_details: dict[str, str] | None = None,
        step_timeout_minutes: int | None = None,
    ) -> Execution | None:
        """Start the thing's next pending execution and return it; None when it has none.

        A QUEUED execution moves to IN_PROGRESS and takes ``status_details``; one already
        IN_PROGRESS is returned as it is. Either way ``step_timeout_minutes``, when given,
        replaces its step timer.

        Raises
        ------
        InvalidRequestException
            When the thing name, the details or the step timeout break AWS's rules.
        """
        check_thing_name(thing_name)
        if status_details is not None:
            status_details = check_status_details(status_details)
        if step_timeout_minutes is not None:
            check_step_timeout(step_timeout_minutes)
        queue = self.by_thing.get(thing_name)
        execution = queue.next_pending() if queue is not None else None
        if execution is None:
            return None
        now = self.now()
        if execution.status == "QUEUED":
            self.start(execution, now)
            if status_details is not None:
                execution.details = status_details
        self.set_step_timer(execution, step_timeout_minutes, now)
        return execution

    @operation
    def describe_job_execution(
        self, thing_name: str, job_id: str, execution_number: int | None = None
    ) -> Execution | None:
        """The latest (or numbered) execution; ``$next`` gives the next pending one, or None."""
        if execution_number is not None:
            check_execution_number(execution_number)
        if job_id == "$next":
            check_thing_name(thing_name)
            queue = self.by_thing.get(thing_name)
            return queue.next_pending() if queue is not None else None
        return self.find_execution(thing_name, job_id, execution_number)

    @operation
    def update_job_execution(
        self,
        thing_name: str,
        job_id: str,
        status: str,
        status_details: dict[str, str] | None = None,
        step_timeout_minutes: int | None = None,
        expected_version: int | None = None,
        execution_number: int | None = None,
    ) -> Execution:
        """A device's report. Checks run in the spec's order: exists, version, terminal, status.

        Each InvalidStateTransitionException carries the execution's current state.
        """
        if execution_number is not None:
            check_execution_number(execution_number)
        execution = self.find_execution(thing_name, job_id, execution_number)
        if expected_version is not None and expected_version != execution.version:
            raise InvalidStateTransitionException(
                f"{VERSION_MISMATCH}: expectedVersion {expected_version} does not match the "
                f"current versionNumber {execution.version}.",
                execution.state_shape(),
            )
        if not execution.pending:
            raise InvalidStateTransitionException(
                f"Job execution is in the terminal state {execution.status} and cannot be updated.",
                execution.state_shape(),
            )
        if status not in DEVICE_STATUSES:
            if status == "QUEUED":
                raise InvalidStateTransitionException(
                    f"A job execution cannot move from {execution.status} to QUEUED.",
                    execution.state_shape(),
                )
            raise InvalidRequestException(
                f"status must be one of IN_PROGRESS, SUCCEEDED, FAILED, REJECTED (got {status!r})."
            )
        if status_details is not None:
            status_details = check_status_details(status_details)
        if step_timeout_minutes is not None:
            check_step_timeout(step_timeout_minutes, allow_cancel=True)
        now = self.now()
        if status == "IN_PROGRESS":
            if execution.status == "QUEUED":
                self.start(execution, now)
            else:
                execution.version += 1
                execution.last_updated_at = now
            if status_details is not None:
                execution.details = status_details
            self.set_step_timer(execution, step_timeout_minutes, now)
        else:
            if status_details is not None:
                execution.details = status_details
            self.finish(execution, status, now)
        return execution

    # ----------------------------------------------------------------- control plane
    @operation
    def cancel_job_execution(
        self,
        thing_name: str,
        job_id: str,
        force: bool = False,
        expected_version: int | None = None,
        status_details: dict[str, str] | None = None,
    ) -> Execution:
        """Cancel the thing's latest execution of the job and return it.

        ``status_details``, when given, replaces the execution's details.

        Raises
        ------
        ResourceNotFoundException
            When the job has no execution on the thing.
        VersionConflictException
            When ``expected_version`` is not the execution's version.
        InvalidStateTransitionException
            When the execution is terminal, or IN_PROGRESS and ``force`` is false.
        """
        execution = self.find_execution(thing_name, job_id)
        if expected_version is not None and expected_version != execution.version:
            raise VersionConflictException(
                f"expectedVersion {expected_version} does not match the current version "
                f"{execution.version}."
            )
        if not execution.pending:
            raise InvalidStateTransitionException(
                f"Job execution is already {execution.status} and cannot be canceled."
            )
        if execution.status == "IN_PROGRESS" and not force:
            raise InvalidStateTransitionException(
                "Job execution is IN_PROGRESS; cancel it with force=true."
            )
        if status_details is not None:
            execution.details = check_status_details(status_details)
        self.finish(execution, "CANCELED", self.now(), force=force)
        return execution

    @operation
    def delete_job_execution(
        self, thing_name: str, job_id: str, execution_number: int, force: bool = False
    ) -> None:
        """Delete the execution numbered ``execution_number``; the job may then complete.

        Raises
        ------
        ResourceNotFoundException
            When there is no such execution.
        InvalidStateTransitionException
            When the execution is IN_PROGRESS and ``force`` is false.
        """
        execution = self.find_execution(thing_name, job_id, execution_number)
        if execution.status == "IN_PROGRESS" and not force:
            raise InvalidStateTransitionException(
                "Job execution is IN_PROGRESS; delete it with force=true."
            )
        self.forget(execution)
        self.check_completed(execution.job, self.now())
