"""The MQTT endpoint's lifecycle: it starts and stops beside the HTTPS endpoint, cleanly."""

from __future__ import annotations

import logging

import pytest

from jobsnb.service import LocalJobsService
from tests.service.mqtt_clients import Device


def test_stop_shuts_the_broker_down_without_complaint(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="amqtt"):
        with LocalJobsService(mqtt=True, mqtt_tls_port=None) as service:
            assert service.mqtt is not None
            Device(service.mqtt.port, "t1").close()
        complaints = [
            record.getMessage()
            for record in caplog.records
            if record.name.startswith("amqtt") and record.levelno >= logging.WARNING
        ]
    assert complaints == []
