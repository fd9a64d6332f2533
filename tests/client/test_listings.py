"""client.things(), client.groups() and client.jobs(): the account's names, every page of them,
with filters checked before any call."""

from __future__ import annotations

from typing import Any

import pytest

from jobsnb.exceptions import InvalidParameterError
from jobsnb.service import LocalJobsService
from tests.helpers import GROUP_ARN, fast_client, make_job, make_things


def test_jobs_lists_every_page_and_filters(service: LocalJobsService, iot: Any) -> None:
    backend = service.backend
    arn = backend.create_thing("sensor-1").arn
    backend.create_thing_group("north")
    ids = [f"fw-{n:03d}" for n in range(260)]  # past one page of 250
    for job_id in ids:
        backend.create_job(job_id, [arn], "{}")
    iot.create_job(
        jobId="follow-north",
        targets=[GROUP_ARN.format("north")],
        document="{}",
        targetSelection="CONTINUOUS",
    )
    for job_id in ids[:3]:
        backend.cancel_job(job_id)
    client = fast_client(service)

    assert client.jobs() == [*ids, "follow-north"]
    assert service.request_counts["ListJobs"] == 2
    assert client.jobs("CANCELED") == ids[:3]
    assert client.jobs("IN_PROGRESS", target_selection="CONTINUOUS") == ["follow-north"]
    assert client.jobs(group="north") == ["follow-north"]
    assert client.jobs("COMPLETED") == []
    assert client.jobs(limit=5) == ids[:5]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "RUNNING"}, "status"),
        ({"status": "in_progress"}, "status"),
        ({"target_selection": "ALL"}, "target_selection"),
        ({"group": "no spaces"}, "group"),
        ({"limit": 0}, "limit"),
    ],
)
def test_jobs_refuses_bad_filters_before_any_call(
    service: LocalJobsService, kwargs: dict[str, Any], field: str
) -> None:
    client = fast_client(service)
    with pytest.raises(InvalidParameterError) as caught:
        client.jobs(**kwargs)
    assert caught.value.field == field
    assert "ListJobs" not in service.request_counts


def test_things_and_groups_still_list(service: LocalJobsService, iot: Any) -> None:
    make_things(iot, ["a-1", "a-2", "b-1"], group="north")
    make_job(iot, "fw-2", ["a-1"])
    client = fast_client(service)
    assert sorted(client.things()) == ["a-1", "a-2", "b-1"]
    assert sorted(client.things("north")) == ["a-1", "a-2", "b-1"]
    assert client.groups() == ["north"]
