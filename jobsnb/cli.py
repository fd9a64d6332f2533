"""The ``jobsnb`` command line: ``jobsnb serve`` and ``jobsnb snapshot``.

``jobsnb serve`` runs the local IoT Jobs service; ``jobsnb snapshot`` appends snapshots of a fleet
to a history on a schedule (:mod:`jobsnb.collector`).

Every flag's value is checked by argparse as it is parsed, so a bad value is a usage error that
names the flag (``argument --port: must be an integer from 0 to 65535``), never a traceback or
the name of a Python parameter behind it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from jobsnb._version import __version__
from jobsnb.exceptions import InvalidParameterError, JobsnbError
from jobsnb.limits import check_job_id, check_thing_name
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
_rounds = _number(int, "must be an integer >= 1", lambda n: n >= 1)


def _seconds(text: str) -> float:
    from jobsnb.simulation.sandbox import parse_duration  # it imports pandas: on use only

    return parse_duration(text)


_interval = _number(_seconds, "must be a duration > 0 such as 30s, 5m or 1h", lambda s: s > 0)


def _name(check: Callable[[object, str], str]) -> Callable[[str], str]:
    """An argparse ``type=`` from a :mod:`jobsnb.limits` check: its rule, under the flag's name."""

    def parse(text: str) -> str:
        try:
            return check(text, "")
        except InvalidParameterError as error:
            raise argparse.ArgumentTypeError(f"{error.rule} (got {text!r})") from None

    return parse


# connect()'s parameters, as the flags of `jobsnb snapshot` that set them.
_CONNECT_FLAGS = {
    "endpoint_url": "--endpoint-url",
    "region_name": "--region",
    "profile_name": "--profile",
}


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
    _add_snapshot(commands)
    return parser


def _add_snapshot(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    snapshot = commands.add_parser(
        "snapshot",
        help="append a snapshot of a fleet's executions to a history, every so often",
        description=(
            "Append a snapshot of a fleet to a Parquet history every --every, until "
            "--rounds/--once or SIGINT/SIGTERM. Each round writes PATH/executions (the "
            "executions of the jobs, control plane), PATH/pending (the pending executions of "
            "--things or --group, data plane) and PATH/errors (the calls that failed, named), "
            "all at one snapshot_at: the service's clock. A round that fails is logged and the "
            "next one tried. SIGINT or SIGTERM ends a round under way without writing it and "
            "exits; a second one kills it at once (the signal's default action). Exit status: 0 "
            "when every round was written with no failed call, 1 when some round failed or had "
            "failed calls, 2 for a usage error or no connection."
        ),
        fromfile_prefix_chars="@",
        epilog=(
            "A list may come from a file, one name per line: --things @fleet.txt. "
            "Read the history with jobsnb.history.read_history('PATH/executions')."
        ),
    )
    snapshot.set_defaults(usage_error=snapshot.error)
    snapshot.add_argument(
        "--to",
        required=True,
        metavar="PATH",
        help="the history: a directory (made when missing) or an s3://bucket/prefix URL",
    )
    snapshot.add_argument(
        "--every",
        type=_interval,
        default=300.0,
        metavar="DURATION",
        help="from one round's start to the next: 30s, 5m, 1h ... (default 5m)",
    )
    snapshot.add_argument(
        "--jobs",
        nargs="+",
        type=_name(check_job_id),
        metavar="JOB_ID",
        help=(
            "the jobs whose executions to read (default: the account's IN_PROGRESS jobs at each "
            "round, and for one more round those that just ended, in their final state)"
        ),
    )
    pending = snapshot.add_mutually_exclusive_group()
    pending.add_argument(
        "--things",
        nargs="+",
        type=_name(check_thing_name),
        metavar="THING",
        help="also read these things' pending executions (data plane)",
    )
    pending.add_argument(
        "--group",
        type=_name(check_thing_name),
        metavar="GROUP",
        help="also read the pending executions of this thing group's members (listed each round)",
    )
    count = snapshot.add_mutually_exclusive_group()
    count.add_argument("--rounds", type=_rounds, metavar="N", help="stop after N rounds")
    count.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    snapshot.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the IoT Jobs endpoint, e.g. the local service's (default: AWS's for the region)",
    )
    snapshot.add_argument("--region", help="AWS region (default: the profile's or AWS_REGION)")
    snapshot.add_argument("--profile", help="AWS profile (default: boto3's default credentials)")


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
        # The fleet's devices learn of their jobs from notify-next on a plain-TCP MQTT listener.
        mqtt=bool(args.fleet),
        mqtt_tls_port=None,
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


