"""Control plane (spec section 6), driven by an unmodified boto3 ``iot`` client over HTTP."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.helpers import ACCOUNT, CREDENTIALS, NO_RETRIES, REGION

START = 1_700_000_000.0  # the ``clock`` fixture's start
COUNTERS = (
    "numberOfCanceledThings",
    "numberOfSucceededThings",
    "numberOfFailedThings",
    "numberOfRejectedThings",
    "numberOfQueuedThings",
    "numberOfInProgressThings",
    "numberOfRemovedThings",
    "numberOfTimedOutThings",
)
DOC = '{"operation":"reboot"}'


def thing_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/{name}"


def group_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/{name}"


def job_arn(job_id: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:job/{job_id}"


def make_things(iot: Any, *names: str) -> list[str]:
    return [iot.create_thing(thingName=n)["thingArn"] for n in names]


def make_job(iot: Any, job_id: str, *things: str, **kwargs: Any) -> dict[str, Any]:
    arns = make_things(iot, *things)
    return iot.create_job(jobId=job_id, targets=arns, document=DOC, **kwargs)  # type: ignore[no-any-return]


def status_of(exc: pytest.ExceptionInfo[Any]) -> int:
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"]  # type: ignore[no-any-return]


def unvalidated_iot(service: Any) -> Any:
    """An iot client whose client-side parameter checks are off, to reach the service's own."""
    return boto3.client(
        "iot",
        endpoint_url=service.url,
        region_name=REGION,
        config=NO_RETRIES.merge(Config(parameter_validation=False)),
        **CREDENTIALS,
    )


def pages(call: Any, key: str, **kwargs: Any) -> list[list[Any]]:
    """Every page of a paginated list call, following nextToken by hand."""
    out: list[list[Any]] = []
    token: str | None = None
    for _ in range(100):
        resp = call(**kwargs, **({"nextToken": token} if token else {}))
        out.append(resp[key])
        token = resp.get("nextToken")
        if not token:
            return out
    raise AssertionError("pagination never ended")


def execution(iot: Any, thing: str, job_id: str, **kwargs: Any) -> dict[str, Any]:
    return iot.describe_job_execution(thingName=thing, jobId=job_id, **kwargs)["execution"]  # type: ignore[no-any-return]


def process_details(iot: Any, job_id: str) -> dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]["jobProcessDetails"]  # type: ignore[no-any-return]


# --- things and groups -------------------------------------------------------------------------


def test_create_thing_returns_arn_and_id_and_is_idempotent(iot):
    first = iot.create_thing(thingName="sensor-1")
    assert first["thingName"] == "sensor-1"
    assert first["thingArn"] == thing_arn("sensor-1")
    assert isinstance(first["thingId"], str)
    assert first["thingId"]
    again = iot.create_thing(thingName="sensor-1")
    assert again["thingArn"] == first["thingArn"]
    assert again["thingId"] == first["thingId"]
    names = [t["thingName"] for page in pages(iot.list_things, "things") for t in page]
    assert names == ["sensor-1"]


def test_thing_ids_differ_between_things(iot):
    a = iot.create_thing(thingName="a")["thingId"]
    b = iot.create_thing(thingName="b")["thingId"]
    assert a != b


def test_describe_thing_returns_attributes(iot):
    made = iot.create_thing(
        thingName="dev:1", attributePayload={"attributes": {"model": "x1", "fw": "2.0"}}
    )
    desc = iot.describe_thing(thingName="dev:1")
    assert desc["thingName"] == "dev:1"
    assert desc["thingArn"] == thing_arn("dev:1")
    assert desc["thingId"] == made["thingId"]
    assert desc["attributes"] == {"model": "x1", "fw": "2.0"}
    assert isinstance(desc["version"], int)


def test_describe_unknown_thing_is_404(iot):
    with pytest.raises(iot.exceptions.ResourceNotFoundException) as exc:
        iot.describe_thing(thingName="ghost")
    assert status_of(exc) == 404


def test_delete_thing_removes_it(iot):
    make_things(iot, "keep", "drop")
    iot.delete_thing(thingName="drop")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_thing(thingName="drop")
    names = [t["thingName"] for page in pages(iot.list_things, "things") for t in page]
    assert names == ["keep"]


def test_list_things_filters_by_attribute(iot):
    iot.create_thing(thingName="a", attributePayload={"attributes": {"model": "x1"}})
    iot.create_thing(thingName="b", attributePayload={"attributes": {"model": "x2"}})
    iot.create_thing(thingName="c", attributePayload={"attributes": {"model": "x1"}})
    iot.create_thing(thingName="d")
    got = pages(iot.list_things, "things", attributeName="model", attributeValue="x1")
    assert sorted(t["thingName"] for p in got for t in p) == ["a", "c"]
    assert {t["thingName"]: t["attributes"] for p in got for t in p}["a"] == {"model": "x1"}


