"""Fixtures for tests/service: seeding helpers over the real control-plane client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.helpers import REBOOT, THING_ARN


@pytest.fixture
def make_things(iot: Any) -> Callable[..., list[str]]:
    """``make_things("t1", "t2")`` creates the things and returns their ARNs."""

    def make(*names: str) -> list[str]:
        return [iot.create_thing(thingName=name)["thingArn"] for name in names]

    return make


@pytest.fixture
def make_job(iot: Any) -> Callable[..., str]:
    """``make_job("j1", ["t1"], timeoutConfig=...)`` creates a job on existing things."""

    def make(job_id: str, things: list[str], document: Any = REBOOT, **kwargs: Any) -> str:
        iot.create_job(
            jobId=job_id,
            targets=[THING_ARN.format(name) for name in things],
            document=document if isinstance(document, str) else json.dumps(document),
            **kwargs,
        )
        return job_id

    return make


@pytest.fixture
def data_unchecked(service: Any) -> Any:
    """An iot-jobs-data client without botocore's client-side parameter checks."""
    return boto3.client(
        "iot-jobs-data",
        endpoint_url=service.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )
