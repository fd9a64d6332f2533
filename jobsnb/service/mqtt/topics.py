"""The jobs request topics: a device's MQTT request → the backend → AWS's accepted or rejected.

A device publishes on ``$aws/things/{thing}/jobs/get``, ``.../jobs/start-next``,
``.../jobs/{jobId}/get`` or ``.../jobs/{jobId}/update`` (``{jobId}`` may be ``$next``); the
answer goes to the same topic plus ``/accepted`` or ``/rejected``. Each request calls the same
backend operation as its HTTPS twin, so both transports see and change the same executions.
A rejection carries AWS's MQTT error code, the message, the clientToken and the timestamp, and
for a version mismatch or a refused transition the execution's current state.

Examples
--------
>>> from jobsnb.service import JobsBackend, ManualClock
>>> backend = JobsBackend(ManualClock(1_700_000_000))
>>> _ = backend.create_thing("sensor-1")
>>> _ = backend.create_job("fw-2", [backend.thing_arn("sensor-1")], document='{"v": 2}')
>>> topic, payload = JobsTopics(backend).answer(
...     "$aws/things/sensor-1/jobs/start-next", b'{"clientToken": "t-1"}')
>>> topic
'$aws/things/sensor-1/jobs/start-next/accepted'
>>> import json; json.loads(payload)["execution"]["jobDocument"]
{'v': 2}
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jobsnb.limits import MAX_MQTT_CLIENT_TOKEN, VERSION_MISMATCH
from jobsnb.service.errors import (
    AwsError,
    InvalidRequestException,
    InvalidStateTransitionException,
    ResourceNotFoundException,
    ThrottlingException,
)
from jobsnb.service.mqtt.payloads import encode, execution_data
from jobsnb.service.mqtt.refusals import ANSWERS, Refused, json_object
from jobsnb.service.requests import Request

if TYPE_CHECKING:
    from jobsnb.service.backend import JobsBackend

__all__ = ["REQUEST_FILTERS", "Admit", "JobsTopics", "is_reserved", "request_thing"]

#: What a device may not publish on: AWS's answers and notifications.
_NOTIFICATIONS = ("notify", "notify-next")

Reply = tuple[str, bytes]

_log = logging.getLogger("jobsnb.service.mqtt")


def request_thing(topic: str) -> str | None:
    """The thing a jobs request topic names, or None when ``topic`` is not under its jobs."""
    levels = topic.split("/")
    if len(levels) < 5 or levels[0] != "$aws" or levels[1] != "things" or levels[3] != "jobs":
        return None
    return levels[2]


def is_reserved(topic: str) -> bool:
    """True for a topic only AWS publishes on: answers, notifications and events."""
    levels = topic.split("/")
    if topic.startswith("$aws/events/"):
        return True
    if request_thing(topic) is None:
        return False
    return levels[-1] in ANSWERS or levels[4:] in (["notify"], ["notify-next"])


#: Admits one request of a quota group ("read" or "write") or raises the AWS error that refuses
#: it: :meth:`~jobsnb.service.app.JobsApp.admit`, so throttling and faults hold on both
#: transports.
Admit = Callable[[str], None]


class JobsTopics:
    """Answers the jobs request topics from the backend (thread-safe, as the backend is).

    Parameters
    ----------
    backend
        The service's backend.
    admit
        The HTTPS app's quota and fault check; None admits every request.
    """

    def __init__(self, backend: JobsBackend, admit: Admit | None = None) -> None:
        self.backend = backend
        self.admit = admit

    def answer(self, topic: str, payload: bytes) -> Reply:
        """The reply topic and payload for a device's request on ``topic``."""
        thing = request_thing(topic)
        assert thing is not None, topic
        action = topic.split("/")[4:]
        token: object = None
        try:
            body = json_object(payload, "request", empty_is_empty=True)
            token = body.get("clientToken")
            if token is not None and not (
                isinstance(token, str) and 0 < len(token) <= MAX_MQTT_CLIENT_TOKEN
            ):
                token = None
                raise Refused(
                    "InvalidRequest",
                    f"clientToken must be a string of 1 to {MAX_MQTT_CLIENT_TOKEN} characters.",
                )
            handler, quota = _request(action)
            if self.admit is not None:
                self.admit(quota)
            request = Request.of_body({"thingName": thing}, body)
            # As over HTTPS, the answer is made under the lock its operation took.
            with self.backend.lock:
                answer = handler(self, request, thing, action)
                answer["timestamp"] = int(self.backend.now())
                if token is not None:
                    answer["clientToken"] = token
                reply = f"{topic}/accepted", encode(answer)
        except Refused as refusal:
            return _rejected(topic, refusal, token, self.backend.now())
        except AwsError as error:
            return _rejected(topic, _refusal(error), token, self.backend.now())
        except Exception as error:  # a bug of ours answers InternalError, as AWS's would
            _log.exception("jobs request on %s failed", topic)
            failure = Refused("InternalError", f"Internal error: {type(error).__name__}")
            return _rejected(topic, failure, token, self.backend.now())
        return reply

    # ----------------------------------------------------------------- the four requests
    def get_pending_job_executions(
        self, req: Request, thing: str, action: list[str]
    ) -> dict[str, Any]:
        """``jobs/get``: the thing's IN_PROGRESS and QUEUED summaries."""
        in_progress, queued = self.backend.get_pending_job_executions(thing)
        return {
            "inProgressJobs": [ex.data_summary() for ex in in_progress],
            "queuedJobs": [ex.data_summary() for ex in queued],
        }

    def start_next_pending_job_execution(
        self, req: Request, thing: str, action: list[str]
    ) -> dict[str, Any]:
        """``jobs/start-next``: start and return the next execution; no ``execution`` when none."""
        execution = self.backend.start_next_pending_job_execution(
            thing, req.string_map("statusDetails"), req.integer("stepTimeoutInMinutes")
        )
        if execution is None:
            return {}
        return {"execution": execution_data(execution, self.backend.now())}

    def describe_job_execution(self, req: Request, thing: str, action: list[str]) -> dict[str, Any]:
        """``jobs/{jobId}/get``: the execution (``$next``: the next one; none when nothing is)."""
        execution = self.backend.describe_job_execution(
            thing, action[0], req.integer("executionNumber")
        )
        if execution is None:
            return {}
        include = req.boolean("includeJobDocument", default=True)
        return {"execution": execution_data(execution, self.backend.now(), include)}

    def update_job_execution(self, req: Request, thing: str, action: list[str]) -> dict[str, Any]:
        """``jobs/{jobId}/update``: a device's report; state and document when asked for."""
        status = req.string("status", required=True)
        assert status is not None
        include_state = req.boolean("includeJobExecutionState")
        include_document = req.boolean("includeJobDocument")
        job_id = action[0]
        if job_id == "$next":
            raise InvalidRequestException("jobId $next cannot be updated; name the job.")
        execution = self.backend.update_job_execution(
            thing,
            job_id,
            status,
            status_details=req.string_map("statusDetails"),
            step_timeout_minutes=req.integer("stepTimeoutInMinutes"),
            expected_version=req.integer("expectedVersion"),
            execution_number=req.integer("executionNumber"),
        )
        answer: dict[str, Any] = {}
        if include_state:
            answer["executionState"] = execution.state_shape()
        if include_document:
            answer["jobDocument"] = execution_data(execution, self.backend.now())["jobDocument"]
        return answer


