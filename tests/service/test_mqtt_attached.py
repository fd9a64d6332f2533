"""The service attached to a broker a team runs: Mosquitto, started here on a free port.

Needs Debian's ``mosquitto`` (``make test`` installs it when run as root); without it the tests
skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import paho.mqtt.client as mqtt
import pytest

from jobsnb.exceptions import InvalidParameterError, ServiceStartError
from jobsnb.service import LocalJobsService
from tests.helpers import closed_port, running_mosquitto
from tests.service.mqtt_clients import WAIT, Device


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[str]:
    """A Mosquitto broker on 127.0.0.1 taking anonymous clients; yields its mqtt:// URL."""
    with running_mosquitto(tmp_path) as url:
        yield url


def _client(service: LocalJobsService, name: str) -> Any:
    return boto3.client(
        name, endpoint_url=service.url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    )  # fmt: skip


def test_a_device_on_mosquitto_runs_the_jobs_flow_against_the_attached_service(
    mosquitto: str,
) -> None:
    with LocalJobsService(mqtt=mosquitto) as service:
        assert service.mqtt is not None
        assert service.mqtt.port == int(mosquitto.rsplit(":", 1)[1])
        iot, data = _client(service, "iot"), _client(service, "iot-jobs-data")
        iot.create_thing(thingName="dev-1")
        device = Device(service.mqtt.port, "dev-1")
        try:
            arn = iot.describe_thing(thingName="dev-1")["thingArn"]
            iot.create_job(jobId="fw-1", targets=[arn], document='{"v": 1}')
            queued = device.next("notify-next")["execution"]
            assert (queued["jobId"], queued["jobDocument"]) == ("fw-1", {"v": 1})
            started = device.accepted("start-next", {"clientToken": "s-1"})
            assert started["clientToken"] == "s-1"
            assert started["execution"]["status"] == "IN_PROGRESS"
            device.accepted("fw-1/update", {"status": "SUCCEEDED"})
            assert "execution" not in device.next("notify-next")
        finally:
            device.close()
        # The same execution over HTTPS: one state machine behind both transports.
        execution = data.describe_job_execution(thingName="dev-1", jobId="fw-1")
        assert execution["execution"]["status"] == "SUCCEEDED"
        assert service.mqtt.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_the_answers_pass_through_the_attached_broker(mosquitto: str) -> None:
    """A decision: on a team's broker, another client subscribed to a thing's answers sees them."""
    with LocalJobsService(mqtt=mosquitto) as service:
        assert service.mqtt is not None
        watcher = Device(service.mqtt.port, "watcher", subscribe=("$aws/things/dev-1/jobs/#",))
        device = Device(service.mqtt.port, "dev-1")
        try:
            mine = device.accepted("get", {"clientToken": "g"})
            assert json.loads(watcher.raw("$aws/things/dev-1/jobs/get/accepted")) == mine
        finally:
            device.close()
            watcher.close()


def test_attaching_to_a_broker_that_is_not_there_is_a_clear_error() -> None:
    url = f"mqtt://127.0.0.1:{closed_port()}"
    with pytest.raises(ServiceStartError, match=r"Cannot reach the MQTT broker at mqtt://127"):
        LocalJobsService(mqtt=url).start()


@pytest.mark.parametrize("url", ["http://127.0.0.1:1883", "mqtt://", "mqtt://h:99999"])
def test_a_broker_url_that_is_not_mqtt_host_port_is_refused(url: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"mqtt"):
        LocalJobsService(mqtt=url)


def test_an_mqtt5_device_runs_its_jobs_through_mosquitto(mosquitto: str) -> None:
    """The embedded broker speaks MQTT 3.1.1 only; MQTT 5 devices go through a team's broker."""
    with LocalJobsService(mqtt=mosquitto) as service:
        assert service.mqtt is not None
        iot = _client(service, "iot")
        arn = iot.create_thing(thingName="dev-5")["thingArn"]
        iot.create_job(jobId="fw-5", targets=[arn], document='{"v": 5}')
        device = Device(service.mqtt.port, "dev-5", protocol=mqtt.MQTTv5)
        try:
            answer = device.accepted("start-next", {"clientToken": "5"})  # on .../accepted
            assert (answer["execution"]["jobId"], answer["clientToken"]) == ("fw-5", "5")
        finally:
            device.close()


def test_the_embedded_broker_refuses_mqtt5_with_its_connack() -> None:
    with LocalJobsService(mqtt=True, mqtt_tls_port=None) as service:
        assert service.mqtt is not None
        with pytest.raises(ConnectionRefusedError, match=r"^Unsupported protocol version$"):
            Device(service.mqtt.port, "dev-5", protocol=mqtt.MQTTv5)


def test_the_attached_service_answers_again_after_its_broker_restarts(tmp_path: Path) -> None:
    """paho reconnects by itself, with a clean session: the service subscribes again."""
    port = closed_port()
    with running_mosquitto(tmp_path, port) as url:
        service = LocalJobsService(mqtt=url).start()
    try:
        with running_mosquitto(tmp_path, port):
            device = Device(port, "dev-1")
            try:
                # The first request may come before the service has reconnected and
                # subscribed: a device retries a request that got no answer, as this does.
                deadline = time.monotonic() + WAIT  # a bound on a hang, not a time assertion
                while True:
                    device.publish("$aws/things/dev-1/jobs/get", b"{}")
                    try:
                        device.raw("$aws/things/dev-1/jobs/get/accepted", timeout=0.5)
                        break
                    except AssertionError:
                        assert time.monotonic() < deadline, "no answer after the restart"
            finally:
                device.close()
    finally:
        service.stop()
