"""AWS's jobs events on ``$aws/events/job/...`` and ``$aws/events/jobExecution/...``.

Sent only while UpdateEventConfigurations has enabled ``JOB`` or ``JOB_EXECUTION`` (both off
by default, as on AWS). The payloads follow the developer guide's examples ("Jobs events"):
``timestamp`` in epoch seconds, a job's times in epoch milliseconds. A cancellation or a deletion
is instant here, so its ``..._in_progress`` event comes right before the final one.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from jobsnb.service.executions import Execution
from jobsnb.service.jobs import Job

if TYPE_CHECKING:
    from jobsnb.service.backend import JobsBackend

__all__ = ["event_message"]

#: The counters a job's events carry, from DescribeJob's jobProcessDetails.
_COUNTERS = (
    "numberOfCanceledThings",
    "numberOfRejectedThings",
    "numberOfFailedThings",
    "numberOfRemovedThings",
    "numberOfSucceededThings",
    "numberOfTimedOutThings",
)
_TYPES = {"job": "JOB", "jobExecution": "JOB_EXECUTION"}


def event_message(
    backend: JobsBackend, kind: str, operation: str, subject: object, status: str, now: float
) -> tuple[str, dict[str, Any]] | None:
    """The topic and payload of one jobs event, or None while its type is disabled.

    ``status`` is the subject's when the event happened: a cancellation's ``..._in_progress``
    event shows the job as it was (IN_PROGRESS), a deletion's shows DELETION_IN_PROGRESS.
    """
    event_type = _TYPES[kind]
    if not backend.events_enabled(event_type):
        return None
    message: dict[str, Any] = {
        "eventType": event_type,
        "eventId": str(uuid.uuid4()),
        "timestamp": int(now),
        "operation": operation,
    }
    if isinstance(subject, Execution):
        message.update(
            jobId=subject.job.job_id,
            thingArn=backend.thing_arn(subject.thing_name),
            status=status,
            statusDetails=dict(subject.details or {}),
        )
        return f"$aws/events/jobExecution/{subject.job.job_id}/{operation}", message
    assert isinstance(subject, Job)
    message.update(
        jobId=subject.job_id,
        status=status,
        targetSelection=subject.target_selection,
        targets=list(subject.targets),
        createdAt=_millis(subject.created_at),
        lastUpdatedAt=_millis(subject.last_updated_at),
    )
    if subject.description is not None:
        message["description"] = subject.description
    if subject.comment is not None:
        message["comment"] = subject.comment
    if operation == "completed":
        details = subject.process_details()
        message["completedAt"] = _millis(subject.completed_at or now)
        message["jobProcessDetails"] = {name: details[name] for name in _COUNTERS}
    return f"$aws/events/job/{subject.job_id}/{operation}", message


def _millis(seconds: float) -> int:
    return int(seconds * 1000)
