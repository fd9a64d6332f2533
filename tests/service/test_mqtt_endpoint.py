"""The MQTT endpoint's lifecycle: it starts and stops beside the HTTPS endpoint, cleanly."""

from __future__ import annotations

import logging

import pytest

from jobsnb.exceptions import InvalidParameterError
from jobsnb.service import LocalJobsService, ManualClock
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


def test_a_service_loaded_before_mqtt_started_does_not_notify_an_unchanged_next(
    clock: ManualClock,
) -> None:
    service = LocalJobsService(clock=clock, mqtt=True, mqtt_tls_port=None)
    service.backend.create_thing("t1")
    service.backend.create_job("j1", [service.backend.thing_arn("t1")], document="{}")
    with service:
        assert service.mqtt is not None
        device = Device(service.mqtt.port, "t1")
        try:
            device.accepted("start-next")  # j1 stays the next execution: no NextNotification
            device.accepted("j1/update", {"status": "SUCCEEDED"})
            assert device.next("notify-next") == {"timestamp": int(clock.now())}
            assert device.unread("notify-next") == []
        finally:
            device.close()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"mqtt": True, "mqtt_tls_port": True}, "mqtt_tls_port"),
        ({"mqtt": -1}, "mqtt"),
        ({"mqtt": 70000}, "mqtt"),
        ({"mqtt": True, "mqtt_tls_port": "8883"}, "mqtt_tls_port"),
    ],
)
def test_mqtt_options_are_checked_before_anything_starts(
    options: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidParameterError, match=f"^{field}: "):
        LocalJobsService(**options)  # type: ignore[arg-type]
