"""Every error path of the fleet client: bad input raises before any call; throttling, injected
503s and connection errors are retried or become named error rows; nothing is lost, nothing is
done twice; on_error chooses between a warning, an exception and silence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest

import jobsnb
from jobsnb import FanoutError, InvalidParameterError, JobsnbWarning, RetryPolicy
from jobsnb.client import FleetClient
from jobsnb.frames import ERROR_COLUMNS, EXECUTION_COLUMNS, PENDING_COLUMNS
from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import GROUP_ARN, START, THING_ARN, assert_schema, closed_port, no_errors

FAIL_FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)


def seeded(service: LocalJobsService, names: list[str], jobs: int = 1) -> list[str]:
    """Things in one group with ``jobs`` queued jobs on the group, made in the backend (a
    throttled or faulty service would slow or fail a seeding loop through the data plane)."""
    service.backend.create_thing_group("fleet")
    for name in names:
        service.backend.create_thing(name)
        service.backend.add_thing_to_thing_group("fleet", name)
    for j in range(jobs):
        service.backend.create_job(f"job{j}", targets=[GROUP_ARN.format("fleet")], document="{}")
    return names


def server_state(service: LocalJobsService, thing: str, job: str) -> tuple[str, int]:
    """(status, version) of the latest execution, as the service's model holds it."""
    with service.backend.lock:
        execution = service.backend.describe_job_execution(thing, job)
        assert execution is not None
        return execution.status, execution.version


# --- bad input: raises before any call ----------------------------------------------------------


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[LocalJobsService, FleetClient]]:
    """One service and client for the many bad-input cases: they must not reach it at all."""
    with LocalJobsService(clock=ManualClock(START)) as service:
        yield service, jobsnb.connect(service)


