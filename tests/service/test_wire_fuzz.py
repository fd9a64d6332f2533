"""Wire-level fuzzing of every route, bounded in time: the service never answers a 5xx that was
not injected, never hangs, and every error it answers is a shape the operation's botocore model
lists (so an SDK raises the modelled exception and retries only what AWS would have it retry).

Requests are raw HTTP (``http.client``): paths built from each route's template with hostile
segments, query strings, and JSON bodies that mix the operation's own members with deep nesting,
NaN and huge numbers, lone surrogates, wrong types and invalid UTF-8.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobsnb.service import LocalJobsService, ManualClock
from jobsnb.service.routes import CONTROL, ROUTES, Route, match
from tests.helpers import START

SECONDS = 10.0  # far above any answer here: a request that takes longer is a hang
CONTROL_AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iot/aws4_request, "
    "SignedHeaders=host, Signature=abc"
)
_SESSION = botocore.session.get_session()
_MODELS = {
    CONTROL: _SESSION.get_service_model("iot"),
    "data": _SESSION.get_service_model("iot-jobs-data"),
}


def modelled(route: Route) -> set[str]:
    """The error shapes botocore's model lists for the route's operation."""
    operation = _MODELS[route.plane].operation_model(route.operation)
    return {shape.name for shape in operation.error_shapes}


@pytest.fixture(scope="module")
def svc() -> Iterator[LocalJobsService]:
    with LocalJobsService(clock=ManualClock(START)) as service:
        arn = service.backend.create_thing("dev").arn
        service.backend.create_thing_group("fleet")
        service.backend.create_job("job1", targets=[arn], document='{"op":"x"}')
        service.backend.create_command("cmd", payload=b'{"op":"x"}')
        yield service


# --- hostile values --------------------------------------------------------------------------

names = st.one_of(
    st.sampled_from(["dev", "job1", "fleet", "cmd", "$next", "nope", "", "..", "a" * 200]),
    st.text(max_size=30),
)
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["QUEUED", "IN_PROGRESS", "SUCCEEDED", "\ud800", "x" * 2000]),
)
values = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
members = st.sampled_from(
    ["status", "statusDetails", "expectedVersion", "stepTimeoutInMinutes", "executionNumber",
     "includeJobExecutionState", "includeJobDocument", "targets", "document", "description",
     "targetSelection", "timeoutConfig", "jobExecutionsRetryConfig", "jobExecutionsRolloutConfig",
     "abortConfig", "attributePayload", "thingGroupProperties", "targetArn", "commandArn",
     "parameters", "executionTimeoutSeconds", "clientToken", "force", "comment", "payload",
     "payloadTemplate", "preprocessor", "mandatoryParameters", "displayName", "deprecated",
     "startedTimeFilter", "completedTimeFilter", "sortOrder", "namespace",
     "jobTemplateArn", "documentParameters", "presignedUrlConfig", "jobArn"]
)  # fmt: skip


def _encode(body: Any) -> bytes:
    # json.dumps writes NaN/Infinity and lone surrogates as a lax encoder would (an SDK
    # written in another language, or a hostile client, may send them).
    return json.dumps(body, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


bodies = st.one_of(
    st.none(),
    st.dictionaries(members, values, max_size=5).map(_encode),
    st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.binary(max_size=64),
    st.sampled_from([b'{"status": NaN}', b'{"document": "{\\"a\\": 1e999}"}', b"\xff\xfe{}"]),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[Route, str, str, bytes | None]:
    # The service's own presigned-URL route answers 403 as S3 would; test_templates covers it.
    route = draw(st.sampled_from([route for route in ROUTES if route.aws]))
    segments = [
        quote(draw(names), safe="") if part.startswith("{") else part for part in route.template
    ]
    query = draw(
        st.sampled_from(
            ["", "?includeJobDocument=maybe", "?maxResults=0", "?maxResults=999999999999",
             "?nextToken=%00", "?executionNumber=-1", "?status=NOPE", "?force=true"]
        )
    )  # fmt: skip
    return route, "/" + "/".join(segments), query, draw(bodies)


def send(svc: LocalJobsService, route: Route, path: str, body: bytes | None) -> tuple[int, Any]:
    port = int(svc.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SECONDS)
    headers = {"Content-Type": "application/json"}
    if route.plane == CONTROL:
        headers["Authorization"] = CONTROL_AUTH
    try:
        connection.request(route.method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    if response.status == 204:  # DeleteCommand's "deleted": HTTP gives a 204 no body
        assert payload == b""
        return 204, {}
    # Every other answer is strict JSON (no NaN/Infinity), errors included.
    parsed = json.loads(payload, parse_constant=lambda name: pytest.fail(f"{name} in {payload!r}"))
    return response.status, parsed


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(request=requests())
def test_every_route_answers_hostile_input_with_a_modelled_4xx_or_success(svc, request):
    route, path, query, body = request
    status, payload = send(svc, route, path + query, body)
    assert status < 500, (route.operation, path, status, payload)
    if status >= 400:
        found = match(route.plane, route.method, path)
        if found is None:  # a segment decoded to something that routes nowhere
            assert payload["__type"] == "ResourceNotFoundException", payload
        else:
            assert payload["__type"] in modelled(found[0]), (found[0].operation, payload)
