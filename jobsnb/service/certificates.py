"""Device identity: the certificates the service issues, and the things they are attached to.

A base of :class:`~jobsnb.service.backend.JobsBackend`; every operation takes its lock. The
service's MQTT endpoint authenticates devices by mutual TLS with these certificates, and uses
this small API (each call takes the backend's lock, like the other read-only views):

* ``backend.authority`` — the :class:`~jobsnb.service.certificate_authority.CertificateAuthority`
  (made on first use): ``ca_pem`` for the clients to trust, ``server_credentials(hosts)`` for
  the endpoint's own certificate.
* ``backend.authorize_device(der, client_id)`` — None when the certificate a device presented is
  one this service issued, ACTIVE and attached to the thing named ``client_id``; otherwise the
  one-line reason to refuse the connection.

Decisions where AWS is silent:

* The only principals are certificate ARNs of this account and region
  (``arn:aws:iot:REGION:ACCOUNT:cert/<id>``); any other principal (a Cognito id, an IAM ARN) is
  refused (400), a well-formed certificate ARN of no certificate here is 404.
* A certificate of any status may be attached; only an ACTIVE one lets a device connect.
* EXCLUSIVE_THING refuses (400) a certificate already attached to another thing, and a
  certificate attached exclusively refuses (400) any other thing. Attaching again to the same
  thing is a success that sets the type given (NON_EXCLUSIVE_THING when none is).
* Detaching a certificate that is not attached succeeds; the thing and certificate must exist.
* DeleteThing of a thing with principals attached is refused (400 InvalidRequestException), so a
  certificate never names a thing that is gone; detach first (**UNCONFIRMED** in AWS's docs).
* REVOKED is final: UpdateCertificate to anything else is CertificateStateException. Updating to
  PENDING_TRANSFER, PENDING_ACTIVATION or REGISTER_INACTIVE is refused (400), as the model's
  notes say for the first two and the third is deprecated.
* DeleteCertificate refuses an ACTIVE certificate (CertificateStateException) and an attached one
  (DeleteConflictException) with or without ``forceDelete``, which only skips attached policies,
  and policies are not in the service.
* ListCertificates is newest first unless ``ascendingOrder`` (default page size 25, as the model
  says); its marker stays valid while certificates are created and deleted.
"""

from __future__ import annotations

import re

from cryptography import x509

from jobsnb.limits import check_thing_name
from jobsnb.service.certificate_authority import CertificateAuthority
from jobsnb.service.certificate_models import (
    Certificate,
    certificate_id,
    decode_marker,
    encode_marker,
)
from jobsnb.service.engine import Engine
from jobsnb.service.errors import (
    CertificateStateException,
    DeleteConflictException,
    InvalidRequestException,
    ResourceNotFoundException,
)
from jobsnb.service.locking import locked, operation
from jobsnb.service.paging import page
from jobsnb.service.things import ThingRegistry

__all__ = ["CERTIFICATE_STATUSES", "PRINCIPAL_TYPES", "Certificates"]

#: The statuses UpdateCertificate sets; the model's others belong to flows the service lacks.
CERTIFICATE_STATUSES = ("ACTIVE", "INACTIVE", "REVOKED")
#: ThingPrincipalType, the first being what AttachThingPrincipal's default means.
PRINCIPAL_TYPES = ("NON_EXCLUSIVE_THING", "EXCLUSIVE_THING")
_MODEL_STATUSES = (*CERTIFICATE_STATUSES, "PENDING_TRANSFER", "REGISTER_INACTIVE")
_ID = re.compile(r"(0x)?[a-fA-F0-9]+")
_PAGE_SIZE = 25
_CERT_ARN = re.compile(r"arn:aws:iot:[a-z0-9-]+:\d{12}:cert/([a-fA-F0-9]{64})")


