"""A second read of the fleet client's Commands: executions named by thing name still give one
row or one named error row each when the endpoint is dead or the call is stopped, and a pair that
is no pair is refused naming the argument."""

from __future__ import annotations

import threading

import pytest

import jobsnb
from jobsnb.exceptions import InvalidParameterError
from tests.helpers import closed_port

UNREACHABLE = {"EndpointUnreachable", "EndpointConnectionError"}


def test_executions_by_thing_name_on_a_dead_endpoint_are_error_rows():
    client = jobsnb.connect(f"http://127.0.0.1:{closed_port()}")
    pairs = [("sensor-1", "e-1"), ("sensor-2", "e-2")]
    seen = client.command_executions(pairs, progress=False, on_error="ignore")
    assert seen.empty
    errors = seen.jobsnb.errors
    assert errors["thing_name"].tolist() == ["sensor-1", "sensor-2"]
    assert set(errors["error_code"]) <= UNREACHABLE


def test_executions_by_thing_name_when_stopped_call_nothing(service):
    stop = threading.Event()
    stop.set()
    seen = jobsnb.connect(service).command_executions(
        [("sensor-1", "e-1"), ("sensor-2", "e-2")], stop=stop, progress=False, on_error="ignore"
    )
    assert service.request_count == 0
    errors = seen.jobsnb.errors
    assert errors["thing_name"].tolist() == ["sensor-1", "sensor-2"]
    assert set(errors["error_code"]) == {"NotRun"}


@pytest.mark.parametrize("row", [5, None, 3.5])
def test_a_pair_that_is_no_pair_is_refused_naming_executions(service, row):
    with pytest.raises(InvalidParameterError) as raised:
        jobsnb.connect(service).command_executions([row], progress=False)
    assert raised.value.field == "executions"
    assert service.request_count == 0


def test_an_execution_asked_twice_is_read_once(service, iot):
    iot.create_thing(thingName="sensor-1")
    iot.create_command(commandId="reboot", payload={"content": b"{}"})
    client = jobsnb.connect(service)
    started = client.start_command(["sensor-1"], "reboot", progress=False)
    pair = ("sensor-1", started["execution_id"][0])
    seen = client.command_executions([pair, pair], progress=False)
    assert seen["execution_id"].tolist() == [pair[1]]
    assert service.request_counts["GetCommandExecution"] == 1
