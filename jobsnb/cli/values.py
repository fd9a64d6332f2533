"""The argparse ``type=`` converters of the command line's flags.

Each one checks a flag's value as it is parsed, so a bad value is a usage error that names the
flag (``argument --port: must be an integer from 0 to 65535``), never a traceback or the name of
a Python parameter behind it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from jobsnb.exceptions import InvalidParameterError
from jobsnb.simulation.plan import MAX_THINGS

__all__ = [
    "MAX_PORT",
    "fleet_size",
    "interval",
    "name",
    "non_negative",
    "port",
    "positive",
    "probability",
    "rounds",
]

MAX_PORT = 65535


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


port = _number(int, f"must be an integer from 0 to {MAX_PORT}", lambda n: 0 <= n <= MAX_PORT)
probability = _number(float, "must be a number from 0 to 1", lambda x: 0.0 <= x <= 1.0)
non_negative = _number(float, "must be a number >= 0", lambda x: x >= 0.0)
positive = _number(float, "must be a number > 0", lambda x: x > 0.0)
fleet_size = _number(
    int, f"must be an integer from 0 to {MAX_THINGS}", lambda n: 0 <= n <= MAX_THINGS
)
rounds = _number(int, "must be an integer >= 1", lambda n: n >= 1)


def _seconds(text: str) -> float:
    from jobsnb.simulation.sandbox import parse_duration  # it imports pandas: on use only

    return parse_duration(text)


interval = _number(_seconds, "must be a duration > 0 such as 30s, 5m or 1h", lambda s: s > 0)


def name(check: Callable[[object, str], str]) -> Callable[[str], str]:
    """An argparse ``type=`` from a :mod:`jobsnb.limits` check: its rule, under the flag's name.

    Examples
    --------
    >>> from jobsnb.limits import check_thing_name
    >>> name(check_thing_name)("sensor-1")
    'sensor-1'
    """

    def parse(text: str) -> str:
        try:
            return check(text, "")
        except InvalidParameterError as error:
            raise argparse.ArgumentTypeError(f"{error.rule} (got {text!r})") from None

    return parse
