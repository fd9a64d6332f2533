"""The AWS IoT Device SDK v2 for Python (``awsiotsdk``, unmodified) runs its jobs flow against
the service: subscribe, get pending, start next, update to SUCCEEDED, hear notify-next name
the next job. Over plain TCP and over mutual TLS with a certificate the service issued
(CreateKeysAndCertificate + AttachThingPrincipal, client id = thing); a certificate not
attached to the thing, an INACTIVE one, or another thing's client id is refused at CONNACK."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from awscrt import io, mqtt
from awscrt.exceptions import AwsCrtError
from awsiot import iotjobs, mqtt_connection_builder

from tests.helpers import REBOOT
from tests.service.mqtt_clients import WAIT

pytestmark = pytest.mark.mqtt

QOS = mqtt.QoS.AT_LEAST_ONCE


class SdkDevice:
    """An IotJobsClient on an awscrt MQTT connection, each answer or event kept in a queue."""

    def __init__(self, connection: mqtt.Connection, thing: str) -> None:
        self.connection, self.thing = connection, thing
        connection.connect().result(WAIT)
        self.jobs = iotjobs.IotJobsClient(connection)
        self.heard: dict[str, queue.Queue[Any]] = {}
        named = {"thing_name": thing}
        for kind, subscribe, request in [
            ("pending", "get_pending_job_executions_accepted", "GetPendingJobExecutions"),
            ("rejected", "get_pending_job_executions_rejected", "GetPendingJobExecutions"),
            (
                "started",
                "start_next_pending_job_execution_accepted",
                "StartNextPendingJobExecution",
            ),
            (
                "rejected",
                "start_next_pending_job_execution_rejected",
                "StartNextPendingJobExecution",
            ),
            ("updated", "update_job_execution_accepted", "UpdateJobExecution"),
            ("rejected", "update_job_execution_rejected", "UpdateJobExecution"),
            ("next", "next_job_execution_changed_events", "NextJobExecutionChanged"),
            ("changed", "job_executions_changed_events", "JobExecutionsChanged"),
        ]:
            kinds = self.heard.setdefault(kind, queue.Queue())
            arguments = dict(named, job_id="+") if request == "UpdateJobExecution" else named
            request_class = getattr(iotjobs, request + "SubscriptionRequest")
            future, _ = getattr(self.jobs, "subscribe_to_" + subscribe)(
                request_class(**arguments), QOS, kinds.put
            )
            future.result(WAIT)

    def take(self, kind: str) -> Any:
        """The oldest answer or event of ``kind`` (waits for one)."""
        try:
            return self.heard[kind].get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"the SDK heard no {kind}") from None

    def run_jobs_flow(self) -> None:
        """The samples' flow: pending j1 and j2; start j1, finish it; notify-next names j2."""
        self.jobs.publish_get_pending_job_executions(
            iotjobs.GetPendingJobExecutionsRequest(thing_name=self.thing, client_token="p-1"), QOS
        ).result(WAIT)
        pending = self.take("pending")
        assert pending.client_token == "p-1"
        assert [job.job_id for job in pending.queued_jobs] == ["j1", "j2"]
        assert pending.in_progress_jobs == []

        self.jobs.publish_start_next_pending_job_execution(
            iotjobs.StartNextPendingJobExecutionRequest(
                thing_name=self.thing, status_details={"phase": "start"}
            ),
            QOS,
        ).result(WAIT)
        execution = self.take("started").execution
        assert (execution.job_id, execution.status) == ("j1", "IN_PROGRESS")
        assert execution.job_document == REBOOT
        assert execution.version_number == 2

        self.jobs.publish_update_job_execution(
            iotjobs.UpdateJobExecutionRequest(
                thing_name=self.thing,
                job_id="j1",
                status=iotjobs.JobStatus.SUCCEEDED,
                expected_version=2,
                include_job_execution_state=True,
            ),
            QOS,
        ).result(WAIT)
        updated = self.take("updated")
        assert updated.execution_state.status == "SUCCEEDED"
        assert updated.execution_state.version_number == 3
        assert self.heard["rejected"].empty()

        next_ids = []
        while not next_ids or next_ids[-1] != "j2":
            event = self.take("next")
            next_ids.append(event.execution.job_id if event.execution else None)
        assert next_ids[0] == "j1"
        lists = [self.take("changed").jobs for _ in range(4)]
        assert [{s: [j.job_id for j in jobs] for s, jobs in each.items()} for each in lists] == [
            {"QUEUED": ["j1"]},
            {"QUEUED": ["j1", "j2"]},
            {"IN_PROGRESS": ["j1"], "QUEUED": ["j2"]},
            {"QUEUED": ["j2"]},
        ]

    def close(self) -> None:
        self.connection.disconnect().result(WAIT)


