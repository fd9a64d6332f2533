"""The sandbox fleet, observed only from outside: real boto3 clients against its service."""

from __future__ import annotations

import gc
import inspect
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

import jobsnb
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import STATUSES
from jobsnb.service import LocalJobsService, ManualClock
from jobsnb.simulation.config import FleetConfig
from jobsnb.simulation.devices import IDLE
from jobsnb.simulation.plan import plan_fleet
from jobsnb.simulation.scheduler import Fleet, fewer_collections
from tests.helpers import CREDENTIALS, GROUP_ARN, NO_RETRIES, REBOOT, REGION, START, THING_ARN


def control(sb: Any) -> Any:
    return boto3.client(
        "iot", endpoint_url=sb.url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
    )


def job_ids(sb: Any) -> list[str]:
    pages = control(sb).get_paginator("list_jobs").paginate()
    return [job["jobId"] for page in pages for job in page["jobs"]]


def snapshot(sb: Any) -> dict[str, Any]:
    """Everything an operator can see: things, jobs, and every execution with its details."""
    iot = control(sb)
    things = {
        t["thingName"]: t["attributes"]
        for page in iot.get_paginator("list_things").paginate()
        for t in page["things"]
    }
    jobs: dict[str, Any] = {}
    for page in iot.get_paginator("list_jobs").paginate():
        for job in page["jobs"]:
            job_id = job["jobId"]
            described = iot.describe_job(jobId=job_id)["job"]
            rows = []
            pages = iot.get_paginator("list_job_executions_for_job").paginate(jobId=job_id)
            for listed in pages:
                for summary in listed["executionSummaries"]:
                    thing = summary["thingArn"].rsplit("/", 1)[1]
                    execution = iot.describe_job_execution(jobId=job_id, thingName=thing)
                    execution = execution["execution"]
                    rows.append(
                        (
                            thing,
                            execution["status"],
                            execution["executionNumber"],
                            execution["versionNumber"],
                            execution["statusDetails"].get("detailsMap", {}),
                            str(execution["queuedAt"]),
                            str(execution["lastUpdatedAt"]),
                        )
                    )
            jobs[job_id] = (described["status"], described["jobProcessDetails"], sorted(rows))
    return {"things": things, "jobs": jobs}


def statuses(sb: Any) -> set[str]:
    iot = control(sb)
    seen = set()
    for job_id in job_ids(sb):
        for status in STATUSES:
            listed = iot.list_job_executions_for_job(jobId=job_id, status=status, maxResults=1)
            if listed["executionSummaries"]:
                seen.add(status)
    return seen


@pytest.fixture(scope="module")
def fleet() -> Iterator[Any]:
    """A 200-thing sandbox, 40 minutes in (mid-rollout), shared by the read-only tests."""
    with jobsnb.sandbox(things=200, seed=11, warm_up="40min") as sb:
        yield sb


def test_sandbox_is_connectable(fleet: Any) -> None:
    assert isinstance(fleet, jobsnb.Sandbox)
    assert fleet.url == fleet.endpoint_url
    assert fleet.url.startswith("http://127.0.0.1:")
    client = jobsnb.connect(fleet)
    pending = client.pending(fleet.things[:20], progress=False)
    assert set(pending["thing_name"]) <= set(fleet.things[:20])
    assert len(fleet.things) >= 200
    assert {"region-us-east-1", "model-gw200", "quarantine"} <= set(fleet.groups)
    member = fleet.groups["model-gw200"][0]
    attributes = control(fleet).describe_thing(thingName=member)["attributes"]
    assert attributes["model"] == "gw200"
    assert set(attributes) == {"model", "region", "firmware_version"}
    assert {job.operation for job in fleet.jobs} == {
        "firmware_update",
        "rotate_certificate",
        "reboot",
        "apply_config",
    }
    assert {job.target_selection for job in fleet.jobs} == {"SNAPSHOT", "CONTINUOUS"}
    text = repr(fleet)
    assert fleet.url in text
    assert "seed=11" in text


