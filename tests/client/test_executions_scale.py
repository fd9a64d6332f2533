"""A job's executions at scale: 20,000 listed through the fleet client over HTTP, every one once
with the state the service holds, and paging whose cost stays one page per call (counted)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from jobsnb.frames import JOB_EXECUTION_COLUMNS
from jobsnb.limits import MAX_PAGE_SIZE
from jobsnb.service import LocalJobsService
from tests.helpers import assert_schema, fast_client, no_errors, utc

THINGS = 20_000
JOB = "fleet-rollout"


class CountingList(list[str]):
    """A list that counts the items read from it one by one: the paging's work."""

    reads = 0

    def __getitem__(self, index: Any) -> Any:
        self.reads += 1
        return super().__getitem__(index)


def _planned(index: int) -> str:
    """The status each thing's first execution is given; FAILED ones are retried once."""
    if index % 20 == 3:
        return "FAILED"
    return ("QUEUED", "IN_PROGRESS", "SUCCEEDED", "QUEUED")[index % 4]


@pytest.fixture
def fleet_job(service: LocalJobsService) -> dict[str, tuple[str, int, int]]:
    """20,000 things in a group, one job on it, statuses spread; each thing's expected latest
    execution as ``(status, execution_number, retry_attempt)``."""
    backend = service.backend
    backend.create_thing_group("fleet")
    names = [f"sensor-{index:05d}" for index in range(THINGS)]
    for name in names:
        backend.create_thing(name)
        backend.add_thing_to_thing_group("fleet", name)
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
    backend.create_job(JOB, [backend.group_arn("fleet")], "{}", retry_config=retry)
    service.advance(5)
    expected = {}
    for index, name in enumerate(names):
        status = _planned(index)
        if status != "QUEUED":
            backend.update_job_execution(name, JOB, status)
        # A FAILED first attempt is retried: the latest execution is the queued second one.
        expected[name] = ("QUEUED", 2, 1) if status == "FAILED" else (status, 1, 0)
    return expected


def test_every_execution_is_listed_once_with_the_services_state(service, fleet_job):
    client = fast_client(service)

    frame = client.executions(JOB, progress=False)

    no_errors(frame)
    assert_schema(frame, JOB_EXECUTION_COLUMNS)
    assert service.request_counts["ListJobExecutionsForJob"] == math.ceil(THINGS / MAX_PAGE_SIZE)
    # In the service's order (things as they joined the job), none twice, none missing.
    assert frame["thing_name"].tolist() == list(fleet_job)
    listed = zip(
        frame["thing_name"],
        frame["status"].astype(str),
        frame["execution_number"],
        frame["retry_attempt"],
        strict=True,
    )
    assert {name: (status, n, retry) for name, status, n, retry in listed} == fleet_job
    counts = service.backend.describe_job(JOB).counts
    assert frame["status"].value_counts().to_dict() == {
        status: count for status, count in counts.items() if status != "FAILED"
    } | {"FAILED": 0}
    assert (frame["queued_at"].where(frame["retry_attempt"] == 0) == utc(0)).sum() == 19_000
    in_progress = frame[frame["status"] == "IN_PROGRESS"]
    assert len(in_progress) == 5_000
    assert (in_progress["started_at"] == utc(5)).all()
    assert frame.loc[frame["status"] == "QUEUED", "started_at"].isna().all()


def test_each_page_reads_only_its_own_items(service, fleet_job):
    # A token that made the service walk the list from its start would read ~n²/(2 x page)
    # items (800,000 here); one page per call reads each item about once.
    job = service.backend.describe_job(JOB)
    job.thing_order = counted = CountingList(job.thing_order)
    client = fast_client(service)
    for status, rows in [(None, THINGS), ("SUCCEEDED", 5_000), ("TIMED_OUT", 0)]:
        counted.reads, calls = 0, service.request_counts.get("ListJobExecutionsForJob", 0)
        pages = max(1, math.ceil(rows / MAX_PAGE_SIZE))

        frame = client.executions(JOB, status=status, progress=False)

        assert len(frame) == rows
        assert frame["thing_name"].is_unique
        assert service.request_counts["ListJobExecutionsForJob"] - calls == pages
        assert counted.reads <= THINGS + pages
