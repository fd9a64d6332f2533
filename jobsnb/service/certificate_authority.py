"""The local service's own certificate authority: device and server certificates for MQTT.

AWS IoT issues a device certificate with CreateKeysAndCertificate, signed by a CA of its own;
devices then connect with mutual TLS. The local service does the same with one CA per backend,
made on first use, so a device's certificate from the control plane is what the service's MQTT
endpoint accepts, and its server certificate is one the device's TLS stack verifies against
:attr:`CertificateAuthority.ca_pem`.

Certificates are checked by OpenSSL against the machine's time, not the service clock, so their
validity starts a day before the earlier of the two: a ManualClock set years back, or ahead,
still gives certificates that verify today. They end when AWS's own device certificates end
(2049-12-31T23:59:59Z), or 20 years after they start when the clock is later than that.

Examples
--------
>>> from jobsnb.service.clock import ManualClock
>>> authority = CertificateAuthority(ManualClock(1_700_000_000))
>>> pem, public, private, der = authority.issue_device_certificate()
>>> pem.startswith("-----BEGIN CERTIFICATE-----"), private.startswith("-----BEGIN RSA PRIVATE")
(True, True)
>>> authority.issued_by_me(der)
True
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jobsnb.service.clock import Clock

__all__ = ["CA_COMMON_NAME", "DEVICE_COMMON_NAME", "CertificateAuthority"]

#: The subject's common name of the service's CA certificate.
CA_COMMON_NAME = "jobsnb local service CA"
#: The subject's common name of every device certificate, as in AWS's.
DEVICE_COMMON_NAME = "AWS IoT Certificate"
#: When AWS's CreateKeysAndCertificate certificates expire.
_AWS_NOT_AFTER = dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_KEY_BITS = 2048
_EXPONENT = 65537


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _key_pem(key: rsa.RSAPrivateKey) -> str:
    # PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form AWS's KeyPair.PrivateKey comes in.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")


def _key_usage(*, authority: bool) -> x509.KeyUsage:
    """A CA signs certificates; a TLS peer with an RSA key signs and enciphers keys."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not authority,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=authority,
        crl_sign=authority,
        encipher_only=False,
        decipher_only=False,
    )


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


class CertificateAuthority:
    """A self-signed CA that issues device certificates and the MQTT server's certificate.

    Parameters
    ----------
    clock
        The service clock; with the machine's time it sets when certificates start to be valid.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._key = rsa.generate_private_key(public_exponent=_EXPONENT, key_size=_KEY_BITS)
        subject = _name(CA_COMMON_NAME)
        public = self._key.public_key()
        self.certificate = (
            self._builder(subject, subject, public)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(authority=True), critical=True)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def ca_pem(self) -> str:
        """The CA's certificate in PEM: what devices and the broker trust."""
        return _pem(self.certificate)

    def _validity(self) -> tuple[dt.datetime, dt.datetime]:
        # OpenSSL checks validity against the machine's time, which the service clock may be
        # years from: start before both.
        start = min(self.clock.now(), time.time()) - 86_400
        not_before = dt.datetime.fromtimestamp(int(start), dt.UTC)
        return not_before, max(_AWS_NOT_AFTER, not_before + dt.timedelta(days=20 * 365))

    def _builder(
        self, subject: x509.Name, issuer: x509.Name, public: rsa.RSAPublicKey
    ) -> x509.CertificateBuilder:
        not_before, not_after = self._validity()
        authority = self._key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(authority), critical=False
            )
        )

    def _leaf(
        self, subject: x509.Name, usage: x509.ObjectIdentifier, hosts: list[str] | None = None
    ) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        key = rsa.generate_private_key(public_exponent=_EXPONENT, key_size=_KEY_BITS)
        builder = (
            self._builder(subject, self.certificate.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(authority=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if hosts is not None:
            names = [_san(host) for host in dict.fromkeys([*_LOOPBACK, *hosts])]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(self._key, hashes.SHA256()), key

    def server_credentials(self, hosts: list[str] | None = None) -> tuple[str, str]:
        """A server certificate and its private key, both PEM, for the MQTT endpoint's TLS.

        Its subject alternative names cover ``localhost``, ``127.0.0.1``, ``::1`` and ``hosts``
        (IP addresses as IP names, the rest as DNS names); its extended key usage is serverAuth.

        Examples
        --------
        >>> from jobsnb.service.clock import ManualClock
        >>> cert_pem, key_pem = CertificateAuthority(ManualClock(0)).server_credentials(["mqtt"])
        >>> from cryptography import x509
        >>> extensions = x509.load_pem_x509_certificate(cert_pem.encode()).extensions
        >>> names = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        >>> [str(name.value) for name in names]
        ['localhost', '127.0.0.1', '::1', 'mqtt']
        """
        subject = _name((hosts or ["localhost"])[0])
        usage = ExtendedKeyUsageOID.SERVER_AUTH
        certificate, key = self._leaf(subject, usage, list(hosts or []))
        return _pem(certificate), _key_pem(key)

    def issue_device_certificate(self) -> tuple[str, str, str, bytes]:
        """A new device certificate with a new RSA 2048 key, as CreateKeysAndCertificate makes.

        Returns the certificate (PEM), the public key (PEM, SubjectPublicKeyInfo), the private
        key (PEM, PKCS#1 ``BEGIN RSA PRIVATE KEY`` as AWS returns it) and the certificate's DER,
        whose SHA-256 is the certificate's id. Its extended key usage is clientAuth.
        """
        certificate, key = self._leaf(_name(DEVICE_COMMON_NAME), ExtendedKeyUsageOID.CLIENT_AUTH)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        der = certificate.public_bytes(serialization.Encoding.DER)
        return _pem(certificate), public.decode("ascii"), _key_pem(key), der

    def issued_by_me(self, der: bytes) -> bool:
        """True when ``der`` is a certificate this CA signed (its signature checks out)."""
        try:
            certificate = x509.load_der_x509_certificate(der)
            if certificate.issuer != self.certificate.subject:
                return False
            hash_algorithm = certificate.signature_hash_algorithm
            if hash_algorithm is None:
                return False
            self._key.public_key().verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                padding.PKCS1v15(),
                hash_algorithm,
            )
        except (ValueError, InvalidSignature):
            return False
        return True