def test_delete_thing_with_expected_version(iot):
    make_things(iot, "t")
    version = iot.describe_thing(thingName="t")["version"]
    with pytest.raises(iot.exceptions.VersionConflictException) as exc:
        iot.delete_thing(thingName="t", expectedVersion=version + 5)
    assert status_of(exc) == 409
    iot.describe_thing(thingName="t")
    iot.delete_thing(thingName="t", expectedVersion=version)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_thing(thingName="t")


def test_deleted_thing_leaves_its_groups(iot):
    make_things(iot, "t", "u")
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="u")
    iot.delete_thing(thingName="t")
    assert members(iot, "g") == ["u"]


def test_adding_a_member_twice_lists_it_once(iot):
    make_things(iot, "t")
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    iot.add_thing_to_thing_group(thingGroupArn=group_arn("g"), thingArn=thing_arn("t"))
    assert members(iot, "g") == ["t"]


def test_create_thing_group_returns_arn(iot):
    resp = iot.create_thing_group(thingGroupName="fleet-a")
    assert resp["thingGroupName"] == "fleet-a"
    assert resp["thingGroupArn"] == group_arn("fleet-a")
    assert resp["thingGroupId"]


def members(iot: Any, group: str, **kwargs: Any) -> list[str]:
    return [
        name
        for page in pages(iot.list_things_in_thing_group, "things", thingGroupName=group, **kwargs)
        for name in page
    ]


def test_add_and_remove_thing_by_name(iot):
    make_things(iot, "t1", "t2")
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t1")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t2")
    assert sorted(members(iot, "g")) == ["t1", "t2"]
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="t1")
    assert members(iot, "g") == ["t2"]


def test_add_and_remove_thing_by_arn(iot):
    (arn,) = make_things(iot, "t1")
    garn = iot.create_thing_group(thingGroupName="g")["thingGroupArn"]
    iot.add_thing_to_thing_group(thingGroupArn=garn, thingArn=arn)
    assert members(iot, "g") == ["t1"]
    iot.remove_thing_from_thing_group(thingGroupArn=garn, thingArn=arn)
    assert members(iot, "g") == []


def test_add_unknown_thing_or_group_is_404(iot):
    make_things(iot, "t1")
    iot.create_thing_group(thingGroupName="g")
    with pytest.raises(iot.exceptions.ResourceNotFoundException) as exc:
        iot.add_thing_to_thing_group(thingGroupName="g", thingName="ghost")
    assert status_of(exc) == 404
    with pytest.raises(iot.exceptions.ResourceNotFoundException) as exc:
        iot.add_thing_to_thing_group(thingGroupName="nogroup", thingName="t1")
    assert status_of(exc) == 404
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.add_thing_to_thing_group(thingGroupArn=group_arn("nogroup"), thingArn=thing_arn("t1"))
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.remove_thing_from_thing_group(thingGroupName="g", thingName="ghost")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.remove_thing_from_thing_group(thingGroupName="nogroup", thingName="t1")
    assert members(iot, "g") == []


def test_list_things_in_unknown_group_is_404(iot):
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.list_things_in_thing_group(thingGroupName="nogroup")


# --- pagination --------------------------------------------------------------------------------


def test_list_things_pages_every_thing_once(iot):
    names = [f"thing-{i:02d}" for i in range(7)]
    make_things(iot, *names)
    got = pages(iot.list_things, "things", maxResults=3)
    assert [len(p) for p in got] == [3, 3, 1]
    flat = [t["thingName"] for p in got for t in p]
    assert sorted(flat) == names
    for item in (t for p in got for t in p):
        assert item["thingArn"] == thing_arn(item["thingName"])


def test_list_things_in_group_pages_every_member_once(iot):
    names = [f"m{i}" for i in range(5)]
    make_things(iot, *names, "outsider")
    iot.create_thing_group(thingGroupName="g")
    for n in names:
        iot.add_thing_to_thing_group(thingGroupName="g", thingName=n)
    got = pages(iot.list_things_in_thing_group, "things", thingGroupName="g", maxResults=2)
    assert [len(p) for p in got] == [2, 2, 1]
    assert sorted(n for p in got for n in p) == names


