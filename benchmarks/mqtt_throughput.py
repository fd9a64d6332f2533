"""Jobs requests over MQTT next to the same requests over HTTPS, against one ``jobsnb serve``.

What it measures, in one run, against one ``python -m jobsnb serve --mqtt`` subprocess (its
embedded broker's plain-TCP listener; the server has its own process, so its GIL is not the
clients'):

* requests/s of three device round trips, each made by ``--clients`` devices at once, every
  device waiting for its answer before its next request (as a device agent does):

  - **get**: ``$aws/things/T/jobs/get`` → ``.../get/accepted`` | GetPendingJobExecutions
  - **start-next**: ``$aws/things/T/jobs/start-next`` → ``.../accepted`` | StartNextPending...
    (the thing's execution is IN_PROGRESS already, so each one answers it unchanged)
  - **update**: ``$aws/things/T/jobs/J/update`` (IN_PROGRESS, a new statusDetails each time) →
    ``.../accepted`` | UpdateJobExecution

  over MQTT one paho-mqtt client per device (QoS 1 requests and subscription, as AWS's samples
  use; TCP_NODELAY set, see :class:`MqttDevice`; ``--nagle`` leaves it off), and over HTTPS one
  unmodified boto3 ``iot-jobs-data`` client per device (retries off, keep-alive); each device
  is a thread of this process. The table shows each transport's best round, its median and the
  range of the rounds, and the MQTT/HTTPS ratio of the best (median) rounds; the rounds are
  interleaved (MQTT then HTTPS, then HTTPS then MQTT, ...) so drift on the machine hits both
  alike. CPU µs per request in this process (the clients) and in the server say where the time
  goes.
* the **notify-next** delivery rate: one subscriber on ``$aws/things/+/jobs/notify-next``, and a
  job created (then force-cancelled) over HTTPS on a group of ``--things`` things: each changes
  every thing's next execution, so each sends one message per thing; messages/s from the
  CreateJob / CancelJob call to the last message received.

Run it (``make bench`` runs it)::

    .venv/bin/python benchmarks/mqtt_throughput.py            # 8 devices, 4 rounds, ~1 min
    .venv/bin/python benchmarks/mqtt_throughput.py --quick    # smoke: ~10 s
    .venv/bin/python benchmarks/mqtt_throughput.py --clients 16 --calls 500 --rounds 5

It is a measurement: it has no targets and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import re
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.service_throughput import _client, _cpu_seconds, _start, _stop_on_sigterm

REGION = "us-east-1"
ACCOUNT = "123456789012"
JOB = "bench-mqtt-job"
DEVICES = "bench-devices"
NOTIFIED = "bench-notified"
OPERATIONS = ("get", "start-next", "update")
TRANSPORTS = ("MQTT", "HTTPS")
WAIT = 30.0  # seconds an answer may take before the run fails (a hang guard)


def _group_arn(group: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/{group}"


def _seed_group(iot: Any, group: str, things: list[str]) -> None:
    """The things, in ``group``, through the control plane (a few threads: it is set-up)."""
    iot.create_thing_group(thingGroupName=group)

    def add(name: str) -> None:
        iot.create_thing(thingName=name)
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=name)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(add, things))


class MqttDevice:
    """A paho client as one thing: publish a jobs request, wait for its answer.

    paho leaves Nagle's algorithm on: a device that waits for each QoS 1 answer then holds its
    next request until the server ACKs its PUBACK, and the server's delayed ACK makes that
    ~40 ms a request (about 23 requests/s per device on loopback, whatever the server). So
    ``nodelay`` sets TCP_NODELAY, as boto3's connections (urllib3) and uvicorn do.
    """

    def __init__(self, port: int, thing: str, *, nodelay: bool = True) -> None:
        self.thing = thing
        self.answered = threading.Event()
        self.answer_topic = ""
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=thing)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", port)
        if nodelay:
            self.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.loop_start()
        self.client.subscribe(f"$aws/things/{thing}/jobs/#", 1)
        if not subscribed.wait(WAIT):
            raise RuntimeError(f"{thing}: no SUBACK")

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic.endswith(("/accepted", "/rejected")):
            self.answer_topic = message.topic
            self.answered.set()

    def request(self, levels: str, payload: dict[str, Any]) -> None:
        self.answered.clear()
        topic = f"$aws/things/{self.thing}/jobs/{levels}"
        self.client.publish(topic, json.dumps(payload), qos=1)
        if not self.answered.wait(WAIT):
            raise RuntimeError(f"no answer to {topic} in {WAIT:g} s")
        if self.answer_topic != f"{topic}/accepted":
            raise RuntimeError(f"{topic} answered on {self.answer_topic}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _mqtt_call(device: MqttDevice, operation: str) -> Callable[[int], None]:
    if operation == "get":
        return lambda i: device.request("get", {})
    if operation == "start-next":
        return lambda i: device.request("start-next", {})
    return lambda i: device.request(
        f"{JOB}/update", {"status": "IN_PROGRESS", "statusDetails": {"step": str(i)}}
    )


def _https_call(data: Any, thing: str, operation: str) -> Callable[[int], object]:
    if operation == "get":
        return lambda i: data.get_pending_job_executions(thingName=thing)
    if operation == "start-next":
        return lambda i: data.start_next_pending_job_execution(thingName=thing)
    return lambda i: data.update_job_execution(
        thingName=thing, jobId=JOB, status="IN_PROGRESS", statusDetails={"step": str(i)}
    )


@dataclass
class Transport:
    """One transport's devices and what their rounds measured."""

    label: str
    # per device, per operation: the call that makes one round trip
    calls: list[dict[str, Callable[[int], object]]]
    rates: dict[str, list[float]] = field(default_factory=dict)
    # operation -> [client CPU s, server CPU s, requests]
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def measure(self, operation: str, calls: int, server_pid: int, offset: int = 0) -> None:
        """Every device makes ``calls`` sequential round trips at once; requests/s in all."""
        start_line = threading.Barrier(len(self.calls) + 1)

        def device(call: Callable[[int], object]) -> None:
            start_line.wait()
            for i in range(offset, offset + calls):
                call(i)

        with ThreadPoolExecutor(len(self.calls)) as pool:
            done = [pool.submit(device, calls_of[operation]) for calls_of in self.calls]
            server_cpu, client_cpu = _cpu_seconds(server_pid), time.process_time()
            start_line.wait()
            started = time.perf_counter()
            for future in done:
                future.result()
            wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        server_cpu = _cpu_seconds(server_pid) - server_cpu
        total = calls * len(self.calls)
        self.rates.setdefault(operation, []).append(total / wall)
        sums = self.cpu.setdefault(operation, [0.0, 0.0, 0])
        for index, value in enumerate((client_cpu, server_cpu, total)):
            sums[index] += value

    def cell(self, operation: str) -> str:
        rates = self.rates[operation]
        return (
            f"{max(rates):>6,.0f}/s [median {statistics.median(rates):>6,.0f}, "
            f"{min(rates):,.0f}-{max(rates):,.0f}]"
        )

    def cpu_cell(self, operation: str) -> str:
        client, server, total = self.cpu[operation]
        return f"{client / total * 1e6:5.0f} + {server / total * 1e6:4.0f}"


