"""``jobsnb serve``: the local IoT Jobs service, optionally with a simulated fleet and MQTT.

One assembly path: the flags become one :class:`~jobsnb.service.LocalJobsService` (HTTPS, and
MQTT with ``--mqtt``), then the fleet of ``--fleet`` runs against it as its client; the process
serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
from types import FrameType

from jobsnb.cli import mqtt, values
from jobsnb.exceptions import InvalidParameterError

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``jobsnb serve`` and its flags to ``commands``."""
    serve = commands.add_parser(
        "serve",
        help="run the local AWS IoT Jobs service (data and control plane on one port)",
        description=(
            "Run the local AWS IoT Jobs service. Point boto3 or the AWS CLI at the URL it "
            "prints (endpoint_url= / --endpoint-url), with any credentials; with --mqtt, "
            "device code at the MQTT ports it prints."
        ),
    )
    serve.set_defaults(usage_error=serve.error)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=values.port, default=0, help="port, 0 to 65535; 0 picks a free one (default)"
    )
    serve.add_argument(
        "--latency-ms",
        type=values.non_negative,
        default=0.0,
        help="delay added to every request, in ms",
    )
    serve.add_argument(
        "--throttle-rps",
        type=values.positive,
        default=None,
        help="requests/s per data-plane quota group (reads, writes); over it: 429",
    )
    serve.add_argument(
        "--fault-rate",
        type=values.probability,
        default=0.0,
        help="probability, 0 to 1, of a 503 ServiceUnavailableException per data-plane request",
    )
    serve.add_argument("--seed", type=int, default=None, help="seed for repeatable faults")
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help=(
            "let web pages of ORIGIN (e.g. http://localhost:8888; * for any) call the service; "
            "repeatable. Other origins, and Hosts not the service's, get 403"
        ),
    )
    serve.add_argument("--region", default="us-east-1", help="region used in ARNs")
    serve.add_argument("--account-id", default="123456789012", help="account id used in ARNs")
    serve.add_argument(
        "--fleet",
        type=values.fleet_size,
        default=0,
        metavar="N",
        help=(
            "populate N simulated devices and run their jobs (the sandbox fleet); 0: none. "
            "Things are named <model>-<number> (gw200-00001, sensor-s3-00004), in the groups "
            "model-<model>, region-<region> and quarantine; jobs are named after what they do "
            "(fw-gw200-2-4-0, reboot-us-east-1, cert-rotation-2024)"
        ),
    )
    serve.add_argument("--fleet-seed", type=int, default=0, help="seed of the simulated fleet")
    serve.add_argument(
        "--fleet-speed",
        type=values.positive,
        default=1.0,
        help="simulated seconds per real second for the fleet's clock (default 1: real time)",
    )
    mqtt.add_arguments(serve)


def run(args: argparse.Namespace) -> int:
    """Serve as ``args`` say until SIGINT or SIGTERM; 0 once stopped."""
    import time

    from jobsnb.service import LocalJobsService, ManualClock

    mqtt_port, mqtt_tls_port = mqtt.listeners(args)
    # The fleet drives a manual clock from the current time at --fleet-speed (1: real time).
    clock = ManualClock(time.time()) if args.fleet else None
    try:
        service = LocalJobsService(
            args.host,
            args.port,
            latency_ms=args.latency_ms,
            throttle_rps=args.throttle_rps,
            fault_rate=args.fault_rate,
            seed=args.seed,
            region=args.region,
            account_id=args.account_id,
            clock=clock,
            allow_origins=args.allow_origin,
            mqtt=mqtt_port,
            mqtt_tls_port=mqtt_tls_port,
        )
    except InvalidParameterError as error:
        if error.field != "mqtt":
            raise
        rule = "must be mqtt://host[:port], the port 0 to 65535"
        args.usage_error(f"argument --mqtt-broker: {rule} (got {error.value!r})")

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    mqtt.start(service, args)
    fleet = None
    try:
        suffix = ""
        if args.fleet:
            from jobsnb.simulation.plan import plan_fleet
            from jobsnb.simulation.scheduler import Fleet

            fleet = Fleet(service, plan_fleet(args.fleet, args.fleet_seed))
            fleet.populate()
            fleet.run(args.fleet_speed)
            suffix = f" (fleet: {args.fleet} things, seed {args.fleet_seed}, {args.fleet_speed:g}x)"
        lines = [f"jobsnb local IoT Jobs service listening on {service.url}{suffix}"]
        print("\n".join(lines + mqtt.describe(service, args)), flush=True)
        # Not service.serve_forever(), which stops the service as it returns: the fleet's
        # devices stop first, so none is cut off in the middle of a request.
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if fleet is not None:
            fleet.close()
        service.stop()
    print("jobsnb local IoT Jobs service stopped", flush=True)
    return 0
