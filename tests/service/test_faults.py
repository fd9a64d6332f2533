"""Simulated throttling, faults and latency (the service's ``throttle_rps``, ``fault_rate``,
``seed`` and ``latency_ms``), seen through real boto3 clients with retries off."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import CREDENTIALS, NO_RETRIES, REGION

ARN = "arn:aws:iot:us-east-1:123456789012:thing/{}"
START = 1_700_000_000.0


@contextmanager
def running(**options: Any) -> Iterator[tuple[LocalJobsService, Any, Any]]:
    """A service with ``options``, one thing "dev" with ``jobs`` queued, and data/iot clients."""
    jobs = options.pop("jobs", 1)
    with LocalJobsService(clock=ManualClock(START), **options) as svc:
        svc.backend.create_thing("dev")
        for j in range(jobs):
            svc.backend.create_job(f"job{j}", targets=[ARN.format("dev")], document='{"n":1}')
        kwargs = {"endpoint_url": svc.url, "region_name": REGION, "config": NO_RETRIES}
        data = boto3.client("iot-jobs-data", **kwargs, **CREDENTIALS)
        iot = boto3.client("iot", **kwargs, **CREDENTIALS)
        yield svc, data, iot


def outcome(call: Any, **kwargs: Any) -> str:
    """ "ok" or the AWS error code of one call."""
    try:
        call(**kwargs)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "ok"


# --- throttling --------------------------------------------------------------------------------


def test_reads_over_budget_are_throttled_with_429():
    rps = 5
    with running(throttle_rps=rps) as (_, data, _iot):
        began = time.monotonic()
        results = [
            outcome(data.get_pending_job_executions, thingName="dev") for _ in range(4 * rps)
        ]
        refill = (time.monotonic() - began) * rps
        assert results[0] == "ok"
        assert set(results) == {"ok", "ThrottlingException"}
        # The burst allows one second's worth, plus what refilled while it ran.
        assert rps <= results.count("ok") <= rps + refill + 1, results
        # DescribeJobExecution shares the read bucket that GetPending has just emptied.
        with pytest.raises(data.exceptions.ThrottlingException) as exc:
            data.describe_job_execution(thingName="dev", jobId="job0")
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_reads_and_writes_have_separate_buckets():
    rps = 3
    with running(throttle_rps=rps, jobs=4 * rps) as (_, data, iot):
        reads = [outcome(data.get_pending_job_executions, thingName="dev") for _ in range(4 * rps)]
        assert "ThrottlingException" in reads
        # Reads are exhausted; the write bucket is untouched.
        started = data.start_next_pending_job_execution(thingName="dev")
        assert started["execution"]["jobId"] == "job0"
        began = time.monotonic()
        writes = [
            outcome(data.update_job_execution, thingName="dev", jobId="job0", status="IN_PROGRESS")
            for _ in range(4 * rps)
        ]
        refill = (time.monotonic() - began) * rps
        assert "ThrottlingException" in writes
        assert writes[0] == "ok"
        assert rps - 1 <= writes.count("ok") <= rps + refill + 1, writes
        # A throttled call never reaches the model: only accepted updates bump the version.
        ex = iot.describe_job_execution(thingName="dev", jobId="job0")["execution"]
        assert ex["versionNumber"] == 2 + writes.count("ok")


def test_control_plane_is_never_throttled():
    with running(throttle_rps=1) as (_, data, iot):
        for i in range(30):
            iot.create_thing(thingName=f"t{i}")
            iot.describe_job(jobId="job0")
            iot.list_job_executions_for_thing(thingName="dev")
            iot.describe_job_execution(thingName="dev", jobId="job0")
        assert outcome(data.get_pending_job_executions, thingName="dev") == "ok"


def test_throttle_response_is_aws_shaped():
    with running(throttle_rps=1) as (svc, _data, _iot):
        port = int(svc.url.rsplit(":", 1)[1])
        statuses = []
        for _ in range(10):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/things/dev/jobs")
            resp = conn.getresponse()
            body, headers = resp.read(), dict(resp.getheaders())
            conn.close()
            statuses.append(resp.status)
            if resp.status == 429:
                assert json.loads(body)["__type"] == "ThrottlingException"
                assert isinstance(json.loads(body)["message"], str)
                lowered = {k.lower(): v for k, v in headers.items()}
                assert lowered["x-amzn-errortype"].split(":")[0] == "ThrottlingException"
                assert lowered["x-amzn-requestid"]
        assert 429 in statuses


# --- faults ------------------------------------------------------------------------------------


def test_fault_rate_one_fails_every_data_plane_call_with_503():
    with running(fault_rate=1.0) as (svc, data, iot):
        calls = [
            (data.get_pending_job_executions, {"thingName": "dev"}),
            (data.describe_job_execution, {"thingName": "dev", "jobId": "job0"}),
            (data.start_next_pending_job_execution, {"thingName": "dev"}),
            (
                data.update_job_execution,
                {"thingName": "dev", "jobId": "job0", "status": "IN_PROGRESS"},
            ),
        ]
        for call, kwargs in calls * 3:
            with pytest.raises(data.exceptions.ServiceUnavailableException) as exc:
                call(**kwargs)
            assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert exc.value.response["Error"]["Code"] == "ServiceUnavailableException"
        # No fault ever reached the model: the execution is untouched; the control plane works.
        ex = iot.describe_job_execution(thingName="dev", jobId="job0")["execution"]
        assert (ex["status"], ex["versionNumber"]) == ("QUEUED", 1)

        port = int(svc.url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/things/dev/jobs")
        resp = conn.getresponse()
        body = json.loads(resp.read())
        assert resp.status == 503
        assert body["__type"] == "ServiceUnavailableException"
        assert isinstance(body["message"], str)
        assert resp.getheader("x-amzn-ErrorType").split(":")[0] == "ServiceUnavailableException"
        assert resp.getheader("Content-Type").startswith("application/json")
        conn.close()


def test_fault_rate_is_reproducible_with_a_seed():
    def sequence() -> list[str]:
        with running(fault_rate=0.3, seed=7) as (_, data, _iot):
            return [outcome(data.get_pending_job_executions, thingName="dev") for _ in range(60)]

    first, second = sequence(), sequence()
    assert first == second
    assert set(first) == {"ok", "ServiceUnavailableException"}
    # 60 draws at 0.3: far outside 5..35 would mean the rate is not applied as given.
    assert 5 <= first.count("ServiceUnavailableException") <= 35, first


def test_fault_rate_zero_never_faults():
    with running(fault_rate=0.0, seed=7) as (_, data, _iot):
        assert {outcome(data.get_pending_job_executions, thingName="dev") for _ in range(50)} == {
            "ok"
        }


# --- latency -----------------------------------------------------------------------------------


def test_latency_is_added_to_each_call():
    with running(latency_ms=50) as (_, data, _iot):
        for _ in range(3):
            began = time.perf_counter()
            data.get_pending_job_executions(thingName="dev")
            assert time.perf_counter() - began >= 0.050
