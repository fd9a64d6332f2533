"""The ``jobsnb`` command line: ``jobsnb serve`` runs the local IoT Jobs service."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from jobsnb._version import __version__
from jobsnb.exceptions import JobsnbError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobsnb", description="jobsnb: AWS IoT Jobs fleets in JupyterLab."
    )
    parser.add_argument("--version", action="version", version=f"jobsnb {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the local AWS IoT Jobs service (data and control plane on one port)",
        description=(
            "Run the local AWS IoT Jobs service. Point boto3 or the AWS CLI at the URL it "
            "prints (endpoint_url= / --endpoint-url), with any credentials."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    serve.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay added to every request, in ms"
    )
    serve.add_argument(
        "--throttle-rps",
        type=float,
        default=None,
        help="requests/s per data-plane quota group (reads, writes); over it: 429",
    )
    serve.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="probability of a 503 ServiceUnavailableException per data-plane request",
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
        type=int,
        default=0,
        metavar="N",
        help="populate N simulated devices and run their jobs (the sandbox fleet); 0: none",
    )
    serve.add_argument("--fleet-seed", type=int, default=0, help="seed of the simulated fleet")
    serve.add_argument(
        "--fleet-speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second for the fleet's clock (default 1: real time)",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    import time

    from jobsnb.exceptions import InvalidParameterError
    from jobsnb.service import LocalJobsService, ManualClock

    if args.fleet < 0:
        raise InvalidParameterError("--fleet", "must be >= 0", args.fleet)
    if not args.fleet_speed > 0:
        raise InvalidParameterError("--fleet-speed", "must be > 0", args.fleet_speed)
    # The fleet drives a manual clock from the current time at --fleet-speed (1: real time).
    clock = ManualClock(time.time()) if args.fleet else None
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
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    service.start()
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
        print(f"jobsnb local IoT Jobs service listening on {service.url}{suffix}", flush=True)
        service.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if fleet is not None:
            fleet.close()
        service.stop()
    print("jobsnb local IoT Jobs service stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``jobsnb`` command line.

    Parameters
    ----------
    argv
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status: 0 once ``jobsnb serve`` was stopped (Ctrl-C or SIGTERM), 2 when it
        could not run (the message goes to stderr). Arguments argparse refuses, ``--help``
        and ``--version`` exit through ``SystemExit`` instead.

    Examples
    --------
    >>> main(["serve", "--fleet", "-1"])
    2
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
    except JobsnbError as error:
        print(f"jobsnb: {error}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
