"""CreateJob's schedulingConfig: SCHEDULED until startTime, maintenance windows, endBehavior.

boto3 over HTTP against the local service; the ManualClock starts at START
(2023-11-14T22:13:20Z) and only moves when a test moves it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import GROUP_ARN, MINUTE, START, THING_ARN, make_things

HOUR = 60 * MINUTE
DAY = 24 * HOUR


def at(seconds: float) -> str:
    """``seconds`` after the epoch as schedulingConfig takes it, to the second, in UTC."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def create(iot: Any, job_id: str, things: list[str], scheduling: dict[str, Any], **kw: Any) -> None:
    iot.create_job(
        jobId=job_id,
        targets=[THING_ARN.format(name) for name in things],
        document=json.dumps({"operation": "reboot"}),
        schedulingConfig=scheduling,
        **kw,
    )


def job_of(iot: Any, job_id: str) -> dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]  # type: ignore[no-any-return]


def statuses(iot: Any, job_id: str) -> dict[str, str]:
    summaries = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
    return {s["thingArn"].rsplit("/", 1)[1]: s["jobExecutionSummary"]["status"] for s in summaries}


def refusal(iot: Any, scheduling: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        create(iot, "refused", ["t1"], scheduling)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


WINDOW = [{"startTime": "cron(0 2 ? * * *)", "durationInMinutes": 60}]
REFUSED = {
    "start 29 minutes ahead": ({"startTime": at(START + 29 * MINUTE)}, "startTime", "30 minutes"),
    "start in the past": ({"startTime": at(START - HOUR)}, "startTime", "30 minutes"),
    "start after a year": ({"startTime": at(START + 366 * DAY)}, "startTime", "a year"),
    "start with no time": ({"startTime": "2023-11-15"}, "startTime", "YYYY-MM-DDTHH:MM"),
    "start in words": ({"startTime": "tomorrow"}, "startTime", "YYYY-MM-DDTHH:MM"),
    "start on a day that is not": ({"startTime": "2024-02-30T00:00"}, "startTime", "exists"),
    "end 29 minutes after start": (
        {"startTime": at(START + HOUR), "endTime": at(START + HOUR + 29 * MINUTE)},
        "endTime",
        "30 minutes after startTime",
    ),
    "end without start too soon": ({"endTime": at(START + 10 * MINUTE)}, "endTime", "30 min"),
    "end after two years": ({"endTime": at(START + 731 * DAY)}, "endTime", "two years"),
    "unknown endBehavior": ({"endBehavior": "PAUSE"}, "endBehavior", "STOP_ROLLOUT, CANCEL"),
    "cron without cron()": (
        {"maintenanceWindows": [{"startTime": "0 2 ? * * *", "durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime",
        "cron(Minutes Hours Day-of-month Month Day-of-week Year)",
    ),
    "cron with five fields": (
        {"maintenanceWindows": [{"startTime": "cron(0 2 * * ?)", "durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime",
        "cron(Minutes",
    ),
    "cron with both days": (
        {"maintenanceWindows": [{"startTime": "cron(0 2 * * * *)", "durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime",
        "exactly one of Day-of-month and Day-of-week must be ?",
    ),
    "cron minute 60": (
        {"maintenanceWindows": [{"startTime": "cron(60 2 ? * * *)", "durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime",
        "not a valid cron expression",
    ),
    "cron weekday 0": (
        {"maintenanceWindows": [{"startTime": "cron(0 2 ? * 0 *)", "durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime",
        "1-7 (1 is Sunday)",
    ),
    "cron year 2200": (
        {"maintenanceWindows": [{"startTime": "cron(0 2 ? * * 2200)", "durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime",
        "1970-2199",
    ),
    "cron only before the start": (
        {"maintenanceWindows": [{"startTime": "cron(0 2 ? * * 2020)", "durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime",
        "never falls due after the job's startTime",
    ),
    "cron never due": (
        {"maintenanceWindows": [{"startTime": "cron(0 2 31 2 ? *)", "durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime",
        "never falls due",
    ),
    "window of 1431 minutes": (
        {
            "maintenanceWindows": [
                *WINDOW,
                {"startTime": "cron(0 3 ? * * *)", "durationInMinutes": 1431},
            ]
        },
        "maintenanceWindows[1].durationInMinutes",
        "from 1 to 1430",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_each_rule_refuses_with_400_naming_the_field(iot: Any, case: str) -> None:
    make_things(iot, ["t1"])
    scheduling, field, rule = REFUSED[case]
    code, message, status = refusal(iot, scheduling)
    assert (code, status) == ("InvalidRequestException", 400)
    assert f"schedulingConfig.{field}" in message, message
    assert rule in message, message
    assert iot.list_jobs()["jobs"] == []


RAW_REFUSED = {
    "start not a string": ({"startTime": 1700003600}, "startTime"),
    "windows not a list": ({"maintenanceWindows": {}}, "maintenanceWindows must be a list"),
    "window without cron": (
        {"maintenanceWindows": [{"durationInMinutes": 30}]},
        "maintenanceWindows[0].startTime is required",
    ),
    "duration not a number": (
        {"maintenanceWindows": [{"startTime": "cron(0 2 ? * * *)", "durationInMinutes": "9"}]},
        "maintenanceWindows[0].durationInMinutes",
    ),
    "window of 0 minutes": (
        {"maintenanceWindows": [{"startTime": "cron(0 2 ? * * *)", "durationInMinutes": 0}]},
        "maintenanceWindows[0].durationInMinutes must be an integer from 1 to 1430",
    ),
    "config not a structure": ([], "schedulingConfig must be a structure"),
}


@pytest.mark.parametrize("case", sorted(RAW_REFUSED))
def test_shapes_boto3_would_not_send_are_refused_too(iot: Any, raw: Any, case: str) -> None:
    make_things(iot, ["t1"])
    scheduling, words = RAW_REFUSED[case]
    body = {"targets": [THING_ARN.format("t1")], "document": "{}", "schedulingConfig": scheduling}
    reply = raw("PUT", "/jobs/raw", json.dumps(body).encode(), control=True)
    assert reply.status == 400
    assert reply.headers["x-amzn-errortype"] == "InvalidRequestException"
    assert words in reply.json()["message"]


def test_the_limits_themselves_are_accepted(iot: Any) -> None:
    make_things(iot, ["t1"])
    create(iot, "earliest", ["t1"], {"startTime": at(START + 30 * MINUTE)})
    create(
        iot,
        "latest",
        ["t1"],
        {"startTime": at(START + 365 * DAY), "endTime": at(START + 730 * DAY)},
    )
    create(
        iot, "minute-form", ["t1"], {"startTime": "2023-11-15T00:00", "endTime": "2023-11-15T00:30"}
    )
    assert [job["status"] for job in iot.list_jobs()["jobs"]] == ["SCHEDULED"] * 3


def test_scheduled_until_start_then_in_progress_at_start_exactly(
    iot: Any, data: Any, clock: ManualClock, service: LocalJobsService
) -> None:
    make_things(iot, ["t1", "t2"])
    start = START + 40 * MINUTE
    scheduling = {"startTime": at(start), "endTime": at(start + HOUR), "endBehavior": "CANCEL"}
    create(iot, "later", ["t1", "t2"], scheduling)
    job = job_of(iot, "later")
    assert job["status"] == "SCHEDULED"
    assert job["schedulingConfig"] == scheduling
    assert "scheduledJobRollouts" not in job  # no maintenance windows
    assert job["jobProcessDetails"]["numberOfQueuedThings"] == 0
    assert service.backend.next_due() == start

    clock.set(start - 1)
    assert job_of(iot, "later")["status"] == "SCHEDULED"
    assert statuses(iot, "later") == {}
    assert data.get_pending_job_executions(thingName="t1")["queuedJobs"] == []
    assert "execution" not in data.start_next_pending_job_execution(thingName="t1")
    assert "execution" not in data.describe_job_execution(thingName="t1", jobId="$next")
    with pytest.raises(data.exceptions.ResourceNotFoundException):
        data.describe_job_execution(thingName="t1", jobId="later")

    clock.set(start)
    job = job_of(iot, "later")
    assert job["status"] == "IN_PROGRESS"
    assert job["lastUpdatedAt"].timestamp() == start
    assert statuses(iot, "later") == {"t1": "QUEUED", "t2": "QUEUED"}
    pending = data.get_pending_job_executions(thingName="t1")["queuedJobs"]
    assert [(p["jobId"], p["queuedAt"]) for p in pending] == [("later", start)]

    clock.set(start + 1)
    execution = data.start_next_pending_job_execution(thingName="t2")["execution"]
    assert (execution["jobId"], execution["startedAt"]) == ("later", start + 1)


def test_list_jobs_filters_on_scheduled(iot: Any) -> None:
    make_things(iot, ["t1"])
    create(iot, "scheduled", ["t1"], {"startTime": at(START + HOUR)})
    iot.create_job(jobId="now", targets=[THING_ARN.format("t1")], document="{}")
    assert [j["jobId"] for j in iot.list_jobs(status="SCHEDULED")["jobs"]] == ["scheduled"]
    assert [j["jobId"] for j in iot.list_jobs(status="IN_PROGRESS")["jobs"]] == ["now"]
    summary = {j["jobId"]: j["status"] for j in iot.list_jobs()["jobs"]}
    assert summary == {"scheduled": "SCHEDULED", "now": "IN_PROGRESS"}


def test_a_rollout_releases_only_inside_a_window(iot: Any, clock: ManualClock) -> None:
    make_things(iot, ["t1", "t2", "t3", "t4"])
    window = [{"startTime": "cron(30 23 ? * * *)", "durationInMinutes": 2}]
    create(
        iot,
        "windowed",
        ["t1", "t2", "t3", "t4"],
        {"startTime": at(START + 40 * MINUTE), "maintenanceWindows": window},
        jobExecutionsRolloutConfig={"maximumPerMinute": 1},
    )
    opens = epoch("2023-11-14T23:30:00")
    clock.set(START + 40 * MINUTE)
    assert job_of(iot, "windowed")["status"] == "IN_PROGRESS"
    clock.set(opens - 1)
    assert statuses(iot, "windowed") == {}
    assert job_of(iot, "windowed")["isConcurrent"] is False  # waiting for its window
    clock.set(opens)
    assert statuses(iot, "windowed") == {"t1": "QUEUED"}
    assert job_of(iot, "windowed")["isConcurrent"] is True
    clock.set(opens + MINUTE)
    assert len(statuses(iot, "windowed")) == 2
    clock.set(opens + 2 * MINUTE)  # the window has closed
    assert len(statuses(iot, "windowed")) == 2
    clock.set(opens + DAY - 1)
    assert len(statuses(iot, "windowed")) == 2
    clock.set(opens + DAY)
    assert len(statuses(iot, "windowed")) == 3
    clock.set(opens + DAY + MINUTE)
    assert statuses(iot, "windowed") == dict.fromkeys(["t1", "t2", "t3", "t4"], "QUEUED")


def test_a_window_across_midnight_keeps_releasing_past_it(iot: Any, clock: ManualClock) -> None:
    make_things(iot, [f"t{i}" for i in range(6)])
    window = [{"startTime": "cron(59 23 ? * * *)", "durationInMinutes": 3}]
    create(
        iot,
        "midnight",
        [f"t{i}" for i in range(6)],
        {"startTime": at(START + 40 * MINUTE), "maintenanceWindows": window},
        jobExecutionsRolloutConfig={"maximumPerMinute": 1},
    )
    opens = epoch("2023-11-14T23:59:00")
    queued_at = []
    clock.set(opens + 10 * MINUTE)
    for summary in iot.list_job_executions_for_job(jobId="midnight")["executionSummaries"]:
        queued_at.append(summary["jobExecutionSummary"]["queuedAt"].timestamp())
    assert queued_at == [opens, opens + MINUTE, opens + 2 * MINUTE]  # 23:59, 00:00, 00:01


def test_without_a_rollout_config_a_window_releases_everything_at_its_start(
    iot: Any, clock: ManualClock
) -> None:
    make_things(iot, ["t1", "t2", "t3"])
    window = [{"startTime": "cron(0 1 ? * * *)", "durationInMinutes": 30}]
    create(
        iot,
        "all",
        ["t1", "t2", "t3"],
        {"startTime": at(START + HOUR), "maintenanceWindows": window},
    )
    opens = epoch("2023-11-15T01:00:00")
    clock.set(opens - 1)
    assert statuses(iot, "all") == {}
    clock.set(opens + 5)
    assert statuses(iot, "all") == dict.fromkeys(["t1", "t2", "t3"], "QUEUED")


def next_weekday_starts(after: float, count: int) -> list[str]:
    """Weekdays at 02:00 UTC from ``after`` on, counted day by day (no cron involved)."""
    day = datetime.fromtimestamp(after, UTC).replace(hour=2, minute=0, second=0)
    found: list[str] = []
    while len(found) < count:
        if day.timestamp() >= after and day.weekday() < 5:
            found.append(day.strftime("%Y-%m-%dT%H:%M"))
        day += timedelta(days=1)
    return found


def test_scheduled_job_rollouts_are_the_next_seven_window_starts(
    iot: Any, clock: ManualClock
) -> None:
    make_things(iot, ["t1"])
    window = [{"startTime": "cron(0 2 ? * MON-FRI *)", "durationInMinutes": 60}]
    start = START + HOUR
    create(iot, "weekdays", ["t1"], {"startTime": at(start), "maintenanceWindows": window})
    rollouts = job_of(iot, "weekdays")["scheduledJobRollouts"]
    assert [r["startTime"] for r in rollouts] == next_weekday_starts(start, 7)
    assert rollouts[0]["startTime"] == "2023-11-15T02:00"
    clock.advance(4 * DAY)
    rollouts = job_of(iot, "weekdays")["scheduledJobRollouts"]
    assert [r["startTime"] for r in rollouts] == next_weekday_starts(clock.now(), 7)


def ending(iot: Any, data: Any, clock: ManualClock, behavior: str) -> None:
    """t1 IN_PROGRESS, t2 QUEUED, t3 never released (its window closed) when endTime comes."""
    make_things(iot, ["t1", "t2", "t3"])
    window = [{"startTime": "cron(0 23 ? * * *)", "durationInMinutes": 2}]
    scheduling = {
        "startTime": "2023-11-14T23:00:00Z",
        "endTime": "2023-11-14T23:30:00Z",
        "endBehavior": behavior,
        "maintenanceWindows": window,
    }
    create(
        iot,
        "ends",
        ["t1", "t2", "t3"],
        scheduling,
        jobExecutionsRolloutConfig={"maximumPerMinute": 1},
    )
    clock.set(epoch("2023-11-14T23:01:00"))
    data.start_next_pending_job_execution(thingName="t1")
    assert statuses(iot, "ends") == {"t1": "IN_PROGRESS", "t2": "QUEUED"}
    clock.set(epoch("2023-11-14T23:30:00"))


def test_stop_rollout_stops_releasing_and_the_job_completes(
    iot: Any, data: Any, clock: ManualClock
) -> None:
    ending(iot, data, clock, "STOP_ROLLOUT")
    assert job_of(iot, "ends")["status"] == "IN_PROGRESS"
    clock.advance(2 * DAY)  # past two more windows: t3 never gets an execution
    assert statuses(iot, "ends") == {"t1": "IN_PROGRESS", "t2": "QUEUED"}
    assert job_of(iot, "ends")["scheduledJobRollouts"] == []
    data.update_job_execution(thingName="t1", jobId="ends", status="SUCCEEDED")
    data.update_job_execution(thingName="t2", jobId="ends", status="SUCCEEDED")
    assert job_of(iot, "ends")["status"] == "COMPLETED"


def test_stop_rollout_completes_a_job_whose_released_executions_are_all_done(
    iot: Any, data: Any, clock: ManualClock
) -> None:
    make_things(iot, ["t1", "t2"])
    window = [{"startTime": "cron(0 23 ? * * *)", "durationInMinutes": 1}]
    scheduling = {
        "startTime": "2023-11-14T23:00:00Z",
        "endTime": "2023-11-14T23:30:00Z",
        "maintenanceWindows": window,  # endBehavior omitted: STOP_ROLLOUT
    }
    create(
        iot, "done", ["t1", "t2"], scheduling, jobExecutionsRolloutConfig={"maximumPerMinute": 1}
    )
    clock.set(epoch("2023-11-14T23:05:00"))
    data.update_job_execution(thingName="t1", jobId="done", status="SUCCEEDED")
    assert job_of(iot, "done")["status"] == "IN_PROGRESS"  # t2 waits for the next window
    clock.set(epoch("2023-11-14T23:30:00"))
    job = job_of(iot, "done")
    assert (job["status"], job["completedAt"].timestamp()) == (
        "COMPLETED",
        epoch("2023-11-14T23:30:00"),
    )
    assert statuses(iot, "done") == {"t1": "SUCCEEDED"}


@pytest.mark.parametrize(
    ("behavior", "t1", "forced"),
    [("CANCEL", "IN_PROGRESS", False), ("FORCE_CANCEL", "CANCELED", True)],
)
def test_cancel_and_force_cancel_at_end_time(
    iot: Any, data: Any, clock: ManualClock, behavior: str, t1: str, forced: bool
) -> None:
    ending(iot, data, clock, behavior)
    job = job_of(iot, "ends")
    assert (job["status"], job["forceCanceled"], job["reasonCode"]) == (
        "CANCELED",
        forced,
        behavior,
    )
    assert "2023-11-14T23:30" in job["comment"]
    assert statuses(iot, "ends") == {"t1": t1, "t2": "CANCELED"}
    clock.advance(2 * DAY)
    assert statuses(iot, "ends") == {"t1": t1, "t2": "CANCELED"}


def test_pending_cap_is_15_when_a_pending_execution_has_a_scheduling_config(
    iot: Any, data: Any
) -> None:
    make_things(iot, ["t1", "t2"])
    for number in range(20):
        iot.create_job(jobId=f"plain-{number}", targets=[THING_ARN.format("t1")], document="{}")
        iot.create_job(jobId=f"also-{number}", targets=[THING_ARN.format("t2")], document="{}")
    pending = data.get_pending_job_executions(thingName="t1")
    assert len(pending["queuedJobs"]) == 10
    # No startTime: the job starts at once, and its schedule is one of t2's pending jobs.
    create(iot, "timed", ["t2"], {"endTime": at(START + DAY)})
    queued = data.get_pending_job_executions(thingName="t2")["queuedJobs"]
    assert len(queued) == 15
    assert [q["jobId"] for q in queued] == [f"also-{n}" for n in range(15)]
    assert len(data.get_pending_job_executions(thingName="t1")["queuedJobs"]) == 10


def test_cancel_job_of_a_scheduled_job_means_it_never_starts(
    iot: Any, data: Any, clock: ManualClock, service: LocalJobsService
) -> None:
    make_things(iot, ["t1"])
    create(iot, "never", ["t1"], {"startTime": at(START + HOUR)})
    iot.cancel_job(jobId="never", reasonCode="CHANGED_MIND")
    assert job_of(iot, "never")["status"] == "CANCELED"
    assert service.backend.next_due() is None
    clock.advance(2 * HOUR)
    assert job_of(iot, "never")["status"] == "CANCELED"
    assert statuses(iot, "never") == {}
    assert data.get_pending_job_executions(thingName="t1")["queuedJobs"] == []


def test_delete_job_of_a_scheduled_job_needs_no_force(iot: Any, clock: ManualClock) -> None:
    make_things(iot, ["t1"])
    create(iot, "gone", ["t1"], {"startTime": at(START + HOUR)})
    iot.delete_job(jobId="gone")
    clock.advance(2 * HOUR)
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job(jobId="gone")
    assert iot.list_jobs()["jobs"] == []


def test_update_job_of_a_scheduled_job_applies_at_start(iot: Any, clock: ManualClock) -> None:
    make_things(iot, ["t1", "t2", "t3"])
    create(iot, "paced", ["t1", "t2", "t3"], {"startTime": at(START + HOUR)})
    iot.update_job(jobId="paced", jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    assert job_of(iot, "paced")["status"] == "SCHEDULED"
    clock.set(START + HOUR)
    assert statuses(iot, "paced") == {"t1": "QUEUED"}
    clock.advance(2 * MINUTE)
    assert len(statuses(iot, "paced")) == 3


def test_a_continuous_scheduled_job_takes_things_that_join_before_it_starts(
    iot: Any, clock: ManualClock
) -> None:
    iot.create_thing_group(thingGroupName="fleet")
    make_things(iot, ["t1", "t2"])
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t1")
    iot.create_job(
        jobId="follow",
        targets=[GROUP_ARN.format("fleet")],
        document="{}",
        targetSelection="CONTINUOUS",
        schedulingConfig={"startTime": at(START + HOUR)},
    )
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t2")
    assert statuses(iot, "follow") == {}
    clock.set(START + HOUR)
    assert statuses(iot, "follow") == {"t1": "QUEUED", "t2": "QUEUED"}


def test_the_aws_cli_creates_and_describes_a_scheduled_job(iot: Any, aws_cli: Any) -> None:
    make_things(iot, ["t1"])
    created = aws_cli(
        "iot",
        "create-job",
        "--job-id",
        "cli-scheduled",
        "--targets",
        THING_ARN.format("t1"),
        "--document",
        "{}",
        "--scheduling-config",
        json.dumps(
            {
                "startTime": "2023-11-15T00:00",
                "endTime": "2023-11-16T00:00",
                "endBehavior": "STOP_ROLLOUT",
                "maintenanceWindows": [{"startTime": "cron(0 2 ? * * *)", "durationInMinutes": 60}],
            }
        ),
    )
    assert created.returncode == 0, created.stderr
    described = aws_cli("iot", "describe-job", "--job-id", "cli-scheduled")
    assert described.returncode == 0, described.stderr
    job = json.loads(described.stdout)["job"]
    assert job["status"] == "SCHEDULED"
    assert job["schedulingConfig"]["endBehavior"] == "STOP_ROLLOUT"
    assert job["scheduledJobRollouts"] == [{"startTime": "2023-11-15T02:00"}]  # before endTime
    refused = aws_cli(
        "iot",
        "create-job",
        "--job-id",
        "cli-refused",
        "--targets",
        THING_ARN.format("t1"),
        "--document",
        "{}",
        "--scheduling-config",
        "startTime=2023-11-14T22:20",
    )
    assert refused.returncode != 0
    assert "InvalidRequestException" in refused.stderr
    assert "schedulingConfig.startTime" in refused.stderr
