"""Request → backend call → JSON for job templates, managed templates and presigned URLs.

Each handler but the last is named like its AWS operation, whose documentation is its own.
:func:`get_presigned_url_object` answers the URLs the service puts in place of a document's
``${aws:iot:s3-presigned-url:...}`` placeholders (:mod:`~jobsnb.service.presigned`): it is the
service's own, not an AWS operation.
"""

from __future__ import annotations

from typing import Any

from jobsnb.service.backend import JobsBackend
from jobsnb.service.job_update_responses import refuse_unsupported
from jobsnb.service.paging import page_body
from jobsnb.service.requests import Request
from jobsnb.service.templates import CONFIGS

__all__ = [
    "CREATE_JOB_TEMPLATE_UNSUPPORTED",
    "create_job_template",
    "delete_job_template",
    "describe_job_template",
    "describe_managed_job_template",
    "get_presigned_url_object",
    "list_job_templates",
    "list_managed_job_templates",
]

Body = dict[str, Any]

#: CreateJobTemplate's members the service does not implement (the rest it does).
CREATE_JOB_TEMPLATE_UNSUPPORTED = (
    "documentSource",
    "tags",
    "maintenanceWindows",
    "destinationPackageVersions",
)


def create_job_template(backend: JobsBackend, req: Request) -> Body:
    """CreateJobTemplate: jobTemplateArn and jobTemplateId."""
    refuse_unsupported(req, CREATE_JOB_TEMPLATE_UNSUPPORTED)
    template = backend.create_job_template(
        req.path["jobTemplateId"],
        req.string("description"),
        job_arn=req.string("jobArn"),
        document=req.string("document"),
        configs={name: req.struct(name) for name in CONFIGS},
    )
    return {"jobTemplateArn": template.arn, "jobTemplateId": template.template_id}


def describe_job_template(backend: JobsBackend, req: Request) -> Body:
    """DescribeJobTemplate: the template, its configs only when set."""
    return backend.describe_job_template(req.path["jobTemplateId"]).describe()


def list_job_templates(backend: JobsBackend, req: Request) -> Body:
    """ListJobTemplates: one page of JobTemplateSummary."""
    templates, token = backend.list_job_templates(
        req.query_string("nextToken"), req.query_int("maxResults")
    )
    return page_body("jobTemplates", [template.summary() for template in templates], token)


def delete_job_template(backend: JobsBackend, req: Request) -> Body:
    """DeleteJobTemplate: no output members."""
    backend.delete_job_template(req.path["jobTemplateId"])
    return {}


def list_managed_job_templates(backend: JobsBackend, req: Request) -> Body:
    """ListManagedJobTemplates: one page of ManagedJobTemplateSummary."""
    templates, token = backend.list_managed_job_templates(
        req.query_string("templateName"),
        req.query_string("nextToken"),
        req.query_int("maxResults"),
    )
    summaries = [template.summary(backend.region) for template in templates]
    return page_body("managedJobTemplates", summaries, token)


def describe_managed_job_template(backend: JobsBackend, req: Request) -> Body:
    """DescribeManagedJobTemplate: the template with its document and documentParameters."""
    template = backend.describe_managed_job_template(
        req.path["templateName"], req.query_string("templateVersion")
    )
    return template.describe(backend.region)


def get_presigned_url_object(backend: JobsBackend, req: Request) -> Body:
    """The object a presigned URL names, as ``{"bucket", "key"}``; 403 once it has expired."""
    bucket, key = req.path["bucket"], req.path["key"]
    backend.url_signer.check(bucket, key, req.query, backend.now())
    return {"bucket": bucket, "key": key}
