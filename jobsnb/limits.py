"""AWS IoT Jobs limits and statuses, in one place.

The local service answers ``InvalidRequestException`` when a request breaks one of these rules,
and jobsnb's client checks the same rules before it sends anything. Each ``check_*`` function
returns its value when it is valid and raises :class:`~jobsnb.exceptions.InvalidParameterError`
naming the field and the rule when it is not.

Examples
--------
>>> from jobsnb.limits import STATUSES, check_status_details
>>> STATUSES[0], STATUSES[-1]
('QUEUED', 'REMOVED')
>>> check_status_details({"progress": "40%"})
{'progress': '40%'}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from jobsnb.exceptions import InvalidParameterError

__all__ = [
    "BREAKER_COOLDOWN_SECONDS",
    "BREAKER_FAILURES",
    "COMMAND_ARN_PATTERN",
    "COMMAND_ID_PATTERN",
    "COMMAND_PAGE_SIZE",
    "COMMAND_PARAMETER_MEMBERS",
    "COMMAND_PARAMETER_NAME_PATTERN",
    "COMMAND_STATUSES",
    "COMMAND_VALUE_TYPES",
    "CONNECT_MAX_DELAY_SECONDS",
    "CONNECT_TIMEOUT_SECONDS",
    "CONTROL_CHARACTERS",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CONTROL_PER_SECOND",
    "DEFAULT_READS_PER_SECOND",
    "DEFAULT_REGION",
    "DEFAULT_WRITES_PER_SECOND",
    "DETAILS_KEY_PATTERN",
    "DEVICE_STATUSES",
    "INT32_RANGE",
    "INT64_RANGE",
    "INTERRUPT_GRACE_SECONDS",
    "IN_PROGRESS_TIMEOUT_RANGE",
    "JOB_END_BEHAVIORS",
    "JOB_ID_PATTERN",
    "JOB_ID_RULE",
    "JOB_STATUSES",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_DETAILS_PAIRS",
    "MAX_DETAILS_VALUE_LENGTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_MQTT_CLIENT_TOKEN",
    "MAX_MQTT_PAYLOAD_BYTES",
    "MAX_PAGE_SIZE",
    "MAX_PENDING_SUMMARIES",
    "MAX_PENDING_SUMMARIES_SCHEDULED",
    "MAX_TARGETS",
    "MAX_TARGET_ARN_LENGTH",
    "NAME_RULE",
    "PENDING_STATUSES",
    "PROCESS_COUNTERS",
    "RETRYABLE_FAILURES",
    "SCHEDULE_LIMITS",
    "STATUSES",
    "STEP_TIMEOUT_RANGE",
    "TARGET_SELECTIONS",
    "TERMINAL_STATUSES",
    "THING_NAME_PATTERN",
    "UNSIGNED_LONG_PATTERN",
    "VERSION_MISMATCH",
    "check_command",
    "check_command_status",
    "check_execution_number",
    "check_execution_timeout_seconds",
    "check_expected_version",
    "check_job_id",
    "check_status_details",
    "check_step_timeout",
    "check_thing_name",
]

#: Every job execution status, in the order a rollout moves through them (the categorical order).
STATUSES: Final = (
    "QUEUED",
    "IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "REJECTED",
    "CANCELED",
    "REMOVED",
)
#: DescribeJob's jobProcessDetails counter of each status (it counts attempts, not things).
PROCESS_COUNTERS: Final = {
    status: "numberOf" + "".join(word.capitalize() for word in status.split("_")) + "Things"
    for status in STATUSES
}
PENDING_STATUSES: Final = frozenset({"QUEUED", "IN_PROGRESS"})
#: Every job status (the model's JobStatus), in a job's life order (SCHEDULED until a
#: schedulingConfig's startTime).
JOB_STATUSES: Final = ("SCHEDULED", "IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS")
#: What a schedulingConfig's endBehavior may be.
JOB_END_BEHAVIORS: Final = ("STOP_ROLLOUT", "CANCEL", "FORCE_CANCEL")
#: How a job picks its targets (the model's TargetSelection).
TARGET_SELECTIONS: Final = ("SNAPSHOT", "CONTINUOUS")
TERMINAL_STATUSES: Final = frozenset(STATUSES) - PENDING_STATUSES
#: What UpdateJobExecution lets a device set.
DEVICE_STATUSES: Final = frozenset({"IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"})
#: Failure types a retry config can name, besides ALL.
RETRYABLE_FAILURES: Final = frozenset({"FAILED", "TIMED_OUT"})

#: How the message of an update refused for its ``expectedVersion`` starts (AWS's MQTT code for it).
VERSION_MISMATCH: Final = "VersionMismatch"
#: GetPendingJobExecutions returns at most this many summaries.
MAX_PENDING_SUMMARIES: Final = 10
#: ... or this many when one is of a job with a schedulingConfig (developer guide, job limits).
MAX_PENDING_SUMMARIES_SCHEDULED: Final = 15
#: schedulingConfig's rules, in seconds: startTime from 30 minutes to a year ahead, endTime at
#: least 30 minutes after it and at most two years ahead; a maintenance window 1-1430 minutes.
SCHEDULE_LIMITS: Final = {
    "min_lead": 30 * 60,
    "max_start": 365 * 86400,
    "min_span": 30 * 60,
    "max_end": 2 * 365 * 86400,
    "min_window_minutes": 1,
    "max_window_minutes": 1430,
}
#: The largest ``maxResults`` of the control plane's lists (and the page jobsnb asks for).
MAX_PAGE_SIZE: Final = 250

#: The region and account of the local service's ARNs, and a local client's region, unless told.
DEFAULT_REGION: Final = "us-east-1"
DEFAULT_ACCOUNT_ID: Final = "123456789012"
#: AWS's data-plane quotas per account, requests per second (reads: GetPending + Describe;
#: writes: StartNext + Update), and the control-plane job APIs' (spec section 7: AWS's 2019
#: figures). Commands: StartCommandExecution (data plane) counts against the writes budget and
#: GetCommand, ListCommands, GetCommandExecution, ListCommandExecutions against the control one,
#: as the local service groups them. UNCONFIRMED: AWS's quota table for Commands (General
#: Reference, "AWS IoT Device Management endpoints and quotas") was not in the sources reachable
#: here; an account that meets 429s slows down by itself (RequestBudget), or pass
#: ``writes_per_second=`` / ``control_per_second=`` to connect().
DEFAULT_READS_PER_SECOND: Final = 200.0
DEFAULT_WRITES_PER_SECOND: Final = 200.0
DEFAULT_CONTROL_PER_SECOND: Final = 10.0

THING_NAME_PATTERN: Final = re.compile(r"[a-zA-Z0-9:_-]{1,128}")
JOB_ID_PATTERN: Final = re.compile(r"[a-zA-Z0-9_-]{1,64}")
DETAILS_KEY_PATTERN: Final = re.compile(r"[a-zA-Z0-9:_-]{1,128}")
#: The patterns above in words, for error messages a person reads.
NAME_RULE: Final = "must be 1-128 characters, each a letter, a digit, ':', '_' or '-'"
JOB_ID_RULE: Final = "must be 1-64 characters, each a letter, a digit, '_' or '-'"
# Control characters (C0, DEL, C1) are refused in statusDetails values.
CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_DETAILS_PAIRS: Final = 10
MAX_DETAILS_VALUE_LENGTH: Final = 1024
STEP_TIMEOUT_RANGE: Final = (1, 10080)
IN_PROGRESS_TIMEOUT_RANGE: Final = (1, 10080)
#: CreateJob: the document's size in bytes, the targets listed, the description's length.
MAX_DOCUMENT_BYTES: Final = 32 * 1024
MAX_TARGETS: Final = 100
MAX_DESCRIPTION_LENGTH: Final = 2028
#: How deep the local service lets JSON nest (a request body, a job document): objects and
#: arrays inside one another, the outermost counting 1. Deeper is refused with a 400.
MAX_JSON_DEPTH: Final = 64
#: AWS IoT Core's largest MQTT publish payload (128 KB); it refuses larger publishes.
MAX_MQTT_PAYLOAD_BYTES: Final = 128 * 1024
#: The longest ``clientToken`` an MQTT jobs request may carry (the device SDKs send UUIDs);
#: longer, or not a string, is ``InvalidRequest`` (a decision: AWS publishes no limit).
MAX_MQTT_CLIENT_TOKEN: Final = 64


# --- Commands (the iot model 2015-05-28 and iot-jobs-data 2017-09-29 of botocore 1.43.117) ------

#: Every command execution status, in the model's order (CommandExecutionStatus): not yet done
#: (CREATED, IN_PROGRESS), then the outcomes. A TIMED_OUT the cloud set is not final: the device
#: may still report another status.
COMMAND_STATUSES: Final = (
    "CREATED",
    "IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "REJECTED",
    "TIMED_OUT",
)
#: CommandId: 1-64 of ``[a-zA-Z0-9_-]``; a command ARN ends in ``:command/<id>``.
COMMAND_ID_PATTERN: Final = re.compile(r"[a-zA-Z0-9_-]{1,64}")
COMMAND_ARN_PATTERN: Final = re.compile(
    r"arn:(?P<partition>[a-z0-9-]+):iot:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12})"
    r":command/(?P<id>[a-zA-Z0-9_-]{1,64})"
)
#: CommandParameterName: 1-192 of ``[.$a-zA-Z0-9_-]``.
COMMAND_PARAMETER_NAME_PATTERN: Final = re.compile(r"[.$a-zA-Z0-9_-]{1,192}")
#: CommandParameterValue's members: each value sets exactly one.
COMMAND_VALUE_TYPES: Final = ("S", "B", "I", "L", "D", "BIN", "UL")
#: A mandatory parameter's declared ``type`` (CommandParameterType) → the member that carries it.
COMMAND_PARAMETER_MEMBERS: Final = {
    "STRING": "S",
    "INTEGER": "I",
    "DOUBLE": "D",
    "LONG": "L",
    "UNSIGNEDLONG": "UL",
    "BOOLEAN": "B",
    "BINARY": "BIN",
}
#: ListCommands' and ListCommandExecutions' largest ``maxResults`` (the page jobsnb asks for).
COMMAND_PAGE_SIZE: Final = 100
#: TargetArn's longest.
MAX_TARGET_ARN_LENGTH: Final = 2048
#: The model's integer (``I``) and long (``L``, and the execution timeout) ranges.
INT32_RANGE: Final = (-(2**31), 2**31 - 1)
INT64_RANGE: Final = (-(2**63), 2**63 - 1)
#: An unsigned long (``UL``) is sent as a string of 1-20 digits.
UNSIGNED_LONG_PATTERN: Final = re.compile(r"[0-9]{1,20}")


def check_command(value: object, field: str = "command") -> str:
    """Return ``value`` if it is a command id (1-64 of ``[a-zA-Z0-9_-]``) or a command ARN.

    Examples
    --------
    >>> check_command("reboot"), check_command("arn:aws:iot:eu-west-1:123456789012:command/reboot")
    ('reboot', 'arn:aws:iot:eu-west-1:123456789012:command/reboot')
    """
    if isinstance(value, str) and (
        COMMAND_ID_PATTERN.fullmatch(value) or COMMAND_ARN_PATTERN.fullmatch(value)
    ):
        return value
    rule = (
        "must be a command id (1-64 characters, each a letter, a digit, '_' or '-') or a "
        "command ARN (arn:aws:iot:<region>:<account>:command/<id>)"
    )
    raise InvalidParameterError(field, rule, value)


def check_command_status(value: object, field: str = "status") -> str:
    """Return ``value`` if it is a command execution status (:data:`COMMAND_STATUSES`)."""
    if not isinstance(value, str) or value not in COMMAND_STATUSES:
        raise InvalidParameterError(field, f"must be one of {', '.join(COMMAND_STATUSES)}", value)
    return value


def check_execution_timeout_seconds(value: object, field: str = "executionTimeoutSeconds") -> int:
    """Return ``value`` if it is an execution timeout: a whole number of seconds, at least 1."""
    seconds = _check_int(value, field)
    if not 1 <= seconds <= INT64_RANGE[1]:
        raise InvalidParameterError(field, "must be at least 1 (seconds)", value)
    return seconds


def check_thing_name(value: object, field: str = "thingName") -> str:
    """Return ``value`` if it is a valid thing name: 1–128 characters of ``[a-zA-Z0-9:_-]``."""
    if not isinstance(value, str) or not THING_NAME_PATTERN.fullmatch(value):
        raise InvalidParameterError(field, NAME_RULE, value)
    return value


def check_job_id(value: object, field: str = "jobId", *, allow_next: bool = False) -> str:
    """Return ``value`` if it is a valid job id: 1–64 characters of ``[a-zA-Z0-9_-]``.

    ``allow_next`` also accepts ``$next`` (DescribeJobExecution).
    """
    if allow_next and value == "$next":
        return "$next"
    if not isinstance(value, str) or not JOB_ID_PATTERN.fullmatch(value):
        raise InvalidParameterError(field, JOB_ID_RULE, value)
    return value


def check_status_details(value: object, field: str = "statusDetails") -> dict[str, str]:
    """Return ``value`` as a dict if it is a valid statusDetails map.

    At most 10 pairs; keys 1–128 characters of ``[a-zA-Z0-9:_-]``; values strings of 1–1024
    characters without control characters.
    """
    # A dict (what JSON gives) skips the slower abstract Mapping check.
    if type(value) is not dict and not isinstance(value, Mapping):
        raise InvalidParameterError(field, "must be a map of strings to strings", value)
    if len(value) > MAX_DETAILS_PAIRS:
        raise InvalidParameterError(
            field, f"must have at most {MAX_DETAILS_PAIRS} pairs", f"{len(value)} pairs"
        )
    for key, item in value.items():
        if not isinstance(key, str) or not DETAILS_KEY_PATTERN.fullmatch(key):
            raise InvalidParameterError(f"{field} key", NAME_RULE, key)
        if not isinstance(item, str):
            raise InvalidParameterError(f"{field}[{key!r}]", "must be a string", item)
        if not 1 <= len(item) <= MAX_DETAILS_VALUE_LENGTH:
            raise InvalidParameterError(
                f"{field}[{key!r}]", "must be 1-1024 characters long", f"{len(item)} characters"
            )
        if CONTROL_CHARACTERS.search(item):
            raise InvalidParameterError(
                f"{field}[{key!r}]", "must not contain control characters", item
            )
    return dict(value)


def _check_int(value: object, field: str) -> int:
    # bool is an int in Python but never a number on the wire.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(field, "must be an integer", value)
    return value


def check_step_timeout(
    value: object, field: str = "stepTimeoutInMinutes", *, allow_cancel: bool = False
) -> int:
    """Return ``value`` if it is a step timeout in minutes: 1–10080 (or -1, ``allow_cancel``)."""
    minutes = _check_int(value, field)
    low, high = STEP_TIMEOUT_RANGE
    if allow_cancel and minutes == -1:
        return minutes
    if not low <= minutes <= high:
        extra = " or -1 to cancel the step timer" if allow_cancel else ""
        raise InvalidParameterError(field, f"must be between {low} and {high}{extra}", value)
    return minutes


def check_expected_version(value: object, field: str = "expectedVersion") -> int:
    """Return ``value`` if it is a version number (a positive integer)."""
    version = _check_int(value, field)
    if version < 1:
        raise InvalidParameterError(field, "must be a positive integer", value)
    return version


def check_execution_number(value: object, field: str = "executionNumber") -> int:
    """Return ``value`` if it is an execution number (a positive integer)."""
    number = _check_int(value, field)
    if number < 1:
        raise InvalidParameterError(field, "must be a positive integer", value)
    return number


# --- the fleet client's patience with an endpoint (jobsnb.client) -------------------------------

#: Connection failures in a row (no answer between, across all of one client's threads) that
#: open the client's circuit breaker: further calls end at once as ``EndpointUnreachable`` rows.
BREAKER_FAILURES: Final = 8
#: Seconds an open breaker stays open; then one call probes the endpoint, and an answer closes it.
BREAKER_COOLDOWN_SECONDS: Final = 5.0
#: The longest back-off after a refused or timed-out connection (nothing was sent; a service
#: that is starting answers within a second, one that is gone is the breaker's business).
CONNECT_MAX_DELAY_SECONDS: Final = 0.5
#: botocore's connect timeout: a TCP handshake to AWS or a local service takes milliseconds.
CONNECT_TIMEOUT_SECONDS: Final = 3.0
#: How long an interrupted fan-out waits for the calls already sent to answer.
INTERRUPT_GRACE_SECONDS: Final = 2.0
