"""A certificate the service issued, its id, and ListCertificates' markers.

Examples
--------
>>> certificate_id(b"DER bytes")[:16]
'0511f0a9efd74cab'
>>> decode_marker(encode_marker(7))
7
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from jobsnb.service.errors import InvalidRequestException

__all__ = ["Certificate", "certificate_id", "decode_marker", "encode_marker"]

_MARKER = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def certificate_id(der: bytes) -> str:
    """The id AWS gives a certificate: the SHA-256 of its DER, 64 lowercase hex digits."""
    return hashlib.sha256(der).hexdigest()


@dataclass(eq=False)
class Certificate:
    """A device certificate the service issued, its status and the things it is attached to.

    ``things`` maps each thing's name to the ThingPrincipalType it was attached with.
    """

    certificate_id: str
    arn: str
    pem: str
    owner: str
    created_at: float
    not_before: float
    not_after: float
    status: str = "INACTIVE"
    last_modified_at: float = 0.0
    customer_version: int = 1
    things: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        """ListCertificates' entry (Certificate)."""
        return {
            "certificateArn": self.arn,
            "certificateId": self.certificate_id,
            "status": self.status,
            "certificateMode": "DEFAULT",
            "creationDate": self.created_at,
        }

    def describe(self) -> dict[str, object]:
        """DescribeCertificate's certificateDescription."""
        return {
            **self.summary(),
            "certificatePem": self.pem,
            "ownedBy": self.owner,
            "lastModifiedDate": self.last_modified_at,
            "customerVersion": self.customer_version,
            "validity": {"notBefore": self.not_before, "notAfter": self.not_after},
        }


def encode_marker(index: int) -> str:
    """A ListCertificates marker for ``index`` in the creation order (standard base64)."""
    return base64.b64encode(f"index:{index}".encode()).decode()


def decode_marker(marker: str) -> int:
    """The index a marker of :func:`encode_marker` holds; InvalidRequestException if none."""
    problem = f"Invalid marker: {marker[:100]!r}"
    if len(marker) > 1024 or not _MARKER.fullmatch(marker):
        raise InvalidRequestException(problem)
    try:
        prefix, _, number = base64.b64decode(marker, validate=True).decode().partition(":")
        index = int(number)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidRequestException(problem) from None
    if prefix != "index" or index < 0:
        raise InvalidRequestException(problem)
    return index
