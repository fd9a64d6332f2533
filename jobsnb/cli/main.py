"""The ``jobsnb`` command line: ``jobsnb serve`` and ``jobsnb snapshot``.

``jobsnb serve`` runs the local IoT Jobs service (:mod:`jobsnb.cli.serve`, its MQTT flags in
:mod:`jobsnb.cli.mqtt`); ``jobsnb snapshot`` appends snapshots of a fleet to a history on a
schedule (:mod:`jobsnb.cli.snapshot`, :mod:`jobsnb.collector`).

Every flag's value is checked by argparse as it is parsed (:mod:`jobsnb.cli.values`), so a bad
value is a usage error that names the flag (``argument --port: must be an integer from 0 to
65535``), never a traceback or the name of a Python parameter behind it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from jobsnb._version import __version__
from jobsnb.cli import serve, snapshot
from jobsnb.exceptions import JobsnbError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobsnb", description="jobsnb: AWS IoT Jobs fleets in JupyterLab."
    )
    parser.add_argument("--version", action="version", version=f"jobsnb {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    serve.add_parser(commands)
    snapshot.add_parser(commands)
    return parser


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
            return serve.run(args)
        if args.command == "snapshot":
            return snapshot.run(args)
    except JobsnbError as error:
        print(f"jobsnb: {error}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command
