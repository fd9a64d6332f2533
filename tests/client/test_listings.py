"""client.things(), client.groups() and client.jobs(): the account's names, every page of them,
with filters checked before any call; and what a scheduled job's summary says."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames import JOB_SUMMARY_COLUMNS
from jobsnb.service import LocalJobsService
from tests.helpers import GROUP_ARN, assert_schema, fast_client, make_job, make_things


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


def test_a_scheduled_jobs_summary_says_when_it_starts_and_its_next_window(
    service: LocalJobsService, iot: Any, clock: Any
) -> None:
    make_things(iot, ["a-1", "a-2"])
    make_job(iot, "now", ["a-1"])
    make_job(
        iot,
        "nightly",
        ["a-1", "a-2"],
        schedulingConfig={
            "startTime": "2023-11-14T23:00",  # the ManualClock starts at 22:13:20 UTC
            "endTime": "2023-11-20T00:00",
            "endBehavior": "CANCEL",
            "maintenanceWindows": [{"startTime": "cron(0 2 ? * * *)", "durationInMinutes": 60}],
        },
    )
    client = fast_client(service)

    assert client.jobs("SCHEDULED") == ["nightly"]
    summary = client.job_summary(client.jobs(), progress=False).set_index("job_id")
    assert_schema(summary.reset_index(), JOB_SUMMARY_COLUMNS)
    nightly, now = summary.loc["nightly"], summary.loc["now"]
    assert nightly["job_status"] == "SCHEDULED"
    # An ordered categorical: SCHEDULED sorts before IN_PROGRESS, which text would not.
    assert summary["job_status"].sort_values().index.tolist() == ["nightly", "now"]
    assert nightly["things"] == 0
    assert nightly["scheduled_start_at"] == pd.Timestamp("2023-11-14T23:00", tz="UTC")
    assert nightly["next_window_at"] == pd.Timestamp("2023-11-15T02:00", tz="UTC")
    assert nightly["scheduled_end_at"] == pd.Timestamp("2023-11-20T00:00", tz="UTC")
    assert nightly["end_behavior"] == "CANCEL"
    assert pd.isna(now["scheduled_start_at"])
    assert pd.isna(now["end_behavior"])

    clock.advance(4 * 3600)  # 02:13: past the start, inside the first window
    later = client.job_summary("nightly", progress=False).iloc[0]
    assert (later["job_status"], later["things"], later["things_queued"]) == ("IN_PROGRESS", 2, 2)
    assert later["next_window_at"] == pd.Timestamp("2023-11-16T02:00", tz="UTC")