TOO_MANY_DETAILS = {f"k{i}": "v" for i in range(11)}
Call = Callable[[Any], Any]
BAD_INPUT: list[tuple[str, Call, str]] = [
    ("pending-empty", lambda c: c.pending([]), "things"),
    ("pending-empty-series", lambda c: c.pending(pd.Series([], dtype=str)), "things"),
    ("pending-space", lambda c: c.pending(["ok", "not ok"]), "things[1]"),
    ("pending-slash", lambda c: c.pending("a/b"), "things[0]"),
    ("pending-too-long", lambda c: c.pending(["x" * 129]), "things[0]"),
    ("pending-none", lambda c: c.pending([None]), "things[0]"),
    ("pending-frame-no-column", lambda c: c.pending(pd.DataFrame({"x": [1]})), "things"),
    ("describe-empty", lambda c: c.describe([]), "executions"),
    ("describe-bad-job", lambda c: c.describe([("a", "job 1")]), "executions[0].job_id"),
    ("describe-long-job", lambda c: c.describe([("a", "j" * 65)]), "executions[0].job_id"),
    ("describe-bad-thing", lambda c: c.describe([("a b", "j")]), "executions[0].thing_name"),
    ("describe-one-tuple", lambda c: c.describe([("a",)]), "executions"),
    ("describe-string-row", lambda c: c.describe(["a"]), "executions"),
    (
        "describe-frame-no-job",
        lambda c: c.describe(pd.DataFrame({"thing_name": ["a"]})),
        "executions",
    ),
    ("describe-number-zero", lambda c: c.describe([("a", "j", 0)]), "executions[0]"),
    ("describe-on-error", lambda c: c.describe([("a", "j")], on_error="explode"), "on_error"),
    ("start-next-empty", lambda c: c.start_next([]), "things"),
    ("start-next-bad-thing", lambda c: c.start_next(["a", "b!"]), "things[1]"),
    ("details-11-pairs", lambda c: c.start_next("a", status_details=TOO_MANY_DETAILS), "status"),
    ("details-bad-key", lambda c: c.start_next("a", status_details={"a key": "v"}), "status"),
    (
        "details-long-value",
        lambda c: c.start_next("a", status_details={"k": "x" * 1025}),
        "status_details",
    ),
    ("details-empty-value", lambda c: c.start_next("a", status_details={"k": ""}), "status"),
    ("details-control", lambda c: c.start_next("a", status_details={"k": "a\nb"}), "status"),
    ("details-number", lambda c: c.start_next("a", status_details={"k": 1}), "status_details"),
    ("details-not-map", lambda c: c.start_next("a", status_details=["k"]), "status_details"),
    ("step-zero", lambda c: c.start_next("a", step_timeout_minutes=0), "step_timeout_minutes"),
    ("step-max", lambda c: c.start_next("a", step_timeout_minutes=10081), "step_timeout"),
    ("step-cancel", lambda c: c.start_next("a", step_timeout_minutes=-1), "step_timeout"),
    ("step-float", lambda c: c.start_next("a", step_timeout_minutes=1.5), "step_timeout"),
    ("step-bool", lambda c: c.start_next("a", step_timeout_minutes=True), "step_timeout"),
    ("update-queued", lambda c: c.update([("a", "j")], "QUEUED"), "status"),
    ("update-timed-out", lambda c: c.update([("a", "j")], "TIMED_OUT"), "status"),
    ("update-canceled", lambda c: c.update([("a", "j")], "CANCELED"), "status"),
    ("update-removed", lambda c: c.update([("a", "j")], "REMOVED"), "status"),
    ("update-lowercase", lambda c: c.update([("a", "j")], "succeeded"), "status"),
    ("update-empty", lambda c: c.update([], "SUCCEEDED"), "executions"),
    (
        "update-version-zero",
        lambda c: c.update([("a", "j")], "SUCCEEDED", expected_version=0),
        "expected_version",
    ),
    (
        "update-step-max",
        lambda c: c.update([("a", "j")], "IN_PROGRESS", step_timeout_minutes=10081),
        "step_timeout_minutes",
    ),
    (
        "update-details",
        lambda c: c.update([("a", "j")], "IN_PROGRESS", status_details=TOO_MANY_DETAILS),
        "status_details",
    ),
    ("update-bad-job", lambda c: c.update([("a", "$next")], "FAILED"), "executions[0].job_id"),
    ("executions-empty", lambda c: c.executions([]), "job_ids"),
    ("executions-bad-id", lambda c: c.executions("fw 1"), "job_ids[0]"),
    ("executions-status", lambda c: c.executions("fw", status="DONE"), "status"),
    ("job-summary-empty", lambda c: c.job_summary([]), "job_ids"),
    ("job-summary-bad-id", lambda c: c.job_summary(["ok", "n/o"]), "job_ids[1]"),
    ("pending-on-error", lambda c: c.pending("a", on_error="loud"), "on_error"),
]


@pytest.mark.parametrize(
    ("call", "field"), [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT]
)
def test_bad_input_raises_naming_the_argument_before_any_call(shared, call, field):
    service, client = shared
    before = service.request_count
    with pytest.raises(InvalidParameterError) as raised:
        call(client)
    assert isinstance(raised.value, ValueError)
    assert raised.value.field.startswith(field), raised.value
    assert str(raised.value).startswith(raised.value.field)
    assert raised.value.rule in str(raised.value)
    assert service.request_count == before


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"workers": 0}, "workers"),
        ({"reads_per_second": 0}, "reads_per_second"),
        ({"writes_per_second": -1}, "writes_per_second"),
        ({"endpoint_url": 8080}, "endpoint_url"),
    ],
)
def test_bad_connect_options_name_the_argument(service, options, field):
    options.setdefault("endpoint_url", service.url)
    with pytest.raises(InvalidParameterError) as raised:
        jobsnb.connect(**options)
    assert raised.value.field == field
    assert service.request_count == 0


