"""The ``jobsnb`` command line: ``jobsnb serve`` runs the local IoT Jobs service.

Every flag's value is checked by argparse as it is parsed, so a bad value is a usage error that
names the flag (``argument --port: must be an integer from 0 to 65535``), never a traceback or
the name of a Python parameter behind it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType

from jobsnb._version import __version__
from jobsnb.exceptions import JobsnbError
from jobsnb.simulation.plan import MAX_THINGS

__all__ = ["main"]

_MAX_PORT = 65535


def _number(
    convert: Callable[[str], float], rule: str, accept: Callable[[float], bool]
) -> Callable[[str], float]:
    """An argparse ``type=``: ``convert`` the text, then ``accept`` it, else say ``rule``."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{rule} (got {text!r})") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"{rule} (got {text})")
        return value

    return parse


_port = _number(int, f"must be an integer from 0 to {_MAX_PORT}", lambda n: 0 <= n <= _MAX_PORT)
_probability = _number(float, "must be a number from 0 to 1", lambda x: 0.0 <= x <= 1.0)
_non_negative = _number(float, "must be a number >= 0", lambda x: x >= 0.0)
_positive = _number(float, "must be a number > 0", lambda x: x > 0.0)
_fleet_size = _number(
    int, f"must be an integer from 0 to {MAX_THINGS}", lambda n: 0 <= n <= MAX_THINGS
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobsnb", description="jobsnb: AWS IoT Jobs fleets in JupyterLab."
    )
    parser.add_argument("--version", action="version", version=f"jobsnb {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    serve = commands.add_parser(
        "serve",
        help="run the local AWS IoT Jobs service (data and control plane on one port)",
        description=(
            "Run the local AWS IoT Jobs service. Point boto3 or the AWS CLI at the URL it "
            "prints (endpoint_url= / --endpoint-url), with any credentials."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=0, help="port, 0 to 65535; 0 picks a free one (default)"
    )
    serve.add_argument(
        "--latency-ms", type=_non_negative, default=0.0, help="delay added to every request, in ms"
    )
    serve.add_argument(
        "--throttle-rps",
        type=_positive,
        default=None,
        help="requests/s per data-plane quota group (reads, writes); over it: 429",
    )
    serve.add_argument(
        "--fault-rate",
        type=_probability,
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
        type=_fleet_size,
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
        type=_positive,
        default=1.0,
        help="simulated seconds per real second for the fleet's clock (default 1: real time)",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    import time

    from jobsnb.service import LocalJobsService, ManualClock

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
        could not run (the message goes to stderr). A bad flag value, a missing command,
        ``--help`` and ``--version`` exit through argparse's ``SystemExit`` instead (2 for a
        usage error, with the usage and the commands on stderr; 0 for help).

    Examples
    --------
    >>> main(["serve", "--port", "99999"])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # A missing command is a usage error, as argparse makes any missing argument: exit 2,
        # the usage on stderr, so a script that forgot it fails; `jobsnb --help` exits 0.
        parser.error("a command is required: serve (jobsnb COMMAND --help for its flags)")
    try:
        if args.command == "serve":
            return _serve(args)
    except JobsnbError as error:
        print(f"jobsnb: {error}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