def test_mid_rollout_then_every_status_and_retries(fleet: Any) -> None:
    assert {"QUEUED", "IN_PROGRESS", "SUCCEEDED"} <= statuses(fleet)
    ages = {
        job["jobId"]: job["createdAt"] for job in control(fleet).list_jobs()["jobs"]
    }  # jobs launched at different times: queues of different ages
    assert len(set(ages.values())) >= 3

    fleet.advance("6h")

    assert statuses(fleet) >= set(STATUSES) - {"QUEUED", "IN_PROGRESS"}
    iot = control(fleet)
    retried = [
        (summary["thingArn"].rsplit("/", 1)[1], job_id)
        for job_id in job_ids(fleet)
        for summary in iot.list_job_executions_for_job(jobId=job_id, maxResults=250)[
            "executionSummaries"
        ]
        if summary["jobExecutionSummary"].get("retryAttempt", 0) >= 1
    ]
    assert retried
    thing, job_id = retried[0]
    second = iot.describe_job_execution(thingName=thing, jobId=job_id, executionNumber=2)
    assert second["execution"]["executionNumber"] == 2
    first = iot.describe_job_execution(thingName=thing, jobId=job_id, executionNumber=1)
    assert first["execution"]["status"] in ("FAILED", "TIMED_OUT")
    details = [
        iot.describe_job_execution(thingName=name, jobId="cert-rotation-2024")["execution"]
        for name in fleet.groups["region-us-east-1"][:10]
    ]
    assert any("progress" in d["statusDetails"]["detailsMap"] for d in details)
    assert any("firmware_version" in d["statusDetails"]["detailsMap"] for d in details)


def test_agent_traffic_goes_through_http(fleet: Any) -> None:
    counts = fleet.service.request_counts
    calls = fleet.fleet.calls
    assert counts["StartNextPendingJobExecution"] == calls["StartNextPendingJobExecution"] > 0
    assert counts["UpdateJobExecution"] == calls["UpdateJobExecution"] > 0
    totals = fleet.status_counts()
    device_set = totals.get("SUCCEEDED", 0) + totals.get("FAILED", 0) + totals.get("REJECTED", 0)
    # One final update per device-set outcome, and at most one progress update besides.
    assert device_set <= counts["UpdateJobExecution"] <= 2 * sum(totals.values())
    started = sum(totals.get(s, 0) for s in STATUSES if s not in ("QUEUED", "CANCELED"))
    assert counts["StartNextPendingJobExecution"] >= started - totals.get("REMOVED", 0)
    # Things are bulk-loaded through the backend; the operator's jobs go over HTTP.
    assert counts.get("CreateThing", 0) == 0
    assert counts["CreateJob"] == len(fleet.fleet.plan.jobs)


def test_same_seed_same_history_whatever_the_steps() -> None:
    with jobsnb.sandbox(things=60, seed=5, warm_up=0) as one:
        one.advance("3h")
        first = snapshot(one)
    with jobsnb.sandbox(things=60, seed=5, warm_up="1h") as two:
        for _ in range(8):
            two.advance("15min")
        second = snapshot(two)
    with jobsnb.sandbox(things=60, seed=6, warm_up="3h") as other:
        third = snapshot(other)
    assert first == second
    assert len(first["jobs"]) == 7
    assert first["things"] != third["things"]
    assert first["jobs"] != third["jobs"]


def test_live_run_moves_the_clock_and_the_fleet() -> None:
    with jobsnb.sandbox(things=60, seed=3, warm_up=0) as sb:
        before, counts = sb.now, sb.status_counts()
        sb.run(speed=3600)
        assert sb.running
        deadline = time.monotonic() + 20
        while sb.status_counts() == counts and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        sb.stop()
        assert not sb.running
        assert (sb.now - before).total_seconds() >= 60
        assert sb.status_counts() != counts
        stopped = sb.now
        time.sleep(0.3)
        assert sb.now == stopped


def test_close_stops_the_service() -> None:
    sb = jobsnb.sandbox(things=5, seed=1, warm_up=0)
    iot = control(sb)
    assert iot.list_things()["things"]
    sb.close()
    with pytest.raises(EndpointConnectionError):
        iot.list_things()
    assert "closed" in repr(sb)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"things": 0}, "things"),
        ({"things": 100_001}, "things"),
        ({"things": 2.5}, "things"),
        ({"seed": "abc"}, "seed"),
        ({"warm_up": "soon"}, "warm_up"),
        ({"warm_up": -5}, "warm_up"),
        ({"start": "yesterday"}, "start"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        jobsnb.sandbox(**{"things": 5, **kwargs})
    assert raised.value.field == field


@pytest.mark.parametrize(("speed", "field"), [(-1.0, "speed"), (0.0, "speed")])
def test_bad_speed_and_duration(fleet: Any, speed: float, field: str) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        fleet.run(speed=speed)
    assert raised.value.field == field
    with pytest.raises(InvalidParameterError) as raised:
        fleet.advance("2 fortnights")
    assert raised.value.field == "duration"
    assert not fleet.running


def test_devices_ride_out_throttling_and_faults() -> None:
    with jobsnb.sandbox(things=30, seed=1, warm_up="3h", fault_rate=0.2) as sb:
        counts = sb.status_counts()
        refusals = dict(sb.fleet.refusals)
    assert refusals.get("ServiceUnavailableException", 0) > 0  # the faults happened
    assert counts.get("SUCCEEDED", 0) > 0  # and the rollout went on


def test_jobsnb_sandbox_stays_the_function_once_its_module_is_imported() -> None:
    import jobsnb.simulation.sandbox as module

    assert inspect.isfunction(jobsnb.sandbox)
    assert jobsnb.sandbox is module.sandbox
    assert jobsnb.Sandbox is module.Sandbox
    with jobsnb.sandbox(things=3, seed=1, warm_up=0) as sb:
        assert isinstance(sb, module.Sandbox)
        assert len(control(sb).list_things()["things"]) == 3
    # A fresh interpreter, the module imported before `jobsnb.sandbox` is ever looked up.
    code = (
        "import inspect, jobsnb.simulation.sandbox, jobsnb\n"
        "assert inspect.isfunction(jobsnb.sandbox), jobsnb.sandbox\n"
        "with jobsnb.sandbox(things=2, seed=1, warm_up=0) as sb:\n"
        "    print(type(sb).__module__, len(sb.things))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["jobsnb.simulation.sandbox", "2"]


def test_a_thing_back_in_a_continuous_jobs_group_is_woken_for_its_new_execution() -> None:
    quiet = FleetConfig(enroll_share=0, regroup_share=0)
    with jobsnb.sandbox(things=3, seed=2, config=quiet, warm_up=0) as sb:
        sb.advance_until_settled()
        name = sb.things[0]
        iot = control(sb)
        iot.create_thing_group(thingGroupName="lab")
        iot.add_thing_to_thing_group(thingGroupName="lab", thingName=name)
        iot.create_job(
            jobId="lab-reboot",
            targets=[GROUP_ARN.format("lab")],
            document=json.dumps(REBOOT),
            targetSelection="CONTINUOUS",
        )
        iot.remove_thing_from_thing_group(thingGroupName="lab", thingName=name)
        sb.advance("10min")
        first = iot.describe_job_execution(jobId="lab-reboot", thingName=name, executionNumber=1)
        assert first["execution"]["status"] == "REMOVED"
        assert sb.fleet.agents[name].state == IDLE  # nothing scheduled: only a notice wakes it

        iot.add_thing_to_thing_group(thingGroupName="lab", thingName=name)  # execution 2
        sb.advance("1h")

        second = iot.describe_job_execution(jobId="lab-reboot", thingName=name, executionNumber=2)
        assert second["execution"]["status"] != "QUEUED"
        assert "startedAt" in second["execution"]


def test_a_device_asks_for_work_queued_before_the_fleet_started() -> None:
    plan = plan_fleet(8, seed=1, config=FleetConfig(enroll_share=0, regroup_share=0))
    # A device that no planned job reaches in the first minute (the first job is for one model).
    device = next(d for d in plan.devices if f"model-{d.model}" not in plan.jobs[0].target_groups)
    with LocalJobsService(clock=ManualClock(START), mqtt=True, mqtt_tls_port=None) as service:
        iot = boto3.client(
            "iot", endpoint_url=service.url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
        )
        iot.create_thing(thingName=device.name, attributePayload={"attributes": device.attributes})
        iot.create_job(
            jobId="early", targets=[THING_ARN.format(device.name)], document=json.dumps(REBOOT)
        )
        fleet = Fleet(service, plan)
        try:
            fleet.populate()
            fleet.advance(100)  # the CONTINUOUS job comes at 120 s
        finally:
            fleet.close()
        execution = iot.describe_job_execution(jobId="early", thingName=device.name)
        assert execution["execution"]["status"] != "QUEUED"
        assert "startedAt" in execution["execution"]


def test_a_sandbox_has_exactly_the_things_asked_for_and_says_when_more_enrol() -> None:
    with jobsnb.sandbox(things=300, seed=0) as sb:  # the quick start's fleet, 45 minutes in
        assert len(sb.things) == len(jobsnb.connect(sb).things()) == 300
        assert sb.to_enrol == 9
        assert "300 things (9 more to enrol from 60 min on)" in repr(sb)
        sb.advance("1h")
        assert len(sb.things) == 309
        assert sb.to_enrol == 0
        assert "300 things + 9 enrolled later," in repr(sb)
    quiet = FleetConfig(enroll_share=0)
    with jobsnb.sandbox(things=20, seed=0, config=quiet, warm_up="3h") as sb:
        assert len(sb.things) == 20
        assert "20 things," in repr(sb)
        assert f"(MQTT mqtt://127.0.0.1:{sb.service.mqtt.port})" in repr(sb)


def test_the_garbage_collector_runs_less_often_only_while_the_fleet_runs() -> None:
    before = gc.get_threshold()
    with jobsnb.sandbox(things=20, seed=3, warm_up=0) as sb:
        assert gc.get_threshold() == before
        sb.advance("30min")
        assert gc.get_threshold() == before
    # Overlapping runs in two threads: the thresholds come back when the last one ends.
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    raised = gc.get_threshold()
    assert raised[0] > before[0]
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == raised
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_the_scheduled_job_waits_then_rolls_out_in_its_maintenance_window() -> None:
    with jobsnb.sandbox(things=60, seed=4, warm_up="40min") as sb:
        iot = control(sb)
        job_id = next(j for j in sb.service.backend.job_ids() if j.startswith("maintenance-"))
        job = iot.describe_job(jobId=job_id)["job"]
        assert job["status"] == "SCHEDULED"
        window = job["schedulingConfig"]["maintenanceWindows"][0]
        opens = datetime.fromisoformat(job["scheduledJobRollouts"][0]["startTime"] + "+00:00")
        assert iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"] == []
        sb.advance("1h")
        job = iot.describe_job(jobId=job_id)["job"]
        assert job["status"] in ("IN_PROGRESS", "COMPLETED")
        summaries = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
        queued = [s["jobExecutionSummary"]["queuedAt"] for s in summaries]
        assert queued, "the window released nothing"
        closes = opens + timedelta(minutes=window["durationInMinutes"])
        assert all(opens <= at < closes for at in queued), (opens, queued)
