"""Dead endpoints, interruptions, lost responses: nothing lost, nothing hangs, nothing done twice.

Real boto3 against the real local service over HTTP. A dead endpoint (a closed port, a service
stopped mid-fan-out) fails a 2,000-thing fan-out in seconds through the client's circuit breaker;
Ctrl-C (a KeyboardInterrupt in the main thread, sent from a worker's hook) raises
FanoutInterrupted carrying exactly the answered rows and a NotRun error for every other item;
a proxy that drops answers after the service handled the request never makes an update apply
twice or count as a conflict."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

import jobsnb
from jobsnb.client.breaker import CircuitBreaker, EndpointUnreachable
from jobsnb.exceptions import FanoutInterrupted
from jobsnb.limits import BREAKER_FAILURES
from jobsnb.service import LocalJobsService
from tests.helpers import (
    GROUP_ARN,
    Calls,
    LossyProxy,
    after_answers,
    closed_port,
    fast_client,
    interrupt_main,
    no_errors,
)

UNREACHABLE = {"EndpointUnreachable", "EndpointConnectionError"}


def seed(service: LocalJobsService, count: int, jobs: int = 1) -> list[str]:
    """``count`` things in one group, each with ``jobs`` queued jobs, made in the backend."""
    names = [f"t{i:04d}" for i in range(count)]
    service.backend.create_thing_group("fleet")
    for name in names:
        service.backend.create_thing(name)
        service.backend.add_thing_to_thing_group("fleet", name)
    for j in range(jobs):
        service.backend.create_job(f"job{j}", targets=[GROUP_ARN.format("fleet")], document="{}")
    return names


# --- dead endpoints ------------------------------------------------------------------------------


def test_a_closed_port_fails_2000_things_in_seconds_with_named_errors():
    port = closed_port()
    client = jobsnb.connect(f"http://127.0.0.1:{port}", reads_per_second=10_000)
    calls = Calls(client.data, "GetPendingJobExecutions")
    names = [f"t{i}" for i in range(2000)]
    began = time.perf_counter()
    frame = client.pending(names, progress=False, on_error="ignore")
    elapsed = time.perf_counter() - began
    errors = frame.jobsnb.errors
    assert frame.empty
    assert sorted(errors["thing_name"]) == sorted(names)  # every thing, once
    assert set(errors["error_code"]) <= UNREACHABLE
    unreachable = errors[errors["error_code"] == "EndpointUnreachable"]
    assert len(unreachable) >= 2000 - client.workers
    assert unreachable["message"].str.contains(f"http://127.0.0.1:{port}").all()
    assert unreachable["message"].str.contains("Check that the service is running").all()
    # Before the breaker: 10 attempts per thing with back-off up to 5 s, 993 s in all.
    assert elapsed < 30, elapsed
    # The breaker opens after BREAKER_FAILURES; only the calls already under way try again.
    assert calls.sent <= BREAKER_FAILURES + 2 * client.workers, calls.sent


def test_a_first_call_to_nothing_says_so_within_seconds():
    client = jobsnb.connect(f"http://127.0.0.1:{closed_port()}")
    began = time.perf_counter()
    frame = client.pending(["x"], progress=False, on_error="ignore")
    elapsed = time.perf_counter() - began
    [error] = frame.jobsnb.errors.to_dict("records")
    assert error["error_code"] in UNREACHABLE
    assert "127.0.0.1" in error["message"]
    assert elapsed < 8, elapsed  # was 19 s: back-off after a refused connection is short


def test_a_service_stopped_mid_fan_out_ends_every_call_quickly(clock):
    service = LocalJobsService(clock=clock).start()
    try:
        names = seed(service, 2000)
        client = fast_client(service)
        stopping = threading.Thread(target=service.stop)
        calls = after_answers(client.data, "GetPendingJobExecutions", 300, stopping.start)
        began = time.perf_counter()
        frame = client.pending(names, progress=False, on_error="ignore")
        elapsed = time.perf_counter() - began
    finally:
        service.stop()
    errors = frame.jobsnb.errors
    answered = set(frame["thing_name"])
    failed = set(errors["thing_name"])
    assert answered.isdisjoint(failed)
    assert answered | failed == set(names)  # nothing lost
    assert len(errors) == len(failed)  # one error per thing at most
    assert len(answered) >= 300
    assert len(failed) > 0
    assert set(errors["error_code"]) <= UNREACHABLE | {"ConnectionClosedError"}
    assert elapsed < 30, elapsed
    # Connection attempts after the stop stay bounded: the breaker ends the rest unsent.
    assert calls.sent - calls.answered <= BREAKER_FAILURES + 2 * client.workers, calls.sent


def test_the_breaker_lets_one_probe_through_after_the_cool_down_and_an_answer_closes_it():
    breaker = CircuitBreaker(failures=3, cooldown=0.05)
    refused = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/things/a/jobs")
    for _ in range(3):
        assert breaker.before() is False
        breaker.after(refused)
    assert breaker.state == "open"
    with pytest.raises(EndpointUnreachable, match=r"http://127\.0\.0\.1:1 after 3"):
        breaker.before()
    time.sleep(0.06)
    assert breaker.before() is True  # the probe
    with pytest.raises(EndpointUnreachable):
        breaker.before()  # one probe at a time
    breaker.after(refused, probe=True)
    assert breaker.state == "open"  # still nothing there: another cool-down
    time.sleep(0.06)
    assert breaker.before() is True
    breaker.after(None, probe=True)  # an answer
    assert breaker.state == "closed"
    assert breaker.before() is False
    assert breaker.openings == 2


def test_throttling_and_5xx_keep_their_retries_and_leave_the_breaker_closed(clock):
    # 30% of calls answer 503: ten attempts each leave 200 things a 1-in-1,000 chance of an error.
    with LocalJobsService(clock=clock, fault_rate=0.3) as service:
        names = seed(service, 200)
        client = fast_client(service)
        frame = client.pending(names, progress=False)
        no_errors(frame)
        assert len(frame) == 200
        assert (client.breaker.state, client.breaker.openings) == ("closed", 0)


# --- interruption --------------------------------------------------------------------------------

Run = Callable[[Any, list[str]], Any]


def updated(client: Any, names: list[str]) -> Any:
    return client.update(client.pending(names, progress=False), "SUCCEEDED", progress=False)


METHODS: dict[str, tuple[str, Run]] = {
    "pending": ("GetPendingJobExecutions", lambda c, n: c.pending(n, progress=False)),
    "describe": (
        "DescribeJobExecution",
        lambda c, n: c.describe([(name, "job0") for name in n], progress=False),
    ),
    "start_next": ("StartNextPendingJobExecution", lambda c, n: c.start_next(n, progress=False)),
    "update": ("UpdateJobExecution", updated),
}


@pytest.mark.parametrize("method", list(METHODS))
def test_ctrl_c_mid_fan_out_carries_exactly_the_answered_rows(clock, method):
    operation, run = METHODS[method]
    with LocalJobsService(clock=clock, latency_ms=20) as service:
        names = seed(service, 300)
        client = fast_client(service, workers=4)
        calls = after_answers(client.data, operation, 40, interrupt_main)
        with pytest.raises(FanoutInterrupted) as caught:
            run(client, names)
        partial = caught.value.partial
        errors = partial.jobsnb.errors
        assert isinstance(caught.value, KeyboardInterrupt)
        assert caught.value.errors.equals(errors)
        # Every answered call is a row, every other thing a NotRun error: nothing lost.
        assert len(partial) == calls.answered
        assert set(errors["error_code"]) == {"NotRun"}
        assert set(partial["thing_name"]).isdisjoint(errors["thing_name"])
        assert sorted([*partial["thing_name"], *errors["thing_name"]]) == names
        assert 40 <= calls.answered < 300
        assert (errors["attempts"] == 0).all()
        assert client.last_errors.equals(errors)
        if method == "update":
            # The service agrees: exactly the answered rows were applied.
            now = client.describe([(name, "job0") for name in names], progress=False)
            done = set(now.loc[now["status"] == "SUCCEEDED", "thing_name"])
            assert done == set(partial["thing_name"])


def test_ctrl_c_while_executions_are_described_keeps_the_listed_rows(clock):
    with LocalJobsService(clock=clock, latency_ms=20) as service:
        names = seed(service, 200)
        client = fast_client(service, workers=4)
        calls = after_answers(client.data, "DescribeJobExecution", 40, interrupt_main)
        with pytest.raises(FanoutInterrupted) as caught:
            client.executions("job0", describe=True, progress=False)
        partial = caught.value.partial
        errors = partial.jobsnb.errors
        assert sorted(partial["thing_name"]) == names  # the listing had answered in full
        assert partial["described_status"].notna().sum() == calls.answered
        assert set(errors["error_code"]) == {"NotRun"}
        assert len(errors) == 200 - calls.answered


# --- lost responses ------------------------------------------------------------------------------

UPDATES = r"POST /things/[^/]+/jobs/[^/$]+"
START_NEXT = r"PUT /things/[^/]+/jobs/\$next"


@pytest.fixture
def started(clock):
    """60 things, each with one execution IN_PROGRESS at version 2, and the frame read then."""
    with LocalJobsService(clock=clock) as service:
        names = seed(service, 60)
        direct = fast_client(service)
        no_errors(direct.start_next(names, progress=False))
        yield service, direct, direct.pending(names, progress=False)


def versions(direct: Any, names: list[str]) -> dict[tuple[str, int], int]:
    """How many executions are in each (status, version), read with boto3."""
    counts: dict[tuple[str, int], int] = {}
    for name in names:
        execution = direct.data.describe_job_execution(thingName=name, jobId="job0")["execution"]
        key = (execution["status"], execution["versionNumber"])
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_lost_update_answers_with_expected_versions_are_applied_once_never_conflicts(started):
    service, direct, frame = started
    names = list(frame["thing_name"])
    assert set(frame["version_number"]) == {2}
    with LossyProxy(service.url, UPDATES, every=3) as proxy:
        client = fast_client(proxy)
        done = client.update(frame, "SUCCEEDED", status_details={"step": "done"}, progress=False)
    assert proxy.lost >= 20
    no_errors(done)
    assert done.jobsnb.conflicts.empty
    assert sorted(done["thing_name"]) == names
    assert set(done["status"]) == {"SUCCEEDED"}
    assert set(done["version_number"]) == {3}
    assert versions(direct, names) == {("SUCCEEDED", 3): 60}


def test_lost_update_answers_without_expected_versions_are_applied_once(started):
    service, direct, frame = started
    names = list(frame["thing_name"])
    details = {"progress": "50%"}
    with LossyProxy(service.url, UPDATES, every=3) as proxy:
        client = fast_client(proxy)
        done = client.update(
            frame, "IN_PROGRESS", status_details=details, expected_version=None, progress=False
        )
    assert proxy.lost >= 20
    no_errors(done)
    # IN_PROGRESS -> IN_PROGRESS is always allowed: applied twice, the version would be 4.
    assert set(done["version_number"]) == {3}
    assert versions(direct, names) == {("IN_PROGRESS", 3): 60}
    described = direct.describe(frame, progress=False)
    assert all(d == details for d in described["status_details"])


def test_lost_start_next_answers_start_each_execution_once(clock):
    with LocalJobsService(clock=clock) as service:
        names = seed(service, 60, jobs=2)
        with LossyProxy(service.url, START_NEXT, every=3) as proxy:
            started = fast_client(proxy).start_next(names, progress=False)
        assert proxy.lost >= 20
        no_errors(started)
        assert sorted(started["thing_name"]) == names
        # The retry returned the execution the lost request had started: job0, not job1.
        assert set(started["job_id"]) == {"job0"}
        assert set(started["version_number"]) == {2}
        direct = fast_client(service)
        pending = direct.pending(names, progress=False)
        assert len(pending[pending["status"] == "IN_PROGRESS"]) == 60
        assert len(pending[pending["status"] == "QUEUED"]) == 60
