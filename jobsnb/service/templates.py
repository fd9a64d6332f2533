"""Job templates: custom ones, AWS's managed ones, and CreateJob's ``jobTemplateArn``.

Also the check of the presigned-URL placeholders every job document may hold. A base of
:class:`~jobsnb.service.backend.JobsBackend`; every operation takes its lock.

Decisions where AWS is silent:

* A job created from a template takes the template's document, description and configs
  (timeout, retry, rollout, abort, presignedUrlConfig); a description or config given in
  CreateJob itself wins, as AWS's developer guide says of the configs ("You can override advanced
  configurations ... by passing the associated parameters of the create-job command") and its
  example shows of the description (a job from a managed template answers with the template's
  description). A ``document`` given with a ``jobTemplateArn`` is refused (400): the template is
  the document, and a document silently replaced is a bug found in the field.
* A template made from a job (``jobArn``) copies the job's document and configs; configs given
  in CreateJobTemplate win in the same way. The job may be in any status.
* ``documentParameters`` are taken only with a managed template's ARN (the model: "can only be
  used when creating jobs from AWS managed templates"); anywhere else they are refused (400).
* A managed template's ARN without ``:VERSION`` names its default version; a custom template's
  ARN is ``arn:aws:iot:REGION:ACCOUNT:jobtemplate/ID``. An ARN of neither shape is refused (400),
  one of a template that does not exist is 404 ResourceNotFoundException.
* ListManagedJobTemplates with a ``templateName`` that names no managed template answers 404
  ResourceNotFoundException (its model lists it, and only that filter can miss); the list is in
  name order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobsnb.limits import check_job_id
from jobsnb.service.engine import Engine
from jobsnb.service.errors import (
    ConflictException,
    InvalidRequestException,
    ResourceNotFoundException,
)
from jobsnb.service.job_configs import check_description, check_document, parse_job_configs
from jobsnb.service.jobs import Job
from jobsnb.service.locking import operation
from jobsnb.service.managed_templates import MANAGED_TEMPLATES, VERSION, ManagedTemplate
from jobsnb.service.paging import page
from jobsnb.service.presigned import PresignedDocument, UrlSigner, check_presigned_url_config
from jobsnb.service.registry import list_once
from jobsnb.service.things import ThingRegistry

__all__ = ["CONFIGS", "JobTemplate", "JobTemplates", "job_configs"]

_MANAGED_ARN = re.compile(
    r"arn:aws:iot:(?P<region>[a-z0-9-]+)::jobtemplate/(?P<name>[^:]+)(?::(?P<version>.+))?"
)
_VERSION_PATTERN = re.compile(r"[1-9]+.[0-9]+")
_TEMPLATE_ARN = re.compile(r"arn:[!-~]{1,1596}")  # the model: ^arn:[!-~]+$, at most 1600
#: The configs a job takes from its template, by CreateJob's member name.
CONFIGS = (
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "presignedUrlConfig",
)


@dataclass(eq=False)
class JobTemplate:
    """A custom job template: a document, a description and the configs of the jobs made from it.

    ``configs`` holds the configs given, by their member names (:data:`CONFIGS`).
    """

    template_id: str
    arn: str
    description: str
    document: str
    created_at: float
    configs: dict[str, dict[str, Any]]

    def summary(self) -> dict[str, object]:
        """ListJobTemplates' JobTemplateSummary."""
        return {
            "jobTemplateArn": self.arn,
            "jobTemplateId": self.template_id,
            "description": self.description,
            "createdAt": self.created_at,
        }

    def describe(self) -> dict[str, object]:
        """DescribeJobTemplate's output; a config only when set."""
        return {**self.summary(), "document": self.document, **self.configs}


def job_configs(job: Job) -> dict[str, Any]:
    """The job's configs by member name, as CreateJob took them (None where not set)."""
    return dict(
        zip(
            CONFIGS,
            (job.timeout_config, job.retry_config, job.rollout_config, job.abort_config,
             job.presigned_url_config),
            strict=True,
        )
    )  # fmt: skip


