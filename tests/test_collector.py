"""The collector: rounds into a history, failed rounds kept and survived, signals, bad flags.

The Python tests drive :class:`~jobsnb.collector.Collector` against the local service on a
manual clock, behind a proxy that refuses what a test says. The command-line tests run
``python -m jobsnb snapshot`` as a real subprocess against a sandbox running live on its own
clock in this process, and wait on its log lines and on the service's request counts.
"""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pyarrow.dataset as ds
import pytest

import jobsnb
from jobsnb.cli import main
from jobsnb.collector import Collector, collect
from jobsnb.history import read_history
from jobsnb.simulation import Sandbox
from tests.helpers import (
    MODULE,
    RefusingProxy,
    after_answers,
    fast_client,
    make_job,
    make_things,
    utc,
)
from tests.history_s3 import BUCKET, local_s3, object_keys

THINGS = [f"sensor-{i}" for i in range(1, 13)]
#: What the proxy refuses when told to refuse nothing.
NOTHING = re.compile(r"(?!)")
#: How long a subprocess may take to reach a line of its log before the test fails.
LOG_SECONDS = 60.0


@pytest.fixture
def fleet(service, iot):
    """Twelve things in group ``north``, two IN_PROGRESS jobs on them, on the manual clock."""
    make_things(iot, THINGS, group="north")
    make_job(iot, "fw-2", THINGS)
    make_job(iot, "reboot", THINGS[:4])
    return service


@pytest.fixture
def proxy(fleet):
    with RefusingProxy(fleet.url, refuse=NOTHING.pattern) as refusing:
        yield refusing


# --- the Python API ------------------------------------------------------------------------------


def test_a_round_writes_executions_and_pending_at_the_service_time(fleet, tmp_path):
    collector = Collector(fast_client(fleet), tmp_path, group="north")
    taken = collector.round()
    assert taken.ok, taken.summary
    assert (taken.number, taken.snapshot_at, taken.jobs) == (1, utc(0), ("fw-2", "reboot"))
    executions = read_history(tmp_path / "executions")
    pending = read_history(tmp_path / "pending")
    assert len(executions) == 16
    assert len(pending) == 16
    assert set(executions["snapshot_at"]) == set(pending["snapshot_at"]) == {utc(0)}
    assert not (tmp_path / "errors").exists()
    assert taken.summary == (
        "round 1 at 2023-11-14 22:13:20 UTC: 16 executions of 2 jobs, 16 pending executions"
    )


def test_a_job_that_ends_is_read_once_more_in_its_final_state(fleet, data, tmp_path):
    collector = Collector(fast_client(fleet), tmp_path)
    assert collector.round().jobs == ("fw-2", "reboot")
    for thing in THINGS[:4]:
        data.update_job_execution(thingName=thing, jobId="reboot", status="SUCCEEDED")
    fleet.advance(60)
    last_look = collector.round()
    fleet.advance(60)
    assert (last_look.jobs, collector.round().jobs) == (("fw-2", "reboot"), ("fw-2",))
    history = read_history(tmp_path / "executions", jobs="reboot")
    final = history[history["snapshot_at"] == utc(60)]
    assert final["status"].tolist() == ["SUCCEEDED"] * 4


def test_a_failed_round_is_kept_named_and_the_next_round_is_written(fleet, proxy, tmp_path):
    collector = Collector(jobsnb.connect(proxy.url), tmp_path, things=THINGS)
    proxy.refuse = re.compile(r".*")
    failed = collector.round()
    proxy.refuse = NOTHING
    fleet.advance(60)
    written = collector.round()
    assert failed.failure is not None
    assert failed.failure.startswith("ListJobs: InvalidRequestException: Endpoint type not")
    assert (failed.ok, failed.executions, failed.pending) == (False, None, None)
    assert " failed: ListJobs: InvalidRequestException" in failed.summary
    assert written.ok, written.summary
    assert written.number == 2
    errors = read_history(tmp_path / "errors")
    assert errors[["operation", "error_code"]].values.tolist() == [
        ["ListJobs", "InvalidRequestException"]
    ]
    # Refused by the proxy, which sends no Date: the error is stamped with this machine's time.
    assert errors["snapshot_at"].iloc[0] > utc(60)
    assert read_history(tmp_path / "executions")["snapshot_at"].unique().tolist() == [utc(60)]


def test_a_group_that_cannot_be_listed_fails_the_round_by_name(fleet, proxy, tmp_path):
    proxy.refuse = re.compile(r"GET /thing-groups/north/things.*")
    taken = Collector(jobsnb.connect(proxy.url), tmp_path, group="north").round()
    assert taken.failure is not None
    assert taken.failure.startswith("ListThingsInThingGroup: InvalidRequestException")
    assert taken.jobs == ("fw-2", "reboot")  # listed before the group failed
    assert read_history(tmp_path / "errors")["operation"].tolist() == ["ListThingsInThingGroup"]


