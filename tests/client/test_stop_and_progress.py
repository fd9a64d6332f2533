"""A Stop button and a progress bar for the client's methods: ``stop=`` (a threading.Event) lets
no new call start and leaves exactly the items not called as NotRun rows, nothing lost;
``progress=`` a callable is told monotone counts from the calling thread, coalesced, ending at
the total. Real boto3 clients against the local service."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from jobsnb import InvalidParameterError
from jobsnb.client.fanout import NOT_RUN, STOPPED_MESSAGE, RetryPolicy, fan_out
from jobsnb.client.progress import CALLBACKS_PER_SECOND
from jobsnb.exceptions import JobsnbWarning
from jobsnb.service import LocalJobsService
from tests.helpers import GROUP_ARN, Calls, after_answers, fast_client

Run = Any


def fleet(service: LocalJobsService, count: int) -> list[str]:
    """``count`` things of the group ``all``, each with the queued job ``job0``."""
    names = [f"s{i:03d}" for i in range(count)]
    service.backend.create_thing_group("all")
    for name in names:
        service.backend.create_thing(name)
        service.backend.add_thing_to_thing_group("all", name)
    service.backend.create_job("job0", targets=[GROUP_ARN.format("all")], document="{}")
    return names


def updated(client: Any, names: list[str], **options: Any) -> Any:
    return client.update(client.pending(names, progress=False), "SUCCEEDED", **options)


METHODS: dict[str, tuple[str, Run]] = {
    "pending": ("GetPendingJobExecutions", lambda c, n, **o: c.pending(n, **o)),
    "describe": (
        "DescribeJobExecution",
        lambda c, n, **o: c.describe([(name, "job0") for name in n], **o),
    ),
    "start_next": ("StartNextPendingJobExecution", lambda c, n, **o: c.start_next(n, **o)),
    "update": ("UpdateJobExecution", updated),
}


@pytest.mark.parametrize("method", list(METHODS))
def test_a_stop_after_n_answers_leaves_exactly_the_rest_as_not_run_rows(clock, method):
    operation, run = METHODS[method]
    with LocalJobsService(clock=clock) as service:
        names = fleet(service, 60)
        client = fast_client(service, workers=1)
        stop = threading.Event()
        calls = after_answers(client.data, operation, 25, stop.set)
        frame = run(client, names, progress=False, stop=stop, on_error="ignore")
        errors = frame.jobsnb.errors
        # One call at a time: the 25 answered are rows, the other 35 were never sent.
        assert calls.sent == calls.answered == 25
        assert list(frame["thing_name"]) == names[:25]
        assert list(errors["thing_name"]) == names[25:]
        assert set(errors["error_code"]) == {NOT_RUN}
        assert set(errors["message"]) == {STOPPED_MESSAGE}
        assert set(errors["operation"]) == {operation}
        assert (errors["attempts"] == 0).all()
        if method in ("start_next", "update"):
            # The service agrees: exactly the answered rows were changed.
            now = client.describe([(name, "job0") for name in names], progress=False)
            changed = set(now.loc[now["status"] != "QUEUED", "thing_name"])
            assert changed == set(names[:25])


def test_a_stop_lets_the_calls_in_flight_finish_and_keep_their_answers(clock):
    with LocalJobsService(clock=clock, latency_ms=20) as service:
        names = fleet(service, 200)
        client = fast_client(service, workers=8)
        stop = threading.Event()
        calls = after_answers(client.data, "StartNextPendingJobExecution", 30, stop.set)
        frame = client.start_next(names, progress=False, stop=stop, on_error="ignore")
        errors = frame.jobsnb.errors
        assert 30 <= len(frame) < 30 + 8  # the calls already sent when the stop came finished
        assert len(frame) == calls.answered == calls.sent
        assert set(errors["error_code"]) == {NOT_RUN}
        assert sorted([*frame["thing_name"], *errors["thing_name"]]) == names
        started = client.pending(names, progress=False)
        in_progress = set(started.loc[started["status"] == "IN_PROGRESS", "thing_name"])
        assert in_progress == set(frame["thing_name"])


def test_a_stopped_call_warns_that_it_was_stopped(clock):
    with LocalJobsService(clock=clock) as service:
        names = fleet(service, 5)
        client = fast_client(service)
        stop = threading.Event()
        stop.set()
        sent = Calls(client.data, "GetPendingJobExecutions")
        with pytest.warns(JobsnbWarning, match=r"^stopped: 5 of 5 calls failed \(NotRun\)"):
            frame = client.pending(names, progress=False, stop=stop)
        assert sent.sent == 0
        assert frame.empty
        assert list(frame.jobsnb.errors["thing_name"]) == names


def test_a_stop_before_the_details_keeps_the_pending_rows(clock):
    with LocalJobsService(clock=clock) as service:
        names = fleet(service, 20)
        client = fast_client(service, workers=1)
        stop = threading.Event()
        after_answers(client.data, "GetPendingJobExecutions", 20, stop.set)
        described = Calls(client.data, "DescribeJobExecution")
        frame = client.pending(names, details=True, stop=stop, progress=False, on_error="ignore")
        errors = frame.jobsnb.errors
        assert described.sent == 0
        assert list(frame["thing_name"]) == names
        assert len(errors) == 20
        assert set(errors["operation"]) == {"DescribeJobExecution"}
        assert set(errors["message"]) == {STOPPED_MESSAGE}


def test_executions_and_job_summary_take_a_stop(clock):
    with LocalJobsService(clock=clock) as service:
        fleet(service, 3)
        client = fast_client(service)
        stop = threading.Event()
        stop.set()
        listed = client.executions(["job0"], stop=stop, progress=False, on_error="ignore")
        summary = client.job_summary("job0", stop=stop, progress=False, on_error="ignore")
        assert listed.empty
        assert summary.empty
        assert list(listed.jobsnb.errors["error_code"]) == [NOT_RUN]
        assert list(summary.jobsnb.errors["operation"]) == ["DescribeJob"]


# --- progress callbacks -------------------------------------------------------------------------


class Seen:
    """A progress(done, total) callback that records each call and the thread it came from."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.threads: set[int] = set()

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        self.threads.add(threading.get_ident())

    def assert_monotone(self) -> None:
        done = [d for d, _ in self.calls]
        totals = [t for _, t in self.calls]
        assert done == sorted(done)
        assert totals == sorted(totals)
        assert all(d <= t for d, t in self.calls)


