"""Fixtures shared by the whole suite: a real local service and real boto3 clients."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import CREDENTIALS, NO_RETRIES, REGION

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