def test_retry_policy_needs_an_attempt():
    with pytest.raises(InvalidParameterError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


# --- throttling ---------------------------------------------------------------------------------


def test_throttled_reads_are_retried_and_nothing_is_lost(clock):
    with LocalJobsService(throttle_rps=20, clock=clock) as service:
        names = seeded(service, [f"t{i:02d}" for i in range(40)])
        client = jobsnb.connect(service, reads_per_second=1000)
        frame = client.pending(names, progress=False)
        calls = service.request_counts["GetPendingJobExecutions"]
    no_errors(frame)
    assert frame["thing_name"].tolist() == names
    assert client.read_budget.throttles > 0
    assert client.read_budget.rate < 1000  # it slowed down
    assert calls == 40 + client.read_budget.throttles  # each 429 was tried once more


def test_throttled_writes_are_retried_and_done_exactly_once(clock):
    with LocalJobsService(throttle_rps=20, clock=clock) as service:
        names = seeded(service, [f"t{i:02d}" for i in range(40)], jobs=2)
        client = jobsnb.connect(service, writes_per_second=1000)
        frame = client.start_next(names, progress=False)
        states = [server_state(service, name, job) for name in names for job in ("job0", "job1")]
    no_errors(frame)
    assert frame["thing_name"].tolist() == names
    assert (frame["job_id"] == "job0").all()
    assert client.write_budget.throttles > 0
    assert states == [("IN_PROGRESS", 2), ("QUEUED", 1)] * 40


# --- injected 503s ------------------------------------------------------------------------------


def test_injected_faults_every_thing_answered_exactly_once(clock):
    with LocalJobsService(fault_rate=0.3, seed=11, clock=clock) as service:
        names = seeded(service, [f"t{i:03d}" for i in range(120)], jobs=2)
        client = jobsnb.connect(service, reads_per_second=10_000, writes_per_second=10_000)
        pending = client.pending(names, progress=False)
        assert service.request_counts["GetPendingJobExecutions"] > 120  # faults did happen
        started = client.start_next(names, progress=False)
        reported = client.update(started, "IN_PROGRESS", progress=False)
        described = client.describe(started, progress=False)
        states = {server_state(service, name, "job0") for name in names}
    for frame in (pending, started, reported, described):
        no_errors(frame)
    assert len(pending) == 240
    assert not pending.duplicated(["thing_name", "job_id"]).any()
    assert set(pending["thing_name"]) == set(names)
    assert started["thing_name"].tolist() == names
    # Each execution was started once and reported once: no retried write applied twice.
    assert started["version_number"].tolist() == [2] * 120
    assert reported["version_number"].tolist() == [3] * 120
    assert described["version_number"].tolist() == [3] * 120
    assert states == {("IN_PROGRESS", 3)}


@pytest.mark.parametrize("method", ["pending", "start_next", "describe", "update"])
def test_a_service_always_failing_gives_one_named_error_per_thing(clock, method):
    names = ["a", "b", "c"]
    with LocalJobsService(fault_rate=1.0, seed=1, clock=clock) as service:
        client = jobsnb.connect(service, retry=FAIL_FAST)
        pairs = [(name, "job1") for name in names]
        if method in ("pending", "start_next"):
            frame = getattr(client, method)(names, progress=False, on_error="ignore")
        elif method == "describe":
            frame = client.describe(pairs, progress=False, on_error="ignore")
        else:
            frame = client.update(pairs, "SUCCEEDED", progress=False, on_error="ignore")
        calls = service.request_count
    operation = {
        "pending": "GetPendingJobExecutions",
        "start_next": "StartNextPendingJobExecution",
        "describe": "DescribeJobExecution",
        "update": "UpdateJobExecution",
    }[method]
    assert frame.empty
    assert_schema(frame, PENDING_COLUMNS if method == "pending" else EXECUTION_COLUMNS)
    errors = frame.jobsnb.errors
    assert_schema(errors, ERROR_COLUMNS)
    assert sorted(errors["thing_name"]) == names
    assert (errors["operation"] == operation).all()
    assert (errors["error_code"] == "ServiceUnavailableException").all()
    assert (errors["http_status"] == 503).all()
    assert (errors["attempts"] == 2).all()
    expected_job = "job1" if method in ("describe", "update") else None
    assert errors["job_id"].tolist() == [expected_job or pd.NA] * 3
    # botocore's own retries are off: exactly our 2 attempts per thing reached the service.
    assert calls == 2 * len(names)


def test_on_error_raise_carries_the_errors_and_the_partial_frame(service, iot):
    service.backend.create_thing("a")
    service.backend.create_job("job1", targets=[THING_ARN.format("a")], document="{}")
    client = jobsnb.connect(service)
    with pytest.raises(FanoutError) as raised:
        client.describe([("a", "job1"), ("a", "gone")], progress=False, on_error="raise")
    error = raised.value
    assert "1 of 2" in str(error)
    assert "ResourceNotFoundException" in str(error)
    assert error.errors[["thing_name", "job_id", "error_code"]].values.tolist() == [
        ["a", "gone", "ResourceNotFoundException"]
    ]
    assert error.partial["job_id"].tolist() == ["job1"]
    assert_schema(error.partial, EXECUTION_COLUMNS)
    pd.testing.assert_frame_equal(client.last_errors, error.errors)


def test_on_error_raise_when_everything_fails(clock):
    with LocalJobsService(fault_rate=1.0, seed=2, clock=clock) as service:
        client = jobsnb.connect(service, retry=FAIL_FAST)
        with pytest.raises(FanoutError) as raised:
            client.pending(["a", "b"], progress=False, on_error="raise")
    assert len(raised.value.errors) == 2
    assert raised.value.partial.empty
    assert_schema(raised.value.partial, PENDING_COLUMNS)


def test_on_error_warn_is_the_default_and_returns_the_frame(clock):
    with LocalJobsService(fault_rate=1.0, seed=2, clock=clock) as service:
        client = jobsnb.connect(service, retry=FAIL_FAST)
        with pytest.warns(JobsnbWarning, match=r"2 of 2 calls failed") as caught:
            frame = client.pending(["a", "b"], progress=False)
        with pytest.warns(JobsnbWarning, match="ServiceUnavailableException"):
            client.pending(["a"], progress=False, on_error="warn")
    assert len(caught) == 1
    assert caught[0].filename == __file__  # points at the caller's line
    assert len(frame.jobsnb.errors) == 2


def test_on_error_ignore_is_silent(recwarn, clock):
    with LocalJobsService(fault_rate=1.0, seed=2, clock=clock) as service:
        client = jobsnb.connect(service, retry=FAIL_FAST)
        frame = client.pending(["a"], progress=False, on_error="ignore")
    assert len(recwarn) == 0
    assert len(frame.jobsnb.errors) == 1
    assert len(client.last_errors) == 1


def test_a_successful_call_clears_last_errors(service):
    client = jobsnb.connect(service)
    client.describe([("a", "gone")], progress=False, on_error="ignore")
    assert len(client.last_errors) == 1
    client.pending("a", progress=False)
    assert client.last_errors.empty
    assert_schema(client.last_errors, ERROR_COLUMNS)


# --- connection errors --------------------------------------------------------------------------


def test_connection_errors_are_named_error_rows_not_exceptions():
    client = jobsnb.connect(f"http://127.0.0.1:{closed_port()}", retry=FAIL_FAST)
    frame = client.pending(["a", "b"], progress=False, on_error="ignore")
    assert frame.empty
    assert_schema(frame, PENDING_COLUMNS)
    errors = frame.jobsnb.errors
    assert sorted(errors["thing_name"]) == ["a", "b"]
    assert (errors["error_code"] == "EndpointConnectionError").all()
    assert (errors["operation"] == "GetPendingJobExecutions").all()
    assert (errors["attempts"] == 2).all()  # retried, then given up
    assert errors["http_status"].isna().all()
    assert errors["message"].str.contains("127.0.0.1").all()


def test_a_service_stopping_midway_loses_nothing(clock):
    service = LocalJobsService(clock=clock).start()
    names = seeded(service, ["a", "b"])
    client = jobsnb.connect(service.url, retry=FAIL_FAST)
    assert len(client.pending(names, progress=False)) == 2
    service.stop()
    frame = client.pending(names, progress=False, on_error="ignore")
    assert sorted(frame.jobsnb.errors["thing_name"]) == names
