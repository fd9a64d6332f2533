"""The typed values of AWS IoT commands, checked: parameters, results, reasons, time filters.

Every refusal is the commands operations' ValidationException naming the field and the rule.
Parameter values are the model's ``CommandParameterValue`` (exactly one of ``S``, ``B``, ``I``,
``L``, ``D``, ``BIN``, ``UL``); a device's ``result`` entries are the MQTT response topic's,
lowercase (``s``, ``b``, ``bin``, as AWS's developer guide requires), and the API serves them
uppercase (``S``, ``B``, ``BIN``, the model's ``CommandExecutionResult``).
"""

from __future__ import annotations

import base64
import binascii
import re
import sys
import unicodedata
from datetime import UTC, datetime
from typing import Any

from jobsnb.limits import COMMAND_ID_PATTERN, COMMAND_PARAMETER_NAME_PATTERN
from jobsnb.service.errors import ValidationException

__all__ = [
    "NAMESPACES",
    "SORT_ORDERS",
    "check_command_id",
    "check_enum",
    "check_parameter_value",
    "check_parameters",
    "check_result",
    "check_status_reason",
    "check_text",
    "json_value",
    "parse_time_filter",
]

#: The commands' namespaces (only AWS-IoT is served) and the lists' sort orders.
NAMESPACES = ("AWS-IoT", "AWS-IoT-FleetWise")
SORT_ORDERS = ("ASCENDING", "DESCENDING")

_RESULT_NAME = re.compile(r"[a-zA-Z0-9_-]{1,32}")
_REASON_CODE = re.compile(r"[A-Z0-9_-]{1,64}")
_UNSIGNED = re.compile(r"[0-9]{1,20}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")

_INT32 = 2**31
_INT64 = 2**63
# The largest whole number a double holds (a JSON integer beyond it is no DoubleParameterValue).
_DOUBLE = int(sys.float_info.max)


def check_command_id(command_id: str, field: str = "commandId") -> None:
    """ValidationException unless ``command_id`` is 1-64 of ``[a-zA-Z0-9_-]``."""
    if not COMMAND_ID_PATTERN.fullmatch(command_id):
        raise ValidationException(f"{field} must be 1-64 characters of [a-zA-Z0-9_-].")


def check_enum(value: str | None, field: str, allowed: tuple[str, ...]) -> None:
    """ValidationException naming ``field`` unless ``value`` is None or one of ``allowed``."""
    if value is not None and value not in allowed:
        raise ValidationException(f"{field} must be one of {', '.join(allowed)}.")


