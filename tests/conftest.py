"""Fixtures shared by the whole suite: a real local service and real boto3 clients."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from jobsnb.service import LocalJobsService, ManualClock

REGION = "us-east-1"
# Any credentials work against the local service; these never leave loopback.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# Retries off: a test that expects a 429 or 503 must see it, not botocore's retry.
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})

START = 1_700_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def service(clock: ManualClock) -> Iterator[LocalJobsService]:
    with LocalJobsService(clock=clock) as svc:
        yield svc


@pytest.fixture
def data(service: LocalJobsService):  # type: ignore[no-untyped-def]
    """An unmodified boto3 iot-jobs-data client pointed at the local service."""
    return boto3.client(
        "iot-jobs-data",
        endpoint_url=service.url,
        region_name=REGION,
        config=NO_RETRIES,
        **CREDENTIALS,
    )


@pytest.fixture
def iot(service: LocalJobsService):  # type: ignore[no-untyped-def]
    """An unmodified boto3 iot (control plane) client pointed at the local service."""
    return boto3.client(
        "iot", endpoint_url=service.url, region_name=REGION, config=NO_RETRIES, **CREDENTIALS
    )
