"""Which registry and jobs events the account publishes: Update/DescribeEventConfigurations.

A base of :class:`~jobsnb.service.backend.JobsBackend`; every operation takes its lock. The
service's MQTT endpoint asks ``backend.events_enabled("JOB")`` (under the lock, like the other
read-only views) before it publishes an event of that type. Every type starts disabled, as in
AWS.

Decisions where AWS is silent:

* DescribeEventConfigurations' ``creationDate`` is when the backend was made, and
  ``lastModifiedDate`` the last UpdateEventConfigurations that changed a type (the creation
  until then).
* A type given without ``Enabled`` is disabled: a Configuration states the whole setting.
"""

from __future__ import annotations

from typing import Any

from jobsnb.service.engine import Engine
from jobsnb.service.errors import InvalidRequestException
from jobsnb.service.locking import locked, operation

__all__ = ["EVENT_TYPES", "PUBLISHED_EVENT_TYPES", "EventConfigurations"]

#: The model's EventType enumeration.
EVENT_TYPES = (
    "THING",
    "THING_GROUP",
    "THING_TYPE",
    "THING_GROUP_MEMBERSHIP",
    "THING_GROUP_HIERARCHY",
    "THING_TYPE_ASSOCIATION",
    "JOB",
    "JOB_EXECUTION",
    "POLICY",
    "CERTIFICATE",
    "CA_CERTIFICATE",
)
#: The types whose events the local service publishes (on its MQTT endpoint); enabling another
#: is refused, disabling any is accepted.
PUBLISHED_EVENT_TYPES = ("JOB", "JOB_EXECUTION")


class EventConfigurations(Engine):
    """Each event type's Enabled flag, and when the configuration was made and last changed.

    Examples
    --------
    >>> from jobsnb.service import JobsBackend, ManualClock
    >>> backend = JobsBackend(ManualClock(1_700_000_000))
    >>> backend.events_enabled("JOB")
    False
    >>> backend.update_event_configurations({"JOB": {"Enabled": True}})
    >>> backend.events_enabled("JOB"), backend.events_enabled("JOB_EXECUTION")
    (True, False)
    """

    def _init_event_configurations(self) -> None:
        self._events = dict.fromkeys(EVENT_TYPES, False)
        self._events_created_at = self._events_modified_at = self.now()

    @locked
    def events_enabled(self, event_type: str) -> bool:
        """True when events of ``event_type`` (one of :data:`EVENT_TYPES`) are published."""
        if event_type not in self._events:
            raise ValueError(f"event_type must be one of {', '.join(EVENT_TYPES)}")
        return self._events[event_type]

    @operation
    def update_event_configurations(self, configurations: dict[str, Any] | None) -> None:
        """Enable or disable the event types given (``{TYPE: {"Enabled": bool}}``)."""
        changes: dict[str, bool] = {}
        for event_type, configuration in (configurations or {}).items():
            if event_type not in self._events:
                raise InvalidRequestException(
                    f"eventConfigurations: {str(event_type)[:100]!r} is not an event type; "
                    f"use one of {', '.join(EVENT_TYPES)}."
                )
            if not isinstance(configuration, dict):
                raise InvalidRequestException(
                    f"eventConfigurations.{event_type} must be a structure {{Enabled: boolean}}."
                )
            enabled = configuration.get("Enabled")
            if enabled is None:
                enabled = False
            if not isinstance(enabled, bool):
                raise InvalidRequestException(
                    f"eventConfigurations.{event_type}.Enabled must be a boolean."
                )
            if enabled and event_type not in PUBLISHED_EVENT_TYPES:
                # Accepting it would promise events nobody will ever receive.
                raise InvalidRequestException(
                    f"eventConfigurations.{event_type}: the local service does not support "
                    f"{event_type} events (only {' and '.join(PUBLISHED_EVENT_TYPES)})."
                )
            changes[event_type] = enabled
        if any(self._events[name] != value for name, value in changes.items()):
            self._events.update(changes)
            self._events_modified_at = self.now()

    @operation
    def describe_event_configurations(self) -> dict[str, Any]:
        """DescribeEventConfigurations' answer: every type's Enabled and the two dates."""
        return {
            "eventConfigurations": {
                name: {"Enabled": enabled} for name, enabled in self._events.items()
            },
            "creationDate": self._events_created_at,
            "lastModifiedDate": self._events_modified_at,
        }
