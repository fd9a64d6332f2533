"""The chart tests' known fleet."""

from __future__ import annotations

from typing import Any

import pytest

from jobsnb.client import FleetClient
from jobsnb.service import LocalJobsService
from tests.helpers import CHART_THINGS, MINUTE, fast_client, make_job, make_things


@pytest.fixture
def fleet(service: LocalJobsService, iot: Any, data: Any) -> FleetClient:
    """Six things, two jobs, 90 minutes of service time:

    * ``fw-2`` (in-progress timeout 60 min) queued at START on t-0..t-3; at +60 min t-0 starts
      it (still running) and t-1 starts and succeeds (``progress`` 100%); t-2, t-3 wait.
    * ``cfg-1`` queued at +60 min on t-4, t-5; both wait.
    * The clock stops at +90 min: fw-2 has waited 90 minutes, cfg-1 30.
    """
    make_things(iot, CHART_THINGS)
    make_job(
        iot, "fw-2", CHART_THINGS[:4], document="{}",
        timeoutConfig={"inProgressTimeoutInMinutes": 60},
    )  # fmt: skip
    service.advance(60 * MINUTE)
    make_job(iot, "cfg-1", CHART_THINGS[4:], document="{}")
    data.start_next_pending_job_execution(thingName="t-0", statusDetails={"progress": "40%"})
    data.start_next_pending_job_execution(thingName="t-1")
    data.update_job_execution(
        thingName="t-1", jobId="fw-2", status="SUCCEEDED", statusDetails={"progress": "100%"}
    )
    service.advance(30 * MINUTE)
    return fast_client(service)
