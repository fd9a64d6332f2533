"""``jobsnb serve``'s MQTT flags: AWS IoT's jobs topics for device code under test.

``--mqtt`` adds the service's MQTT endpoint (:class:`~jobsnb.service.mqtt.MqttEndpoint`): plain
TCP on 1883 (any client id, for quick tests) and mutual TLS on AWS's 8883 (client id = thing
name, a certificate the service issued attached to that thing). ``--mqtt-broker URL`` instead
attaches the service to a broker a team runs (Mosquitto;
:class:`~jobsnb.service.mqtt.AttachedEndpoint`). What the flags combine to is checked before
anything starts, so a bad combination is a usage error naming the flag.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from jobsnb.cli import values
from jobsnb.exceptions import ServiceStartError

if TYPE_CHECKING:
    from jobsnb.service import LocalJobsService

__all__ = ["PORT", "TLS_PORT", "add_arguments", "describe", "listeners", "start"]

#: MQTT's registered plain-TCP port (AWS IoT has no plain-TCP listener).
PORT = 1883
#: AWS IoT's MQTT-over-TLS port.
TLS_PORT = 8883

# The flags that mean nothing without --mqtt, and their values when not given.
_MQTT_ONLY = {
    "--mqtt-port": "mqtt_port",
    "--mqtt-tls-port": "mqtt_tls_port",
    "--no-mqtt-tls": "no_mqtt_tls",
    "--mqtt-ca-file": "mqtt_ca_file",
}
# The embedded broker's listeners, which an attached broker does not have.
_LISTENER_FLAGS = {"--mqtt-port": "mqtt_port", "--mqtt-tls-port": "mqtt_tls_port"}
_LISTENER_FLAGS["--no-mqtt-tls"] = "no_mqtt_tls"


def _given(args: argparse.Namespace, attribute: str) -> bool:
    # Not `in (None, False)`: `--mqtt-port 0` is 0, and 0 == False.
    value = getattr(args, attribute)
    return value is not None and value is not False


def add_arguments(serve: argparse.ArgumentParser) -> None:
    """Add the MQTT flags to ``jobsnb serve``'s parser."""
    group = serve.add_argument_group(
        "MQTT",
        "AWS IoT's jobs topics ($aws/things/THING/jobs/...) and notifications for device code",
    )
    group.add_argument(
        "--mqtt",
        action="store_true",
        help=f"also serve MQTT: plain TCP on {PORT}, mutual TLS on {TLS_PORT} (AWS's port)",
    )
    group.add_argument(
        "--mqtt-port",
        type=values.port,
        metavar="N",
        help=f"the plain-TCP MQTT port, any client id (default {PORT}; 0 picks a free one)",
    )
    tls = group.add_mutually_exclusive_group()
    tls.add_argument(
        "--mqtt-tls-port",
        type=values.port,
        metavar="N",
        help=(
            f"the mutual-TLS MQTT port (default {TLS_PORT}; 0 picks a free one): client id = "
            "thing name, with a certificate from CreateKeysAndCertificate attached to the thing"
        ),
    )
    tls.add_argument("--no-mqtt-tls", action="store_true", help="no TLS listener, plain TCP only")
    group.add_argument(
        "--mqtt-broker",
        metavar="URL",
        help=(
            "instead of the embedded broker, serve the jobs topics on the broker a team runs at "
            "URL (mqtt://host[:port], e.g. Mosquitto), as one of its clients"
        ),
    )
    group.add_argument(
        "--mqtt-ca-file",
        type=Path,
        metavar="PATH",
        help=(
            "also write the service's CA certificate (what devices trust, AmazonRootCA1's part) "
            "to PATH, replacing it, so a device's configuration can name a stable path; a new "
            "CA is made each time the service starts"
        ),
    )


