"""Changing a job after CreateJob: UpdateJob and AssociateTargetsWithJob, and target resolution.

Decisions where AWS is silent:

* UpdateJob changes only the configs it is given; each is validated by CreateJob's rules, all
  before any is applied. A new presignedUrlConfig applies to documents devices receive from then
  on. A new rollout config governs the things not yet released (from the next
  release on; a job whose executions were all released has nothing left for it to pace). A new
  timeout config applies to executions started afterwards (those in progress keep their
  deadline). New retry and abort configs apply to failures from then on.
* AssociateTargetsWithJob follows its model's documentation: the job must be CONTINUOUS and
  IN_PROGRESS. New targets' things get executions like CreateJob's, through the job's rollout
  when it has one (a rollout with nothing scheduled releases at once); ``comment`` becomes the
  job's ``comment``.
"""

from __future__ import annotations

from typing import Any

from jobsnb.limits import MAX_TARGETS
from jobsnb.service.engine import Engine
from jobsnb.service.errors import (
    InvalidRequestException,
    LimitExceededException,
    ResourceNotFoundException,
)
from jobsnb.service.job_configs import check_description, parse_job_configs
from jobsnb.service.jobs import Job
from jobsnb.service.locking import operation
from jobsnb.service.presigned import check_presigned_url_config
from jobsnb.service.things import ThingRegistry

__all__ = ["JobUpdates"]


class JobUpdates(ThingRegistry, Engine):
    """UpdateJob and AssociateTargetsWithJob over the engine, with the thing registry's lookups."""

    continuous_by_group: dict[str, list[Job]]

    def _job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ResourceNotFoundException(f"Job {job_id} cannot be found.")
        return job

    def _resolve_targets(self, targets: list[str]) -> list[str]:
        names: dict[str, None] = {}
        for arn in targets:
            if not isinstance(arn, str):
                raise InvalidRequestException("targets must be ARNs")
            thing_name = self._name_from_arn(arn, "thing")
            group_name = self._name_from_arn(arn, "thinggroup")
            if thing_name is not None:
                names[self.describe_thing(thing_name).name] = None
            elif group_name is not None:
                group = self.describe_thing_group(group_name)
                names.update(dict.fromkeys(self._members(group, False)))
            else:
                raise InvalidRequestException(
                    f"Target {arn} is not a thing or thing group ARN of account "
                    f"{self.account_id} in {self.region}"
                )
        return list(names)

    def _follow_groups(self, job: Job, targets: list[str]) -> None:
        """A CONTINUOUS job learns of things joining and leaving its target groups."""
        if job.continuous:
            for arn in targets:
                if self._name_from_arn(arn, "thinggroup") is not None:
                    self.continuous_by_group.setdefault(arn, []).append(job)

    @operation
    def update_job(
        self,
        job_id: str,
        description: str | None = None,
        timeout_config: dict[str, Any] | None = None,
        retry_config: dict[str, Any] | None = None,
        rollout_config: dict[str, Any] | None = None,
        abort_config: dict[str, Any] | None = None,
        presigned_url_config: dict[str, Any] | None = None,
    ) -> Job:
        """Change the job's description and the configs given (None leaves one as it is).

        Raises
        ------
        ResourceNotFoundException
            When the job does not exist.
        InvalidRequestException
            When the job is COMPLETED or CANCELED, or a value breaks CreateJob's rules.
        """
        job = self._job(job_id)
        if job.status not in ("IN_PROGRESS", "SCHEDULED"):
            raise InvalidRequestException(f"Job {job_id} is {job.status} and cannot be updated.")
        check_description(description)
        # Check every config on a scratch job first, so a bad one changes nothing.
        scratch = Job(job.job_id, job.arn, "", [], job.target_selection, job.created_at)
        parse_job_configs(scratch, timeout_config, retry_config, rollout_config, abort_config)
        presigned_url_config = check_presigned_url_config(presigned_url_config)
        if description is not None:
            job.description = description
        if timeout_config is not None:
            job.timeout_config, job.in_progress_minutes = (
                timeout_config,
                scratch.in_progress_minutes,
            )
        if retry_config is not None:
            job.retry_config, job.retries = retry_config, scratch.retries
        if rollout_config is not None:
            job.rollout_config, job.rollout = rollout_config, scratch.rollout
        if abort_config is not None:
            job.abort_config, job.abort_criteria = abort_config, scratch.abort_criteria
        if presigned_url_config is not None:
            job.presigned_url_config = presigned_url_config
        job.last_updated_at = self.now()
        return job

    @operation
    def associate_targets_with_job(
        self, job_id: str, targets: list[str], comment: str | None = None
    ) -> Job:
        """Add things and thing groups to a CONTINUOUS job and queue executions for them.

        Raises
        ------
        ResourceNotFoundException
            When the job or a target does not exist.
        InvalidRequestException
            When the job is not CONTINUOUS and IN_PROGRESS, or a target is not an ARN.
        LimitExceededException
            When the job would have more than :data:`~jobsnb.limits.MAX_TARGETS` targets.
        """
        job = self._job(job_id)
        if not isinstance(targets, list) or not targets:
            raise InvalidRequestException("targets must list at least one ARN")
        if not job.continuous or job.status != "IN_PROGRESS":
            raise InvalidRequestException(
                f"Job {job_id} is a {job.target_selection} job in status {job.status}: targets "
                "can be associated only with a CONTINUOUS job IN_PROGRESS."
            )
        new = [arn for arn in dict.fromkeys(targets) if arn not in job.targets]
        if len(job.targets) + len(new) > MAX_TARGETS:
            raise LimitExceededException(
                f"Job {job_id} would have {len(job.targets) + len(new)} targets; "
                f"at most {MAX_TARGETS} are allowed."
            )
        things = self._resolve_targets(new)
        now = self.now()
        job.targets.extend(new)
        self._follow_groups(job, new)
        if comment is not None:
            job.comment = comment
        job.last_updated_at = now
        if job.rollout is None:
            for thing_name in things:
                self.add_target(job, thing_name, now)
        else:
            for thing_name in things:
                latest = job.latest(thing_name)
                if latest is None or latest.status == "REMOVED":
                    job.unreleased.append(thing_name)
            if job.unreleased and job.next_release_at is None:
                self.release(job, now)
        return job
