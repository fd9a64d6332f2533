"""The service attached to a broker a team runs: Mosquitto, started here on a free port.

Needs Debian's ``mosquitto`` (``make test`` installs it when run as root); without it the tests
skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from jobsnb.exceptions import InvalidParameterError, ServiceStartError
from jobsnb.service import LocalJobsService
from tests.helpers import closed_port
from tests.service.mqtt_clients import WAIT, Device

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[str]:
    """A Mosquitto broker on 127.0.0.1 taking anonymous clients; yields its mqtt:// URL."""
    if not os.access(MOSQUITTO, os.X_OK):
        reason = "mosquitto is not installed (apt-get install mosquitto)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    port = closed_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    broker = subprocess.Popen([MOSQUITTO, "-c", str(config)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + WAIT  # a bound on a hang, not a time assertion
        while not _listening(port):
            assert broker.poll() is None, broker.stderr.read() if broker.stderr else ""
            assert time.monotonic() < deadline, "mosquitto did not listen"
            time.sleep(0.05)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(timeout=10)


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
