"""``jobsnb serve`` as a real subprocess: startup line, boto3 against it, flags, clean shutdown.

Waiting for the subprocess to start is the one place these tests wait on real time.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from jobsnb.cli import main
from jobsnb.simulation.plan import plan_fleet
from tests.helpers import MODULE, SCRIPT, Server, assert_clean_exit, serve


def drive(server: Server) -> None:
    """Seed through the control plane and run one execution through the data plane."""
    iot, data = server.client("iot"), server.client("iot-jobs-data")
    arn = iot.create_thing(thingName="cli-thing")["thingArn"]
    iot.create_job(jobId="cli-job", targets=[arn], document='{"op":"cli"}')
    queued = data.get_pending_job_executions(thingName="cli-thing")["queuedJobs"]
    assert [s["jobId"] for s in queued] == ["cli-job"]
    started = data.start_next_pending_job_execution(thingName="cli-thing")["execution"]
    assert (started["jobId"], started["status"]) == ("cli-job", "IN_PROGRESS")
    data.update_job_execution(thingName="cli-thing", jobId="cli-job", status="SUCCEEDED")
    assert iot.describe_job(jobId="cli-job")["job"]["status"] == "COMPLETED"


@pytest.mark.parametrize("command", [MODULE, SCRIPT], ids=["python-m", "console-script"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_drives_with_boto3_and_exits_cleanly(tmp_path, command, sig):
    with serve(tmp_path, command=command) as server:
        drive(server)
        assert_clean_exit(server, server.stop(sig))


def test_serve_binds_loopback_by_default(tmp_path):
    with serve(tmp_path) as server:
        assert server.url.startswith("http://127.0.0.1:")
        tcp = Path("/proc/net/tcp")
        if tcp.exists():
            port = f"{server.port:04X}"
            listening = [
                line.split()[1]
                for line in tcp.read_text().splitlines()[1:]
                if line.split()[1].endswith(f":{port}") and line.split()[3] == "0A"
            ]
            assert listening == [f"0100007F:{port}"], listening
        assert_clean_exit(server, server.stop())


def test_throttle_flag_takes_effect(tmp_path):
    with serve(tmp_path, "--throttle-rps", "2") as server:
        data = server.client("iot-jobs-data")
        codes = []
        for _ in range(12):
            try:
                data.get_pending_job_executions(thingName="x")
                codes.append("ok")
            except ClientError as exc:
                codes.append(exc.response["Error"]["Code"])
        assert codes[0] == "ok"
        assert "ThrottlingException" in codes
        assert codes.count("ok") <= 4, codes
        assert_clean_exit(server, server.stop())


def test_fault_rate_flag_takes_effect(tmp_path):
    with serve(tmp_path, "--fault-rate", "1.0", "--seed", "3") as server:
        data, iot = server.client("iot-jobs-data"), server.client("iot")
        for _ in range(3):
            with pytest.raises(data.exceptions.ServiceUnavailableException):
                data.get_pending_job_executions(thingName="x")
        iot.create_thing(thingName="control-plane-still-works")
        assert_clean_exit(server, server.stop())


def test_latency_flag_takes_effect(tmp_path):
    with serve(tmp_path, "--latency-ms", "100") as server:
        data = server.client("iot-jobs-data")
        data.get_pending_job_executions(thingName="x")  # warm the connection
        began = time.perf_counter()
        data.get_pending_job_executions(thingName="x")
        assert time.perf_counter() - began >= 0.100
        assert_clean_exit(server, server.stop())


def test_explicit_host_flag(tmp_path):
    with serve(tmp_path, "--host", "127.0.0.1") as server:
        assert (
            server.client("iot-jobs-data").get_pending_job_executions(thingName="x")["queuedJobs"]
            == []
        )
        assert_clean_exit(server, server.stop())


def test_help():
    top = subprocess.run([*MODULE, "--help"], capture_output=True, text=True, timeout=60)
    assert top.returncode == 0, top.stderr
    assert "serve" in top.stdout
    sub = subprocess.run([*MODULE, "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert sub.returncode == 0, sub.stderr
    for flag in ("--host", "--port", "--latency-ms", "--throttle-rps", "--fault-rate", "--seed"):
        assert flag in sub.stdout, flag


def test_bad_flag_value_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [*MODULE, "serve", "--port", "0", "--fault-rate", "lots"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "--fault-rate" in proc.stderr


@pytest.mark.parametrize(
    ("flags", "rule"),
    [
        (["--port", "99999"], "from 0 to 65535"),
        (["--port", "-1"], "from 0 to 65535"),
        (["--fault-rate", "2"], "from 0 to 1"),
        (["--fleet", "200000"], "from 0 to 100000"),
        (["--fleet", "-1"], "from 0 to 100000"),
        (["--latency-ms", "-1"], ">= 0"),
        (["--throttle-rps", "0"], "> 0"),
        (["--fleet-speed", "0"], "> 0"),
    ],
)
def test_an_out_of_range_flag_is_a_usage_error_naming_the_flag(capsys, flags, rule):
    with pytest.raises(SystemExit) as exited:
        main(["serve", *flags])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flags[0]}: must be" in err
    assert rule in err
    assert "Traceback" not in err
    # Not the service's own error, which names the Python parameter ("jobsnb: fault_rate: ...").
    assert "\njobsnb: " not in f"\n{err}"


def test_port_out_of_range_prints_no_traceback():
    proc = subprocess.run(
        [*MODULE, "serve", "--port", "99999"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "argument --port: must be an integer from 0 to 65535" in proc.stderr


def test_a_bare_jobsnb_is_a_usage_error_listing_its_commands(capsys):
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: jobsnb")
    assert "a command is required: serve" in err


def test_serve_help_says_what_fleet_creates(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "<model>-<number>" in out
    for group in ("model-<model>", "region-<region>", "quarantine"):
        assert group in out, group
    plan = plan_fleet(50, seed=0)
    assert plan.initial_devices()[0].name in out  # the example is a name the plan makes
