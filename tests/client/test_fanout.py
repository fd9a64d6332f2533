"""The fan-out engine under the client: shared clients and pool size, botocore retries off,
request budgets (AWS's quotas by default), bounded concurrency, back-off, progress bars."""

from __future__ import annotations

import threading
import time

import pytest

import jobsnb
from jobsnb import InvalidParameterError, RequestBudget, RetryPolicy
from jobsnb.client.fanout import fan_out
from jobsnb.service import LocalJobsService
from tests.helpers import THING_ARN, no_errors


def seed(service: LocalJobsService, names: list[str]) -> list[str]:
    for name in names:
        service.backend.create_thing(name)
    service.backend.create_job("job1", targets=[THING_ARN.format(n) for n in names], document="{}")
    return names


# --- clients ------------------------------------------------------------------------------------


def test_one_client_per_plane_with_botocore_retries_off_and_a_matching_pool(service):
    client = jobsnb.connect(service, workers=24)
    assert client.workers == 24
    for boto_client, name in ((client.data, "iot-jobs-data"), (client.control, "iot")):
        assert boto_client.meta.service_model.service_name == name
        assert boto_client.meta.endpoint_url == service.url
        config = boto_client.meta.config
        assert config.max_pool_connections == 24
        # botocore would retry 429 and 503 itself (legacy: 5 attempts) under our retries.
        assert config.retries["total_max_attempts"] == 1
        assert "jobsnb/" in config.user_agent_extra


def test_budgets_default_to_aws_quotas_and_can_be_changed(service):
    default = jobsnb.connect(service)
    assert (default.read_budget.nominal, default.write_budget.nominal) == (200.0, 200.0)
    assert default.read_budget is not default.write_budget
    raised = jobsnb.connect(service, reads_per_second=2000, writes_per_second=50)
    assert (raised.read_budget.nominal, raised.write_budget.nominal) == (2000.0, 50.0)


def test_the_read_budget_caps_the_request_rate(clock):
    with LocalJobsService(clock=clock) as service:
        names = seed(service, [f"t{i:02d}" for i in range(30)])
        client = jobsnb.connect(service, reads_per_second=40, workers=16)
        began = time.perf_counter()
        frame = client.pending(names, progress=False)
        elapsed = time.perf_counter() - began
    no_errors(frame)
    # A burst of 40/10 = 4, then 26 calls at 40/s: at least 0.65 s, however many workers.
    # (Only the lower bound: a busy machine can always be slower.)
    assert elapsed >= 0.6


def test_calls_run_concurrently_on_a_bounded_pool(clock):
    with LocalJobsService(clock=clock, latency_ms=100) as service:
        names = seed(service, [f"t{i}" for i in range(8)])
        client = jobsnb.connect(service, reads_per_second=10_000, workers=4)
        began = time.perf_counter()
        frame = client.pending(names, progress=False)
        elapsed = time.perf_counter() - began
    no_errors(frame)
    assert len(frame) == 8
    # 8 calls of 100 ms: 4 at a time take 2 rounds (>= 0.2 s); what the pool allows at once is
    # counted by test_fan_out_never_runs_more_calls_than_workers, not timed here.
    assert elapsed >= 0.2


# --- the budget and the retry policy ------------------------------------------------------------


def test_request_budget_slows_down_on_throttles_and_recovers():
    budget = RequestBudget(300)
    assert budget.capacity == 30
    budget.throttled()
    assert budget.rate == pytest.approx(200)
    for _ in range(30):
        budget.throttled()
    assert budget.rate == pytest.approx(15)  # never below a twentieth of the nominal rate
    assert budget.throttles == 31
    for _ in range(200):
        budget.succeeded()
    assert budget.rate == 300


def test_request_budget_rejects_a_non_positive_rate():
    with pytest.raises(InvalidParameterError):
        RequestBudget(0)


def test_retry_delays_grow_and_are_capped():
    policy = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=1.0)
    for attempt in range(1, 10):
        delays = [policy.delay(attempt) for _ in range(200)]
        assert min(delays) >= 0
        assert max(delays) <= min(1.0, 0.1 * 2**attempt)


def test_fan_out_loses_nothing_when_calls_raise_anything():
    def call(item: int) -> dict:
        if item % 3 == 0:
            raise KeyError(item)
        return {"item": item}

    result = fan_out(
        list(range(30)),
        call,
        operation="Echo",
        identify=lambda item: (f"t{item}", None),
        budget=None,
        workers=5,
        progress=False,
    )
    assert [r and r["item"] for r in result.responses] == [
        None if i % 3 == 0 else i for i in range(30)
    ]
    assert sorted(e.thing_name for e in result.errors) == sorted(f"t{i}" for i in range(0, 30, 3))
    assert {(e.error_code, e.attempts, e.operation) for e in result.errors} == {
        ("KeyError", 1, "Echo")
    }
    assert result.calls == 30


def test_fan_out_never_runs_more_calls_than_workers():
    running = 0
    peak = 0
    lock = threading.Lock()

    def call(item: int) -> dict:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return {}

    result = fan_out(
        list(range(40)),
        call,
        operation="Echo",
        identify=lambda item: (str(item), None),
        budget=None,
        workers=6,
        progress=False,
    )
    assert not result.errors
    assert 2 <= peak <= 6  # concurrent, never beyond the pool (6 unless the machine is slow)


# --- progress -----------------------------------------------------------------------------------


@pytest.fixture
def slow_fleet(clock):
    """8 things behind 150 ms of latency, called one at a time: a 1.2 s fan-out."""
    with LocalJobsService(clock=clock, latency_ms=150) as service:
        names = seed(service, [f"t{i}" for i in range(8)])
        yield jobsnb.connect(service, reads_per_second=10_000, workers=1), names


def test_progress_bar_for_a_fan_out_over_a_second(slow_fleet, capfd):
    client, names = slow_fleet
    frame = client.pending(names)
    assert len(frame) == 8
    err = capfd.readouterr().err
    assert "GetPendingJobExecutions" in err
    assert "thing" in err


def test_progress_false_draws_nothing(slow_fleet, capfd):
    client, names = slow_fleet
    frame = client.pending(names, progress=False)
    assert len(frame) == 8
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_no_progress_bar_for_a_quick_fan_out(service, capfd):
    seed(service, ["a", "b"])
    jobsnb.connect(service).pending(["a", "b"])
    assert capfd.readouterr().err == ""
