"""AWS error responses of the local service, one class per AWS error code.

Each class is named exactly like the error shape in the botocore model, so boto3 raises
``client.exceptions.<Name>`` for it.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AwsError",
    "ConflictException",
    "InternalFailureException",
    "InternalServerException",
    "InvalidRequestException",
    "InvalidStateTransitionException",
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
        return type(self).__name__


class InvalidRequestException(AwsError):
    status = 400


class ValidationException(AwsError):
    status = 400


class ResourceNotFoundException(AwsError):
    status = 404


class InvalidStateTransitionException(AwsError):
    status = 409


class ResourceAlreadyExistsException(AwsError):
    status = 409


class VersionConflictException(AwsError):
    status = 409


class ConflictException(AwsError):
    status = 409


class ThrottlingException(AwsError):
    status = 429


class InternalFailureException(AwsError):
    status = 500


class ServiceUnavailableException(AwsError):
    status = 503


class InternalServerException(AwsError):
    """StartCommandExecution's only modelled 5xx."""

    status = 500
