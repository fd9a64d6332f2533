"""Certificates, thing principals and event configurations through real boto3 and the AWS CLI,
and the proof that a device certificate from the control plane completes mutual TLS with the
service's CA (what the MQTT endpoint relies on)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.helpers import ACCOUNT, START, THING_ARN, error_of

CERT_ARN = f"arn:aws:iot:us-east-1:{ACCOUNT}:cert/{{}}"


def _cert(iot: Any, active: bool = False) -> dict[str, Any]:
    return dict(iot.create_keys_and_certificate(setAsActive=active))


def _attached(iot: Any, thing: str, active: bool = True) -> dict[str, Any]:
    iot.create_thing(thingName=thing)
    cert = _cert(iot, active)
    iot.attach_thing_principal(thingName=thing, principal=cert["certificateArn"])
    return cert


# ----------------------------------------------------------------- certificates
def test_create_keys_and_certificate_answers_awss_shapes(iot: Any, service: Any) -> None:
    cert = _cert(iot)
    pem = cert["certificatePem"]
    loaded = x509.load_pem_x509_certificate(pem.encode())
    der = loaded.public_bytes(encoding=Encoding.DER)
    assert cert["certificateId"] == hashlib.sha256(der).hexdigest()
    assert cert["certificateArn"] == CERT_ARN.format(cert["certificateId"])
    assert cert["keyPair"]["PrivateKey"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert cert["keyPair"]["PublicKey"].startswith("-----BEGIN PUBLIC KEY-----")
    key = loaded.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048
    subject = loaded.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert subject == "AWS IoT Certificate"
    usage = loaded.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    # Signed by the service's CA, and valid on the machine's clock though the service's is 2023.
    ca = x509.load_pem_x509_certificate(service.backend.authority.ca_pem.encode())
    ca_key = ca.public_key()
    assert isinstance(ca_key, rsa.RSAPublicKey)
    assert loaded.signature_hash_algorithm is not None
    ca_key.verify(
        loaded.signature, loaded.tbs_certificate_bytes, padding.PKCS1v15(),
        loaded.signature_hash_algorithm,
    )  # fmt: skip
    assert loaded.issuer == ca.subject
    now = dt.datetime.now(dt.UTC)
    assert loaded.not_valid_before_utc < dt.datetime.fromtimestamp(START, dt.UTC) < now
    assert now < loaded.not_valid_after_utc


def test_describe_list_update_delete_lifecycle(iot: Any, clock: Any) -> None:
    first = _cert(iot)
    clock.advance(60)
    second = _cert(iot, active=True)
    described = iot.describe_certificate(certificateId=first["certificateId"])
    description = described["certificateDescription"]
    assert description["status"] == "INACTIVE"
    assert description["certificatePem"] == first["certificatePem"]
    assert description["ownedBy"] == ACCOUNT
    assert description["creationDate"].timestamp() == START
    assert description["lastModifiedDate"].timestamp() == START
    validity = description["validity"]
    assert validity["notBefore"] < validity["notAfter"]
    assert (
        iot.describe_certificate(certificateId=second["certificateId"])["certificateDescription"][
            "status"
        ]
        == "ACTIVE"
    )
    # Newest first unless ascending.
    listed = iot.list_certificates()["certificates"]
    assert [c["certificateId"] for c in listed] == [
        second["certificateId"],
        first["certificateId"],
    ]
    ascending = iot.list_certificates(ascendingOrder=True)["certificates"]
    assert [c["certificateId"] for c in ascending] == [
        first["certificateId"],
        second["certificateId"],
    ]
    assert set(listed[0]) >= {"certificateArn", "certificateId", "status", "creationDate"}
    clock.advance(60)
    iot.update_certificate(certificateId=first["certificateId"], newStatus="ACTIVE")
    after = iot.describe_certificate(certificateId=first["certificateId"])
    assert after["certificateDescription"]["lastModifiedDate"].timestamp() == START + 120
    code, message, status = error_of(iot.delete_certificate, certificateId=first["certificateId"])
    assert (code, status) == ("CertificateStateException", 406)
    assert "ACTIVE" in message
    iot.update_certificate(certificateId=first["certificateId"], newStatus="REVOKED")
    code, message, status = error_of(
        iot.update_certificate, certificateId=first["certificateId"], newStatus="ACTIVE"
    )
    assert (code, status) == ("CertificateStateException", 406)
    assert "REVOKED" in message
    iot.delete_certificate(certificateId=first["certificateId"])
    code, _, status = error_of(iot.describe_certificate, certificateId=first["certificateId"])
    assert (code, status) == ("ResourceNotFoundException", 404)
    remaining = iot.list_certificates()["certificates"]
    assert [c["certificateId"] for c in remaining] == [second["certificateId"]]


def test_list_certificates_pages_with_markers_that_survive_changes(iot: Any) -> None:
    ids = [_cert(iot)["certificateId"] for _ in range(5)]
    first = iot.list_certificates(pageSize=2, ascendingOrder=True)
    assert [c["certificateId"] for c in first["certificates"]] == ids[:2]
    iot.delete_certificate(certificateId=ids[2])
    _cert(iot)
    second = iot.list_certificates(pageSize=2, ascendingOrder=True, marker=first["nextMarker"])
    assert [c["certificateId"] for c in second["certificates"]] == ids[3:5]
    descending = iot.list_certificates(pageSize=3)
    rest = iot.list_certificates(pageSize=3, marker=descending["nextMarker"])
    assert "nextMarker" not in rest
    assert len(descending["certificates"]) + len(rest["certificates"]) == 5
    paginated = iot.get_paginator("list_certificates").paginate(PaginationConfig={"PageSize": 2})
    assert sum(len(page["certificates"]) for page in paginated) == 5


# ----------------------------------------------------------------- principals
def test_attach_list_detach_thing_principals(iot: Any) -> None:
    cert = _attached(iot, "t1")
    arn = cert["certificateArn"]
    iot.create_thing(thingName="t2")
    iot.attach_thing_principal(thingName="t2", principal=arn)
    assert iot.list_thing_principals(thingName="t1")["principals"] == [arn]
    assert iot.list_principal_things(principal=arn)["things"] == ["t1", "t2"]
    objects = iot.list_thing_principals_v2(thingName="t2")["thingPrincipalObjects"]
    assert objects == [{"principal": arn, "thingPrincipalType": "NON_EXCLUSIVE_THING"}]
    things = iot.list_principal_things_v2(principal=arn, thingPrincipalType="EXCLUSIVE_THING")
    assert things["principalThingObjects"] == []
    # Attached: the certificate cannot go, nor can the thing.
    iot.update_certificate(certificateId=cert["certificateId"], newStatus="INACTIVE")
    code, message, status = error_of(
        iot.delete_certificate, certificateId=cert["certificateId"], forceDelete=True
    )
    assert (code, status) == ("DeleteConflictException", 409)
    assert "t1" in message
    assert "t2" in message
    code, message, status = error_of(iot.delete_thing, thingName="t1")
    assert (code, status) == ("InvalidRequestException", 400)
    assert "principal" in message
    iot.detach_thing_principal(thingName="t1", principal=arn)
    iot.detach_thing_principal(thingName="t1", principal=arn)  # again: still a success
    iot.detach_thing_principal(thingName="t2", principal=arn)
    assert iot.list_thing_principals(thingName="t1")["principals"] == []
    assert iot.list_principal_things(principal=arn)["things"] == []
    iot.delete_thing(thingName="t1")
    iot.delete_certificate(certificateId=cert["certificateId"])


def test_exclusive_thing_keeps_the_certificate_to_one_thing(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    iot.create_thing(thingName="t2")
    arn = _cert(iot)["certificateArn"]
    iot.attach_thing_principal(thingName="t1", principal=arn, thingPrincipalType="EXCLUSIVE_THING")
    code, message, status = error_of(iot.attach_thing_principal, thingName="t2", principal=arn)
    assert (code, status) == ("InvalidRequestException", 400)
    assert "exclusively" in message
    assert "t1" in message
    objects = iot.list_principal_things_v2(principal=arn)["principalThingObjects"]
    assert objects == [{"thingName": "t1", "thingPrincipalType": "EXCLUSIVE_THING"}]
    iot.attach_thing_principal(thingName="t1", principal=arn)  # relaxed on the same thing
    iot.attach_thing_principal(thingName="t2", principal=arn)
    code, message, _ = error_of(
        iot.attach_thing_principal,
        thingName="t2",
        principal=arn,
        thingPrincipalType="EXCLUSIVE_THING",
    )
    assert code == "InvalidRequestException"
    assert "EXCLUSIVE_THING" in message


def test_principal_refusals_name_the_field_and_rule(iot: Any, iot_unchecked: Any) -> None:
    iot.create_thing(thingName="t1")
    arn = _cert(iot)["certificateArn"]
    code, message, _ = error_of(
        iot.attach_thing_principal, thingName="t1", principal="us-east-1:cognito-identity-id"
    )
    assert code == "InvalidRequestException"
    assert "principal" in message
    assert "certificate ARN" in message
    unknown = CERT_ARN.format("ab" * 32)
    code, _, status = error_of(iot.attach_thing_principal, thingName="t1", principal=unknown)
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, status = error_of(iot.attach_thing_principal, thingName="nope", principal=arn)
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, message, _ = error_of(
        iot_unchecked.attach_thing_principal, thingName="t1", principal=arn,
        thingPrincipalType="SHARED",
    )  # fmt: skip
    assert code == "InvalidRequestException"
    assert "thingPrincipalType" in message
    code, message, _ = error_of(iot_unchecked.list_principal_things, principal="")
    assert code == "InvalidRequestException"
    assert "x-amzn-principal" in message
    code, _, status = error_of(iot.list_thing_principals, thingName="nope")
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, message, _ = error_of(iot_unchecked.list_thing_principals, thingName="bad name!")
    assert code == "InvalidRequestException"
    assert "thing" in message.lower()


@pytest.mark.parametrize(
    ("certificate_id", "rule"),
    [("abc", "64"), ("g" * 64, "hexadecimal"), ("a" * 65, "64"), ("../" + "a" * 61, "pattern")],
)
def test_a_bad_certificate_id_is_refused_with_its_rule(
    iot_unchecked: Any, certificate_id: str, rule: str
) -> None:
    for call in (iot_unchecked.describe_certificate, iot_unchecked.delete_certificate):
        code, message, status = error_of(call, certificateId=certificate_id)
        assert (code, status) == ("InvalidRequestException", 400)
        assert "certificateId" in message
        assert rule in message


def test_update_certificate_refuses_statuses_it_cannot_set(iot: Any, iot_unchecked: Any) -> None:
    cert_id = _cert(iot)["certificateId"]
    for status in ("PENDING_TRANSFER", "PENDING_ACTIVATION", "REGISTER_INACTIVE", "DEAD"):
        code, message, http = error_of(
            iot_unchecked.update_certificate, certificateId=cert_id, newStatus=status
        )
        assert (code, http) == ("InvalidRequestException", 400)
        assert "newStatus" in message


def test_list_certificates_refuses_bad_page_size_and_marker(iot_unchecked: Any) -> None:
    code, message, _ = error_of(iot_unchecked.list_certificates, pageSize=251)
    assert code == "InvalidRequestException"
    assert "pageSize" in message
    for marker in ("not a marker!", "aW5kZXg6LTE=", "Zm9v"):
        code, message, _ = error_of(iot_unchecked.list_certificates, marker=marker)
        assert code == "InvalidRequestException"
        assert "marker" in message


def test_hostile_principal_headers_get_a_400(raw: Any) -> None:
    for principal in ("x" * 5000, "arn:aws:iot:us-east-1:123456789012:thing/t1", "\u00e9"):
        reply = raw(
            "GET",
            "/principals/things",
            control=True,
            headers={"x-amzn-principal": principal.encode("utf-8").decode("latin-1")},
        )
        assert reply.status == 400, principal
        assert reply.json()["__type"] == "InvalidRequestException"
    assert raw("PUT", "/things/t1/principals", control=True).status == 400


# ----------------------------------------------------------------- the broker's API
def test_authorize_device_says_yes_only_for_active_attached_matching(
    iot: Any, service: Any
) -> None:
    backend = service.backend
    cert = _attached(iot, "t1", active=False)
    der = x509.load_pem_x509_certificate(cert["certificatePem"].encode()).public_bytes(Encoding.DER)
    assert backend.authorize_device(der, "t1") == f"certificate {cert['certificateId']} is INACTIVE"
    iot.update_certificate(certificateId=cert["certificateId"], newStatus="ACTIVE")
    assert backend.authorize_device(der, "t1") is None
    assert backend.authorize_device(der, "t2") == "certificate is not attached to thing t2"
    iot.detach_thing_principal(thingName="t1", principal=cert["certificateArn"])
    assert backend.authorize_device(der, "t1") == "certificate is not attached to thing t1"
    # A certificate the service did not issue, even one with the same subject.
    from jobsnb.service.certificate_authority import CertificateAuthority

    stranger = CertificateAuthority(service.backend.clock).issue_device_certificate()[3]
    assert backend.authorize_device(stranger, "t1") == "unknown certificate"
    assert backend.authorize_device(b"not DER", "t1") == "unknown certificate"
    iot.update_certificate(certificateId=cert["certificateId"], newStatus="REVOKED")
    iot.attach_thing_principal(thingName="t1", principal=cert["certificateArn"])
    assert backend.authorize_device(der, "t1") == f"certificate {cert['certificateId']} is REVOKED"


def _serve_once(server: ssl.SSLContext, sock: socket.socket, seen: dict[str, Any]) -> None:
    with server.wrap_socket(sock, server_side=True) as tls:
        seen["peer"] = tls.getpeercert(binary_form=True)
        tls.sendall(b"hello")


def test_a_device_certificate_completes_mutual_tls_with_the_service_ca(
    iot: Any, service: Any, tmp_path: Path
) -> None:
    cert = _attached(iot, "sensor-1")
    authority = service.backend.authority
    server_pem, server_key = authority.server_credentials(["mqtt.local", "10.0.0.7"])
    files = {
        "ca.pem": authority.ca_pem,
        "server.pem": server_pem,
        "server.key": server_key,
        "device.pem": cert["certificatePem"],
        "device.key": cert["keyPair"]["PrivateKey"],
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    server.load_verify_locations(tmp_path / "ca.pem")
    server.verify_mode = ssl.CERT_REQUIRED
    client = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    client.load_cert_chain(tmp_path / "device.pem", tmp_path / "device.key")
    listener = socket.create_server(("127.0.0.1", 0))
    seen: dict[str, Any] = {}
    with listener:
        port = listener.getsockname()[1]
        accepting = threading.Thread(
            target=lambda: _serve_once(server, listener.accept()[0], seen), daemon=True
        )
        accepting.start()
        with (
            socket.create_connection(("127.0.0.1", port), timeout=20) as raw_sock,
            client.wrap_socket(raw_sock, server_hostname="localhost") as tls,
        ):
            assert tls.recv(5) == b"hello"
        accepting.join(timeout=20)
    assert service.backend.authorize_device(seen["peer"], "sensor-1") is None
    # The server certificate names every host it was made for, IPs as IP addresses.
    loaded = x509.load_pem_x509_certificate(server_pem.encode())
    names = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "mqtt.local"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == [
        "127.0.0.1",
        "::1",
        "10.0.0.7",
    ]


def test_the_ca_is_made_once_per_backend(service: Any) -> None:
    assert service.backend.authority is service.backend.authority


# ----------------------------------------------------------------- event configurations
def test_event_configurations_start_disabled_and_update(
    iot: Any, iot_unchecked: Any, service: Any, clock: Any
) -> None:
    described = iot.describe_event_configurations()
    configurations = described["eventConfigurations"]
    assert configurations["JOB"] == {"Enabled": False}
    assert len(configurations) == 11
    assert not any(c["Enabled"] for c in configurations.values())
    assert described["creationDate"].timestamp() == START
    clock.advance(30)
    iot.update_event_configurations(
        eventConfigurations={"JOB": {"Enabled": True}, "JOB_EXECUTION": {"Enabled": True}}
    )
    after = iot.describe_event_configurations()
    assert after["eventConfigurations"]["JOB_EXECUTION"] == {"Enabled": True}
    assert after["lastModifiedDate"].timestamp() == START + 30
    assert service.backend.events_enabled("JOB")
    assert not service.backend.events_enabled("THING")
    code, message, _ = error_of(
        iot_unchecked.update_event_configurations, eventConfigurations={"JOBS": {"Enabled": True}}
    )
    assert code == "InvalidRequestException"
    assert "JOBS" in message
    assert "event type" in message
    code, message, _ = error_of(
        iot_unchecked.update_event_configurations,
        eventConfigurations={"JOB": {"Enabled": "yes"}},
    )
    assert code == "InvalidRequestException"
    assert "Enabled" in message
    assert service.backend.events_enabled("JOB")  # a refused update changes nothing
    code, message, _ = error_of(
        iot_unchecked.update_event_configurations,
        eventConfigurations={"THING": {"Enabled": True}},
    )
    assert code == "InvalidRequestException"
    assert "does not support THING events" in message
    iot.update_event_configurations(eventConfigurations={"THING": {"Enabled": False}})
    with pytest.raises(ValueError, match="event_type"):
        service.backend.events_enabled("JOBS")


# ----------------------------------------------------------------- the AWS CLI
def test_the_aws_cli_creates_attaches_and_lists(aws_cli: Any, iot: Any, tmp_path: Path) -> None:
    iot.create_thing(thingName="t1")
    made = aws_cli(
        "iot",
        "create-keys-and-certificate",
        "--set-as-active",
        "--certificate-pem-outfile",
        str(tmp_path / "device.pem"),
    )
    assert made.returncode == 0, made.stderr
    cert = json.loads(made.stdout)
    assert (tmp_path / "device.pem").read_text() == cert["certificatePem"]
    attached = aws_cli(
        "iot", "attach-thing-principal", "--thing-name", "t1", "--principal",
        cert["certificateArn"],
    )  # fmt: skip
    assert attached.returncode == 0, attached.stderr
    listed = aws_cli("iot", "list-thing-principals", "--thing-name", "t1")
    assert json.loads(listed.stdout)["principals"] == [cert["certificateArn"]]
    revoked = aws_cli(
        "iot", "update-certificate", "--certificate-id", cert["certificateId"],
        "--new-status", "REVOKED",
    )  # fmt: skip
    assert revoked.returncode == 0, revoked.stderr
    refused = aws_cli(
        "iot", "update-certificate", "--certificate-id", cert["certificateId"],
        "--new-status", "ACTIVE",
    )  # fmt: skip
    assert refused.returncode != 0
    assert "CertificateStateException" in refused.stderr


def test_the_aws_cli_updates_event_configurations(aws_cli: Any) -> None:
    updated = aws_cli(
        "iot", "update-event-configurations", "--event-configurations",
        json.dumps({"JOB": {"Enabled": True}}),
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    described = json.loads(aws_cli("iot", "describe-event-configurations").stdout)
    assert described["eventConfigurations"]["JOB"] == {"Enabled": True}
    assert described["eventConfigurations"]["THING"] == {"Enabled": False}


def test_thing_arn_is_not_a_principal(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    code, message, _ = error_of(
        iot.attach_thing_principal, thingName="t1", principal=THING_ARN.format("t1")
    )
    assert code == "InvalidRequestException"
    assert "certificate ARN" in message
