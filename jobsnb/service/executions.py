"""One job execution: a job's run on one thing, with its state, versions and timers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobsnb.service.jobs import Job

__all__ = ["Execution"]


class Execution:
    """One attempt of one job on one thing. Slots keep a million of these well under 1 GB.

    It holds no creation counter: its thing's pending list is in queue order, which breaks the
    ties of the "next" order (:meth:`next_order`).
    """

    __slots__ = (
        "details",
        "execution_number",
        "force_canceled",
        "job",
        "last_updated_at",
        "progress_deadline",
        "queued_at",
        "retry_attempt",
        "started_at",
        "status",
        "step_deadline",
        "thing_name",
        "version",
    )

    def __init__(
        self,
        job: Job,
        thing_name: str,
        execution_number: int,
        now: float,
        retry_attempt: int = 0,
    ) -> None:
        self.job = job
        self.thing_name = thing_name
        self.execution_number = execution_number
        self.status = "QUEUED"
        self.details: dict[str, str] | None = None
        self.queued_at = now
        self.started_at: float | None = None
        self.last_updated_at = now
        self.version = 1
        self.retry_attempt = retry_attempt
        self.force_canceled = False
        self.step_deadline: float | None = None
        self.progress_deadline: float | None = None

    @property
    def pending(self) -> bool:
        """True while the execution is QUEUED or IN_PROGRESS."""
        return self.status == "QUEUED" or self.status == "IN_PROGRESS"

    def next_order(self) -> tuple[int, float]:
        """Sort key of the "next" order: IN_PROGRESS first, then by queuedAt.

        Ties go to the execution queued first when the sort is stable over queue order, as
        :class:`~jobsnb.service.engine.ThingQueue`'s are.
        """
        return (0 if self.status == "IN_PROGRESS" else 1, self.queued_at)

    def deadline(self) -> float | None:
        """When this execution times out, or None when no timer runs."""
        if self.status != "IN_PROGRESS":
            return None
        step, progress = self.step_deadline, self.progress_deadline
        if step is None:
            return progress
        if progress is None:
            return step
        return min(step, progress)

    def data_summary(self) -> dict[str, object]:
        """The data plane's JobExecutionSummary (GetPendingJobExecutions); whole epoch seconds."""
        summary: dict[str, object] = {
            "jobId": self.job.job_id,
            "queuedAt": int(self.queued_at),
            "lastUpdatedAt": int(self.last_updated_at),
            "versionNumber": self.version,
            "executionNumber": self.execution_number,
        }
        if self.started_at is not None:
            summary["startedAt"] = int(self.started_at)
        return summary

    def data_shape(self, now: float, include_document: bool) -> dict[str, object]:
        """The data plane's JobExecution."""
        shape: dict[str, object] = {
            "jobId": self.job.job_id,
            "thingName": self.thing_name,
            "status": self.status,
            "statusDetails": dict(self.details or {}),
            "queuedAt": int(self.queued_at),
            "lastUpdatedAt": int(self.last_updated_at),
            "versionNumber": self.version,
            "executionNumber": self.execution_number,
        }
        if self.started_at is not None:
            shape["startedAt"] = int(self.started_at)
        deadline = self.deadline()
        if deadline is not None:
            shape["approximateSecondsBeforeTimedOut"] = max(0, int(deadline - now))
        if include_document:
            job = self.job
            # Only a document with presigned-URL placeholders costs a call (decided at CreateJob).
            shape["jobDocument"] = (
                job.document if job.presigned is None else job.device_document(now)
            )
        return shape

    def state_shape(self) -> dict[str, object]:
        """UpdateJobExecution's executionState."""
        return {
            "status": self.status,
            "statusDetails": dict(self.details or {}),
            "versionNumber": self.version,
        }

    def control_shape(self, thing_arn: str, now: float) -> dict[str, object]:
        """The control plane's JobExecution (DescribeJobExecution with the iot client)."""
        shape: dict[str, object] = {
            "jobId": self.job.job_id,
            "status": self.status,
            "forceCanceled": self.force_canceled,
            "statusDetails": {"detailsMap": dict(self.details or {})},
            "thingArn": thing_arn,
            "queuedAt": self.queued_at,
            "lastUpdatedAt": self.last_updated_at,
            "executionNumber": self.execution_number,
            "versionNumber": self.version,
        }
        if self.started_at is not None:
            shape["startedAt"] = self.started_at
        deadline = self.deadline()
        if deadline is not None:
            shape["approximateSecondsBeforeTimedOut"] = max(0, int(deadline - now))
        return shape

    def control_summary(self) -> dict[str, object]:
        """The control plane's JobExecutionSummary (list operations)."""
        summary: dict[str, object] = {
            "status": self.status,
            "queuedAt": self.queued_at,
            "lastUpdatedAt": self.last_updated_at,
            "executionNumber": self.execution_number,
            "retryAttempt": self.retry_attempt,
        }
        if self.started_at is not None:
            summary["startedAt"] = self.started_at
        return summary
