"""StartCommandExecution's parameters, checked and typed before any call.

Each check raises :class:`~jobsnb.exceptions.InvalidParameterError` naming the parameter and
the rule (the iot-jobs-data model's CommandParameterValue), so nothing reaches the service that
it would refuse for its shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import (
    COMMAND_PARAMETER_NAME_PATTERN,
    COMMAND_VALUE_TYPES,
    INT32_RANGE,
    INT64_RANGE,
    UNSIGNED_LONG_PATTERN,
)

__all__ = ["check_command_parameters", "command_parameter"]


def command_parameter(value: object, field: str, kind: str | None = None) -> dict[str, object]:
    """One parameter value as StartCommandExecution sends it: ``{"S": ...}``, ``{"I": ...}``...

    A typed value (a dict with one of :data:`COMMAND_VALUE_TYPES`) is checked and kept. A plain
    one takes the member ``kind`` names (the command's declared type: an int as ``L``, ``UL``
    or ``D``, a str of digits as ``UL``), or without one: str → ``S``, bool → ``B``, int →
    ``I`` (``L`` outside 32 bits, ``UL`` past 64), float → ``D``, bytes → ``BIN``. Strings and
    binaries are not empty, ``UL`` is 1-20 digits.

    Examples
    --------
    >>> command_parameter(30, "parameters['delay']"), command_parameter(2**40, "p")
    ({'I': 30}, {'L': 1099511627776})
    >>> command_parameter(30, "p", "L"), command_parameter({"UL": "18446744073709551615"}, "p")
    ({'L': 30}, {'UL': '18446744073709551615'})
    """
    if kind is not None and not isinstance(value, Mapping):
        if kind == "UL" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        elif kind == "D" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        _check_typed(kind, value, f"{field}.{kind}")
        return {kind: bytes(value) if isinstance(value, bytearray) else value}
    if isinstance(value, Mapping):
        if len(value) != 1 or next(iter(value)) not in COMMAND_VALUE_TYPES:
            rule = f"must set exactly one of {', '.join(COMMAND_VALUE_TYPES)}"
            raise InvalidParameterError(field, rule, dict(value))
        kind, item = next(iter(value.items()))
    elif isinstance(value, bool):
        kind, item = "B", value
    elif isinstance(value, int):
        kind, item = ("I" if INT32_RANGE[0] <= value <= INT32_RANGE[1] else "L"), value
        if value > INT64_RANGE[1]:
            kind, item = "UL", str(value)
    elif isinstance(value, float):
        kind, item = "D", value
    elif isinstance(value, bytes | bytearray):
        kind, item = "BIN", bytes(value)
    elif isinstance(value, str):
        kind, item = "S", value
    else:
        rule = "must be a str, bool, int, float, bytes or a typed value such as {'L': 5}"
        raise InvalidParameterError(field, rule, value)
    _check_typed(kind, item, f"{field}.{kind}")
    return {kind: item}


def _check_typed(kind: str, item: object, field: str) -> None:
    if kind == "B":
        if not isinstance(item, bool):
            raise InvalidParameterError(field, "must be a bool", item)
    elif kind in ("I", "L"):
        low, high = INT32_RANGE if kind == "I" else INT64_RANGE
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            bits = 32 if kind == "I" else 64
            raise InvalidParameterError(field, f"must be a {bits}-bit integer", item)
    elif kind == "D":
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise InvalidParameterError(field, "must be a finite number", item)
    elif kind == "UL":
        if not isinstance(item, str) or not UNSIGNED_LONG_PATTERN.fullmatch(item):
            raise InvalidParameterError(field, "must be a string of 1-20 digits", item)
    elif kind == "S":
        if not isinstance(item, str) or not item:
            raise InvalidParameterError(field, "must be a non-empty string", item)
    elif not isinstance(item, bytes | bytearray) or not item:
        raise InvalidParameterError(field, "must be non-empty bytes", item)


def check_command_parameters(
    value: object,
    field: str = "parameters",
    kinds: Mapping[str, str] | None = None,
) -> dict[str, dict[str, object]]:
    """Return StartCommandExecution's ``parameters``: at least one, names of the model's pattern.

    Each value goes through :func:`command_parameter`, with its member from ``kinds`` (the
    command's declared types, by parameter name) when it names one.

    Examples
    --------
    >>> check_command_parameters({"delay": 30, "mode": "safe"})
    {'delay': {'I': 30}, 'mode': {'S': 'safe'}}
    >>> check_command_parameters({"delay": 30}, kinds={"delay": "L"})
    {'delay': {'L': 30}}
    """
    if not isinstance(value, Mapping):
        raise InvalidParameterError(field, "must be a map of parameter names to values", value)
    if not value:
        raise InvalidParameterError(field, "must name at least one parameter (or be None)", {})
    checked: dict[str, dict[str, object]] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not COMMAND_PARAMETER_NAME_PATTERN.fullmatch(name):
            rule = "must be 1-192 characters, each a letter, a digit, '.', '$', '_' or '-'"
            raise InvalidParameterError(f"{field} key", rule, name)
        checked[name] = command_parameter(item, f"{field}[{name!r}]", (kinds or {}).get(name))
    return checked