def test_list_jobs_pages_and_filters(iot):
    make_things(iot, "t")
    arn = thing_arn("t")
    for i in range(3):
        iot.create_job(jobId=f"snap-{i}", targets=[arn], document=DOC)
    for i in range(2):
        iot.create_job(jobId=f"cont-{i}", targets=[arn], document=DOC, targetSelection="CONTINUOUS")
    iot.cancel_job(jobId="snap-1")

    got = pages(iot.list_jobs, "jobs", maxResults=2)
    assert [len(p) for p in got] == [2, 2, 1]
    flat = {j["jobId"]: j for p in got for j in p}
    assert sorted(flat) == ["cont-0", "cont-1", "snap-0", "snap-1", "snap-2"]
    assert sum(len(p) for p in got) == 5
    assert flat["snap-0"]["jobArn"] == job_arn("snap-0")
    assert flat["snap-0"]["targetSelection"] == "SNAPSHOT"
    assert flat["cont-0"]["targetSelection"] == "CONTINUOUS"
    assert flat["snap-1"]["status"] == "CANCELED"
    assert flat["snap-0"]["status"] == "IN_PROGRESS"

    canceled = [j["jobId"] for p in pages(iot.list_jobs, "jobs", status="CANCELED") for j in p]
    assert canceled == ["snap-1"]
    running = [j["jobId"] for p in pages(iot.list_jobs, "jobs", status="IN_PROGRESS") for j in p]
    assert sorted(running) == ["cont-0", "cont-1", "snap-0", "snap-2"]
    cont = [
        j["jobId"]
        for p in pages(iot.list_jobs, "jobs", targetSelection="CONTINUOUS", maxResults=1)
        for j in p
    ]
    assert sorted(cont) == ["cont-0", "cont-1"]
    both = [
        j["jobId"]
        for p in pages(iot.list_jobs, "jobs", targetSelection="SNAPSHOT", status="IN_PROGRESS")
        for j in p
    ]
    assert sorted(both) == ["snap-0", "snap-2"]


def test_list_job_executions_for_job_pages_and_filters(iot, data):
    names = [f"t{i}" for i in range(7)]
    make_job(iot, "job1", *names)
    data.update_job_execution(thingName="t1", jobId="job1", status="IN_PROGRESS")
    data.update_job_execution(thingName="t4", jobId="job1", status="IN_PROGRESS")
    data.update_job_execution(thingName="t5", jobId="job1", status="SUCCEEDED")

    got = pages(iot.list_job_executions_for_job, "executionSummaries", jobId="job1", maxResults=3)
    assert [len(p) for p in got] == [3, 3, 1]
    flat = [s for p in got for s in p]
    assert sorted(s["thingArn"] for s in flat) == [thing_arn(n) for n in names]
    by_thing = {s["thingArn"]: s["jobExecutionSummary"] for s in flat}
    first = by_thing[thing_arn("t0")]
    assert first["status"] == "QUEUED"
    assert first["executionNumber"] == 1
    assert first["retryAttempt"] == 0
    assert first["queuedAt"].timestamp() == START
    assert "startedAt" not in first
    assert by_thing[thing_arn("t1")]["status"] == "IN_PROGRESS"
    assert by_thing[thing_arn("t1")]["startedAt"].timestamp() == START
    assert by_thing[thing_arn("t5")]["status"] == "SUCCEEDED"

    def with_status(status: str) -> list[str]:
        return sorted(
            s["thingArn"]
            for p in pages(
                iot.list_job_executions_for_job,
                "executionSummaries",
                jobId="job1",
                status=status,
                maxResults=1,
            )
            for s in p
        )

    assert with_status("IN_PROGRESS") == [thing_arn("t1"), thing_arn("t4")]
    assert with_status("QUEUED") == [thing_arn(n) for n in ("t0", "t2", "t3", "t6")]
    assert with_status("SUCCEEDED") == [thing_arn("t5")]
    assert with_status("FAILED") == []


def test_list_job_executions_for_unknown_job_is_404(iot):
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.list_job_executions_for_job(jobId="ghost")


LISTS = {
    "list_things": ({}, "things"),
    "list_things_in_thing_group": ({"thingGroupName": "g"}, "things"),
    "list_jobs": ({}, "jobs"),
    "list_job_executions_for_job": ({"jobId": "job1"}, "executionSummaries"),
    "list_job_executions_for_thing": ({"thingName": "t"}, "executionSummaries"),
}


@pytest.mark.parametrize("operation", sorted(LISTS))
def test_list_max_results_is_1_to_250(service, iot, operation):
    make_job(iot, "job1", "t")
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    kwargs, key = LISTS[operation]
    raw = unvalidated_iot(service)
    for bad in (251, 0):
        with pytest.raises(raw.exceptions.InvalidRequestException) as exc:
            getattr(raw, operation)(maxResults=bad, **kwargs)
        assert status_of(exc) == 400
    resp = getattr(iot, operation)(maxResults=250, **kwargs)
    assert len(resp[key]) == 1
    assert "nextToken" not in resp


