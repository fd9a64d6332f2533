"""What the service's state costs per thing and execution, and that what makes it small is
invisible: things share their ARN prefix, an empty attributes mapping and their groups' tuple,
listing orders remember only the names that went, and a thing's jobs are a list."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import pytest

from jobsnb.service import JobsBackend, ManualClock
from tests.helpers import THING_ARN

#: Bytes per execution that keep 1,000,000 executions (and their things) under 1 GB of RSS:
#: the interpreter takes ~30 MB, and RSS runs ~10 % above what tracemalloc counts.
BUDGET = {1: 700, 10: 340}


def _bytes_per_execution(things: int, jobs: int) -> float:
    """What building ``jobs`` jobs on a group of ``things`` things allocates, per execution."""
    backend = JobsBackend(ManualClock(1_700_000_000))
    gc.collect()
    tracemalloc.start()
    try:
        backend.create_thing_group("fleet")
        for index in range(things):
            name = f"thing-{index:07d}"
            backend.create_thing(name)
            backend.add_thing_to_thing_group("fleet", name)
        for index in range(jobs):
            backend.create_job(f"job-{index:02d}", [backend.group_arn("fleet")], "{}")
        gc.collect()
        allocated = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert sum(backend.status_counts().values()) == things * jobs
    return allocated / (things * jobs)


@pytest.mark.parametrize(("things", "jobs"), [(5000, 1), (500, 10)], ids=["1-job", "10-jobs"])
def test_a_million_executions_fit_in_a_gigabyte_however_they_spread(things: int, jobs: int) -> None:
    assert _bytes_per_execution(things, jobs) < BUDGET[jobs]


def _names(response: dict[str, Any], key: str, field: str | None = None) -> list[str]:
    return [entry[field] if field else entry for entry in response[key]]


def test_a_thing_deleted_and_created_again_keeps_its_place_in_the_listing(iot: Any) -> None:
    for name in ("t1", "t2", "t3"):
        iot.create_thing(thingName=name)
    iot.delete_thing(thingName="t1")
    assert _names(iot.list_things(), "things", "thingName") == ["t2", "t3"]
    iot.create_thing(thingName="t1")
    iot.create_thing(thingName="t4")
    assert _names(iot.list_things(), "things", "thingName") == ["t1", "t2", "t3", "t4"]


def test_a_member_that_leaves_and_rejoins_keeps_its_place_in_the_group(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="g")
    for name in ("t1", "t2", "t3"):
        iot.create_thing(thingName=name)
        iot.add_thing_to_thing_group(thingGroupName="g", thingName=name)
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="t2")
    assert _names(iot.list_things_in_thing_group(thingGroupName="g"), "things") == ["t1", "t3"]
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t2")
    iot.delete_thing(thingName="t3")
    iot.create_thing(thingName="t3")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t3")
    listed = _names(iot.list_things_in_thing_group(thingGroupName="g"), "things")
    assert listed == ["t1", "t2", "t3"]


def test_a_group_deleted_and_created_again_keeps_its_place_in_the_listing(iot: Any) -> None:
    for name in ("g1", "g2"):
        iot.create_thing_group(thingGroupName=name)
    iot.delete_thing_group(thingGroupName="g1")
    iot.create_thing_group(thingGroupName="g1")
    listed = _names(iot.list_thing_groups(), "thingGroups", "groupName")
    assert listed == ["g1", "g2"]


def test_things_without_attributes_stay_without_when_another_gets_some(iot: Any) -> None:
    for name in ("t1", "t2"):
        iot.create_thing(thingName=name)
    iot.update_thing(thingName="t1", attributePayload={"attributes": {"a": "1"}, "merge": True})
    assert iot.describe_thing(thingName="t1")["attributes"] == {"a": "1"}
    assert iot.describe_thing(thingName="t2")["attributes"] == {}
    iot.update_thing(thingName="t1", attributePayload={"attributes": {"a": ""}, "merge": True})
    assert iot.describe_thing(thingName="t1")["attributes"] == {}
    with pytest.raises(iot.exceptions.ResourceAlreadyExistsException):
        iot.create_thing(thingName="t2", attributePayload={"attributes": {"a": "1"}})
    assert iot.create_thing(thingName="t2")["thingName"] == "t2"


def test_a_job_created_again_takes_the_deleted_ones_place_on_its_things(iot: Any) -> None:
    iot.create_thing(thingName="t")
    for job_id in ("a", "b", "a"):
        if job_id in _names(iot.list_jobs(), "jobs", "jobId"):
            iot.delete_job(jobId=job_id, force=True)
        iot.create_job(jobId=job_id, targets=[THING_ARN.format("t")], document="{}")
    listed = iot.list_job_executions_for_thing(thingName="t")["executionSummaries"]
    assert [summary["jobId"] for summary in listed] == ["a", "b"]
    assert listed[0]["jobExecutionSummary"]["status"] == "QUEUED"
