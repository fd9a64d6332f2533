"""Device identity over mutual TLS, through paho: a device is the thing its certificate is
attached to, and AWS's usual device policy holds (its own jobs topics only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.service.mqtt_clients import WAIT, Device, jobs_topic

pytestmark = pytest.mark.mqtt(mqtt_tls_port=0)


@pytest.fixture
def issue(
    iot: Any, service: Any, tmp_path: Path, make_things: Any
) -> Callable[..., tuple[str, str, str]]:
    """``issue("t1")``: a new ACTIVE certificate attached to t1 (created), as the ``tls`` files
    a Device takes; ``attach=False`` leaves it unattached."""
    make_things("t1", "t2")

    def make(thing: str, attach: bool = True) -> tuple[str, str, str]:
        credentials = iot.create_keys_and_certificate(setAsActive=True)
        if attach:
            iot.attach_thing_principal(thingName=thing, principal=credentials["certificateArn"])
        cert = tmp_path / f"{credentials['certificateId']}.pem"
        key = tmp_path / f"{credentials['certificateId']}.key"
        cert.write_text(credentials["certificatePem"])
        key.write_text(credentials["keyPair"]["PrivateKey"])
        return str(service.mqtt.ca_file), str(cert), str(key)

    return make


def test_issued_certificate_runs_the_jobs_topics(
    issue: Callable[..., Any], make_job: Any, device: Callable[..., Device]
) -> None:
    dev = device("t1", tls=issue("t1"))
    make_job("j1", ["t1"])
    assert dev.next("notify-next")["execution"]["jobId"] == "j1"
    assert dev.accepted("start-next")["execution"]["status"] == "IN_PROGRESS"


def test_unattached_certificate_gets_connack_not_authorized(
    issue: Callable[..., Any], device: Callable[..., Device], service: Any
) -> None:
    with pytest.raises(ConnectionRefusedError, match="Not authorized"):
        device("t1", tls=issue("t1", attach=False))
    assert service.mqtt.broker.refused == [
        "client 't1' refused: certificate is not attached to thing t1"
    ]


def test_publishing_on_another_things_jobs_topics_closes_the_connection(
    issue: Callable[..., Any], make_job: Any, device: Callable[..., Device], service: Any
) -> None:
    make_job("j2", ["t2"])
    intruder = device("t1", tls=issue("t1"))
    owner = device("t2", tls=issue("t2"))
    intruder.publish(jobs_topic("t2", "start-next"), b"{}")
    assert intruder.closed.wait(WAIT)
    assert service.mqtt.broker.refused == [
        "client 't1' refused: may not publish on $aws/things/t2/jobs/start-next"
    ]
    # t2's job was not started by the intruder.
    assert owner.accepted("get")["queuedJobs"][0]["jobId"] == "j2"


def test_subscribing_to_another_things_topics_is_refused(
    issue: Callable[..., Any], device: Callable[..., Device]
) -> None:
    dev = device("t1", tls=issue("t1"))
    assert not dev.subscribe(jobs_topic("t2", "#"))
    assert not dev.subscribe("$aws/things/+/jobs/notify")
    assert dev.subscribe("$aws/events/job/#")
    assert dev.accepted("get") == {"inProgressJobs": [], "queuedJobs": [], "timestamp": 1700000000}


@pytest.mark.parametrize("change", ["INACTIVE", "REVOKED", "detached"])
def test_a_certificate_deactivated_or_detached_since_connecting_closes_at_the_next_request(
    change: str, iot: Any, issue: Callable[..., Any], device: Callable[..., Device], service: Any
) -> None:
    files = issue("t1")
    dev = device("t1", tls=files)
    assert dev.accepted("get")["queuedJobs"] == []
    certificate_id = Path(files[1]).stem
    if change == "detached":
        arn = iot.describe_certificate(certificateId=certificate_id)["certificateDescription"]
        iot.detach_thing_principal(thingName="t1", principal=arn["certificateArn"])
        reason = "certificate is not attached to thing t1"
    else:
        iot.update_certificate(certificateId=certificate_id, newStatus=change)
        reason = f"certificate {certificate_id} is {change}"
    dev.publish(jobs_topic("t1", "get"), b"{}")
    assert dev.closed.wait(WAIT)
    assert service.mqtt.broker.refused == [f"client 't1' refused: {reason}"]


def test_a_persistent_session_is_not_resumed_with_another_things_certificate(
    issue: Callable[..., Any], make_job: Any, device: Callable[..., Device], service: Any
) -> None:
    """amqtt resumes a persistent session with the earlier connection's TLS details: the
    certificate checked must be the one this connection presents."""
    owner = device("t1", tls=issue("t1"), clean_session=False)
    owner.close()
    make_job("j1", ["t1"])
    with pytest.raises(ConnectionRefusedError, match="Not authorized"):
        device("t1", tls=issue("t2"), clean_session=False, subscribe=())
    assert service.mqtt.broker.refused == [
        "client 't1' refused: certificate is not attached to thing t1"
    ]


def test_a_persistent_session_opened_in_plain_tcp_is_not_resumed_over_tls(
    issue: Callable[..., Any], device: Callable[..., Device], service: Any
) -> None:
    plain = Device(service.mqtt.port, "t1", clean_session=False, subscribe=("$aws/things/#",))
    plain.close()
    with pytest.raises(ConnectionRefusedError, match="Not authorized"):
        device("t1", tls=issue("t1"), clean_session=False, subscribe=())
    assert service.mqtt.broker.refused == [
        "client 't1' refused: its persistent session was opened on the other listener (TLS or not)"
    ]


def test_a_revoked_device_receives_nothing_more_and_is_disconnected(
    iot: Any, issue: Callable[..., Any], make_job: Any, device: Callable[..., Device]
) -> None:
    files = issue("t1")
    dev = device("t1", tls=files)
    iot.update_certificate(certificateId=Path(files[1]).stem, newStatus="REVOKED")
    make_job("j1", ["t1"], document={"secret": "for t1 only"})
    assert dev.closed.wait(WAIT)
    assert dev.received == []