def test_list_job_executions_for_thing_includes_terminal_and_pages(iot, data):
    make_things(iot, "t")
    for i in range(5):
        iot.create_job(jobId=f"j{i}", targets=[thing_arn("t")], document=DOC)
    data.update_job_execution(thingName="t", jobId="j2", status="SUCCEEDED")
    data.update_job_execution(thingName="t", jobId="j3", status="REJECTED")

    got = pages(
        iot.list_job_executions_for_thing, "executionSummaries", thingName="t", maxResults=2
    )
    assert [len(p) for p in got] == [2, 2, 1]
    flat = {s["jobId"]: s["jobExecutionSummary"] for p in got for s in p}
    assert sum(len(p) for p in got) == 5
    assert sorted(flat) == ["j0", "j1", "j2", "j3", "j4"]
    assert flat["j2"]["status"] == "SUCCEEDED"
    assert flat["j3"]["status"] == "REJECTED"
    assert flat["j0"]["status"] == "QUEUED"
    assert flat["j0"]["executionNumber"] == 1

    succeeded = iot.list_job_executions_for_thing(thingName="t", status="SUCCEEDED")
    assert [s["jobId"] for s in succeeded["executionSummaries"]] == ["j2"]
    queued = iot.list_job_executions_for_thing(thingName="t", status="QUEUED")
    assert sorted(s["jobId"] for s in queued["executionSummaries"]) == ["j0", "j1", "j4"]


# --- CreateJob ---------------------------------------------------------------------------------


def test_create_job_returns_arn_and_id(iot):
    make_things(iot, "t")
    resp = iot.create_job(
        jobId="job-1", targets=[thing_arn("t")], document=DOC, description="first job"
    )
    assert resp["jobId"] == "job-1"
    assert resp["jobArn"] == job_arn("job-1")
    assert resp["description"] == "first job"


def test_create_job_queues_one_execution_per_thing_and_group_member(iot, data):
    make_things(iot, "solo", "m1", "m2", "other")
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="m1")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="m2")
    iot.create_job(jobId="job1", targets=[thing_arn("solo"), group_arn("g")], document=DOC)
    for name in ("solo", "m1", "m2"):
        pending = data.get_pending_job_executions(thingName=name)
        assert [s["jobId"] for s in pending["queuedJobs"]] == ["job1"]
    assert data.get_pending_job_executions(thingName="other")["queuedJobs"] == []
    details = process_details(iot, "job1")
    assert details["numberOfQueuedThings"] == 3


def test_create_job_duplicate_id_is_409(iot):
    make_job(iot, "job1", "t")
    with pytest.raises(iot.exceptions.ResourceAlreadyExistsException) as exc:
        iot.create_job(jobId="job1", targets=[thing_arn("t")], document=DOC)
    assert status_of(exc) == 409
    assert exc.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"


def test_create_job_unknown_target_is_404_and_creates_nothing(iot, data):
    make_things(iot, "real")
    with pytest.raises(iot.exceptions.ResourceNotFoundException) as exc:
        iot.create_job(jobId="job1", targets=[thing_arn("real"), thing_arn("ghost")], document=DOC)
    assert status_of(exc) == 404
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job(jobId="job1")
    assert data.get_pending_job_executions(thingName="real")["queuedJobs"] == []
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.create_job(jobId="job2", targets=[group_arn("nogroup")], document=DOC)


def test_create_job_accepts_100_targets_rejects_101(service, iot):
    for i in range(101):
        service.backend.create_thing(f"t{i:03d}")
    arns = [thing_arn(f"t{i:03d}") for i in range(101)]
    with pytest.raises(iot.exceptions.InvalidRequestException) as exc:
        iot.create_job(jobId="too-many", targets=arns, document=DOC)
    assert status_of(exc) == 400
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job(jobId="too-many")
    iot.create_job(jobId="hundred", targets=arns[:100], document=DOC)
    assert process_details(iot, "hundred")["numberOfQueuedThings"] == 100


def test_create_job_with_no_targets_is_400(service):
    raw = unvalidated_iot(service)
    with pytest.raises(raw.exceptions.InvalidRequestException) as exc:
        raw.create_job(jobId="empty", targets=[], document=DOC)
    assert status_of(exc) == 400


def test_create_job_document_size_limit_is_32768(iot):
    make_things(iot, "t")
    prefix, suffix = '{"pad":"', '"}'
    at_limit = prefix + "x" * (32768 - len(prefix) - len(suffix)) + suffix
    assert len(at_limit) == 32768
    iot.create_job(jobId="big", targets=[thing_arn("t")], document=at_limit)
    assert iot.get_job_document(jobId="big")["document"] == at_limit
    over = prefix + "x" * (32769 - len(prefix) - len(suffix)) + suffix
    with pytest.raises(iot.exceptions.InvalidRequestException) as exc:
        iot.create_job(jobId="too-big", targets=[thing_arn("t")], document=over)
    assert status_of(exc) == 400


