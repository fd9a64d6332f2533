"""What a new user meets first: empty answers stay frames, thing attributes join onto frames,
and things the account does not know can be named (issue 13)."""

from __future__ import annotations

from typing import Any

from jobsnb.frames import EXECUTION_COLUMNS
from jobsnb.service import LocalJobsService
from tests.helpers import assert_schema, fast_client, make_job, make_things, no_errors


def test_describe_of_an_empty_pending_frame_is_an_empty_frame(service: LocalJobsService) -> None:
    client = fast_client(service)
    pending = client.pending(["nosuch-thing"], progress=False)
    assert pending.empty
    described = client.describe(pending, progress=False)
    assert described.empty
    assert_schema(described, EXECUTION_COLUMNS)
    no_errors(described)


def test_update_of_an_empty_frame_calls_nothing(service: LocalJobsService, iot: Any) -> None:
    make_things(iot, ["sensor-1"])
    make_job(iot, "fw-2", ["sensor-1"])
    client = fast_client(service)
    pending = client.pending("sensor-1", progress=False)
    updated = client.update(pending[pending["job_id"] == "other"], "SUCCEEDED", progress=False)
    assert updated.empty
    no_errors(updated)
    assert client.pending("sensor-1", progress=False)["status"].tolist() == ["QUEUED"]
