"""``jobsnb snapshot``: append snapshots of a fleet to a history on a schedule.

The rounds are :class:`jobsnb.collector.Collector`'s; this module parses the flags, turns a bad
one into a usage error naming it, logs each round on stderr and stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from jobsnb.cli import values
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import check_job_id, check_thing_name

__all__ = ["add_parser", "run"]

# connect()'s parameters, as the flags of `jobsnb snapshot` that set them.
_CONNECT_FLAGS = {
    "endpoint_url": "--endpoint-url",
    "region_name": "--region",
    "profile_name": "--profile",
}


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``jobsnb snapshot`` and its flags to ``commands``."""
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
        type=values.interval,
        default=300.0,
        metavar="DURATION",
        help="from one round's start to the next: 30s, 5m, 1h ... (default 5m)",
    )
    snapshot.add_argument(
        "--jobs",
        nargs="+",
        type=values.name(check_job_id),
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
        type=values.name(check_thing_name),
        metavar="THING",
        help="also read these things' pending executions (data plane)",
    )
    pending.add_argument(
        "--group",
        type=values.name(check_thing_name),
        metavar="GROUP",
        help="also read the pending executions of this thing group's members (listed each round)",
    )
    count = snapshot.add_mutually_exclusive_group()
    count.add_argument("--rounds", type=values.rounds, metavar="N", help="stop after N rounds")
    count.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    snapshot.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the IoT Jobs endpoint, e.g. the local service's (default: AWS's for the region)",
    )
    snapshot.add_argument("--region", help="AWS region (default: the profile's or AWS_REGION)")
    snapshot.add_argument("--profile", help="AWS profile (default: boto3's default credentials)")


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


def run(args: argparse.Namespace) -> int:
    """Take snapshots as ``args`` say; the exit status (:func:`jobsnb.cli.main` lists them)."""
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