@pytest.mark.parametrize("document", ["not json", '{"a": 1', "{'single': 'quotes'}", ""])
def test_create_job_document_must_be_valid_json(service, iot, document):
    make_things(iot, "t")
    raw = unvalidated_iot(service)
    with pytest.raises(raw.exceptions.InvalidRequestException) as exc:
        raw.create_job(jobId="bad-doc", targets=[thing_arn("t")], document=document)
    assert status_of(exc) == 400
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job(jobId="bad-doc")


@pytest.mark.parametrize("job_id", ["has.dot", "has space", "x" * 65])
def test_create_job_rejects_bad_job_id(iot, job_id):
    make_things(iot, "t")
    with pytest.raises(iot.exceptions.InvalidRequestException) as exc:
        iot.create_job(jobId=job_id, targets=[thing_arn("t")], document=DOC)
    assert status_of(exc) == 400


def test_create_job_rejects_bad_target_selection(service, iot):
    make_things(iot, "t")
    raw = unvalidated_iot(service)
    with pytest.raises(raw.exceptions.InvalidRequestException):
        raw.create_job(
            jobId="j", targets=[thing_arn("t")], document=DOC, targetSelection="SOMETIMES"
        )


def _abort(**change: Any) -> dict[str, Any]:
    criteria = {
        "failureType": "FAILED",
        "action": "CANCEL",
        "thresholdPercentage": 50.0,
        "minNumberOfExecutedThings": 1,
    }
    return {"abortConfig": {"criteriaList": [{**criteria, **change}]}}


def _retry(failure_type: str = "FAILED", retries: int = 1, count: int = 1) -> dict[str, Any]:
    criteria = {"failureType": failure_type, "numberOfRetries": retries}
    return {"jobExecutionsRetryConfig": {"criteriaList": [criteria] * count}}


@pytest.mark.parametrize(
    "config",
    [
        {"jobExecutionsRolloutConfig": {"maximumPerMinute": 0}},
        {"jobExecutionsRolloutConfig": {"maximumPerMinute": 1001}},
        {"timeoutConfig": {"inProgressTimeoutInMinutes": 0}},
        {"timeoutConfig": {"inProgressTimeoutInMinutes": 10081}},
        _retry(retries=11),
        _retry(count=3),
        _retry(failure_type="REJECTED"),
        _abort(thresholdPercentage=100.5),
        _abort(minNumberOfExecutedThings=0),
        _abort(action="STOP"),
        _abort(failureType="SOMETIMES"),
        {"abortConfig": {"criteriaList": []}},
    ],
    ids=lambda c: json.dumps(c, separators=(",", ":"))[:60],
)
def test_create_job_rejects_configs_out_of_range(service, iot, config):
    make_things(iot, "t")
    raw = unvalidated_iot(service)
    with pytest.raises(raw.exceptions.InvalidRequestException) as exc:
        raw.create_job(jobId="cfg", targets=[thing_arn("t")], document=DOC, **config)
    assert status_of(exc) == 400
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job(jobId="cfg")


@pytest.mark.parametrize(
    "config",
    [
        {"jobExecutionsRolloutConfig": {"maximumPerMinute": 1}},
        {"jobExecutionsRolloutConfig": {"maximumPerMinute": 1000}},
        {"timeoutConfig": {"inProgressTimeoutInMinutes": 1}},
        {"timeoutConfig": {"inProgressTimeoutInMinutes": 10080}},
        _retry(retries=10),
        _retry(failure_type="ALL", retries=0),
        _abort(thresholdPercentage=100.0),
        _abort(failureType="ALL"),
    ],
    ids=lambda c: json.dumps(c, separators=(",", ":"))[:60],
)
def test_create_job_accepts_configs_at_their_limits(iot, config):
    make_things(iot, "t")
    iot.create_job(jobId="cfg", targets=[thing_arn("t")], document=DOC, **config)
    assert iot.describe_job(jobId="cfg")["job"]["status"] == "IN_PROGRESS"


# --- DescribeJob, GetJobDocument ---------------------------------------------------------------


def test_describe_job_has_all_eight_counters_zero_filled(iot):
    make_job(iot, "job1", "a", "b", "c")
    job = iot.describe_job(jobId="job1")["job"]
    assert job["jobId"] == "job1"
    assert job["jobArn"] == job_arn("job1")
    assert job["status"] == "IN_PROGRESS"
    assert job["targetSelection"] == "SNAPSHOT"
    assert sorted(job["targets"]) == sorted(thing_arn(n) for n in "abc")
    assert job["createdAt"].timestamp() == START
    details = job["jobProcessDetails"]
    assert {k: details[k] for k in COUNTERS} == {
        **dict.fromkeys(COUNTERS, 0),
        "numberOfQueuedThings": 3,
    }