def test_failed_calls_are_rows_of_errors_beside_the_snapshot(fleet, proxy, tmp_path):
    proxy.refuse = re.compile(r"GET /things/sensor-1\d?/jobs")  # sensor-1, -10, -11, -12
    taken = Collector(jobsnb.connect(proxy.url), tmp_path, jobs="fw-2", things=THINGS).round()
    assert not taken.ok
    assert taken.failure is None
    assert "4 calls failed: InvalidRequestException ×4 (Endpoint type not" in taken.summary
    errors = read_history(tmp_path / "errors")
    assert sorted(errors["thing_name"]) == ["sensor-1", "sensor-10", "sensor-11", "sensor-12"]
    assert set(errors["operation"]) == {"GetPendingJobExecutions"}
    pending = read_history(tmp_path / "pending")
    # The other things' pending executions are written all the same: fw-2's, and reboot's.
    assert set(pending["thing_name"]) == {f"sensor-{i}" for i in range(2, 10)}
    assert len(pending) == 8 + 3
    assert set(pending["snapshot_at"]) == set(errors["snapshot_at"]) == {utc(0)}


def test_a_frame_whose_every_call_failed_is_not_written(fleet, proxy, tmp_path):
    proxy.refuse = re.compile(r"GET /things/.*")  # every GetPendingJobExecutions
    taken = Collector(jobsnb.connect(proxy.url), tmp_path, things=THINGS).round()
    assert (taken.failure, taken.pending) == (None, None)
    assert taken.summary.endswith(
        "UTC: 16 executions of 2 jobs; 12 calls failed: InvalidRequestException ×12 "
        "(Endpoint type not supported for this account) (kept in errors/)"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["errors", "executions"]
    assert len(read_history(tmp_path / "errors")) == 12


def test_a_round_whose_every_call_failed_fails_with_their_errors(fleet, proxy, tmp_path):
    proxy.refuse = re.compile(r"GET /(jobs|things)/.*")  # all but ListJobs
    taken = Collector(jobsnb.connect(proxy.url), tmp_path, things=THINGS).round()
    assert taken.failure == (
        "all 14 calls failed: InvalidRequestException ×14 "
        "(Endpoint type not supported for this account)"
    )
    assert taken.summary.endswith(f"UTC failed: {taken.failure}")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["errors"]
    assert len(read_history(tmp_path / "errors")) == 14


def test_a_round_stopped_midway_writes_nothing(fleet, tmp_path):
    client = fast_client(fleet, workers=2)
    stop = threading.Event()
    after_answers(client.data, "GetPendingJobExecutions", 2, stop.set)
    taken = Collector(client, tmp_path, things=THINGS).round(stop)
    assert taken.stopped
    assert taken.summary.endswith("stopped before it finished; not written")
    assert not taken.ok
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_collect_stops_between_rounds_at_once(fleet, tmp_path):
    stop = threading.Event()
    taken = []
    for result in collect(fast_client(fleet), tmp_path, every="1h", stop=stop):
        taken.append(result)
        stop.set()  # while the collector would wait an hour for the next round
    assert [result.number for result in taken] == [1]  # and no hour went by


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"things": ["a"], "group": "g"}, "group"),
        ({"jobs": []}, "jobs"),
        ({"jobs": ["no spaces"]}, "jobs[0]"),
        ({"group": "a/b"}, "group"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(fleet, tmp_path, options, field):
    with pytest.raises(jobsnb.InvalidParameterError) as raised:
        Collector(fast_client(fleet), tmp_path, **options)
    assert raised.value.field == field


def test_bad_rounds_or_every_raise_naming_the_argument(fleet, tmp_path):
    collector = Collector(fast_client(fleet), tmp_path)
    with pytest.raises(jobsnb.InvalidParameterError, match=r"^rounds: "):
        next(collector.run("1s", rounds=0))
    with pytest.raises(jobsnb.InvalidParameterError, match=r"^every: "):
        next(collector.run("soon"))


# --- the command line, in this process -----------------------------------------------------------


def test_once_reads_things_from_a_file_and_logs_the_round(fleet, tmp_path, capsys):
    names = tmp_path / "things.txt"
    names.write_text("\n".join(THINGS) + "\n")
    history = tmp_path / "history"
    argv = ["snapshot", "--once", "--to", str(history), "--things", f"@{names}"]
    code = main([*argv, "--endpoint-url", fleet.url])
    log = capsys.readouterr().err
    assert code == 0, log
    assert "executions of the IN_PROGRESS jobs; pending of 12 things" in log
    assert "round 1 at 2023-11-14 22:13:20 UTC: 16 executions of 2 jobs, 16 pending" in log
    assert log.rstrip().endswith("jobsnb snapshot: done after 1 round, 0 failed")
    assert len(read_history(history / "pending")) == 16
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # its handlers are put back


def test_once_into_s3_appends_each_dataset_under_the_prefix(fleet, capsys):
    with local_s3() as url:
        argv = ["snapshot", "--once", "--to", f"s3://{BUCKET}/fleet/", "--group", "north"]
        code = main([*argv, "--endpoint-url", fleet.url])
        keys = object_keys(url)
        executions = read_history(f"s3://{BUCKET}/fleet/executions")
    assert code == 0, capsys.readouterr().err
    assert [key.split("/")[:3] for key in keys] == [
        ["fleet", "executions", "snapshot_date=2023-11-14"],
        ["fleet", "pending", "snapshot_date=2023-11-14"],
    ]
    assert len(executions) == 16


def test_help_lists_every_flag(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["snapshot", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--every", "--to", "--jobs", "--things", "--group", "--rounds", "--once"):
        assert flag in out, flag
    for flag in ("--endpoint-url", "--region", "--profile"):
        assert flag in out, flag


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--every", "0"], "argument --every: must be a duration > 0"),
        (["--every", "soon"], "argument --every: must be a duration > 0"),
        (["--rounds", "0"], "argument --rounds: must be an integer >= 1"),
        (["--rounds", "2", "--once"], "argument --once: not allowed with argument --rounds"),
        (["--things", "a", "--group", "g"], "argument --group: not allowed with argument --things"),
        (["--jobs", "fw 2"], "argument --jobs: must be 1-64 characters"),
        (["--things", "a/b"], "argument --things: must be 1-128 characters"),
        (["--group", "a/b"], "argument --group: must be 1-128 characters"),
        (["--endpoint-url", "localhost:1"], "argument --endpoint-url: must start with http://"),
        (["--profile", "no-such-profile"], "argument --profile: The config profile"),
    ],
)
def test_a_bad_flag_is_a_usage_error_naming_the_flag(tmp_path, capsys, flags, message):
    argv = ["snapshot", "--to", str(tmp_path), *flags]
    if "--endpoint-url" not in flags:
        argv += ["--endpoint-url", "http://127.0.0.1:1"]  # fails at the flag, before any call
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("usage: jobsnb snapshot")
    assert "Traceback" not in err


def test_a_file_as_the_history_is_a_usage_error(tmp_path, capsys):
    taken = tmp_path / "taken.parquet"
    taken.write_bytes(b"")
    with pytest.raises(SystemExit) as exited:
        main(["snapshot", "--to", str(taken), "--endpoint-url", "http://127.0.0.1:1"])
    assert exited.value.code == 2
    assert "argument --to: must be a directory or an s3:// URL" in capsys.readouterr().err


def test_a_missing_to_prints_no_traceback():
    proc = subprocess.run([*MODULE, "snapshot"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "the following arguments are required: --to" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- the command line as a subprocess, against a live sandbox ------------------------------------


@pytest.fixture(scope="module")
def live() -> Iterator[Sandbox]:
    """300 things, their clock running a minute per second, so rounds a second apart differ."""
    with jobsnb.sandbox(things=300, seed=1) as sb:
        sb.run(speed=60)
        yield sb


class Log:
    """A subprocess's stderr, line by line, as it comes."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str) -> re.Match[str]:
        """The first line from now on that matches ``pattern``."""
        deadline = time.monotonic() + LOG_SECONDS
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}: {self.text}") from None
            if line is None:
                raise AssertionError(f"exited before {pattern!r}: {self.text}")
            self.lines.append(line)
            if found := re.search(pattern, line):
                return found

    def rest(self) -> str:
        """Every line until the process closed its stderr."""
        while (line := self._queue.get(timeout=LOG_SECONDS)) is not None:
            self.lines.append(line)
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def snapshot(*flags: str) -> Iterator[tuple[subprocess.Popen[str], Log]]:
    """``python -m jobsnb snapshot`` with ``flags``, and its log; killed if still running."""
    proc = subprocess.Popen(
        [*MODULE, "snapshot", *flags], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        yield proc, Log(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=LOG_SECONDS)


def wait_until_answered(sb: Sandbox, operation: str, count: int) -> None:
    """Until the service has answered ``count`` calls of ``operation`` in all."""
    deadline = time.monotonic() + LOG_SECONDS
    while sb.service.request_counts.get(operation, 0) < count:
        assert time.monotonic() < deadline, f"{operation}: {sb.service.request_counts}"
        time.sleep(0.005)


#: A round written, with or without failed calls: its time, executions and pending executions
#: (the pending are not written when every pending call failed).
WRITTEN = re.compile(
    r"round \d+ at ([\d-]+ [\d:]+) UTC: ([\d,]+) executions of \d+ jobs?"
    r"(?:, ([\d,]+) pending executions?)?(?:; .* calls? failed: .*)?$"
)
#: A round written whole, with no failed call.
CLEAN = r"round \d+ at .* UTC: [\d,]+ executions of \d+ jobs?, [\d,]+ pending executions?$"


@pytest.mark.slow
def test_the_collector_survives_a_failed_round_and_a_sigterm_midway(live, tmp_path):
    history = tmp_path / "history"
    names = tmp_path / "things.txt"
    names.write_text("\n".join(live.things) + "\n")
    with RefusingProxy(live.url, refuse=NOTHING.pattern) as proxy:
        flags = ["--every", "1s", "--to", str(history), "--endpoint-url", proxy.url]
        with snapshot(*flags, "--things", f"@{names}") as (proc, log):
            log.wait_for(CLEAN)
            proxy.refuse = re.compile(r".*")  # the endpoint refuses everything
            log.wait_for(r"round \d+ at .* failed: ListJobs: InvalidRequestException")
            proxy.refuse = NOTHING
            log.wait_for(CLEAN)
            # SIGTERM while the next round's pending calls are under way (300 at 200/s).
            answered = live.service.request_counts.get("GetPendingJobExecutions", 0)
            wait_until_answered(live, "GetPendingJobExecutions", answered + 20)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=LOG_SECONDS)
    text = log.rest()
    assert code == 1, text  # a round failed
    assert "Traceback" not in text
    assert "SIGTERM: stopping; a round under way is not written (again: at once)" in text
    stopped = re.search(r"round \d+ at ([\d-]+ [\d:]+) UTC: stopped before it finished", text)
    assert stopped, text
    assert re.search(r"stopped by SIGTERM after \d+ rounds, [1-9]\d* failed$", text), text

    # Every snapshot the log says was written is in the history, whole; nothing else is.
    written = [m for m in map(WRITTEN.search, log.lines) if m]
    assert len(written) >= 2
    assert pd.Timestamp(stopped[1], tz="UTC") not in {pd.Timestamp(m[1], tz="UTC") for m in written}
    for dataset, group in (("executions", 2), ("pending", 3)):
        logged = {
            pd.Timestamp(m[1], tz="UTC"): int(m[group].replace(",", ""))
            for m in written
            if m[group] is not None
        }
        frame = read_history(history / dataset)
        rows = frame.groupby("snapshot_at").size()
        assert {stamp: int(rows.get(stamp, 0)) for stamp in logged} == logged, text
        assert set(rows.index) <= set(logged)
        raw = ds.dataset(history / dataset, format="parquet", partitioning="hive")
        assert raw.to_table().num_rows == len(frame)
        assert len(raw.files) == len(logged)
    errors = read_history(history / "errors")
    assert ["ListJobs", "InvalidRequestException"] in errors[
        ["operation", "error_code"]
    ].values.tolist()


def test_sigint_between_rounds_stops_at_once_and_exits_0(live, tmp_path):
    history = tmp_path / "history"
    flags = ["--every", "1h", "--jobs", live.jobs[0].job_id, "--endpoint-url", live.url]
    with snapshot(*flags, "--to", str(history)) as (proc, log):
        log.wait_for(r"round 1 at .* executions of 1 job$")
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=LOG_SECONDS)
    text = log.rest()
    assert code == 0, text
    assert "SIGINT: stopping" in text
    assert text.endswith("jobsnb snapshot: stopped by SIGINT after 1 round, 0 failed")
    assert "Traceback" not in text
    assert read_history(history / "executions")["snapshot_at"].nunique() == 1


def test_a_second_sigterm_kills_it_at_once(tmp_path):
    history = tmp_path / "history"
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        silent.settimeout(LOG_SECONDS)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with snapshot("--jobs", "fw-2", "--to", str(history), "--endpoint-url", url) as (proc, log):
            connection, _ = silent.accept()
            with connection:
                assert connection.recv(65536).startswith(b"GET /jobs/fw-2/things")
                proc.send_signal(signal.SIGTERM)  # the round waits for its call under way ...
                log.wait_for(r"SIGTERM: stopping")
                proc.send_signal(signal.SIGTERM)  # ... unless told again
                code = proc.wait(timeout=LOG_SECONDS)
    text = log.rest()
    assert code == -signal.SIGTERM, text  # killed by it: 143 in a shell
    assert "Traceback" not in text
    assert not history.exists()
