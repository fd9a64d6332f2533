"""The sandbox's devices learn of their jobs from ``jobs/notify-next`` over MQTT, as from AWS."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

import jobsnb
from jobsnb.exceptions import InvalidParameterError
from jobsnb.service import LocalJobsService, ManualClock
from jobsnb.simulation.config import FleetConfig
from jobsnb.simulation.devices import IDLE
from jobsnb.simulation.notices import NoticesLostError
from jobsnb.simulation.plan import plan_fleet
from jobsnb.simulation.scheduler import Fleet
from tests.helpers import CREDENTIALS, NO_RETRIES, REBOOT, REGION, START, THING_ARN


class Listener:
    """A second subscriber to every thing's notify-next, beside the fleet's."""

    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._arrived = threading.Condition()
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-listener")
        self.client.on_message = self._message
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe("$aws/things/+/jobs/notify-next", qos=1)
        assert subscribed.wait(10)

    def _message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._arrived:
            self.messages.append((message.topic.split("/")[2], json.loads(message.payload)))
            self._arrived.notify_all()

    def wait_for(self, count: int) -> None:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.messages) >= count, 30), (
                f"{len(self.messages)} of {count} notify-next arrived"
            )

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_every_notify_next_the_service_sends_reaches_the_fleet_and_wakes_its_devices() -> None:
    plan = plan_fleet(40, seed=5)
    with LocalJobsService(clock=ManualClock(START), mqtt=True, mqtt_tls_port=None) as service:
        assert service.mqtt is not None
        listener = Listener(service.mqtt.port)
        fleet = Fleet(service, plan)
        try:
            fleet.populate()
            fleet.advance(3 * 3600)
            sent = service.mqtt.notifications_sent["notify-next"]
            listener.wait_for(sent)
            # The last tick's messages may still be on their way to the fleet's own client.
            fleet.notices.catch_up()
            assert fleet.notices.received == len(listener.messages) == sent > 0
        finally:
            fleet.close()
            listener.close()
        iot = boto3.client(
            "iot", endpoint_url=service.url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
        )
        told = {thing for thing, message in listener.messages if "execution" in message}
        started = set()
        for job_id in service.backend.job_ids():
            pages = iot.get_paginator("list_job_executions_for_job").paginate(jobId=job_id)
            for page in pages:
                for summary in page["executionSummaries"]:
                    if summary["jobExecutionSummary"].get("startedAt") is not None:
                        started.add(summary["thingArn"].rsplit("/", 1)[1])
        # Every device that started a job was told of one over MQTT (none started unasked).
        assert started
        assert started <= told


def test_a_device_woken_by_notify_next_starts_a_job_another_client_created() -> None:
    quiet = FleetConfig(enroll_share=0, regroup_share=0)
    with jobsnb.sandbox(things=10, seed=2, config=quiet, warm_up="6h") as sb:
        assert sb.service.mqtt is not None
        iot = boto3.client(
            "iot", endpoint_url=sb.url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
        )
        # A device waiting for a notice: only notify-next can make it ask for work.
        idle = [t for t in sb.things if sb.fleet.agents[t].state == IDLE]
        assert idle
        before = sb.fleet.notices.received
        iot.create_job(
            jobId="lab", targets=[THING_ARN.format(idle[0])], document=json.dumps(REBOOT)
        )
        sb.advance("30min")
        assert sb.fleet.notices.received > before
        execution = iot.describe_job_execution(jobId="lab", thingName=idle[0])["execution"]
        assert execution["status"] != "QUEUED"


def test_a_notify_next_that_never_arrives_fails_the_run_naming_what_is_missing() -> None:
    quiet = FleetConfig(enroll_share=0, regroup_share=0)
    with jobsnb.sandbox(things=5, seed=2, config=quiet, warm_up=0) as sb:
        iot = boto3.client(
            "iot", endpoint_url=sb.url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
        )
        sb.fleet.notices.close()  # the subscription is gone: nothing reaches the fleet now
        sb.fleet.notices.timeout = 0.5
        target = next(t for t in sb.things if sb.fleet.agents[t].state == IDLE)
        iot.create_job(
            jobId="lost", targets=[THING_ARN.format(target)], document=json.dumps(REBOOT)
        )
        with pytest.raises(NoticesLostError, match=r"1 of the \d+ notify-next messages"):
            sb.advance("1min")


def test_a_sandbox_without_mqtt_is_refused_by_name() -> None:
    with pytest.raises(InvalidParameterError, match="needs MQTT"):
        jobsnb.sandbox(things=5, mqtt=False)
