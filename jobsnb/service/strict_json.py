r"""Strict, bounded JSON: what the service accepts, nothing a strict parser would refuse.

Python's :func:`json.loads` is lenient where a service must not be: it takes ``NaN``,
``Infinity`` and ``-Infinity`` (and ``1e999`` becomes ``inf``), which the service would then echo
as text that strict parsers (JavaScript's ``JSON.parse``, Go, Rust) refuse; it turns ``"\ud800"``
into a lone surrogate that cannot be encoded as UTF-8; it guesses UTF-16 or UTF-32 for bytes;
and it recurses once per level of nesting, so a body of 5,000 ``[`` ends in a RecursionError.
:func:`loads` refuses each of those with :class:`JsonRefused`, a ValueError whose message says
what was wrong, for the caller to answer as the operation's validation error.

Examples
--------
>>> loads(b'{"progress": [1, 2.5]}')
{'progress': [1, 2.5]}
>>> loads(b'{"ratio": NaN}')
Traceback (most recent call last):
...
jobsnb.service.strict_json.JsonRefused: NaN is not a JSON number.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from jobsnb.limits import MAX_JSON_DEPTH

__all__ = ["JsonRefused", "loads"]

# A JSON string (the unrolled form matches in linear time, even unterminated) or a bracket.
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_SURROGATE = re.compile("[\ud800-\udfff]")
# An escape that may decode to a surrogate; only texts with one need their strings checked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonRefused(ValueError):
    """The text is not JSON the service accepts; the message says why."""


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"The number {text[:40]} is too large.")
    return value


# One decoder for every call: json.loads with hooks builds a new one each time.
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_finite)


def _check_depth(text: str) -> None:
    # Fewer brackets than the bound cannot nest past it: the usual body skips the scan.
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    depth = 0
    for found in _STRUCTURE.finditer(text):
        token = found.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise JsonRefused(f"JSON may nest at most {MAX_JSON_DEPTH} levels.")
        elif token in "]}":
            depth -= 1


def _check_strings(value: Any) -> None:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise JsonRefused("A string holds a lone surrogate (U+D800-U+DFFF).")
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def loads(data: bytes | str) -> Any:
    r"""The value of the JSON ``data``, when it is strict JSON the service accepts.

    Parameters
    ----------
    data
        UTF-8 bytes (a request body) or text (a job document).

    Returns
    -------
    Any
        The parsed value: dicts, lists, strings, ints, finite floats, booleans and None.

    Raises
    ------
    JsonRefused
        When ``data`` is not UTF-8 or not JSON, nests deeper than
        :data:`~jobsnb.limits.MAX_JSON_DEPTH`, holds ``NaN``, ``Infinity``, ``-Infinity`` or a
        number too large for a double, or a lone surrogate (raw, or as a ``\u`` escape).
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JsonRefused(f"The text is not valid UTF-8 (byte {error.start}).") from None
    else:
        text = data
        if _SURROGATE.search(text):
            raise JsonRefused("The text holds a lone surrogate (U+D800-U+DFFF).")
    _check_depth(text)
    try:
        value = _DECODER.decode(text)
    except JsonRefused:
        raise
    except (ValueError, RecursionError) as error:
        raise JsonRefused(f"The text is not valid JSON ({error}).") from None
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(value)
    return value
