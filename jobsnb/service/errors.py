"""AWS error responses of the local service, one class per AWS error code.

Each class is named exactly like the error shape in the botocore model, so boto3 raises
``client.exceptions.<Name>`` for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

__all__ = [
    "AccessDeniedException",
    "AwsError",
    "CertificateStateException",
    "ConflictException",
    "DeleteConflictException",
    "InternalFailureException",
    "InternalServerException",
    "InvalidRequestException",
    "InvalidStateTransitionException",
    "LimitExceededException",
    "ResourceAlreadyExistsException",
    "ResourceNotFoundException",
    "ServiceUnavailableException",
    "ThrottlingException",
    "ValidationException",
    "VersionConflictException",
]


class AwsError(Exception):
    """An error the service answers with: HTTP ``status``, shape ``code`` and a message."""

    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        """The error shape's name, which is the class's: ``__type`` and ``x-amzn-ErrorType``."""
        return type(self).__name__

    def members(self) -> dict[str, object]:
        """Members of the error body besides ``message`` and ``__type`` (none by default)."""
        return {}


class InvalidRequestException(AwsError):
    """HTTP 400: the request breaks an input rule of the operation.

    A malformed name, member or body, a bad ``nextToken`` or ``maxResults``, an invalid job
    config, a body or head over the size limit, an HTTP request the server cannot parse, or an
    operation the state forbids outright (cancelling a COMPLETED job, deleting a group with
    child groups).
    """

    status = 400


class ValidationException(AwsError):
    """HTTP 400: StartCommandExecution's input error.

    That operation's model names this shape where the others name InvalidRequestException: a
    member of the wrong type, a malformed commandArn or targetArn, a clientToken, parameters or
    executionTimeoutSeconds out of bounds.
    """

    status = 400


class ResourceNotFoundException(AwsError):
    """HTTP 404: the thing, thing group, job or execution does not exist.

    Also the answer to a method and path that match no operation of the request's plane.
    """

    status = 404


class InvalidStateTransitionException(AwsError):
    """HTTP 409: the execution's or job's status forbids the change.

    Updating a terminal execution or moving one back to QUEUED, an UpdateJobExecution whose
    ``expectedVersion`` is stale (the message starts with
    :data:`~jobsnb.limits.VERSION_MISMATCH`), cancelling a terminal execution, and without
    ``force``: cancelling or deleting an IN_PROGRESS execution, deleting an IN_PROGRESS job.

    ``execution_state`` is the execution as it is now (UpdateJobExecution's ``executionState``
    shape: status, statusDetails, versionNumber). The data plane's model documents that its
    refusals carry it in the body, so a device can carry on without a DescribeJobExecution;
    the control plane's model says nothing of it, and its refusals carry none.
    """

    status = 409

    def __init__(self, message: str, execution_state: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.execution_state = execution_state

    def members(self) -> dict[str, object]:
        """``executionState`` when the refusal concerns an execution of the data plane."""
        if self.execution_state is None:
            return {}
        return {"executionState": dict(self.execution_state)}


class ResourceAlreadyExistsException(AwsError):
    """HTTP 409: the job id, thing name or thing group name is in use.

    CreateJob answers it for any existing job. CreateThing and CreateThingGroup answer it only
    when the existing resource differs (attributes or type; description or parent); otherwise
    they answer the existing one.
    """

    status = 409


class VersionConflictException(AwsError):
    """HTTP 409: a control-plane ``expectedVersion`` differs from the current version.

    UpdateThing, DeleteThing, DeleteThingGroup and CancelJobExecution answer it; the data
    plane's UpdateJobExecution, whose model lacks this shape, answers
    InvalidStateTransitionException instead.
    """

    status = 409


class ConflictException(AwsError):
    """HTTP 409: the commands' conflict with the state of a resource.

    StartCommandExecution reusing a ``clientToken`` with a different request, CreateCommand with
    an id in use, UpdateCommand on a command pending deletion, DeleteCommandExecution of an
    execution not yet terminal. ``resource_id`` is the model's ``resourceId`` member.
    """

    status = 409

    def __init__(self, message: str, resource_id: str | None = None) -> None:
        super().__init__(message)
        self.resource_id = resource_id

    def members(self) -> dict[str, object]:
        """``resourceId`` when the conflict names a resource."""
        return {} if self.resource_id is None else {"resourceId": self.resource_id}


class CertificateStateException(AwsError):
    """HTTP 406: the certificate's status forbids the operation.

    UpdateCertificate making a REVOKED certificate anything but REVOKED, DeleteCertificate of an
    ACTIVE certificate.
    """

    status = 406


class DeleteConflictException(AwsError):
    """HTTP 409: DeleteCertificate of a certificate still attached to a thing."""

    status = 409


class LimitExceededException(AwsError):
    """HTTP 410: AssociateTargetsWithJob would give a job more targets than AWS allows."""

    status = 410


class ThrottlingException(AwsError):
    """HTTP 429: a data-plane request over its quota group's ``throttle_rps``."""

    status = 429


class InternalFailureException(AwsError):
    """HTTP 500: a control-plane operation failed unexpectedly (the service logs the cause)."""

    status = 500


class ServiceUnavailableException(AwsError):
    """HTTP 503: a data-plane request struck by a simulated fault or failing unexpectedly.

    Also the answer, before closing, to a connection over the service's ``max_connections``.
    """

    status = 503


class InternalServerException(AwsError):
    """HTTP 500: StartCommandExecution's only modelled 5xx.

    The service answers it where other data-plane operations answer
    ServiceUnavailableException: a simulated fault or an unexpected failure.
    """

    status = 500


class AccessDeniedException(AwsError):
    """HTTP 403: a browser request from an origin not allowed, or to a Host not the service's.

    No operation's model lists a 403 shape (the iot model's only refusal is
    UnauthorizedException, 401, for bad credentials): AWS has no browser policy to model, and
    only browsers meet this one, since SDKs send no Origin and the endpoint's own Host. The
    name is the one most AWS services use for 403; botocore raises it as a ClientError with
    that code and does not retry it.
    """

    status = 403