def test_a_progress_callback_sees_monotone_counts_ending_at_the_total(clock):
    with LocalJobsService(clock=clock, latency_ms=10) as service:
        names = fleet(service, 200)
        client = fast_client(service, workers=4)
        seen = Seen()
        started = time.monotonic()
        frame = client.pending(names, progress=seen)
        elapsed = time.monotonic() - started
        assert len(frame) == 200
        seen.assert_monotone()
        assert seen.calls[-1] == (200, 200)
        assert {total for _, total in seen.calls} == {200}
        # From the calling thread, coalesced: at most ten a second, and the final one.
        assert seen.threads == {threading.get_ident()}
        assert len(seen.calls) <= elapsed * CALLBACKS_PER_SECOND + 2
        assert len(seen.calls) >= 3


def test_a_progress_callback_counts_the_details_too(clock):
    with LocalJobsService(clock=clock) as service:
        names = fleet(service, 30)
        client = fast_client(service)
        seen = Seen()
        client.pending(names, details=True, progress=seen)
        seen.assert_monotone()
        assert seen.calls[-1] == (60, 60)  # 30 GetPending, then 30 DescribeJobExecution


def test_a_stopped_progress_ends_at_the_calls_that_ended(clock):
    with LocalJobsService(clock=clock) as service:
        names = fleet(service, 40)
        client = fast_client(service, workers=1)
        stop, seen = threading.Event(), Seen()
        after_answers(client.data, "StartNextPendingJobExecution", 10, stop.set)
        client.start_next(names, progress=seen, stop=stop, on_error="ignore")
        seen.assert_monotone()
        assert seen.calls[-1] == (10, 40)


def test_fan_out_progress_and_stop_are_checked_at_once():
    def nothing(item: str) -> dict[str, Any]:
        return {}

    common: dict[str, Any] = {"operation": "Echo", "identify": lambda i: (i, None), "budget": None}
    with pytest.raises(InvalidParameterError, match=r"^progress: must be True, False or a"):
        fan_out(["a"], nothing, progress="yes", **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"^stop: must be None or a threading\.Event"):
        fan_out(["a"], nothing, stop=True, **common)  # type: ignore[arg-type]


def test_a_stop_ends_the_retries_waiting_to_be_made(clock):
    # Every data-plane call fails with a 503: each worker's first call fails and waits to retry.
    with LocalJobsService(clock=clock, fault_rate=1.0) as service:
        names = fleet(service, 40)
        retry = RetryPolicy(max_attempts=2, base_delay=1.0, max_delay=1.0)
        client = fast_client(service, retry=retry, workers=4)
        stop = threading.Event()
        calls = after_answers(client.data, "GetPendingJobExecutions", 1, stop.set)
        frame = client.pending(names, progress=False, stop=stop, on_error="ignore")
    errors = frame.jobsnb.errors
    assert len(errors) == 40  # nothing lost: a row for every thing
    retried = errors[errors["message"].str.startswith("stopped while retrying after")]
    # Each call made waited to retry when the stop came; none was retried.
    assert len(retried) == calls.sent == calls.answered
    assert 1 <= len(retried) <= 4
    assert (retried["attempts"] == 1).all()
    assert retried["message"].str.contains("ServiceUnavailableException").all()
    not_called = errors.drop(retried.index)
    assert (not_called["error_code"] == NOT_RUN).all()
    assert (not_called["message"] == STOPPED_MESSAGE).all()
