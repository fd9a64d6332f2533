"""Fixtures shared by the whole suite: a real local service, real boto3 clients, and one
headless chromium (Debian's package driven by Playwright; one per session, since Playwright's
sync API cannot start twice in one thread). In CI (``CI`` set) a missing chromium or
Playwright fails the test with what to install; elsewhere browser tests are skipped."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


CHROMIUM = os.environ.get("JOBSNB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _missing(what: str, fix: str) -> None:
    message = f"the browser tests need {what}: {fix}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless chromium (Debian's package, never Playwright's download)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"chromium at {CHROMIUM}", "apt-get install -y chromium (or set JOBSNB_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python", "pip install playwright (the dev group has it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
