"""Request → backend call → JSON for the operations that change a job after CreateJob.

Also the one refusal of request fields AWS accepts but the local service does not implement:
each answers 400 InvalidRequestException naming the field, never accepted and ignored (spec §9).
Each handler is named like its AWS operation, whose documentation is its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jobsnb.service.backend import JobsBackend
from jobsnb.service.jobs import Job
from jobsnb.service.requests import Request

__all__ = [
    "CREATE_JOB_UNSUPPORTED",
    "associate_targets_with_job",
    "refuse_unsupported",
    "update_job",
]

Body = dict[str, Any]

#: CreateJob's members the service does not implement (the rest it does).
CREATE_JOB_UNSUPPORTED = (
    "documentSource",
    "tags",
    "namespaceId",
    "destinationPackageVersions",
)


def refuse_unsupported(req: Request, members: Iterable[str], query: Iterable[str] = ()) -> None:
    """Raise the operation's InvalidRequestException for the first unsupported field sent."""
    for name in members:
        if req.body.get(name) is not None:
            raise req.fail(f"The local service does not support {name}.")
    for name in query:
        if req.query_string(name) is not None:
            raise req.fail(f"The local service does not support {name}.")


def _job_reference(job: Job) -> Body:
    body: Body = {"jobArn": job.arn, "jobId": job.job_id}
    if job.description is not None:
        body["description"] = job.description
    return body


def update_job(backend: JobsBackend, req: Request) -> Body:
    """UpdateJob: no output members."""
    refuse_unsupported(req, (), ("namespaceId",))
    backend.update_job(
        req.path["jobId"],
        description=req.string("description"),
        timeout_config=req.struct("timeoutConfig"),
        retry_config=req.struct("jobExecutionsRetryConfig"),
        rollout_config=req.struct("jobExecutionsRolloutConfig"),
        abort_config=req.struct("abortConfig"),
        presigned_url_config=req.struct("presignedUrlConfig"),
    )
    return {}


def associate_targets_with_job(backend: JobsBackend, req: Request) -> Body:
    """AssociateTargetsWithJob: jobArn, jobId and description."""
    refuse_unsupported(req, (), ("namespaceId",))
    targets = req.string_list("targets")
    if targets is None:
        raise req.fail("targets is required.")
    job = backend.associate_targets_with_job(
        req.path["jobId"], targets, comment=req.string("comment")
    )
    return _job_reference(job)
