"""(plane, method, path) → operation, for both planes served on one port.

The plane comes from the SigV4 credential scope of the Authorization header: ``iot`` is the
control plane, anything else (``iot-jobs-data``, or no signature at all) the data plane.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from jobsnb.service import (
    certificate_responses,
    command_responses,
    job_update_responses,
    responses,
    template_responses,
)
from jobsnb.service.backend import JobsBackend
from jobsnb.service.errors import (
    AwsError,
    InternalFailureException,
    InternalServerException,
    InvalidRequestException,
    ServiceUnavailableException,
    ValidationException,
)
from jobsnb.service.requests import Request

__all__ = ["CONTROL", "DATA", "Route", "match", "plane_of"]

DATA = "data"
CONTROL = "control"

Handler = Callable[[JobsBackend, Request], dict[str, Any]]

_SCOPE = re.compile(r"Credential=[^/,\s]*/[^/,\s]*/[^/,\s]*/([^/,\s]*)/aws4_request")


@dataclass(frozen=True)
class Route:
    """One operation's route, and how the app answers for it.

    Parameters
    ----------
    plane
        :data:`DATA` or :data:`CONTROL`.
    method
        The HTTP method.
    template
        The path's segments; a ``{name}`` segment matches any value and becomes path parameter
        ``name``.
    operation
        The AWS operation's name, as counted in ``request_counts``.
    handler
        The function of :mod:`~jobsnb.service.responses` that answers it.
    invalid
        What a malformed request answers: the 400 shape the operation's model lists.
    unavailable
        What an unexpected failure (and on the data plane a simulated fault) answers: the 5xx
        shape the operation's model lists. ServiceUnavailableException unless told; the
        control plane's thing and thing-group operations and DescribeEndpoint list only
        InternalFailureException, the commands operations only InternalServerException.
    quota
        The quota bucket that throttles it, ``"read"`` or ``"write"``; None for the control
        plane (never throttled).
    aws
        False for the service's own route (the presigned URLs it hands out), which no botocore
        model describes.
    """

    plane: str
    method: str
    template: tuple[str, ...]
    operation: str
    handler: Handler
    invalid: type[AwsError] = InvalidRequestException
    unavailable: type[AwsError] = ServiceUnavailableException
    quota: str | None = None
    aws: bool = True


def _route(
    plane: str,
    method: str,
    template: str,
    operation: str,
    handler: Handler,
    **extra: Any,
) -> Route:
    return Route(plane, method, tuple(template.strip("/").split("/")), operation, handler, **extra)


# What the operations whose model lists no ServiceUnavailableException answer when they fail.
_FAILURE = InternalFailureException
# The commands operations' models name ValidationException and InternalServerException.
_COMMANDS: dict[str, Any] = {"invalid": ValidationException, "unavailable": InternalServerException}

ROUTES: tuple[Route, ...] = (
    # data plane; literal segments before placeholders so $next wins for StartNext
    _route(DATA, "GET", "/things/{thingName}/jobs", "GetPendingJobExecutions",
           responses.get_pending_job_executions, quota="read"),
    _route(DATA, "PUT", "/things/{thingName}/jobs/$next", "StartNextPendingJobExecution",
           responses.start_next_pending_job_execution, quota="write"),
    _route(DATA, "GET", "/things/{thingName}/jobs/{jobId}", "DescribeJobExecution",
           responses.describe_job_execution, quota="read"),
    _route(DATA, "POST", "/things/{thingName}/jobs/{jobId}", "UpdateJobExecution",
           responses.update_job_execution, quota="write"),
    _route(DATA, "POST", "/command-executions", "StartCommandExecution",
           command_responses.start_command_execution, quota="write", **_COMMANDS),
    _route(DATA, "GET", "/presigned-urls/{bucket}/{key}", "GetPresignedUrlObject",
           template_responses.get_presigned_url_object, aws=False),
    # control plane
    _route(CONTROL, "PUT", "/thing-groups/addThingToThingGroup", "AddThingToThingGroup",
           responses.add_thing_to_thing_group, unavailable=_FAILURE),
    _route(CONTROL, "PUT", "/thing-groups/removeThingFromThingGroup",
           "RemoveThingFromThingGroup", responses.remove_thing_from_thing_group,
           unavailable=_FAILURE),
    _route(CONTROL, "POST", "/things/{thingName}", "CreateThing", responses.create_thing),
    _route(CONTROL, "GET", "/things/{thingName}", "DescribeThing", responses.describe_thing),
    _route(CONTROL, "PATCH", "/things/{thingName}", "UpdateThing", responses.update_thing),
    _route(CONTROL, "DELETE", "/things/{thingName}", "DeleteThing", responses.delete_thing),
    _route(CONTROL, "GET", "/things", "ListThings", responses.list_things),
    _route(CONTROL, "POST", "/thing-groups/{thingGroupName}", "CreateThingGroup",
           responses.create_thing_group, unavailable=_FAILURE),
    _route(CONTROL, "GET", "/thing-groups/{thingGroupName}", "DescribeThingGroup",
           responses.describe_thing_group, unavailable=_FAILURE),
    _route(CONTROL, "DELETE", "/thing-groups/{thingGroupName}", "DeleteThingGroup",
           responses.delete_thing_group, unavailable=_FAILURE),
    _route(CONTROL, "GET", "/thing-groups", "ListThingGroups", responses.list_thing_groups,
           unavailable=_FAILURE),
    _route(CONTROL, "GET", "/thing-groups/{thingGroupName}/things", "ListThingsInThingGroup",
           responses.list_things_in_thing_group, unavailable=_FAILURE),
    _route(CONTROL, "PUT", "/jobs/{jobId}", "CreateJob", responses.create_job),
    _route(CONTROL, "GET", "/jobs/{jobId}", "DescribeJob", responses.describe_job),
    _route(CONTROL, "DELETE", "/jobs/{jobId}", "DeleteJob", responses.delete_job),
    _route(CONTROL, "PATCH", "/jobs/{jobId}", "UpdateJob", job_update_responses.update_job),
    _route(CONTROL, "POST", "/jobs/{jobId}/targets", "AssociateTargetsWithJob",
           job_update_responses.associate_targets_with_job),
    _route(CONTROL, "GET", "/jobs/{jobId}/job-document", "GetJobDocument",
           responses.get_job_document),
    _route(CONTROL, "GET", "/jobs", "ListJobs", responses.list_jobs),
    _route(CONTROL, "PUT", "/jobs/{jobId}/cancel", "CancelJob", responses.cancel_job),
    _route(CONTROL, "GET", "/jobs/{jobId}/things", "ListJobExecutionsForJob",
           responses.list_job_executions_for_job),
    _route(CONTROL, "GET", "/things/{thingName}/jobs", "ListJobExecutionsForThing",
           responses.list_job_executions_for_thing),
    _route(CONTROL, "GET", "/things/{thingName}/jobs/{jobId}", "DescribeJobExecution",
           responses.describe_job_execution_control),
    _route(CONTROL, "PUT", "/things/{thingName}/jobs/{jobId}/cancel", "CancelJobExecution",
           responses.cancel_job_execution),
    _route(CONTROL, "DELETE", "/things/{thingName}/jobs/{jobId}/executionNumber/{executionNumber}",
           "DeleteJobExecution", responses.delete_job_execution),
    _route(CONTROL, "GET", "/endpoint", "DescribeEndpoint", responses.describe_endpoint,
           unavailable=_FAILURE),
    _route(CONTROL, "PUT", "/job-templates/{jobTemplateId}", "CreateJobTemplate",
           template_responses.create_job_template, unavailable=_FAILURE),
    _route(CONTROL, "GET", "/job-templates/{jobTemplateId}", "DescribeJobTemplate",
           template_responses.describe_job_template, unavailable=_FAILURE),
    _route(CONTROL, "DELETE", "/job-templates/{jobTemplateId}", "DeleteJobTemplate",
           template_responses.delete_job_template, unavailable=_FAILURE),
    _route(CONTROL, "GET", "/job-templates", "ListJobTemplates",
           template_responses.list_job_templates, unavailable=_FAILURE),
    _route(CONTROL, "GET", "/managed-job-templates", "ListManagedJobTemplates",
           template_responses.list_managed_job_templates, unavailable=InternalServerException),
    _route(CONTROL, "GET", "/managed-job-templates/{templateName}", "DescribeManagedJobTemplate",
           template_responses.describe_managed_job_template,
           unavailable=InternalServerException),
    # device identity: certificates, thing principals, event configurations (control plane)
    _route(CONTROL, "POST", "/keys-and-certificate", "CreateKeysAndCertificate",
           certificate_responses.create_keys_and_certificate),
    _route(CONTROL, "GET", "/certificates/{certificateId}", "DescribeCertificate",
           certificate_responses.describe_certificate),
    _route(CONTROL, "PUT", "/certificates/{certificateId}", "UpdateCertificate",
           certificate_responses.update_certificate),
    _route(CONTROL, "DELETE", "/certificates/{certificateId}", "DeleteCertificate",
           certificate_responses.delete_certificate),
    _route(CONTROL, "GET", "/certificates", "ListCertificates",
           certificate_responses.list_certificates),
    _route(CONTROL, "PUT", "/things/{thingName}/principals", "AttachThingPrincipal",
           certificate_responses.attach_thing_principal),
    _route(CONTROL, "DELETE", "/things/{thingName}/principals", "DetachThingPrincipal",
           certificate_responses.detach_thing_principal),
    _route(CONTROL, "GET", "/things/{thingName}/principals", "ListThingPrincipals",
           certificate_responses.list_thing_principals),
    _route(CONTROL, "GET", "/things/{thingName}/principals-v2", "ListThingPrincipalsV2",
           certificate_responses.list_thing_principals_v2),
    _route(CONTROL, "GET", "/principals/things", "ListPrincipalThings",
           certificate_responses.list_principal_things),
    _route(CONTROL, "GET", "/principals/things-v2", "ListPrincipalThingsV2",
           certificate_responses.list_principal_things_v2),
    _route(CONTROL, "PATCH", "/event-configurations", "UpdateEventConfigurations",
           certificate_responses.update_event_configurations, unavailable=_FAILURE),
    _route(CONTROL, "GET", "/event-configurations", "DescribeEventConfigurations",
           certificate_responses.describe_event_configurations, unavailable=_FAILURE),
    # commands (control plane)
    _route(CONTROL, "PUT", "/commands/{commandId}", "CreateCommand",
           command_responses.create_command, **_COMMANDS),
    _route(CONTROL, "GET", "/commands/{commandId}", "GetCommand",
           command_responses.get_command, **_COMMANDS),
    _route(CONTROL, "PATCH", "/commands/{commandId}", "UpdateCommand",
           command_responses.update_command, **_COMMANDS),
    _route(CONTROL, "DELETE", "/commands/{commandId}", "DeleteCommand",
           command_responses.delete_command, **_COMMANDS),
    _route(CONTROL, "GET", "/commands", "ListCommands", command_responses.list_commands,
           **_COMMANDS),
    _route(CONTROL, "GET", "/command-executions/{executionId}", "GetCommandExecution",
           command_responses.get_command_execution, **_COMMANDS),
    _route(CONTROL, "DELETE", "/command-executions/{executionId}", "DeleteCommandExecution",
           command_responses.delete_command_execution, **_COMMANDS),
    _route(CONTROL, "POST", "/command-executions", "ListCommandExecutions",
           command_responses.list_command_executions, **_COMMANDS),
)  # fmt: skip

_BY_SHAPE: dict[tuple[str, str, int], list[Route]] = {}
for _r in ROUTES:
    _BY_SHAPE.setdefault((_r.plane, _r.method, len(_r.template)), []).append(_r)


def plane_of(authorization: str | None) -> str:
    """The plane a request is for, from the signing name in its SigV4 credential scope."""
    if authorization:
        found = _SCOPE.search(authorization)
        if found is not None and found.group(1) == "iot":
            return CONTROL
    return DATA


def match(plane: str, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    """The route and its decoded path parameters, or None when nothing matches."""
    segments = raw_path.strip("/").split("/") if raw_path.strip("/") else []
    for route in _BY_SHAPE.get((plane, method, len(segments)), ()):
        params: dict[str, str] = {}
        for pattern, raw in zip(route.template, segments, strict=True):
            value = unquote(raw)
            if pattern.startswith("{"):
                params[pattern[1:-1]] = value
            elif value != pattern:
                break
        else:
            return route, params
    return None