def listeners(args: argparse.Namespace) -> tuple[bool | int | str, int | None]:
    """``LocalJobsService``'s ``mqtt=`` and ``mqtt_tls_port=`` from the flags, once checked.

    A combination that cannot work is a usage error naming the flag (``args.usage_error``).
    """
    if args.mqtt_broker is not None:
        for flag, attribute in _LISTENER_FLAGS.items():
            if _given(args, attribute):
                args.usage_error(f"argument {flag}: not allowed with --mqtt-broker")
        if args.mqtt_ca_file is not None:
            _check_ca_file(args)
        return args.mqtt_broker, None
    if not args.mqtt:
        for flag, attribute in _MQTT_ONLY.items():
            if _given(args, attribute):
                args.usage_error(f"argument {flag}: needs --mqtt (or --mqtt-broker)")
        # The fleet's devices learn of their jobs from notify-next on a plain-TCP MQTT listener.
        return (0, None) if args.fleet else (False, None)
    port = PORT if args.mqtt_port is None else args.mqtt_port
    tls_port = args.mqtt_tls_port if args.mqtt_tls_port is not None else TLS_PORT
    if args.no_mqtt_tls:
        tls_port = None
    ports = {"--port": args.port, "--mqtt-port": port, "--mqtt-tls-port": tls_port}
    named: dict[int, str] = {}
    for flag, number in ports.items():
        if number and number in named:
            args.usage_error(f"argument {flag}: port {number} is also {named[number]}'s")
        if number:
            named[number] = flag
    if args.mqtt_ca_file is not None:
        _check_ca_file(args)
    return port, tls_port


def _check_ca_file(args: argparse.Namespace) -> None:
    path: Path = args.mqtt_ca_file
    if args.no_mqtt_tls:
        args.usage_error("argument --mqtt-ca-file: not allowed with --no-mqtt-tls (no TLS, no CA)")
    if path.is_dir():
        args.usage_error(f"argument --mqtt-ca-file: must be a file, not a directory (got {path})")
    if not path.parent.is_dir():
        args.usage_error(
            f"argument --mqtt-ca-file: its directory must exist (got {path}; "
            f"no directory {path.parent})"
        )


def start(service: LocalJobsService, args: argparse.Namespace) -> None:
    """Start ``service`` (both endpoints), then write ``--mqtt-ca-file``'s copy of the CA.

    Raises
    ------
    ServiceStartError
        An endpoint could not start (a port in use), or the CA could not be written; the
        service is stopped again.
    """
    try:
        service.start()
    except ServiceStartError as error:
        if service.mqtt is None or "MQTT" not in str(error) or args.mqtt_broker is not None:
            raise
        raise ServiceStartError(
            f"{error} (--mqtt-port {service.mqtt.port}, --mqtt-tls-port "
            f"{service.mqtt.tls_port}; 0 picks a free port)"
        ) from error
    if service.mqtt is not None and args.mqtt_ca_file is not None:
        try:
            shutil.copyfile(service.mqtt.ca_file, args.mqtt_ca_file)
        except OSError as error:
            service.stop()
            raise ServiceStartError(
                f"--mqtt-ca-file: cannot write {args.mqtt_ca_file}: {error.strerror}"
            ) from error


def describe(service: LocalJobsService, args: argparse.Namespace) -> list[str]:
    """The startup lines that say where MQTT listens and which CA file devices trust."""
    endpoint = service.mqtt
    if endpoint is None:
        return []
    if args.mqtt_broker is not None:
        ca_file = args.mqtt_ca_file.resolve() if args.mqtt_ca_file else endpoint.ca_file
        return [
            f"jobsnb MQTT jobs topics on the broker at {args.mqtt_broker}",
            f"jobsnb MQTT CA certificate, for the broker's cafile and the devices: {ca_file}",
        ]
    host = f"[{service.host}]" if ":" in service.host else service.host
    lines = [f"jobsnb MQTT listening on mqtt://{host}:{endpoint.port} (plain TCP, any client id)"]
    if endpoint.tls_port is not None:
        ca_file = args.mqtt_ca_file.resolve() if args.mqtt_ca_file else endpoint.ca_file
        lines += [
            f"jobsnb MQTT listening on mqtts://{host}:{endpoint.tls_port} "
            "(mutual TLS: client id = thing name, its certificate attached to the thing)",
            f"jobsnb MQTT CA certificate, for devices to trust: {ca_file}",
        ]
    return lines