class Certificates(ThingRegistry, Engine):
    """Certificates issued by the service's CA, and the principals attached to things.

    Examples
    --------
    >>> from jobsnb.service import JobsBackend, ManualClock
    >>> backend = JobsBackend(ManualClock(1_700_000_000))
    >>> _ = backend.create_thing("sensor-1")
    >>> cert, _, _, der = backend.create_keys_and_certificate(set_as_active=True)
    >>> backend.attach_thing_principal("sensor-1", cert.arn)
    >>> backend.authorize_device(der, "sensor-1") is None
    True
    >>> backend.authorize_device(der, "sensor-2")
    'certificate is not attached to thing sensor-2'
    """

    def _init_certificates(self) -> None:
        self._authority: CertificateAuthority | None = None
        self.certificates: dict[str, Certificate] = {}
        # Append-only, so a ListCertificates marker (an index into it) stays valid.
        self._certificate_order: list[str] = []
        self._thing_principals: dict[str, dict[str, str]] = {}

    # ----------------------------------------------------------------- the broker's API
    @property
    def authority(self) -> CertificateAuthority:
        """The service's CA, made on first use."""
        with self.lock:
            if self._authority is None:
                self._authority = CertificateAuthority(self.clock)
            return self._authority

    @locked
    def authorize_device(self, der: bytes, client_id: str) -> str | None:
        """None when a device presenting certificate ``der`` may connect as ``client_id``.

        Otherwise the reason it may not: the certificate is not one this service issued, is not
        ACTIVE, or is not attached to the thing named ``client_id``.
        """
        found = self.certificates.get(certificate_id(der))
        if found is None or not self.authority.issued_by_me(der):
            return "unknown certificate"
        if found.status != "ACTIVE":
            return f"certificate {found.certificate_id} is {found.status}"
        if client_id not in found.things:
            return f"certificate is not attached to thing {client_id}"
        return None

    # ----------------------------------------------------------------- certificates
    def _certificate(self, cert_id: str) -> Certificate:
        if not isinstance(cert_id, str) or len(cert_id) != 64 or not _ID.fullmatch(cert_id):
            raise InvalidRequestException(
                f"certificateId {cert_id!r} must be 64 hexadecimal digits "
                "(length 64, pattern (0x)?[a-fA-F0-9]+)."
            )
        found = self.certificates.get(cert_id.lower())
        if found is None:
            raise ResourceNotFoundException(f"Certificate {cert_id} cannot be found.")
        return found

    @operation
    def create_keys_and_certificate(
        self, set_as_active: bool = False
    ) -> tuple[Certificate, str, str, bytes]:
        """Issue a certificate with a new RSA 2048 key pair; INACTIVE unless ``set_as_active``.

        Returns the certificate, the public and private keys' PEM and the certificate's DER.
        """
        pem, public_key, private_key, der = self.authority.issue_device_certificate()
        loaded = x509.load_der_x509_certificate(der)
        now = self.now()
        cert_id = certificate_id(der)
        certificate = Certificate(
            cert_id,
            self._arn("cert", cert_id),
            pem,
            self.account_id,
            now,
            loaded.not_valid_before_utc.timestamp(),
            loaded.not_valid_after_utc.timestamp(),
            status="ACTIVE" if set_as_active else "INACTIVE",
            last_modified_at=now,
        )
        self.certificates[cert_id] = certificate
        self._certificate_order.append(cert_id)
        return certificate, public_key, private_key, der

    @operation
    def describe_certificate(self, cert_id: str) -> Certificate:
        """The certificate; 400 for an id not 64 hex digits, 404 for an unknown one."""
        return self._certificate(cert_id)

    @operation
    def list_certificates(
        self,
        page_size: int | None = None,
        marker: str | None = None,
        ascending: bool = False,
    ) -> tuple[list[Certificate], str | None]:
        """One page of certificates, newest first unless ``ascending``, and the next marker.

        The marker is None on the last page.
        """
        size = _PAGE_SIZE if page_size is None else page_size
        if not 1 <= size <= 250:
            raise InvalidRequestException("pageSize must be between 1 and 250.")
        order = self._certificate_order
        index = (0 if ascending else len(order) - 1) if not marker else decode_marker(marker)
        step = 1 if ascending else -1
        found: list[Certificate] = []
        while 0 <= index < len(order):
            certificate = self.certificates.get(order[index])
            if certificate is not None:
                if len(found) == size:
                    return found, encode_marker(index)
                found.append(certificate)
            index += step
        return found, None

    @operation
    def update_certificate(self, cert_id: str, new_status: str) -> None:
        """Set the certificate's status (ACTIVE, INACTIVE or REVOKED); REVOKED is final."""
        certificate = self._certificate(cert_id)
        if new_status not in CERTIFICATE_STATUSES:
            allowed = ", ".join(CERTIFICATE_STATUSES)
            if new_status in _MODEL_STATUSES or new_status == "PENDING_ACTIVATION":
                raise InvalidRequestException(
                    f"newStatus {new_status} cannot be set by UpdateCertificate; use {allowed}."
                )
            raise InvalidRequestException(f"newStatus must be one of {allowed}.")
        if certificate.status == "REVOKED" and new_status != "REVOKED":
            raise CertificateStateException(
                f"Certificate {certificate.certificate_id} is REVOKED and cannot become "
                f"{new_status}."
            )
        if certificate.status != new_status:
            certificate.status = new_status
            certificate.last_modified_at = self.now()
            certificate.customer_version += 1

    @operation
    def delete_certificate(self, cert_id: str, force_delete: bool = False) -> None:
        """Delete an INACTIVE or REVOKED certificate attached to no thing.

        ``force_delete`` skips attached policies in AWS; the service has none, so it changes
        nothing here.
        """
        certificate = self._certificate(cert_id)
        if certificate.status == "ACTIVE":
            raise CertificateStateException(
                f"Certificate {certificate.certificate_id} is ACTIVE; make it INACTIVE before "
                "deleting it."
            )
        if certificate.things:
            names = ", ".join(certificate.things)
            raise DeleteConflictException(
                f"Certificate {certificate.certificate_id} is attached to things ({names}); "
                "detach it first."
            )
        del self.certificates[certificate.certificate_id]

    # ----------------------------------------------------------------- thing principals
    def _principal(self, principal: str | None) -> str:
        """The certificate id of certificate ARN ``principal``: 400 unless it is one."""
        if not principal:
            raise InvalidRequestException("principal (header x-amzn-principal) is required.")
        found = _CERT_ARN.fullmatch(principal)
        if found is None:
            raise InvalidRequestException(
                f"principal {principal[:200]!r} must be a certificate ARN "
                f"({self._arn('cert', '<64 hex digits>')}); the local service does not support "
                "other principals."
            )
        if principal != self._arn("cert", found.group(1)):
            raise ResourceNotFoundException(f"Certificate {principal} cannot be found.")
        return found.group(1)

    def _existing_thing(self, thing_name: str) -> None:
        check_thing_name(thing_name)
        if thing_name not in self.things:
            raise ResourceNotFoundException(f"Thing {thing_name} cannot be found.")

    @operation
    def attach_thing_principal(
        self, thing_name: str, principal: str | None, principal_type: str | None = None
    ) -> None:
        """Attach the certificate ARN ``principal`` to the thing (EXCLUSIVE_THING: to it only)."""
        kind = PRINCIPAL_TYPES[0] if principal_type is None else principal_type
        if kind not in PRINCIPAL_TYPES:
            raise InvalidRequestException(
                f"thingPrincipalType must be one of {', '.join(PRINCIPAL_TYPES)}."
            )
        cert_id = self._principal(principal)
        self._existing_thing(thing_name)
        certificate = self._certificate(cert_id)
        others = [name for name in certificate.things if name != thing_name]
        exclusive = [name for name in others if certificate.things[name] == "EXCLUSIVE_THING"]
        if exclusive:
            raise InvalidRequestException(
                f"Certificate {certificate.certificate_id} is attached exclusively to thing "
                f"{exclusive[0]}; it cannot be attached to {thing_name}."
            )
        if kind == "EXCLUSIVE_THING" and others:
            raise InvalidRequestException(
                f"thingPrincipalType EXCLUSIVE_THING: certificate {certificate.certificate_id} "
                f"is already attached to thing {others[0]}."
            )
        certificate.things[thing_name] = kind
        self._thing_principals.setdefault(thing_name, {})[certificate.certificate_id] = kind

    @operation
    def detach_thing_principal(self, thing_name: str, principal: str | None) -> None:
        """Detach the certificate from the thing (a success when it was not attached)."""
        cert_id = self._principal(principal)
        self._existing_thing(thing_name)
        certificate = self._certificate(cert_id)
        certificate.things.pop(thing_name, None)
        attached = self._thing_principals.get(thing_name)
        if attached is not None:
            attached.pop(certificate.certificate_id, None)
            if not attached:
                del self._thing_principals[thing_name]

    @operation
    def list_thing_principals(
        self,
        thing_name: str,
        next_token: str | None = None,
        max_results: int | None = None,
        principal_type: str | None = None,
    ) -> tuple[list[tuple[str, str]], str | None]:
        """One page of the thing's (certificate ARN, ThingPrincipalType), in attach order."""
        self._existing_thing(thing_name)
        attached = list(self._thing_principals.get(thing_name, {}).items())

        def keep(item: tuple[str, str]) -> tuple[str, str] | None:
            if principal_type is not None and item[1] != principal_type:
                return None
            return self._arn("cert", item[0]), item[1]

        return page(attached, keep, next_token, max_results)

    @operation
    def list_principal_things(
        self,
        principal: str | None,
        next_token: str | None = None,
        max_results: int | None = None,
        principal_type: str | None = None,
    ) -> tuple[list[tuple[str, str]], str | None]:
        """One page of (thing name, ThingPrincipalType) the certificate is attached to."""
        certificate = self._certificate(self._principal(principal))

        def keep(item: tuple[str, str]) -> tuple[str, str] | None:
            return None if principal_type not in (None, item[1]) else item

        return page(list(certificate.things.items()), keep, next_token, max_results)

    @operation
    def delete_thing(self, thing_name: str, expected_version: int | None = None) -> None:
        """Delete a thing with no principals attached (see :class:`ThingRegistry`)."""
        attached = self._thing_principals.get(thing_name)
        if attached and thing_name in self.things:
            raise InvalidRequestException(
                f"Cannot delete thing {thing_name}: it has {len(attached)} principal(s) "
                "attached; detach them first (DetachThingPrincipal)."
            )
        super().delete_thing(thing_name, expected_version)