_Handler = Callable[[JobsTopics, Request, str, list[str]], dict[str, Any]]
#: Each request by the levels after ``$aws/things/{thing}/jobs/`` (``+``: a job id or
#: ``$next``): its handler and its AWS quota group, as its HTTPS twin's.
_REQUESTS: dict[tuple[str, ...], tuple[_Handler, str]] = {
    ("get",): (JobsTopics.get_pending_job_executions, "read"),
    ("start-next",): (JobsTopics.start_next_pending_job_execution, "write"),
    ("+", "get"): (JobsTopics.describe_job_execution, "read"),
    ("+", "update"): (JobsTopics.update_job_execution, "write"),
}
#: The jobs request topics of every thing, as topic filters (the answers, a level deeper, do
#: not match them): what the service subscribes to on a team's broker.
REQUEST_FILTERS = tuple("/".join(("$aws/things/+/jobs", *levels)) for levels in _REQUESTS)


def _request(action: list[str]) -> tuple[_Handler, str]:
    shape = ("+", action[1]) if len(action) == 2 else tuple(action)
    found = _REQUESTS.get(shape)
    if found is None:
        raise Refused("InvalidTopic", f"{'/'.join(action)} is not a jobs request topic.")
    return found


def _refusal(error: AwsError) -> Refused:
    if isinstance(error, InvalidStateTransitionException):
        state = error.execution_state
        code = (
            "VersionMismatch"
            if error.message.startswith(VERSION_MISMATCH)
            else "InvalidStateTransition"
        )
        return Refused(code, error.message, dict(state) if state is not None else None)
    if isinstance(error, ResourceNotFoundException):
        return Refused("ResourceNotFound", error.message)
    if isinstance(error, InvalidRequestException):
        return Refused("InvalidRequest", error.message)
    if isinstance(error, ThrottlingException):
        return Refused("RequestThrottled", error.message)
    return Refused("InternalError", error.message)  # a simulated fault: a 503 over HTTPS


def _rejected(topic: str, refusal: Refused, token: object, now: float) -> Reply:
    answer: dict[str, Any] = {
        "code": refusal.code,
        "message": refusal.message,
        "timestamp": int(now),
    }
    if token is not None:
        answer["clientToken"] = token
    if refusal.state is not None:
        answer["executionState"] = refusal.state
    return f"{topic}/rejected", encode(answer)
