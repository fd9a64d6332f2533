"""What the jobs and the commands topics share: a refusal, and reading a payload's JSON object."""

from __future__ import annotations

from typing import Any

from jobsnb.service.strict_json import JsonRefused, loads

__all__ = ["ANSWERS", "Refused", "json_object"]

#: The last level of the topics AWS answers a request on.
ANSWERS = ("accepted", "rejected")


class Refused(Exception):
    """A request refused with AWS's MQTT ``code``; the jobs topics add the execution's state."""

    def __init__(self, code: str, message: str, state: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.state = code, message, state


def json_object(payload: bytes, what: str, *, empty_is_empty: bool = False) -> dict[str, Any]:
    """The payload's JSON object; ``InvalidJson`` naming ``what`` ("request", "response")."""
    if empty_is_empty and not payload.strip():
        return {}
    try:
        body = loads(payload)
    except JsonRefused as error:
        raise Refused("InvalidJson", f"The {what} payload is not accepted: {error}") from None
    if not isinstance(body, dict):
        raise Refused("InvalidJson", f"The {what} payload must be a JSON object.")
    return body