def test_describe_job_counters_follow_execution_statuses(iot, data):
    make_job(iot, "job1", "a", "b", "c", "d", "e")
    data.update_job_execution(thingName="a", jobId="job1", status="IN_PROGRESS")
    data.update_job_execution(thingName="b", jobId="job1", status="SUCCEEDED")
    data.update_job_execution(thingName="c", jobId="job1", status="FAILED")
    data.update_job_execution(thingName="d", jobId="job1", status="REJECTED")
    details = process_details(iot, "job1")
    assert {k: details[k] for k in COUNTERS} == {
        "numberOfCanceledThings": 0,
        "numberOfSucceededThings": 1,
        "numberOfFailedThings": 1,
        "numberOfRejectedThings": 1,
        "numberOfQueuedThings": 1,
        "numberOfInProgressThings": 1,
        "numberOfRemovedThings": 0,
        "numberOfTimedOutThings": 0,
    }
    iot.cancel_job_execution(thingName="e", jobId="job1")
    details = process_details(iot, "job1")
    assert details["numberOfCanceledThings"] == 1
    assert details["numberOfQueuedThings"] == 0


def test_describe_unknown_job_is_404(iot):
    with pytest.raises(iot.exceptions.ResourceNotFoundException) as exc:
        iot.describe_job(jobId="ghost")
    assert status_of(exc) == 404
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.get_job_document(jobId="ghost")


def test_get_job_document_returns_exact_string(iot):
    document = '{"op": "install", "url": "https://example.com/fw.bin", "n": [1, 2.5, null]}'
    make_things(iot, "t")
    iot.create_job(jobId="job1", targets=[thing_arn("t")], document=document)
    assert iot.get_job_document(jobId="job1")["document"] == document


def test_describe_job_reports_configs(iot):
    make_things(iot, "t")
    iot.create_job(
        jobId="job1",
        targets=[thing_arn("t")],
        document=DOC,
        targetSelection="CONTINUOUS",
        timeoutConfig={"inProgressTimeoutInMinutes": 30},
        jobExecutionsRolloutConfig={"maximumPerMinute": 10},
    )
    job = iot.describe_job(jobId="job1")["job"]
    assert job["targetSelection"] == "CONTINUOUS"
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 30}
    assert job["jobExecutionsRolloutConfig"]["maximumPerMinute"] == 10


# --- control-plane DescribeJobExecution --------------------------------------------------------


def test_control_describe_job_execution_shape(iot, data, service):
    make_job(iot, "job1", "t")
    queued = execution(iot, "t", "job1")
    assert queued["jobId"] == "job1"
    assert queued["thingArn"] == thing_arn("t")
    assert queued["status"] == "QUEUED"
    assert queued["forceCanceled"] is False
    assert queued["executionNumber"] == 1
    assert queued["versionNumber"] == 1
    assert queued["queuedAt"].timestamp() == START
    assert queued["lastUpdatedAt"].timestamp() == START
    assert "startedAt" not in queued
    assert "jobDocument" not in queued
    assert "thingName" not in queued

    service.advance(90)
    data.update_job_execution(
        thingName="t", jobId="job1", status="IN_PROGRESS", statusDetails={"step": "download"}
    )
    started = execution(iot, "t", "job1")
    assert started["status"] == "IN_PROGRESS"
    assert started["statusDetails"] == {"detailsMap": {"step": "download"}}
    assert started["versionNumber"] == 2
    assert started["queuedAt"].timestamp() == START
    assert started["startedAt"].timestamp() == START + 90
    assert started["lastUpdatedAt"].timestamp() == START + 90
    by_number = execution(iot, "t", "job1", executionNumber=1)
    assert by_number["status"] == "IN_PROGRESS"


def test_control_describe_job_execution_unknown_is_404(iot):
    make_job(iot, "job1", "t")
    make_things(iot, "other")
    for thing, job_id, kwargs in [
        ("t", "ghost", {}),
        ("ghost", "job1", {}),
        ("other", "job1", {}),
        ("t", "job1", {"executionNumber": 2}),
    ]:
        with pytest.raises(iot.exceptions.ResourceNotFoundException):
            iot.describe_job_execution(thingName=thing, jobId=job_id, **kwargs)


# --- CancelJob ---------------------------------------------------------------------------------


def _three_state_job(iot: Any, data: Any) -> None:
    make_job(iot, "job1", "running", "waiting", "done")
    data.update_job_execution(thingName="running", jobId="job1", status="IN_PROGRESS")
    data.update_job_execution(thingName="done", jobId="job1", status="SUCCEEDED")