def check_text(value: object, field: str, limit: int) -> str | None:
    """A string of at most ``limit`` characters with no control characters, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationException(f"{field} must be a string.")
    if len(value) > limit:
        raise ValidationException(f"{field} must be at most {limit} characters.")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValidationException(f"{field} must not contain control characters.")
    return value


def _is_base64(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def check_parameter_value(value: object, field: str) -> dict[str, Any]:
    """A ``CommandParameterValue``: exactly one member, of its type and range.

    Examples
    --------
    >>> check_parameter_value({"I": 7}, "parameters.level")
    {'I': 7}
    """
    if not isinstance(value, dict) or len(value) != 1:
        raise ValidationException(f"{field} must have exactly one of S, B, I, L, D, BIN, UL.")
    ((member, item),) = value.items()
    is_int = isinstance(item, int) and not isinstance(item, bool)
    valid = {
        "S": isinstance(item, str) and len(item) >= 1,
        "B": isinstance(item, bool),
        "I": is_int and -_INT32 <= item < _INT32,
        "L": is_int and -_INT64 <= item < _INT64,
        "D": (is_int and -_DOUBLE <= item <= _DOUBLE) or isinstance(item, float),
        "BIN": _is_base64(item),
        "UL": isinstance(item, str) and bool(_UNSIGNED.fullmatch(item)) and int(item) < 2**64,
    }.get(member)
    if valid is None:
        raise ValidationException(f"{field} has unknown member {member}.")
    if not valid:
        raise ValidationException(f"{field}.{member} is not a valid {member} value.")
    return {member: item}


def check_parameters(value: object, field: str = "parameters") -> dict[str, dict[str, Any]]:
    """A non-empty map of parameter names (``[.$a-zA-Z0-9_-]{1,192}``) to values."""
    if not isinstance(value, dict) or not value:
        raise ValidationException(f"{field} must be a non-empty map of parameter values.")
    checked: dict[str, dict[str, Any]] = {}
    for name, item in value.items():
        if not COMMAND_PARAMETER_NAME_PATTERN.fullmatch(name):
            raise ValidationException(
                f"{field} name {name!r} must be 1-192 characters of [.$a-zA-Z0-9_-]."
            )
        checked[name] = check_parameter_value(item, f"{field}.{name}")
    return checked


def json_value(value: dict[str, Any]) -> Any:
    """The JSON value a parameter stands for in a payload template (UL as a number)."""
    ((member, item),) = value.items()
    return int(item) if member == "UL" else item


def check_status_reason(value: object, field: str = "statusReason") -> dict[str, str] | None:
    """``{reasonCode, reasonDescription?}``: code ``[A-Z0-9_-]{1,64}``, description ≤ 1024."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationException(f"{field} must be an object.")
    unknown = set(value) - {"reasonCode", "reasonDescription"}
    if unknown:
        raise ValidationException(f"{field} has unknown member {sorted(unknown)[0]}.")
    code = value.get("reasonCode")
    if not isinstance(code, str) or not _REASON_CODE.fullmatch(code):
        raise ValidationException(f"{field}.reasonCode is required: 1-64 characters of [A-Z0-9_-].")
    reason = {"reasonCode": code}
    description = check_text(value.get("reasonDescription"), f"{field}.reasonDescription", 1024)
    if description is not None:
        reason["reasonDescription"] = description
    return reason


def check_result(value: object, field: str = "result") -> dict[str, dict[str, Any]] | None:
    """A device's result map (lowercase ``s``/``b``/``bin``) in the API's shape (uppercase).

    Examples
    --------
    >>> check_result({"uptime": {"s": "41 days"}, "rebooted": {"b": True}})
    {'uptime': {'S': '41 days'}, 'rebooted': {'B': True}}
    """
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        raise ValidationException(f"{field} must have at least one entry when given.")
    checked: dict[str, dict[str, Any]] = {}
    for name, item in value.items():
        if not _RESULT_NAME.fullmatch(name):
            raise ValidationException(
                f"{field} name {name!r} must be 1-32 characters of [a-zA-Z0-9_-]."
            )
        if not isinstance(item, dict) or len(item) != 1:
            raise ValidationException(f"{field}.{name} must have exactly one of s, b, bin.")
        ((member, data),) = item.items()
        valid = {
            "s": isinstance(data, str) and len(data) >= 1,
            "b": isinstance(data, bool),
            "bin": _is_base64(data),
        }.get(member)
        if valid is None:
            raise ValidationException(
                f"{field}.{name} has member {member!r}: a device reports s, b or bin (lowercase)."
            )
        if not valid:
            raise ValidationException(f"{field}.{name}.{member} is not a valid {member} value.")
        checked[name] = {member.upper(): data}
    return checked


def parse_time_filter(value: object, field: str) -> tuple[float | None, float | None]:
    """``{after?, before?}`` in AWS's ``yyyy-MM-dd'T'HH:mm`` (UTC) → epoch seconds.

    Examples
    --------
    >>> parse_time_filter({"after": "2023-11-14T22:13"}, "startedTimeFilter")
    (1699999980.0, None)
    """
    if not isinstance(value, dict):
        raise ValidationException(f"{field} must be an object.")
    unknown = set(value) - {"after", "before"}
    if unknown:
        raise ValidationException(f"{field} has unknown member {sorted(unknown)[0]}.")
    bounds: list[float | None] = []
    for name in ("after", "before"):
        text = value.get(name)
        if text is None:
            bounds.append(None)
            continue
        try:
            if not _TIME.fullmatch(text):  # strptime alone takes any Unicode digit
                raise ValueError(text)
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
        except (TypeError, ValueError):
            raise ValidationException(
                f"{field}.{name} must be a date and time as yyyy-MM-dd'T'HH:mm."
            ) from None
        bounds.append(moment.timestamp())
    return bounds[0], bounds[1]