@pytest.fixture
def bootstrap() -> io.ClientBootstrap:
    elg = io.EventLoopGroup(1)
    return io.ClientBootstrap(elg, io.DefaultHostResolver(elg))


@pytest.fixture
def sdk_devices() -> Iterator[list[SdkDevice]]:
    made: list[SdkDevice] = []
    yield made
    for device in made:
        device.close()


def test_jobs_flow_over_plain_tcp(
    make_things: Any,
    make_job: Any,
    service: Any,
    bootstrap: io.ClientBootstrap,
    sdk_devices: list[SdkDevice],
) -> None:
    make_things("t1")
    connection = mqtt.Connection(
        client=mqtt.Client(bootstrap, None),
        host_name="127.0.0.1",
        port=service.mqtt.port,
        client_id="t1",
        clean_session=True,
        keep_alive_secs=30,
    )
    sdk_devices.append(SdkDevice(connection, "t1"))
    make_job("j1", ["t1"])
    make_job("j2", ["t1"])
    sdk_devices[0].run_jobs_flow()


# --- mutual TLS ----------------------------------------------------------------------------------


@pytest.fixture
def tls_connect(
    service: Any, bootstrap: io.ClientBootstrap, iot: Any
) -> Callable[..., mqtt.Connection]:
    """``tls_connect(credentials, client_id)``: an SDK connection over the service's mTLS port."""

    def connect(credentials: dict[str, Any], client_id: str) -> mqtt.Connection:
        return mqtt_connection_builder.mtls_from_bytes(
            cert_bytes=credentials["certificatePem"].encode(),
            pri_key_bytes=credentials["keyPair"]["PrivateKey"].encode(),
            ca_bytes=service.mqtt.ca_file.read_bytes(),
            endpoint="127.0.0.1",
            port=service.mqtt.tls_port,
            client_id=client_id,
            client_bootstrap=bootstrap,
            clean_session=True,
            keep_alive_secs=30,
        )

    return connect


@pytest.fixture
def certificate(iot: Any, make_things: Any) -> dict[str, Any]:
    """An ACTIVE certificate the service issued, attached to thing t1 (t2 exists too)."""
    make_things("t1", "t2")
    credentials: dict[str, Any] = iot.create_keys_and_certificate(setAsActive=True)
    iot.attach_thing_principal(thingName="t1", principal=credentials["certificateArn"])
    return credentials


@pytest.mark.mqtt(mqtt_tls_port=0)
def test_jobs_flow_over_mutual_tls_with_an_issued_certificate(
    certificate: dict[str, Any],
    make_job: Any,
    tls_connect: Callable[..., mqtt.Connection],
    sdk_devices: list[SdkDevice],
    service: Any,
) -> None:
    sdk_devices.append(SdkDevice(tls_connect(certificate, "t1"), "t1"))
    make_job("j1", ["t1"])
    make_job("j2", ["t1"])
    sdk_devices[0].run_jobs_flow()
    assert service.mqtt.broker.refused == []


def refused_at_connack(connection: mqtt.Connection) -> AwsCrtError:
    with pytest.raises(AwsCrtError) as caught:
        connection.connect().result(WAIT)
    return caught.value


@pytest.mark.mqtt(mqtt_tls_port=0)
def test_certificate_not_attached_to_the_thing_is_refused(
    certificate: dict[str, Any],
    tls_connect: Callable[..., mqtt.Connection],
    service: Any,
    iot: Any,
    sdk_devices: list[SdkDevice],
) -> None:
    loose = iot.create_keys_and_certificate(setAsActive=True)
    refused_at_connack(tls_connect(loose, "t1"))
    assert service.mqtt.broker.refused == [
        "client 't1' refused: certificate is not attached to thing t1"
    ]
    # The attached one still connects: the refusal was about the certificate, not the thing.
    sdk_devices.append(SdkDevice(tls_connect(certificate, "t1"), "t1"))


@pytest.mark.mqtt(mqtt_tls_port=0)
def test_client_id_of_another_thing_is_refused(
    certificate: dict[str, Any], tls_connect: Callable[..., mqtt.Connection], service: Any
) -> None:
    refused_at_connack(tls_connect(certificate, "t2"))
    assert service.mqtt.broker.refused == [
        "client 't2' refused: certificate is not attached to thing t2"
    ]


@pytest.mark.mqtt(mqtt_tls_port=0)
def test_inactive_certificate_is_refused(
    certificate: dict[str, Any],
    tls_connect: Callable[..., mqtt.Connection],
    service: Any,
    iot: Any,
) -> None:
    iot.update_certificate(certificateId=certificate["certificateId"], newStatus="INACTIVE")
    refused_at_connack(tls_connect(certificate, "t1"))
    [reason] = service.mqtt.broker.refused
    assert reason.endswith(f"certificate {certificate['certificateId']} is INACTIVE")
