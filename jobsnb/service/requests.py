"""A parsed request, with typed access to its path, query and JSON body.

A value of the wrong type is the client's error: it becomes the operation's validation error
(InvalidRequestException, or ValidationException for StartCommandExecution), never a 500. So is a
body that is not strict, bounded JSON (:mod:`jobsnb.service.strict_json`): invalid UTF-8, a lone
surrogate, ``NaN`` or ``Infinity``, a number past a double's range, nesting past
:data:`~jobsnb.limits.MAX_JSON_DEPTH`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobsnb.service.errors import AwsError, InvalidRequestException
from jobsnb.service.strict_json import JsonRefused, loads

__all__ = ["Request"]


@dataclass
class Request:
    """One request to an operation, with typed readers for its members.

    A member that is absent (or JSON ``null``) reads as None or the default; one of the wrong
    type raises ``invalid``.

    Parameters
    ----------
    method
        The HTTP method.
    path
        The route's path parameters, decoded (``{"thingName": "sensor-1"}``).
    query
        The query parameters, decoded; the last value of a repeated name wins.
    raw_body
        The body as received; parsed as JSON on first use (:attr:`body`).
    invalid
        The operation's validation error: InvalidRequestException, or ValidationException for
        StartCommandExecution.
    headers
        The request headers operations take members from (``x-amzn-principal``), by lower-case
        name.
    """

    method: str
    path: dict[str, str]
    query: dict[str, str]
    raw_body: bytes
    invalid: type[AwsError] = InvalidRequestException
    headers: dict[str, str] = field(default_factory=dict)
    _body: dict[str, Any] | None = field(default=None, init=False)

    @classmethod
    def of_body(cls, path: dict[str, str], body: dict[str, Any]) -> Request:
        """A request whose body is already parsed (an MQTT payload), with no query or headers."""
        request = cls("MQTT", path, {}, b"")
        request._body = body
        return request

    def fail(self, message: str) -> AwsError:
        """The operation's validation error with ``message``, for the caller to raise."""
        return self.invalid(message)

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body's object, ``{}`` for an empty body; raises ``invalid`` for any other."""
        if self._body is None:
            if not self.raw_body.strip():
                self._body = {}
            else:
                try:
                    parsed = loads(self.raw_body)
                except JsonRefused as error:
                    raise self.fail(f"The request body is not accepted: {error}") from None
                if not isinstance(parsed, dict):
                    raise self.fail("The request body must be a JSON object.")
                self._body = parsed
        return self._body

    # ------------------------------------------------------------------ body members
    def string(self, name: str, *, required: bool = False) -> str | None:
        """Body member ``name`` as a string; when absent, None, or ``invalid`` if ``required``."""
        value = self.body.get(name)
        if value is None:
            if required:
                raise self.fail(f"{name} is required.")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{name} must be a string.")
        return value

    def integer(self, name: str) -> int | None:
        """Body member ``name`` as an integer (a boolean is refused), or None."""
        value = self.body.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{name} must be an integer.")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        """Body member ``name`` as a boolean, or ``default``."""
        value = self.body.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(f"{name} must be a boolean.")
        return value

    def string_map(self, name: str) -> dict[str, str] | None:
        """Body member ``name`` as an object of string values, or None."""
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.fail(f"{name} must be a map of strings to strings.")
        return value

    def struct(self, name: str) -> dict[str, Any] | None:
        """Body member ``name`` as an object, its members unchecked, or None."""
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(f"{name} must be a structure.")
        return value

    def string_list(self, name: str) -> list[str] | None:
        """Body member ``name`` as a list of strings, or None."""
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{name} must be a list of strings.")
        return value

    def header(self, name: str) -> str | None:
        """Header ``name`` (lower case) as sent, or None."""
        return self.headers.get(name)

    # ------------------------------------------------------------------ query parameters
    def query_string(self, name: str) -> str | None:
        """Query parameter ``name`` as sent, or None."""
        return self.query.get(name)

    def query_int(self, name: str) -> int | None:
        """Query parameter ``name`` as an integer, or None."""
        value = self.query.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise self.fail(f"{name} must be an integer.") from None

    def query_bool(self, name: str, default: bool = False) -> bool:
        """Query parameter ``name`` (``true`` or ``false``) as a boolean, or ``default``."""
        value = self.query.get(name)
        if value is None:
            return default
        if value not in ("true", "false"):
            raise self.fail(f"{name} must be true or false.")
        return value == "true"
