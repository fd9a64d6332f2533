"""A job: its document, targets, configs (timeout, retry, rollout, abort) and its executions.

The configs are checked and parsed in :mod:`jobsnb.service.job_configs`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jobsnb.limits import (
    PROCESS_COUNTERS,
    STATUSES,
)
from jobsnb.service.executions import Execution
from jobsnb.service.presigned import PresignedDocument
from jobsnb.service.scheduling import Schedule

__all__ = [
    "AbortCriterion",
    "Job",
    "ReleaseQueue",
    "Rollout",
]


class ReleaseQueue:
    """The things a rollout has yet to queue, first in first out, with O(1) membership.

    A CONTINUOUS job on a 100,000-thing group asks "is this thing waiting?" each time a thing
    joins the group; scanning a deque for it made every enrolment cost the whole fleet.

    Examples
    --------
    >>> waiting = ReleaseQueue(["t1", "t2"])
    >>> "t2" in waiting, waiting.popleft(), len(waiting)
    (True, 't1', 1)
    """

    __slots__ = ("_members", "_order")

    def __init__(self, things: Iterable[str] = ()) -> None:
        self._order: deque[str] = deque()
        self._members: set[str] = set()
        self.extend(things)

    def __contains__(self, thing_name: object) -> bool:
        return thing_name in self._members

    def __len__(self) -> int:
        return len(self._order)

    def extend(self, things: Iterable[str]) -> None:
        """Add ``things`` at the back, in order (one already waiting keeps its place)."""
        for thing in things:
            self.append(thing)

    def append(self, thing_name: str) -> None:
        """Add ``thing_name`` at the back unless it is waiting already."""
        if thing_name not in self._members:
            self._members.add(thing_name)
            self._order.append(thing_name)

    def popleft(self) -> str:
        """The thing waiting longest, no longer waiting."""
        thing_name = self._order.popleft()
        self._members.discard(thing_name)
        return thing_name

    def remove(self, thing_name: str) -> None:
        """Stop ``thing_name`` waiting (it left the job's groups)."""
        self._members.remove(thing_name)
        self._order.remove(thing_name)

    def clear(self) -> None:
        """Nothing waits any more (the job was canceled)."""
        self._order.clear()
        self._members.clear()


@dataclass(slots=True)
class AbortCriterion:
    """One abortConfig criterion: when the share of executed things that failed cancels a job.

    The job is cancelled once at least ``min_executed`` things have executed (SUCCEEDED,
    FAILED, REJECTED or TIMED_OUT) and ``threshold_percentage`` percent of them ended in
    ``failure_type`` (``ALL``: any of the three failures).
    """

    failure_type: str
    threshold_percentage: float
    min_executed: int


@dataclass(slots=True)
class Rollout:
    """How fast a job releases executions: a per-minute rate, optionally growing exponentially."""

    maximum_per_minute: int | None
    rate: int
    increment_factor: float | None = None
    notified_for_increase: int | None = None
    succeeded_for_increase: int | None = None
    notified_since_increase: int = 0
    succeeded_since_increase: int = 0

    def maybe_increase(self) -> None:
        """Raise the rate once enough things were notified (or succeeded) since the last rise.

        The new rate is ``increment_factor`` times the old, at least one more, at most
        ``maximum_per_minute`` (1000 without one); the counts start again from zero.
        """
        if self.increment_factor is None:
            return
        notified = self.notified_for_increase
        succeeded = self.succeeded_for_increase
        if (notified is not None and self.notified_since_increase >= notified) or (
            succeeded is not None and self.succeeded_since_increase >= succeeded
        ):
            ceiling = self.maximum_per_minute or 1000
            self.rate = min(ceiling, max(self.rate + 1, int(self.rate * self.increment_factor)))
            self.notified_since_increase = 0
            self.succeeded_since_increase = 0


@dataclass(eq=False)
class Job:
    """A job: CreateJob's request, its status and counters, and its executions on each thing.

    ``counts`` holds executions per status (every attempt counts), ``pending_count`` those
    QUEUED or IN_PROGRESS, ``unreleased`` the things its rollout has yet to queue.
    """

    job_id: str
    arn: str
    document: str
    targets: list[str]
    target_selection: str
    created_at: float
    description: str | None = None
    timeout_config: dict[str, Any] | None = None
    retry_config: dict[str, Any] | None = None
    rollout_config: dict[str, Any] | None = None
    abort_config: dict[str, Any] | None = None
    presigned_url_config: dict[str, Any] | None = None
    job_template_arn: str | None = None
    document_parameters: dict[str, str] | None = None
    # The document's presigned-URL placeholders, parsed once: None (the rule) costs nothing.
    presigned: PresignedDocument | None = None
    in_progress_minutes: int | None = None
    retries: dict[str, int] = field(default_factory=dict)
    abort_criteria: list[AbortCriterion] = field(default_factory=list)
    rollout: Rollout | None = None
    schedule: Schedule | None = None
    status: str = "IN_PROGRESS"
    last_updated_at: float = 0.0
    completed_at: float | None = None
    force_canceled: bool = False
    reason_code: str | None = None
    comment: str | None = None
    # Executions per thing, oldest first; thing_order lists things in the order they were added.
    executions: dict[str, list[Execution]] = field(default_factory=dict)
    thing_order: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    pending_count: int = 0
    unreleased: ReleaseQueue = field(default_factory=ReleaseQueue)
    next_release_at: float | None = None

    @property
    def continuous(self) -> bool:
        """True for a CONTINUOUS job, which follows its target groups' membership."""
        return self.target_selection == "CONTINUOUS"

    @property
    def concurrent(self) -> bool:
        """isConcurrent: true while the job's rollout still has things to release.

        AWS: "true when a job is rolling out new job executions or canceling previously created
        executions". Here a cancellation (CancelJob, an abort) finishes within its request, so
        only a rollout with things waiting is ever seen in progress; between two maintenance
        windows a job waits and is not concurrent.
        """
        waiting = self.schedule is not None and bool(self.schedule.windows)
        return (
            self.status == "IN_PROGRESS"
            and bool(self.unreleased)
            and (not waiting or self.next_release_at is not None)
        )

    def latest(self, thing_name: str) -> Execution | None:
        """The thing's latest execution of this job (its highest number), or None."""
        runs = self.executions.get(thing_name)
        return runs[-1] if runs else None

    def device_document(self, now: float) -> str:
        """The document as a device receives it now: presigned URLs issued at ``now``."""
        if self.presigned is None or self.presigned_url_config is None:
            return self.document
        return self.presigned.render(now, self.presigned_url_config["expiresInSec"])

    def retries_allowed(self, failure: str) -> int:
        """How many retries a failure of this type gets: its own criterion first, then ALL."""
        if failure in self.retries:
            return self.retries[failure]
        return self.retries.get("ALL", 0)

    def process_details(self) -> dict[str, object]:
        """DescribeJob's jobProcessDetails: counts per status, targets while IN_PROGRESS."""
        details: dict[str, object] = {
            name: self.counts[status] for status, name in PROCESS_COUNTERS.items()
        }
        details["processingTargets"] = list(self.targets) if self.status == "IN_PROGRESS" else []
        return details

    def describe(self) -> dict[str, object]:
        """DescribeJob's job; optional members (description, configs, ...) only when set."""
        shape: dict[str, object] = {
            "jobArn": self.arn,
            "jobId": self.job_id,
            "targetSelection": self.target_selection,
            "status": self.status,
            "forceCanceled": self.force_canceled,
            "targets": list(self.targets),
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "jobProcessDetails": self.process_details(),
            "isConcurrent": self.concurrent,
        }
        optional = {
            "description": self.description,
            "reasonCode": self.reason_code,
            "comment": self.comment,
            "completedAt": self.completed_at,
            "timeoutConfig": self.timeout_config,
            "jobExecutionsRetryConfig": self.retry_config,
            "jobExecutionsRolloutConfig": self.rollout_config,
            "abortConfig": self.abort_config,
            "presignedUrlConfig": self.presigned_url_config,
            "jobTemplateArn": self.job_template_arn,
            "documentParameters": self.document_parameters,
        }
        shape.update({key: value for key, value in optional.items() if value is not None})
        return shape

    def summary(self) -> dict[str, object]:
        """ListJobs' JobSummary."""
        shape: dict[str, object] = {
            "jobArn": self.arn,
            "jobId": self.job_id,
            "targetSelection": self.target_selection,
            "status": self.status,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "isConcurrent": self.concurrent,
        }
        if self.completed_at is not None:
            shape["completedAt"] = self.completed_at
        return shape
