"""``jobsnb serve --mqtt`` as a real subprocess on free ports, driven by paho-mqtt and boto3.

Waiting for the subprocess and for MQTT messages is bounded (a guard against a hang), never an
assertion about time.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess

import pytest

from jobsnb.cli import main, mqtt
from jobsnb.cli.main import _parser
from jobsnb.service import JobsBackend
from tests.helpers import MODULE, Server, assert_clean_exit, running_mosquitto, serve
from tests.service.mqtt_clients import Device, jobs_topic

PLAIN = re.compile(r"mqtt://127\.0\.0\.1:(\d+) ")
TLS = re.compile(r"mqtts://127\.0\.0\.1:(\d+) ")
needs_ca = pytest.mark.skipif(
    not hasattr(JobsBackend, "authority"),
    reason="the TLS listener needs the service CA (branch certs), not merged yet",
)


def plain_port(server: Server) -> int:
    """The plain-TCP MQTT port of a `serve --mqtt --no-mqtt-tls` (its second startup line)."""
    (line,) = server.next_lines(1)
    found = PLAIN.search(line)
    assert found, line
    return int(found.group(1))


def job_started_over_mqtt(iot, device: Device, thing_arn: str, job_id: str) -> dict:
    """Create ``job_id`` on the thing over HTTPS; the device starts it over MQTT: its answer."""
    iot.create_job(jobId=job_id, targets=[thing_arn], document='{"op":"mqtt"}')
    answer = device.accepted("start-next", {"clientToken": "c1"})
    assert answer["execution"]["jobId"] == job_id
    assert answer["execution"]["jobDocument"] == {"op": "mqtt"}
    return answer


def test_a_device_gets_and_does_its_job_over_mqtt_and_boto3_sees_it(tmp_path):
    with serve(tmp_path, "--mqtt", "--mqtt-port", "0", "--no-mqtt-tls") as server:
        port = plain_port(server)
        iot = server.client("iot")
        arn = iot.create_thing(thingName="dev-1")["thingArn"]
        device = Device(port, "dev-1")  # connected (else it raises), on its jobs topics
        try:
            iot.create_job(jobId="j1", targets=[arn], document='{"op":"reboot"}')
            device.next("notify")
            device.next("notify-next")
            # The job's two notifications, each once, and nothing else before the device asks.
            assert sorted(topic for topic, _ in device.received) == [
                jobs_topic("dev-1", "notify"),
                jobs_topic("dev-1", "notify-next"),
            ]
            answer = device.accepted("start-next", {"clientToken": "c1"})
            assert answer["execution"]["jobDocument"] == {"op": "reboot"}
            assert answer["clientToken"] == "c1"
            device.accepted("j1/update", {"status": "SUCCEEDED", "expectedVersion": 2})
        finally:
            device.close()
        assert iot.describe_job(jobId="j1")["job"]["status"] == "COMPLETED"
        assert_clean_exit(server, server.stop())


def test_the_fleet_and_mqtt_share_one_service(tmp_path):
    flags = ("--fleet", "5", "--mqtt", "--mqtt-port", "0", "--no-mqtt-tls")
    with serve(tmp_path, *flags) as server:
        port = plain_port(server)
        iot = server.client("iot")
        thing = iot.list_things()["things"][0]
        watcher = Device(port, "watcher", subscribe=("$aws/things/+/jobs/notify-next",))
        try:
            iot.create_job(jobId="mqtt-check", targets=[thing["thingArn"]], document="{}")
            notify_next = jobs_topic(thing["thingName"], "notify-next")
            message = json.loads(watcher.raw(notify_next))
            while message.get("execution", {}).get("jobId") != "mqtt-check":
                message = json.loads(watcher.raw(notify_next))  # the fleet's own jobs'
        finally:
            watcher.close()
        assert_clean_exit(server, server.stop())


def test_mqtt_listens_on_1883_and_aws_8883_unless_told_otherwise():
    def ports(*flags: str) -> tuple[bool | int, int | None]:
        args = _parser().parse_args(["serve", *flags])
        return mqtt.listeners(args)

    assert ports() == (False, None)
    assert ports("--fleet", "5") == (0, None)  # the fleet's devices hear notify-next on it
    assert ports("--mqtt") == (1883, 8883)
    assert ports("--mqtt", "--mqtt-port", "0", "--mqtt-tls-port", "0") == (0, 0)
    assert ports("--mqtt", "--no-mqtt-tls") == (1883, None)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--mqtt-port", "0"], "argument --mqtt-port: needs --mqtt"),
        (["--no-mqtt-tls"], "argument --no-mqtt-tls: needs --mqtt"),
        (["--mqtt-ca-file", "ca.pem"], "argument --mqtt-ca-file: needs --mqtt"),
        (["--mqtt", "--mqtt-port", "70000"], "argument --mqtt-port: must be an integer from 0"),
        (["--mqtt", "--mqtt-tls-port", "x"], "argument --mqtt-tls-port: must be an integer"),
        (
            ["--mqtt", "--no-mqtt-tls", "--mqtt-tls-port", "0"],
            "argument --mqtt-tls-port: not allowed with argument --no-mqtt-tls",
        ),
        (
            ["--mqtt", "--port", "9000", "--mqtt-port", "9000"],
            "argument --mqtt-port: port 9000 is also --port's",
        ),
        (
            ["--mqtt", "--mqtt-port", "9001", "--mqtt-tls-port", "9001"],
            "argument --mqtt-tls-port: port 9001 is also --mqtt-port's",
        ),
        (["--mqtt", "--mqtt-tls-port", "1883"], "argument --mqtt-tls-port: port 1883 is also"),
        (
            ["--mqtt", "--no-mqtt-tls", "--mqtt-ca-file", "ca.pem"],
            "argument --mqtt-ca-file: not allowed with --no-mqtt-tls",
        ),
        (["--mqtt", "--mqtt-ca-file", "."], "argument --mqtt-ca-file: must be a file, not a dir"),
        (
            ["--mqtt", "--mqtt-ca-file", "no-such-dir/ca.pem"],
            "argument --mqtt-ca-file: its directory must exist",
        ),
        (["--mqtt-broker", "http://x"], "argument --mqtt-broker: must be mqtt://host[:port]"),
        (["--mqtt-broker", "mqtt://x:70000"], "argument --mqtt-broker: must be mqtt://host"),
        (["--mqtt-broker", "mqtt://x", "--mqtt-port", "0"], "--mqtt-port: not allowed with"),
        (["--mqtt-broker", "mqtt://x", "--no-mqtt-tls"], "--no-mqtt-tls: not allowed with"),
    ],
)
def test_a_bad_mqtt_flag_is_a_usage_error_naming_it(capsys, flags, message):
    with pytest.raises(SystemExit) as exited:
        main(["serve", *flags])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


def test_an_mqtt_port_in_use_is_an_error_naming_the_flag():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        flags = ["serve", "--mqtt", "--mqtt-port", port, "--no-mqtt-tls"]
        proc = subprocess.run([*MODULE, *flags], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "address already in use" in proc.stderr
    assert f"--mqtt-port {port}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "listening" not in proc.stdout  # nothing said it served


def test_serve_help_lists_the_mqtt_flags(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for flag in ("--mqtt", "--mqtt-port", "--mqtt-tls-port", "--no-mqtt-tls", "--mqtt-ca-file"):
        assert flag in out, flag
    assert "8883" in out


@needs_ca
def test_a_device_connects_over_mutual_tls_trusting_the_ca_file_copy(tmp_path):
    ca = tmp_path / "ca.pem"
    flags = ("--mqtt", "--mqtt-port", "0", "--mqtt-tls-port", "0", "--mqtt-ca-file", str(ca))
    with serve(tmp_path, *flags) as server:
        _, tls_line, ca_line = server.next_lines(3)
        assert ca_line == f"jobsnb MQTT CA certificate, for devices to trust: {ca.resolve()}"
        found = TLS.search(tls_line)
        assert found, tls_line
        port = int(found.group(1))
        iot = server.client("iot")
        arn = iot.create_thing(thingName="dev-tls")["thingArn"]
        keys = iot.create_keys_and_certificate(setAsActive=True)
        cert, key = tmp_path / "cert.pem", tmp_path / "private.key"
        cert.write_text(keys["certificatePem"])
        key.write_text(keys["keyPair"]["PrivateKey"])
        iot.attach_thing_principal(thingName="dev-tls", principal=keys["certificateArn"])
        # As a device would: by name, so the server certificate's "localhost" is checked.
        tls = (str(ca), str(cert), str(key))
        device = Device(port, "dev-tls", tls=tls, host="localhost")
        try:
            job_started_over_mqtt(iot, device, arn, "tls-job")
        finally:
            device.close()
        # The certificate is attached to dev-tls alone: another client id is refused.
        with pytest.raises(ConnectionRefusedError, match="Not authorized"):
            Device(port, "someone-else", tls=tls, host="localhost")
        assert_clean_exit(server, server.stop())


def test_serve_attached_to_mosquitto_answers_a_device_there(tmp_path):
    ca = tmp_path / "ca.pem"
    with (
        running_mosquitto(tmp_path) as url,
        serve(tmp_path, "--mqtt-broker", url, "--mqtt-ca-file", str(ca)) as server,
    ):
        broker_line, ca_line = server.next_lines(2)
        assert broker_line == f"jobsnb MQTT jobs topics on the broker at {url}"
        assert ca_line.endswith(str(ca.resolve()))
        assert ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
        iot = server.client("iot")
        arn = iot.create_thing(thingName="dev-m")["thingArn"]
        device = Device(int(url.rsplit(":", 1)[1]), "dev-m")
        try:
            job_started_over_mqtt(iot, device, arn, "on-mosquitto")
        finally:
            device.close()
        assert_clean_exit(server, server.stop())
