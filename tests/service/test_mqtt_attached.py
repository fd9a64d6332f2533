"""The service attached to a broker a team runs: Mosquitto, started here on a free port.

Needs Debian's ``mosquitto`` (``make test`` installs it when run as root); without it the tests
skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from jobsnb.exceptions import InvalidParameterError, ServiceStartError
from jobsnb.service import LocalJobsService
from tests.helpers import closed_port, running_mosquitto
from tests.service.mqtt_clients import Device


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