def test_cancel_job_without_force_cancels_only_queued(iot, data):
    _three_state_job(iot, data)
    resp = iot.cancel_job(jobId="job1", comment="stop it")
    assert resp["jobId"] == "job1"
    assert resp["jobArn"] == job_arn("job1")
    job = iot.describe_job(jobId="job1")["job"]
    assert job["status"] == "CANCELED"
    assert job["forceCanceled"] is False
    assert execution(iot, "waiting", "job1")["status"] == "CANCELED"
    assert execution(iot, "running", "job1")["status"] == "IN_PROGRESS"
    assert execution(iot, "done", "job1")["status"] == "SUCCEEDED"
    details = job["jobProcessDetails"]
    assert details["numberOfCanceledThings"] == 1
    assert details["numberOfInProgressThings"] == 1
    assert details["numberOfSucceededThings"] == 1
    assert details["numberOfQueuedThings"] == 0
    # The device may still finish what it had started.
    data.update_job_execution(thingName="running", jobId="job1", status="SUCCEEDED")
    assert execution(iot, "running", "job1")["status"] == "SUCCEEDED"


def test_cancel_job_with_force_cancels_in_progress_too(iot, data):
    _three_state_job(iot, data)
    iot.cancel_job(jobId="job1", force=True)
    job = iot.describe_job(jobId="job1")["job"]
    assert job["status"] == "CANCELED"
    assert job["forceCanceled"] is True
    running = execution(iot, "running", "job1")
    assert running["status"] == "CANCELED"
    assert running["forceCanceled"] is True
    assert running["versionNumber"] == 3
    assert execution(iot, "waiting", "job1")["status"] == "CANCELED"
    assert execution(iot, "done", "job1")["status"] == "SUCCEEDED"
    pending = data.get_pending_job_executions(thingName="running")
    assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])
    with pytest.raises(data.exceptions.InvalidStateTransitionException):
        data.update_job_execution(thingName="running", jobId="job1", status="SUCCEEDED")


def test_cancel_unknown_job_is_404(iot):
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.cancel_job(jobId="ghost")


# --- CancelJobExecution ------------------------------------------------------------------------


def test_cancel_job_execution_queued(iot, data):
    make_job(iot, "job1", "t", "u")
    iot.cancel_job_execution(thingName="t", jobId="job1", statusDetails={"by": "operator"})
    ex = execution(iot, "t", "job1")
    assert ex["status"] == "CANCELED"
    assert ex["statusDetails"] == {"detailsMap": {"by": "operator"}}
    assert ex["versionNumber"] == 2
    assert ex["forceCanceled"] is False
    assert data.get_pending_job_executions(thingName="t")["queuedJobs"] == []
    assert execution(iot, "u", "job1")["status"] == "QUEUED"


def test_cancel_job_execution_in_progress_needs_force(iot, data):
    make_job(iot, "job1", "t")
    data.update_job_execution(thingName="t", jobId="job1", status="IN_PROGRESS")
    with pytest.raises(iot.exceptions.InvalidStateTransitionException) as exc:
        iot.cancel_job_execution(thingName="t", jobId="job1")
    assert status_of(exc) == 409
    assert execution(iot, "t", "job1")["status"] == "IN_PROGRESS"
    iot.cancel_job_execution(thingName="t", jobId="job1", force=True)
    ex = execution(iot, "t", "job1")
    assert ex["status"] == "CANCELED"
    assert ex["forceCanceled"] is True
    assert ex["versionNumber"] == 3


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
@pytest.mark.parametrize("force", [False, True])
def test_cancel_job_execution_terminal_is_409(iot, data, final, force):
    make_job(iot, "job1", "t")
    data.update_job_execution(thingName="t", jobId="job1", status=final)
    with pytest.raises(iot.exceptions.InvalidStateTransitionException) as exc:
        iot.cancel_job_execution(thingName="t", jobId="job1", force=force)
    assert status_of(exc) == 409
    assert execution(iot, "t", "job1")["status"] == final


def test_cancel_job_execution_expected_version(iot):
    make_job(iot, "job1", "t")
    with pytest.raises(iot.exceptions.VersionConflictException) as exc:
        iot.cancel_job_execution(thingName="t", jobId="job1", expectedVersion=7)
    assert status_of(exc) == 409
    assert exc.value.response["Error"]["Code"] == "VersionConflictException"
    assert execution(iot, "t", "job1")["status"] == "QUEUED"
    iot.cancel_job_execution(thingName="t", jobId="job1", expectedVersion=1)
    assert execution(iot, "t", "job1")["status"] == "CANCELED"


def test_cancel_job_execution_unknown_is_404(iot):
    make_job(iot, "job1", "t")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.cancel_job_execution(thingName="t", jobId="ghost")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.cancel_job_execution(thingName="ghost", jobId="job1")