def _log(message: str, *, raw: bool = False) -> None:
    """One line on stderr, stamped with this machine's UTC time, for cron, systemd and docker.

    ``raw`` from a signal handler: one write to file descriptor 2, since a handler that prints
    while the main thread is printing re-enters ``sys.stderr``'s buffer (a RuntimeError).
    """
    line = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} jobsnb snapshot: {message}\n"
    if raw:
        os.write(2, line.encode())
    else:
        print(line, end="", file=sys.stderr, flush=True)


def _snapshot(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

    import jobsnb
    from jobsnb.collector import Collector

    if "://" not in args.to and Path(args.to).exists() and not Path(args.to).is_dir():
        args.usage_error(f"argument --to: must be a directory or an s3:// URL (got {args.to!r})")
    try:
        client = jobsnb.connect(
            args.endpoint_url, profile_name=args.profile, region_name=args.region
        )
    except InvalidParameterError as error:
        if error.field not in _CONNECT_FLAGS:
            raise
        args.usage_error(
            f"argument {_CONNECT_FLAGS[error.field]}: {error.rule} (got {error.value!r})"
        )
    except ProfileNotFound as error:
        args.usage_error(f"argument --profile: {error}")
    except (BotoCoreError, ClientError) as error:
        print(f"jobsnb snapshot: cannot connect: {error}", file=sys.stderr)
        return 2
    collector = Collector(client, args.to, jobs=args.jobs, things=args.things, group=args.group)
    rounds = 1 if args.once else args.rounds
    stop = threading.Event()
    signals: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)
        stop.set()
        # A second signal takes the default action and ends the process at once: a call that
        # hangs would otherwise hold its thread, and the interpreter's exit, until its read
        # timeout. Every snapshot file is whole or absent either way.
        for sig in previous:
            signal.signal(sig, signal.SIG_DFL)
        name = signal.Signals(signum).name
        _log(f"{name}: stopping; a round under way is not written (again: at once)", raw=True)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, on_signal)
    jobs = " ".join(args.jobs) if args.jobs else "the IN_PROGRESS jobs"
    pending = f"; pending of group {args.group}" if args.group else ""
    pending = f"; pending of {len(args.things):,} things" if args.things else pending
    _log(f"every {args.every:g} s into {args.to}: executions of {jobs}{pending}")
    taken = failed = 0
    try:
        for result in collector.run(args.every, rounds=rounds, stop=stop):
            taken += 1
            failed += not result.ok and not result.stopped
            _log(result.summary)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    how = f"stopped by {signal.Signals(signals[0]).name}" if signals else "done"
    _log(f"{how} after {taken} round{'' if taken == 1 else 's'}, {failed} failed")
    return 1 if failed else 0


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
        could not run (the message goes to stderr). ``jobsnb snapshot``: 0 when every round
        was written with no failed call, 1 when one failed or had failed calls (a signal that
        stops it changes neither); a second SIGINT or SIGTERM kills it with that signal.
        A bad flag value, a missing command, ``--help`` and ``--version`` exit through
        argparse's ``SystemExit`` instead (2 for a usage error, with the usage and the commands
        on stderr; 0 for help).

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
        parser.error("a command is required: serve, snapshot (jobsnb COMMAND --help for its flags)")
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "snapshot":
            return _snapshot(args)
    except JobsnbError as error:
        print(f"jobsnb: {error}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
