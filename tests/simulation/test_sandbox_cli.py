"""``jobsnb serve --fleet N``: the sandbox fleet behind the command-line service."""

from __future__ import annotations

import subprocess
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

from tests.helpers import MODULE, assert_clean_exit, serve


def test_serve_fleet_populates_and_runs_it(tmp_path: Path) -> None:
    with serve(tmp_path, "--fleet", "50", "--fleet-seed", "4", "--fleet-speed", "600") as server:
        iot = server.client("iot")
        things = iot.list_things(maxResults=250)["things"]
        assert len(things) >= 50
        assert {"model", "region", "firmware_version"} <= set(things[0]["attributes"])
        deadline = time.monotonic() + 30
        done = 0
        while time.monotonic() < deadline and not done:
            jobs = iot.list_jobs()["jobs"]
            details = [iot.describe_job(jobId=j["jobId"])["job"]["jobProcessDetails"] for j in jobs]
            done = sum(d["numberOfSucceededThings"] + d["numberOfFailedThings"] for d in details)
            time.sleep(0.2)
        assert done > 0, "no execution finished in 30 s at 600x"
        # The service clock runs at the fleet's speed, ahead of the wall clock.
        data = server.client("iot-jobs-data")
        pending = data.get_pending_job_executions(thingName=things[0]["thingName"])
        served_at = parsedate_to_datetime(pending["ResponseMetadata"]["HTTPHeaders"]["date"])
        assert served_at.timestamp() > time.time() + 60
        assert_clean_exit(server, server.stop())


def test_serve_fleet_rejects_a_bad_speed(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*MODULE, "serve", "--port", "0", "--fleet", "5", "--fleet-speed", "-2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "--fleet-speed" in proc.stderr
