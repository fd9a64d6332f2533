"""Fixtures for tests/service: seeding helpers over the real control-plane client."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import REBOOT, THING_ARN
from tests.service.mqtt_clients import Device

#: The AWS CLI of the dev group, beside this interpreter; None where it is not installed.
AWS = shutil.which("aws", path=str(Path(sys.executable).parent))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mqtt(**options): the service fixture also serves MQTT (plain TCP; the options go to "
        "LocalJobsService, e.g. mqtt_tls_port=0)",
    )


@pytest.fixture
def service(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[LocalJobsService]:
    """The suite's service; with ``@pytest.mark.mqtt`` its MQTT endpoint runs too."""
    marker = request.node.get_closest_marker("mqtt")
    options: dict[str, Any] = {}
    if marker is not None:
        options = {"mqtt": True, "mqtt_tls_port": None, **marker.kwargs}
    with LocalJobsService(clock=clock, **options) as svc:
        yield svc


@pytest.fixture
def device(service: LocalJobsService) -> Iterator[Callable[..., Device]]:
    """``device("t1")``: a paho client connected as thing t1 and subscribed to its jobs topics
    (``@pytest.mark.mqtt`` tests); every device is disconnected after the test."""
    made: list[Device] = []

    def connect(thing: str, **kwargs: Any) -> Device:
        assert service.mqtt is not None, "mark the test @pytest.mark.mqtt"
        made.append(Device(service.mqtt.port, thing, **kwargs))
        return made[-1]

    yield connect
    for each in made:
        each.close()


@pytest.fixture
def aws_cli(service: Any, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``aws_cli("iot", "update-job", "--job-id", "j1", ...)``: the AWS CLI against the service.

    No credentials, config or region of the machine reach it; the output is JSON.
    """
    if AWS is None:
        pytest.skip("the AWS CLI is installed by the dev group")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )

    def run(service_name: str, *args: str) -> subprocess.CompletedProcess[str]:
        assert AWS is not None
        command = [AWS, service_name, *args, "--endpoint-url", service.url]
        command += ["--region", "us-east-1", "--output", "json"]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    return run


@pytest.fixture
def make_things(iot: Any) -> Callable[..., list[str]]:
    """``make_things("t1", "t2")`` creates the things and returns their ARNs."""

    def make(*names: str) -> list[str]:
        return [iot.create_thing(thingName=name)["thingArn"] for name in names]

    return make


@pytest.fixture
def make_command(iot: Any) -> Callable[..., str]:
    """``make_command("reboot")`` creates a command and returns its ARN.

    With ``parameters=("delay",)`` it is a dynamic command whose payload template has those
    mandatory parameters (any type, no default); without, a static JSON payload.
    """

    def make(command_id: str = "reboot", parameters: tuple[str, ...] = (), **kwargs: Any) -> str:
        if parameters:
            template = {
                name: "${aws:iot:commandexecution::parameter:" + name + "}" for name in parameters
            }
            kwargs.setdefault("payloadTemplate", json.dumps(template))
            kwargs.setdefault("preprocessor", {"awsJsonSubstitution": {"outputFormat": "JSON"}})
            kwargs.setdefault("mandatoryParameters", [{"name": name} for name in parameters])
        else:
            kwargs.setdefault(
                "payload",
                {"content": json.dumps(REBOOT).encode(), "contentType": "application/json"},
            )
        return str(iot.create_command(commandId=command_id, **kwargs)["commandArn"])

    return make


@pytest.fixture
def make_job(iot: Any) -> Callable[..., str]:
    """``make_job("j1", ["t1"], timeoutConfig=...)`` creates a job on existing things."""

    def make(job_id: str, things: list[str], document: Any = REBOOT, **kwargs: Any) -> str:
        iot.create_job(
            jobId=job_id,
            targets=[THING_ARN.format(name) for name in things],
            document=document if isinstance(document, str) else json.dumps(document),
            **kwargs,
        )
        return job_id

    return make


def _unchecked(service: Any, service_name: str) -> Any:
    return boto3.client(
        service_name,
        endpoint_url=service.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def data_unchecked(service: Any) -> Any:
    """An iot-jobs-data client without botocore's client-side parameter checks."""
    return _unchecked(service, "iot-jobs-data")


@pytest.fixture
def iot_unchecked(service: Any) -> Any:
    """An iot client without botocore's client-side parameter checks."""
    return _unchecked(service, "iot")


#: A SigV4 Authorization header whose credential scope names the control plane (the service
#: reads the scope, not the signature).
CONTROL_AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iot/aws4_request, "
    "SignedHeaders=host, Signature=abc"
)


@dataclass
class RawReply:
    """An HTTP answer as received: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture
def raw(service: Any) -> Callable[..., RawReply]:
    """``raw("POST", path, body, control=False, headers={...})``: one request sent with
    ``http.client`` to the service, byte for byte (no SDK checks or encodes anything)."""
    port = int(service.url.rsplit(":", 1)[1])

    def send(
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        control: bool = False,
        headers: dict[str, str] | None = None,
    ) -> RawReply:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if control:
            all_headers["Authorization"] = CONTROL_AUTH
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            answer = conn.getresponse()
            found = {k.lower(): v for k, v in answer.getheaders()}
            return RawReply(answer.status, found, answer.read())
        finally:
            conn.close()

    return send
