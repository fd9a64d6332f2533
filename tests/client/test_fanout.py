"""The fan-out engine under the client: shared clients and pool size, botocore retries off,
request budgets (AWS's quotas by default), bounded concurrency, back-off, progress bars."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

import jobsnb
from jobsnb import InvalidParameterError, RequestBudget, RetryPolicy
from jobsnb.client.fanout import call_with_retries, fan_out
from jobsnb.service import LocalJobsService
from tests.helpers import THING_ARN, no_errors


class InFlight:
    """Counts a boto3 client's HTTP requests in flight at once: +1 as botocore sends one,
    -1 when its response (or exception) is received; ``peak`` is the most at any moment."""

    def __init__(self, boto_client: Any, operation: str) -> None:
        self.now = self.peak = 0
        self._lock = threading.Lock()
        service_id = boto_client.meta.service_model.service_id.hyphenize()
        boto_client.meta.events.register(f"before-send.{service_id}.{operation}", self._sent)
        boto_client.meta.events.register(
            f"response-received.{service_id}.{operation}", self._received
        )

    def _sent(self, **_: Any) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def _received(self, **_: Any) -> None:
        with self._lock:
            self.now -= 1


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
        names = seed(service, [f"t{i}" for i in range(12)])
        client = jobsnb.connect(service, reads_per_second=10_000, workers=4)
        in_flight = InFlight(client.data, "GetPendingJobExecutions")
        began = time.perf_counter()
        frame = client.pending(names, progress=False)
        elapsed = time.perf_counter() - began
    no_errors(frame)
    assert len(frame) == 12
    # Calls one after another would never have two requests out at once; the pool never more
    # than its 4 workers. (With 100 ms per call, 4 workers are all busy unless the machine
    # is very slow; the bound that must hold is 1 < peak <= 4.)
    assert 1 < in_flight.peak <= 4, in_flight.peak
    assert in_flight.now == 0
    # 12 calls of 100 ms, at most 4 at a time: at least 3 rounds.
    assert elapsed >= 0.3


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
    caps = [policy.cap(attempt) for attempt in range(1, 10)]
    # The longest wait doubles after every failed attempt until max_delay, then stays there.
    assert caps == pytest.approx([0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert all(later >= earlier for earlier, later in itertools.pairwise(caps))
    means = []
    for attempt, cap in enumerate(caps, start=1):
        delays = [policy.delay(attempt) for _ in range(2000)]
        assert min(delays) >= 0
        assert max(delays) <= min(1.0, 0.1 * 2**attempt)
        assert max(delays) > 0.9 * cap  # jitter spans the whole range up to the cap
        means.append(sum(delays) / len(delays))
    # The waits themselves grow by the factor: full jitter's mean is half the cap (2000
    # samples put it within a few percent), so it doubles while the cap doubles, then stays.
    assert means == pytest.approx([cap / 2 for cap in caps], rel=0.1)
    for earlier, later in itertools.pairwise(means[:3]):
        assert later == pytest.approx(2 * earlier, rel=0.15)


def test_a_retried_call_waits_longer_after_each_failure():
    asked: list[int] = []

    class NoJitter(RetryPolicy):
        """Waits exactly the cap (no jitter), so each wait is known in advance."""

        def delay(self, attempt: int) -> float:
            asked.append(attempt)
            return self.cap(attempt)

    policy = NoJitter(max_attempts=6, base_delay=0.01, max_delay=1.0)
    stamps: list[float] = []

    def flaky() -> dict:
        stamps.append(time.perf_counter())
        if len(stamps) < 6:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return {}

    assert call_with_retries(flaky, retry=policy, budget=None) == {}
    assert asked == [1, 2, 3, 4, 5]  # one wait after each failed attempt, none after success
    waits = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    # Each wait lasted at least its growing delay: 0.02, 0.04, 0.08, 0.16, 0.32 s (lower
    # bounds only: a busy machine may always be slower).
    for wait, attempt in zip(waits, asked, strict=True):
        assert wait >= policy.cap(attempt)


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
