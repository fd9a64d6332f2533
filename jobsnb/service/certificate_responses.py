"""Request → backend call → JSON for certificates, thing principals and event configurations.

Each handler is named like its AWS operation, whose documentation is its own.
"""

from __future__ import annotations

from typing import Any

from jobsnb.service.backend import JobsBackend
from jobsnb.service.certificates import PRINCIPAL_TYPES
from jobsnb.service.paging import page_body
from jobsnb.service.requests import Request

__all__ = [
    "attach_thing_principal",
    "create_keys_and_certificate",
    "delete_certificate",
    "describe_certificate",
    "describe_event_configurations",
    "detach_thing_principal",
    "list_certificates",
    "list_principal_things",
    "list_principal_things_v2",
    "list_thing_principals",
    "list_thing_principals_v2",
    "update_certificate",
    "update_event_configurations",
]

Body = dict[str, Any]
_PRINCIPAL = "x-amzn-principal"


def create_keys_and_certificate(backend: JobsBackend, req: Request) -> Body:
    """CreateKeysAndCertificate: the certificate's ARN, id and PEM, and its key pair."""
    certificate, public_key, private_key, _ = backend.create_keys_and_certificate(
        req.query_bool("setAsActive")
    )
    return {
        "certificateArn": certificate.arn,
        "certificateId": certificate.certificate_id,
        "certificatePem": certificate.pem,
        "keyPair": {"PublicKey": public_key, "PrivateKey": private_key},
    }


def describe_certificate(backend: JobsBackend, req: Request) -> Body:
    """DescribeCertificate: certificateDescription."""
    certificate = backend.describe_certificate(req.path["certificateId"])
    return {"certificateDescription": certificate.describe()}


def list_certificates(backend: JobsBackend, req: Request) -> Body:
    """ListCertificates: one page of Certificate, and nextMarker when there are more."""
    certificates, marker = backend.list_certificates(
        req.query_int("pageSize"),
        req.query_string("marker"),
        req.query_bool("isAscendingOrder"),
    )
    body: Body = {"certificates": [certificate.summary() for certificate in certificates]}
    if marker is not None:
        body["nextMarker"] = marker
    return body


def update_certificate(backend: JobsBackend, req: Request) -> Body:
    """UpdateCertificate: no output members."""
    new_status = req.query_string("newStatus")
    if new_status is None:
        raise req.fail("newStatus is required.")
    backend.update_certificate(req.path["certificateId"], new_status)
    return {}


def delete_certificate(backend: JobsBackend, req: Request) -> Body:
    """DeleteCertificate: no output members."""
    backend.delete_certificate(req.path["certificateId"], req.query_bool("forceDelete"))
    return {}


def attach_thing_principal(backend: JobsBackend, req: Request) -> Body:
    """AttachThingPrincipal: no output members."""
    backend.attach_thing_principal(
        req.path["thingName"], req.header(_PRINCIPAL), req.query_string("thingPrincipalType")
    )
    return {}


def detach_thing_principal(backend: JobsBackend, req: Request) -> Body:
    """DetachThingPrincipal: no output members."""
    backend.detach_thing_principal(req.path["thingName"], req.header(_PRINCIPAL))
    return {}


def _principal_type(req: Request) -> str | None:
    kind = req.query_string("thingPrincipalType")
    if kind is not None and kind not in PRINCIPAL_TYPES:
        raise req.fail(f"thingPrincipalType must be one of {', '.join(PRINCIPAL_TYPES)}.")
    return kind


def list_thing_principals(backend: JobsBackend, req: Request) -> Body:
    """ListThingPrincipals: one page of the thing's principals (certificate ARNs)."""
    found, token = backend.list_thing_principals(
        req.path["thingName"], req.query_string("nextToken"), req.query_int("maxResults")
    )
    return page_body("principals", [principal for principal, _ in found], token)


def list_thing_principals_v2(backend: JobsBackend, req: Request) -> Body:
    """ListThingPrincipalsV2: one page of ThingPrincipalObject."""
    found, token = backend.list_thing_principals(
        req.path["thingName"],
        req.query_string("nextToken"),
        req.query_int("maxResults"),
        _principal_type(req),
    )
    objects = [{"principal": arn, "thingPrincipalType": kind} for arn, kind in found]
    return page_body("thingPrincipalObjects", objects, token)


def list_principal_things(backend: JobsBackend, req: Request) -> Body:
    """ListPrincipalThings: one page of the names of the things the principal is attached to."""
    found, token = backend.list_principal_things(
        req.header(_PRINCIPAL), req.query_string("nextToken"), req.query_int("maxResults")
    )
    return page_body("things", [name for name, _ in found], token)


def list_principal_things_v2(backend: JobsBackend, req: Request) -> Body:
    """ListPrincipalThingsV2: one page of PrincipalThingObject."""
    found, token = backend.list_principal_things(
        req.header(_PRINCIPAL),
        req.query_string("nextToken"),
        req.query_int("maxResults"),
        _principal_type(req),
    )
    objects = [{"thingName": name, "thingPrincipalType": kind} for name, kind in found]
    return page_body("principalThingObjects", objects, token)


def update_event_configurations(backend: JobsBackend, req: Request) -> Body:
    """UpdateEventConfigurations: no output members."""
    backend.update_event_configurations(req.struct("eventConfigurations"))
    return {}


def describe_event_configurations(backend: JobsBackend, req: Request) -> Body:
    """DescribeEventConfigurations: every event type's Enabled, creationDate, lastModifiedDate."""
    return backend.describe_event_configurations()