def _notify_rate(iot: Any, port: int, things: int, rounds: int) -> dict[str, list[float]]:
    """notify-next messages/s to one wildcard subscriber, after CreateJob and after CancelJob."""
    received = 0
    arrived = threading.Condition()

    def on_message(client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        nonlocal received
        with arrived:
            received += 1
            arrived.notify_all()

    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-watcher")
    subscriber.on_message = on_message
    subscribed = threading.Event()
    subscriber.on_subscribe = lambda *_: subscribed.set()
    subscriber.connect("127.0.0.1", port)
    subscriber.loop_start()
    subscriber.subscribe("$aws/things/+/jobs/notify-next", 1)
    if not subscribed.wait(WAIT):
        raise RuntimeError("the notify-next subscriber got no SUBACK")
    rates: dict[str, list[float]] = {"CreateJob": [], "CancelJob": []}
    try:
        for round_ in range(rounds):
            job_id = f"bench-notify-{round_}"
            create = functools.partial(
                iot.create_job, jobId=job_id, targets=[_group_arn(NOTIFIED)], document="{}"
            )
            cancel = functools.partial(iot.cancel_job, jobId=job_id, force=True)
            for label, call in (("CreateJob", create), ("CancelJob", cancel)):
                with arrived:
                    expected = received + things
                started = time.perf_counter()
                call()
                with arrived:
                    if not arrived.wait_for(lambda: received >= expected, WAIT * 4):  # noqa: B023
                        raise RuntimeError(f"{label}: {expected - received} notify-next missing")
                rates[label].append(things / (time.perf_counter() - started))
    finally:
        subscriber.disconnect()
        subscriber.loop_stop()
    return rates


@dataclass
class Settings:
    clients: int
    calls: int
    rounds: int
    warmup: int
    things: int
    nagle: bool


def run(settings: Settings) -> int:
    _stop_on_sigterm()
    with contextlib.ExitStack() as stack:
        command = [sys.executable, "-m", "jobsnb", "serve", "--port", "0", "--mqtt"]
        command += ["--mqtt-port", "0", "--no-mqtt-tls"]
        server, line = _start(stack, command, timeout=60)
        assert server.stdout is not None
        url = re.search(r"http://\S+", line)
        mqtt_port = re.search(r"mqtt://\S+:(\d+)", server.stdout.readline())
        if url is None or mqtt_port is None:
            raise RuntimeError(f"jobsnb serve printed no URL or MQTT port: {line!r}")
        port = int(mqtt_port.group(1))
        iot = _client("iot", url.group(0))
        devices = [f"bench-device-{index:03d}" for index in range(settings.clients)]
        notified = [f"bench-notified-{index:05d}" for index in range(settings.things)]
        print(
            f"seeding {len(devices)} devices and {len(notified):,} notified things ...", flush=True
        )
        _seed_group(iot, DEVICES, devices)
        _seed_group(iot, NOTIFIED, notified)
        iot.create_job(jobId=JOB, targets=[_group_arn(DEVICES)], document='{"op":"bench"}')
        mqtt_devices = [MqttDevice(port, thing, nodelay=not settings.nagle) for thing in devices]
        for device in mqtt_devices:
            stack.callback(device.close)
            device.request("start-next", {})  # the execution the updates report on
        https = [_client("iot-jobs-data", url.group(0)) for _ in devices]
        transports = {
            "MQTT": Transport(
                "MQTT (paho, QoS 1)" + (", Nagle" if settings.nagle else ""),
                [{op: _mqtt_call(device, op) for op in OPERATIONS} for device in mqtt_devices],
            ),
            "HTTPS": Transport(
                "HTTPS (boto3)",
                [
                    {op: _https_call(data, thing, op) for op in OPERATIONS}
                    for data, thing in zip(https, devices, strict=True)
                ],
            ),
        }
        for transport in transports.values():
            for operation in OPERATIONS:
                transport.measure(operation, settings.warmup, server.pid)
            transport.rates.clear()
            transport.cpu.clear()
        print(
            f"measuring: {settings.rounds} rounds x {settings.clients} devices x "
            f"{settings.calls:,} round trips per operation and transport, interleaved ...",
            flush=True,
        )
        offset = settings.warmup
        for round_ in range(settings.rounds):
            order = TRANSPORTS if round_ % 2 == 0 else TRANSPORTS[::-1]
            for name in order:
                for operation in OPERATIONS:
                    transports[name].measure(operation, settings.calls, server.pid, offset)
            offset += settings.calls
        print(f"measuring notify-next: {settings.rounds} rounds x {len(notified):,} things ...")
        notify = _notify_rate(iot, port, len(notified), settings.rounds)
        _report(settings, transports["MQTT"], transports["HTTPS"], notify)
    return 0


def _report(
    settings: Settings, mqtt_: Transport, https: Transport, notify: dict[str, list[float]]
) -> None:
    width, column = 32, 46
    rule = "-" * (width + column * len(OPERATIONS))
    print()
    print(
        f"jobsnb jobs requests, MQTT vs HTTPS, one service: {settings.clients} devices at once, "
        f"each waiting for its answer\n{settings.rounds} rounds x {settings.clients} x "
        f"{settings.calls:,} round trips: best round [median round, range of the rounds]"
    )
    print(rule)
    print(f"{'':<{width}}" + "".join(f"{op:<{column}}" for op in OPERATIONS))
    print(rule)
    for transport in (mqtt_, https):
        cells = "".join(f"{transport.cell(op):<{column}}" for op in OPERATIONS)
        print(f"{transport.label:<{width}}{cells}")
    cells = ""
    for op in OPERATIONS:
        best = max(mqtt_.rates[op]) / max(https.rates[op])
        median = statistics.median(mqtt_.rates[op]) / statistics.median(https.rates[op])
        cells += f"{f'{best:.2f}  ({median:.2f})':<{column}}"
    print(f"{'ratio MQTT/HTTPS':<{width}}{cells}")
    print(rule)
    print(f"{'µs CPU per request:':<{width}}clients (this process) + server")
    for transport in (mqtt_, https):
        cells = "".join(f"{transport.cpu_cell(op):<{column}}" for op in OPERATIONS)
        print(f"{'  ' + transport.label:<{width}}{cells}")
    print(rule)
    for label, rates in notify.items():
        print(
            f"notify-next after {label} on {settings.things:,} things, to one wildcard "
            f"subscriber: {max(rates):,.0f} messages/s best [median "
            f"{statistics.median(rates):,.0f}, {min(rates):,.0f}-{max(rates):,.0f}]"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer calls and things")
    parser.add_argument("--clients", type=int, default=8, help="devices at once (default 8)")
    parser.add_argument("--calls", type=int, default=None, help="round trips per device/round")
    parser.add_argument("--rounds", type=int, default=None, help="measured rounds (default 4)")
    parser.add_argument("--things", type=int, default=None, help="notified things (default 5000)")
    parser.add_argument(
        "--nagle", action="store_true", help="leave paho's sockets as they are (no TCP_NODELAY)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings(
        clients=args.clients,
        calls=args.calls if args.calls is not None else (50 if args.quick else 250),
        rounds=args.rounds if args.rounds is not None else (2 if args.quick else 4),
        warmup=10 if args.quick else 50,
        things=args.things if args.things is not None else (500 if args.quick else 5000),
        nagle=args.nagle,
    )
    if min(settings.clients, settings.calls, settings.rounds, settings.things) < 1:
        raise SystemExit("--clients, --calls, --rounds and --things must be >= 1")
    try:
        return run(settings)
    except KeyboardInterrupt:
        print("interrupted; the server was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