class JobTemplates(ThingRegistry, Engine):
    """Custom and managed job templates, and the presigned URLs of job documents.

    Examples
    --------
    >>> from jobsnb.service import JobsBackend, ManualClock
    >>> backend = JobsBackend(ManualClock(1_700_000_000))
    >>> target = [backend.create_thing("sensor-1").arn]
    >>> template = backend.create_job_template("reboot", "Reboot", document='{"op": "reboot"}')
    >>> job = backend.create_job("r1", target, job_template_arn=template.arn)
    >>> job.document, job.description
    ('{"op": "reboot"}', 'Reboot')
    >>> managed = backend.describe_managed_job_template("AWS-Run-Command").arn(backend.region)
    >>> job = backend.create_job(
    ...     "ls", target, job_template_arn=managed, document_parameters={"command": "ls,-l"}
    ... )
    >>> job.document
    '{"version":"1.0","steps":[{"action":{"name":"Run-Command","type":"runCommand","input":{"command":"ls,-l"},"runAsUser":""}}]}'
    """

    endpoint_address: str

    def _init_templates(self) -> None:
        self.job_templates: dict[str, JobTemplate] = {}
        self._template_order: list[str] = []
        self._former_templates: set[str] = set()
        self.url_signer = UrlSigner(lambda: self.endpoint_address)

    # ----------------------------------------------------------------- presigned URLs
    def presigned_document(
        self, document: str, presigned_url_config: dict[str, Any] | None
    ) -> PresignedDocument | None:
        """The document's presigned-URL placeholders parsed, or None when it has none.

        Raises
        ------
        InvalidRequestException
            When it has placeholders but no ``presigned_url_config``, or one names no S3 object.
        """
        parsed = PresignedDocument.parse(document, self.url_signer)
        if parsed is not None and presigned_url_config is None:
            raise InvalidRequestException(
                "presignedUrlConfig is required: the document has "
                "${aws:iot:s3-presigned-url:...} placeholders"
            )
        return parsed

    # ----------------------------------------------------------------- custom templates
    @operation
    def create_job_template(
        self,
        template_id: str,
        description: str | None,
        job_arn: str | None = None,
        document: str | None = None,
        configs: dict[str, Any] | None = None,
    ) -> JobTemplate:
        """Create a custom template from a document, or from an existing job (``job_arn``).

        ``configs`` maps config member names (:data:`CONFIGS`) to the configs given.

        Raises
        ------
        ConflictException
            When a template with ``template_id`` exists.
        ResourceNotFoundException
            When ``job_arn`` names no job.
        InvalidRequestException
            When the id, description, document or a config breaks CreateJob's rules, or not
            exactly one of ``job_arn`` and ``document`` is given.
        """
        check_job_id(template_id, "jobTemplateId")
        if template_id in self.job_templates:
            raise ConflictException(f"Job template {template_id} already exists.")
        if description is None:
            raise InvalidRequestException("description is required")
        check_description(description)
        if (job_arn is None) == (document is None):
            raise InvalidRequestException("Exactly one of jobArn and document is required")
        given = {name: value for name, value in (configs or {}).items() if value is not None}
        if job_arn is not None:
            job = self._job_of_arn(job_arn)
            document = job.document
            given = {**job_configs(job), **given}
        assert document is not None
        check_document(document)
        stored = self._check_configs(document, given)
        template = JobTemplate(
            template_id,
            self._arn("jobtemplate", template_id),
            description,
            document,
            self.now(),
            stored,
        )
        self.job_templates[template_id] = template
        list_once(self._template_order, self._former_templates, template_id)
        return template

    def _check_configs(self, document: str, configs: dict[str, Any]) -> dict[str, Any]:
        """The configs that are set, checked by CreateJob's rules, as a template stores them."""
        scratch = Job("template", "", document, [], "SNAPSHOT", 0.0)
        parse_job_configs(scratch, *(configs.get(name) for name in CONFIGS[:4]))
        presigned = check_presigned_url_config(configs.get("presignedUrlConfig"))
        self.presigned_document(document, presigned)
        checked = {**configs, "presignedUrlConfig": presigned}
        return {name: checked[name] for name in CONFIGS if checked.get(name) is not None}

    def _job_of_arn(self, job_arn: str) -> Job:
        prefix = self._arn("job", "")
        job = self.jobs.get(job_arn[len(prefix) :]) if job_arn.startswith(prefix) else None
        if job is None:
            raise ResourceNotFoundException(f"Job {job_arn} cannot be found.")
        return job

    @operation
    def describe_job_template(self, template_id: str) -> JobTemplate:
        """The custom template ``template_id``; ResourceNotFoundException when there is none."""
        check_job_id(template_id, "jobTemplateId")
        template = self.job_templates.get(template_id)
        if template is None:
            raise ResourceNotFoundException(f"Job template {template_id} cannot be found.")
        return template

    @operation
    def list_job_templates(
        self, next_token: str | None = None, max_results: int | None = None
    ) -> tuple[list[JobTemplate], str | None]:
        """One page of custom templates in creation order, and the next token."""
        return page(self._template_order, self.job_templates.get, next_token, max_results)

    @operation
    def delete_job_template(self, template_id: str) -> None:
        """Delete the custom template (jobs made from it keep what they took)."""
        self.describe_job_template(template_id)
        del self.job_templates[template_id]
        self._former_templates.add(template_id)

    # ----------------------------------------------------------------- managed templates
    @operation
    def list_managed_job_templates(
        self,
        template_name: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> tuple[list[ManagedTemplate], str | None]:
        """One page of managed templates (every version; ``template_name``: of that one only)."""
        if template_name is not None:
            templates = [self.describe_managed_job_template(template_name)]
        else:
            templates = list(MANAGED_TEMPLATES.values())
        return page(templates, lambda template: template, next_token, max_results)

    @operation
    def describe_managed_job_template(
        self, template_name: str, template_version: str | None = None
    ) -> ManagedTemplate:
        """The managed template, at ``template_version`` (its default version when None).

        Raises
        ------
        ResourceNotFoundException
            When there is no such template or version.
        InvalidRequestException
            When ``template_version`` is not shaped like ``1.0``.
        """
        if not 1 <= len(template_name) <= 64:
            raise InvalidRequestException("templateName must be 1-64 characters")
        if template_version is not None and not _VERSION_PATTERN.fullmatch(template_version):
            raise InvalidRequestException(
                f"templateVersion {template_version!r} must look like {VERSION!r}"
            )
        template = MANAGED_TEMPLATES.get(template_name)
        if template is None or template_version not in (None, template.version):
            version = f" version {template_version}" if template_version else ""
            raise ResourceNotFoundException(
                f"Managed job template {template_name}{version} cannot be found."
            )
        return template

    # ----------------------------------------------------------------- CreateJob
    def job_basis(
        self,
        template_arn: str | None,
        document: str | None,
        document_parameters: dict[str, Any] | None,
    ) -> tuple[str, str | None, dict[str, Any]]:
        """What a CreateJob naming ``template_arn`` takes from it: document, description, configs.

        Raises
        ------
        InvalidRequestException
            When a document is given too, documentParameters come without a managed
            template's ARN, the ARN is malformed, or a parameter is refused (naming its key).
        ResourceNotFoundException
            When the ARN names no template.
        """
        if template_arn is None:
            raise InvalidRequestException(
                "documentParameters can only be used with the jobTemplateArn of an AWS managed "
                "template"
            )
        if not _TEMPLATE_ARN.fullmatch(template_arn):
            raise self._not_a_template_arn(template_arn)
        if document is not None:
            raise InvalidRequestException(
                "document and jobTemplateArn cannot both be given: the job's document is its "
                "template's"
            )
        managed = _MANAGED_ARN.fullmatch(template_arn)
        if managed is not None and managed.group("region") == self.region:
            template = self.describe_managed_job_template(
                managed.group("name"), managed.group("version")
            )
            return template.render(document_parameters), template.description, {}
        prefix = self._arn("jobtemplate", "")
        if managed is None and template_arn.startswith(prefix):
            custom = self.describe_job_template(template_arn[len(prefix) :])
            if document_parameters is not None:
                raise InvalidRequestException(
                    "documentParameters can only be used with AWS managed templates, not with "
                    f"custom template {custom.template_id}"
                )
            return custom.document, custom.description, dict(custom.configs)
        raise self._not_a_template_arn(template_arn)

    def _not_a_template_arn(self, template_arn: str) -> InvalidRequestException:
        shown = template_arn if len(template_arn) <= 100 else template_arn[:100] + "..."
        return InvalidRequestException(
            f"jobTemplateArn {shown!r} is not a job template ARN of {self.region} "
            f"(arn:aws:iot:{self.region}:{self.account_id}:jobtemplate/ID or "
            f"arn:aws:iot:{self.region}::jobtemplate/NAME:VERSION, at most 1600 characters)"
        )