def test_snapshot_job_completes_when_last_execution_canceled(iot, data):
    make_job(iot, "job1", "a", "b")
    data.update_job_execution(thingName="a", jobId="job1", status="SUCCEEDED")
    assert iot.describe_job(jobId="job1")["job"]["status"] == "IN_PROGRESS"
    iot.cancel_job_execution(thingName="b", jobId="job1")
    assert iot.describe_job(jobId="job1")["job"]["status"] == "COMPLETED"


# --- DeleteJobExecution ------------------------------------------------------------------------


def test_delete_queued_execution_without_force(iot, data):
    make_job(iot, "job1", "t", "u")
    iot.delete_job_execution(thingName="t", jobId="job1", executionNumber=1)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job_execution(thingName="t", jobId="job1")
    assert data.get_pending_job_executions(thingName="t")["queuedJobs"] == []
    assert execution(iot, "u", "job1")["status"] == "QUEUED"
    summaries = iot.list_job_executions_for_job(jobId="job1")["executionSummaries"]
    assert [s["thingArn"] for s in summaries] == [thing_arn("u")]


def test_delete_terminal_execution_without_force(iot, data):
    make_job(iot, "job1", "t")
    data.update_job_execution(thingName="t", jobId="job1", status="FAILED")
    iot.delete_job_execution(thingName="t", jobId="job1", executionNumber=1)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job_execution(thingName="t", jobId="job1")
    assert iot.list_job_executions_for_thing(thingName="t")["executionSummaries"] == []


def test_delete_in_progress_execution_needs_force(iot, data):
    make_job(iot, "job1", "t")
    data.update_job_execution(thingName="t", jobId="job1", status="IN_PROGRESS")
    with pytest.raises(iot.exceptions.InvalidStateTransitionException) as exc:
        iot.delete_job_execution(thingName="t", jobId="job1", executionNumber=1)
    assert status_of(exc) == 409
    assert execution(iot, "t", "job1")["status"] == "IN_PROGRESS"
    iot.delete_job_execution(thingName="t", jobId="job1", executionNumber=1, force=True)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job_execution(thingName="t", jobId="job1")
    assert data.get_pending_job_executions(thingName="t")["inProgressJobs"] == []


def test_delete_unknown_execution_number_is_404(iot):
    make_job(iot, "job1", "t")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.delete_job_execution(thingName="t", jobId="job1", executionNumber=2)
    assert execution(iot, "t", "job1")["status"] == "QUEUED"


# --- DeleteJob ---------------------------------------------------------------------------------


def _assert_job_gone(iot: Any, job_id: str) -> None:
    try:
        job = iot.describe_job(jobId=job_id)["job"]
    except iot.exceptions.ResourceNotFoundException:
        return
    assert job["status"] == "DELETION_IN_PROGRESS"


def test_delete_in_progress_job_needs_force(iot, data):
    make_job(iot, "job1", "t")
    with pytest.raises(iot.exceptions.InvalidStateTransitionException) as exc:
        iot.delete_job(jobId="job1")
    assert status_of(exc) == 409
    assert iot.describe_job(jobId="job1")["job"]["status"] == "IN_PROGRESS"
    iot.delete_job(jobId="job1", force=True)
    _assert_job_gone(iot, "job1")
    assert data.get_pending_job_executions(thingName="t")["queuedJobs"] == []


def test_delete_completed_and_canceled_jobs_without_force(iot, data):
    make_job(iot, "done", "t")
    data.update_job_execution(thingName="t", jobId="done", status="SUCCEEDED")
    assert iot.describe_job(jobId="done")["job"]["status"] == "COMPLETED"
    iot.delete_job(jobId="done")
    _assert_job_gone(iot, "done")

    iot.create_job(jobId="stopped", targets=[thing_arn("t")], document=DOC)
    iot.cancel_job(jobId="stopped")
    iot.delete_job(jobId="stopped")
    _assert_job_gone(iot, "stopped")


def test_delete_unknown_job_is_404(iot):
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.delete_job(jobId="ghost")


# --- DescribeEndpoint --------------------------------------------------------------------------


def test_describe_endpoint_returns_own_address_usable_by_data_client(iot, service):
    address = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    assert address in (service.url, service.url.removeprefix("http://"))
    url = address if address.startswith("http") else f"http://{address}"
    make_job(iot, "job1", "t")
    data = boto3.client(
        "iot-jobs-data", endpoint_url=url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
    )
    pending = data.get_pending_job_executions(thingName="t")
    assert [s["jobId"] for s in pending["queuedJobs"]] == ["job1"]
    started = data.start_next_pending_job_execution(thingName="t")["execution"]
    assert started["jobId"] == "job1"
    assert json.loads(started["jobDocument"]) == json.loads(DOC)
