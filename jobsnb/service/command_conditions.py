"""A mandatory parameter's ``valueConditions``: checked at CreateCommand, applied at the start.

As AWS's developer guide describes them: numeric parameters (INTEGER, LONG, DOUBLE,
UNSIGNEDLONG) take EQUALS, NOT_EQUALS, LESS_THAN(_EQUALS), GREATER_THAN(_EQUALS), IN_RANGE and
NOT_IN_RANGE (bounds included) and IN_SET / NOT_IN_SET; STRING parameters take EQUALS,
NOT_EQUALS, IN_SET and NOT_IN_SET; BOOLEAN and BINARY ones take none. StartCommandExecution
checks every condition on the value it resolves (given, else the default) and refuses the
execution when one fails.

decision: a parameter with conditions must declare its ``type``; numbers are compared exactly
(as decimals), whatever their member.

Examples
--------
>>> in_range = {"comparisonOperator": "IN_RANGE",
...             "operand": {"numberRange": {"min": "60", "max": "80"}}}
>>> conditions = check_conditions([in_range], "INTEGER", "mandatoryParameters[0]")
>>> failed({"I": 75}, conditions), failed({"I": 81}, conditions)
(None, 'IN_RANGE 60 to 80')
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from jobsnb.service.errors import ValidationException

__all__ = ["check_conditions", "failed"]

_NUMERIC = ("INTEGER", "LONG", "DOUBLE", "UNSIGNEDLONG")
_COMPARE = {
    "EQUALS": lambda a, b: a == b,
    "NOT_EQUALS": lambda a, b: a != b,
    "LESS_THAN": lambda a, b: a < b,
    "LESS_THAN_EQUALS": lambda a, b: a <= b,
    "GREATER_THAN": lambda a, b: a > b,
    "GREATER_THAN_EQUALS": lambda a, b: a >= b,
}
_STRING_OPERATORS = ("EQUALS", "NOT_EQUALS", "IN_SET", "NOT_IN_SET")


def _number(value: object, where: str) -> Decimal:
    try:
        number = Decimal(str(value)) if isinstance(value, str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationException(f"{where} must be a number written as a string.")
    return number


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not 1 <= len(value) <= 10:
        raise ValidationException(f"{where} must list 1 to 10 values.")
    if not all(isinstance(item, str) and item for item in value):
        raise ValidationException(f"{where} must list non-empty strings.")
    return value


def check_conditions(value: object, kind: str | None, where: str) -> list[dict[str, Any]]:
    """The conditions of a parameter of type ``kind``, checked; ValidationException if not."""
    where = f"{where}.valueConditions"
    if not isinstance(value, list) or not value:
        raise ValidationException(f"{where} must be a non-empty list.")
    if kind is None or kind not in (*_NUMERIC, "STRING"):
        raise ValidationException(
            f"{where} need a parameter type of INTEGER, LONG, DOUBLE, UNSIGNEDLONG or STRING."
        )
    checked = []
    for index, condition in enumerate(value):
        at = f"{where}[{index}]"
        operator = condition.get("comparisonOperator") if isinstance(condition, dict) else None
        operand = condition.get("operand") if isinstance(condition, dict) else None
        allowed = (*_COMPARE, "IN_RANGE", "NOT_IN_RANGE", "IN_SET", "NOT_IN_SET")
        if kind == "STRING":
            allowed = _STRING_OPERATORS
        if operator not in allowed:
            raise ValidationException(
                f"{at}.comparisonOperator must be one of {', '.join(allowed)} for {kind}."
            )
        if not isinstance(operand, dict):
            raise ValidationException(f"{at}.operand is required.")
        checked.append(
            {"comparisonOperator": operator, "operand": _operand(operator, operand, kind, at)}
        )
    return checked


def _operand(operator: str, operand: dict[str, Any], kind: str, at: str) -> dict[str, Any]:
    if kind == "STRING":
        if operator.endswith("IN_SET"):
            return {"strings": _strings(operand.get("strings"), f"{at}.operand.strings")}
        text = operand.get("string")
        if not isinstance(text, str) or not text:
            raise ValidationException(f"{at}.operand.string is required for {operator}.")
        return {"string": text}
    if operator.endswith("IN_SET"):
        numbers = _strings(operand.get("numbers"), f"{at}.operand.numbers")
        for number in numbers:
            _number(number, f"{at}.operand.numbers")
        return {"numbers": numbers}
    if operator.endswith("IN_RANGE"):
        bounds = operand.get("numberRange")
        if not isinstance(bounds, dict):
            raise ValidationException(f"{at}.operand.numberRange is required for {operator}.")
        low = _number(bounds.get("min"), f"{at}.operand.numberRange.min")
        high = _number(bounds.get("max"), f"{at}.operand.numberRange.max")
        if low > high:
            raise ValidationException(f"{at}.operand.numberRange.min must not exceed its max.")
        return {"numberRange": {"min": bounds["min"], "max": bounds["max"]}}
    _number(operand.get("number"), f"{at}.operand.number")
    return {"number": operand["number"]}


def failed(value: dict[str, Any], conditions: list[dict[str, Any]]) -> str | None:
    """The first condition ``value`` fails, described; None when it meets them all."""
    ((member, item),) = value.items()
    actual: Any = item if member == "S" else Decimal(str(item))
    for condition in conditions:
        operator, operand = condition["comparisonOperator"], condition["operand"]
        if "numberRange" in operand:
            low, high = (Decimal(operand["numberRange"][k]) for k in ("min", "max"))
            inside = low <= actual <= high
            if inside != (operator == "IN_RANGE"):
                return f"{operator} {low} to {high}"
        elif "numbers" in operand or "strings" in operand:
            members = operand.get("strings") or [Decimal(n) for n in operand["numbers"]]
            if (actual in members) != (operator == "IN_SET"):
                return f"{operator} {', '.join(map(str, members))}"
        else:
            target = operand["string"] if "string" in operand else Decimal(operand["number"])
            if not _COMPARE[operator](actual, target):
                return f"{operator} {target}"
    return None
