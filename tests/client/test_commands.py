"""The fleet client's Commands against the local service: start_command over many things, the
executions' states as a typed frame (after the device reports, after the cloud times out), error
rows for unknown things and commands, arguments refused before any call, and no execution started
twice when answers are throttled, fail or are lost."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pandas as pd
import pytest

import jobsnb
from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames import (
    COMMAND_COLUMNS,
    COMMAND_EXECUTION_COLUMNS,
    COMMAND_STATUS_DTYPE,
    ERROR_COLUMNS,
    STARTED_COMMAND_COLUMNS,
)
from jobsnb.limits import COMMAND_STATUSES
from jobsnb.service import LocalJobsService
from tests.helpers import (
    THING_ARN,
    LossyProxy,
    assert_schema,
    fast_client,
    make_things,
    no_errors,
    utc,
)

COMMAND_ARN = "arn:aws:iot:us-east-1:123456789012:command/{}"
STARTS = r"POST /command-executions"


def make_command(iot: Any, command_id: str = "reboot", **fields: Any) -> str:
    """CreateCommand through the control plane (a static payload unless a template is given)."""
    if "payloadTemplate" not in fields:
        fields.setdefault(
            "payload", {"content": b'{"op": "reboot"}', "contentType": "application/json"}
        )
    return str(iot.create_command(commandId=command_id, **fields)["commandArn"])


def fleet(iot: Any, count: int) -> list[str]:
    return make_things(iot, [f"dev-{i:03d}" for i in range(count)])


def executions_in_service(iot: Any, command_id: str = "reboot") -> list[dict[str, Any]]:
    """Every execution of the command, as the service lists it to an unmodified boto3 client."""
    pages = iot.get_paginator("list_command_executions").paginate(
        commandArn=COMMAND_ARN.format(command_id)
    )
    return [item for page in pages for item in page["commandExecutions"]]


# --- start_command ------------------------------------------------------------------------------


def test_start_command_over_many_things_gives_one_execution_each(service, iot):
    names = fleet(iot, 50)
    make_command(iot)
    started = fast_client(service).start_command(names, "reboot", progress=False)
    no_errors(started)
    assert_schema(started, STARTED_COMMAND_COLUMNS)
    assert started["thing_name"].tolist() == names
    assert started["target_arn"].tolist() == [THING_ARN.format(name) for name in names]
    assert set(started["command_id"]) == {"reboot"}
    assert set(started["command_arn"]) == {COMMAND_ARN.format("reboot")}
    assert started["execution_id"].is_unique
    assert service.request_counts["StartCommandExecution"] == 50
    assert service.request_counts["GetCommand"] == 1  # the id, looked up once
    listed = executions_in_service(iot)
    assert sorted(item["executionId"] for item in listed) == sorted(started["execution_id"])
    assert {item["targetArn"] for item in listed} == set(started["target_arn"])


def test_a_command_arn_needs_no_lookup(service, iot):
    names = fleet(iot, 3)
    arn = make_command(iot)
    started = jobsnb.connect(service).start_command(names, arn, progress=False)
    no_errors(started)
    assert len(started) == 3
    assert "GetCommand" not in service.request_counts


def test_unknown_things_are_named_error_rows(service, iot):
    names = fleet(iot, 4)
    make_command(iot)
    asked = [names[0], "ghost-1", names[1], "ghost-2", names[2], names[3]]
    started = jobsnb.connect(service).start_command(
        asked, "reboot", progress=False, on_error="ignore"
    )
    errors = started.jobsnb.errors
    assert_schema(errors, ERROR_COLUMNS)
    assert started["thing_name"].tolist() == names
    assert errors["thing_name"].tolist() == ["ghost-1", "ghost-2"]
    assert set(errors["operation"]) == {"StartCommandExecution"}
    assert set(errors["error_code"]) == {"ResourceNotFoundException"}
    assert set(errors["http_status"]) == {404}
    assert len(executions_in_service(iot)) == 4


def test_an_unknown_command_id_is_an_error_row_per_thing_and_starts_nothing(service, iot):
    names = fleet(iot, 3)
    with pytest.warns(jobsnb.JobsnbWarning, match="ResourceNotFoundException"):
        started = jobsnb.connect(service).start_command(names, "rebot", progress=False)
    errors = started.jobsnb.errors
    assert started.empty
    assert_schema(started, STARTED_COMMAND_COLUMNS)
    assert errors["thing_name"].tolist() == names
    assert set(errors["operation"]) == {"GetCommand"}
    assert set(errors["error_code"]) == {"ResourceNotFoundException"}
    assert "StartCommandExecution" not in service.request_counts


def test_an_unknown_command_arn_is_refused_for_each_thing(service, iot):
    names = fleet(iot, 2)
    started = jobsnb.connect(service).start_command(
        names, COMMAND_ARN.format("rebot"), progress=False, on_error="ignore"
    )
    errors = started.jobsnb.errors
    assert errors["thing_name"].tolist() == names
    assert set(errors["operation"]) == {"StartCommandExecution"}
    assert set(errors["error_code"]) == {"ResourceNotFoundException"}


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"things": []}, "things"),
        ({"things": ["bad name!"]}, "things[0]"),
        ({"command": "bad id!"}, "command"),
        ({"command": "arn:aws:iot:us-east-1:123456789012:thing/x"}, "command"),
        ({"parameters": {}}, "parameters"),
        ({"parameters": ["delay"]}, "parameters"),
        ({"parameters": {"bad name!": 1}}, "parameters key"),
        ({"parameters": {"x" * 193: 1}}, "parameters key"),
        ({"parameters": {"p": ""}}, "parameters['p'].S"),
        ({"parameters": {"p": b""}}, "parameters['p'].BIN"),
        ({"parameters": {"p": {"I": 2**31}}}, "parameters['p'].I"),
        ({"parameters": {"p": {"L": 2**63}}}, "parameters['p'].L"),
        ({"parameters": {"p": {"UL": "-1"}}}, "parameters['p'].UL"),
        ({"parameters": {"p": {"D": float("nan")}}}, "parameters['p'].D"),
        ({"parameters": {"p": {"S": "a", "B": True}}}, "parameters['p']"),
        ({"parameters": {"p": {"X": 1}}}, "parameters['p']"),
        ({"parameters": {"p": None}}, "parameters['p']"),
        ({"parameters": {"p": 10**20}}, "parameters['p'].UL"),
        ({"execution_timeout_seconds": 0}, "execution_timeout_seconds"),
        ({"execution_timeout_seconds": 1.5}, "execution_timeout_seconds"),
        ({"execution_timeout_seconds": True}, "execution_timeout_seconds"),
        ({"client_token": ""}, "client_token"),
        ({"on_error": "loud"}, "on_error"),
    ],
)
def test_bad_arguments_raise_before_any_call(service, iot, arguments, field):
    make_things(iot, ["dev-1"])
    make_command(iot)
    before = service.request_count
    call = {"things": ["dev-1"], "command": "reboot", "progress": False, **arguments}
    with pytest.raises(InvalidParameterError) as raised:
        jobsnb.connect(service).start_command(**call)
    assert raised.value.field == field
    assert service.request_count == before


def test_plain_parameters_take_the_commands_declared_types(service, iot):
    make_things(iot, ["dev-1"])
    make_command(
        iot,
        "collect-logs",
        payloadTemplate='{"lines": "${aws:iot:commandexecution::parameter:lines}"}',
        preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
        mandatoryParameters=[
            {"name": "lines", "type": "LONG"},
            {"name": "since", "type": "UNSIGNEDLONG"},
            {"name": "level", "type": "STRING", "defaultValue": {"S": "info"}},
        ],
    )
    client = jobsnb.connect(service)
    started = client.start_command(
        "dev-1", "collect-logs", parameters={"lines": 200, "since": 7}, progress=False
    )
    no_errors(started)
    (execution_id,) = started["execution_id"]
    sent = iot.get_command_execution(executionId=execution_id, targetArn=THING_ARN.format("dev-1"))
    assert sent["parameters"]["lines"] == {"L": 200}
    assert sent["parameters"]["since"] == {"UL": "7"}
    seen = client.command_executions(started, progress=False)
    assert seen["parameters"].tolist() == [{"lines": 200, "since": 7, "level": "info"}]
    # A plain value that cannot be the declared type is refused after GetCommand, before any start.
    calls = service.request_counts["StartCommandExecution"]
    with pytest.raises(InvalidParameterError) as raised:
        client.start_command("dev-1", "collect-logs", parameters={"lines": "many"}, progress=False)
    assert raised.value.field == "parameters['lines'].L"
    assert service.request_counts["StartCommandExecution"] == calls


def test_the_same_client_token_starts_nothing_new(service, iot):
    names = fleet(iot, 5)
    make_command(iot)
    client = jobsnb.connect(service)
    first = client.start_command(names, "reboot", client_token="fix-42", progress=False)
    again = client.start_command(names, "reboot", client_token="fix-42", progress=False)
    fresh = client.start_command(names, "reboot", progress=False)
    assert again["execution_id"].tolist() == first["execution_id"].tolist()
    assert set(fresh["execution_id"]).isdisjoint(first["execution_id"])
    assert len(executions_in_service(iot)) == 10
    # The same token with another request: AWS's 409, a row per thing.
    other = client.start_command(
        names,
        "reboot",
        client_token="fix-42",
        execution_timeout_seconds=99,
        progress=False,
        on_error="ignore",
    )
    assert other.empty
    assert set(other.jobsnb.errors["error_code"]) == {"ConflictException"}


@pytest.mark.parametrize("command", ["reboot", COMMAND_ARN.format("reboot")])
def test_a_stopped_fan_out_starts_nothing_and_names_every_thing(service, iot, command):
    names = fleet(iot, 3)
    make_command(iot)
    stop = threading.Event()
    stop.set()
    started = jobsnb.connect(service).start_command(
        names, command, stop=stop, progress=False, on_error="ignore"
    )
    errors = started.jobsnb.errors
    assert started.empty
    assert errors["thing_name"].tolist() == names
    assert set(errors["error_code"]) == {"NotRun"}
    assert "StartCommandExecution" not in service.request_counts
    assert executions_in_service(iot) == []


# --- lost, throttled and failed answers: one execution per thing, never two ---------------------


def test_lost_answers_start_each_execution_once(service, iot):
    names = fleet(iot, 60)
    make_command(iot)
    with LossyProxy(service.url, STARTS, every=3) as proxy:
        started = fast_client(proxy).start_command(names, "reboot", progress=False)
    assert proxy.lost >= 20
    no_errors(started)
    assert sorted(started["thing_name"]) == names
    listed = executions_in_service(iot)
    assert len(listed) == 60  # each retried call returned the execution its lost one started
    assert sorted(item["executionId"] for item in listed) == sorted(started["execution_id"])


def test_a_throttled_service_still_gives_one_execution_per_thing(clock):
    with LocalJobsService(throttle_rps=20, clock=clock) as service:
        client = jobsnb.connect(service, writes_per_second=1000, control_per_second=1000)
        names = fleet(client.control, 40)
        make_command(client.control)
        started = client.start_command(names, "reboot", progress=False)
        listed = client.command_executions(command="reboot", progress=False)
    no_errors(started)
    assert started["thing_name"].tolist() == names
    assert client.write_budget.throttles > 0
    assert len(listed) == 40
    assert sorted(listed["thing_name"]) == names


def test_a_faulty_service_still_gives_one_execution_per_thing(clock):
    with LocalJobsService(fault_rate=0.3, seed=5, clock=clock) as service:
        client = fast_client(service)
        names = fleet(client.control, 60)
        make_command(client.control)
        started = client.start_command(names, "reboot", progress=False)
        faulted = service.request_counts["StartCommandExecution"] - 60
        listed = client.command_executions(command="reboot", progress=False)
    no_errors(started)
    assert faulted > 0
    assert started["thing_name"].tolist() == names
    assert sorted(listed["execution_id"]) == sorted(started["execution_id"])


# --- command_executions -------------------------------------------------------------------------


def assert_command_schema(frame: pd.DataFrame) -> None:
    """The documented columns, in order, with their dtypes (helpers' assert_schema expects a
    job status)."""
    expected = {c.name: c.pandas_dtype for c in COMMAND_EXECUTION_COLUMNS}
    assert list(frame.columns) == list(expected)
    assert frame.dtypes.to_dict() == expected
    assert isinstance(frame.index, pd.RangeIndex)


def test_the_frame_has_the_documented_schema(service, iot):
    names = fleet(iot, 3)
    make_command(iot)
    client = jobsnb.connect(service)
    started = client.start_command(names, "reboot", execution_timeout_seconds=60, progress=False)
    for frame in (
        client.command_executions(started, progress=False),
        client.command_executions(command="reboot", progress=False),
        client.command_executions(command="reboot", describe=True, progress=False),
        client.command_executions(started.iloc[:0], progress=False),
    ):
        assert_command_schema(frame)
        assert frame["status"].dtype == COMMAND_STATUS_DTYPE
        assert frame["status"].cat.categories.tolist() == list(COMMAND_STATUSES)
        assert frame["status"].cat.ordered
        for column in ("created_at", "started_at", "completed_at", "last_updated_at"):
            assert str(frame[column].dt.tz) == "UTC"
    seen = client.command_executions(started, progress=False)
    assert seen["thing_name"].tolist() == names
    assert seen["execution_id"].tolist() == started["execution_id"].tolist()
    assert set(seen["status"]) == {"CREATED"}
    assert set(seen["created_at"]) == {utc(0)}
    assert set(seen["execution_timeout_seconds"]) == {60}
    assert seen["completed_at"].isna().all()


def test_statuses_after_the_devices_report(service, iot, clock):
    names = fleet(iot, 4)
    make_command(iot)
    client = jobsnb.connect(service)
    started = client.start_command(names, "reboot", execution_timeout_seconds=600, progress=False)
    ids = dict(zip(started["thing_name"], started["execution_id"], strict=True))
    backend = service.backend
    clock.advance(5)
    backend.update_command_execution(names[0], ids[names[0]], "IN_PROGRESS")
    clock.advance(5)
    backend.update_command_execution(
        names[1], ids[names[1]], "SUCCEEDED", result={"uptime": {"s": "41 days"}, "ok": {"b": True}}
    )
    backend.update_command_execution(
        names[2],
        ids[names[2]],
        "FAILED",
        status_reason={"reasonCode": "DISK_FULL", "reasonDescription": "no room for logs"},
    )
    backend.update_command_execution(names[3], ids[names[3]], "REJECTED")
    seen = client.command_executions(started, progress=False)
    assert seen["status"].tolist() == ["IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"]
    assert seen["result"].tolist()[1] == {"uptime": "41 days", "ok": True}
    assert seen["status_reason_code"].tolist()[2] == "DISK_FULL"
    assert seen["status_reason_description"].tolist()[2] == "no room for logs"
    assert seen["completed_at"].tolist()[1:] == [utc(10)] * 3
    assert pd.isna(seen["completed_at"].tolist()[0])
    assert seen["last_updated_at"].tolist()[0] == utc(5)
    # The order: the finished ones sort after the running one.
    assert (seen["status"] > "IN_PROGRESS").tolist() == [False, True, True, True]
    listed = client.command_executions(command="reboot", status="SUCCEEDED", progress=False)
    assert listed["thing_name"].tolist() == [names[1]]
    assert listed["result"].tolist() == [{}]  # the listing does not carry results
    described = client.command_executions(
        command="reboot", status="SUCCEEDED", describe=True, progress=False
    )
    assert described["result"].tolist() == [{"uptime": "41 days", "ok": True}]


def test_the_cloud_times_out_what_the_device_never_answered(service, iot, clock):
    names = fleet(iot, 2)
    make_command(iot)
    client = jobsnb.connect(service)
    started = client.start_command(names, "reboot", execution_timeout_seconds=60, progress=False)
    clock.advance(59)
    assert set(client.command_executions(started, progress=False)["status"]) == {"CREATED"}
    clock.advance(1)
    timed_out = client.command_executions(command="reboot", status="TIMED_OUT", progress=False)
    assert sorted(timed_out["thing_name"]) == names
    # The device may still report after the cloud's TIMED_OUT.
    first = started.iloc[0]
    service.backend.update_command_execution(
        first["thing_name"], first["execution_id"], "SUCCEEDED"
    )
    seen = client.command_executions(started, progress=False)
    assert seen["status"].tolist() == ["SUCCEEDED", "TIMED_OUT"]


def test_pairs_and_unknown_executions(service, iot):
    names = fleet(iot, 2)
    make_command(iot)
    client = jobsnb.connect(service)
    started = client.start_command(names, "reboot", progress=False)
    pairs = list(zip(started["thing_name"], started["execution_id"], strict=True))
    missing = uuid.uuid4().hex
    seen = client.command_executions(
        [*pairs, (names[0], missing), ("ghost", missing)], progress=False, on_error="ignore"
    )
    assert seen["execution_id"].tolist() == started["execution_id"].tolist()
    errors = seen.jobsnb.errors
    assert errors["thing_name"].tolist() == [names[0], "ghost"]
    assert set(errors["operation"]) == {"GetCommandExecution"}
    assert set(errors["error_code"]) == {"ResourceNotFoundException"}
    arns = client.command_executions(
        [(THING_ARN.format(name), eid) for name, eid in pairs], progress=False
    )
    assert arns["thing_name"].tolist() == names


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ({}, "executions"),
        ({"executions": [("dev-1", "e1")], "command": "reboot"}, "executions"),
        ({"executions": [("dev-1", "e1")], "status": "FAILED"}, "status"),
        ({"executions": [("dev-1", "e1")], "describe": True}, "describe"),
        ({"executions": [("dev-1", "bad id!")]}, "executions[0].execution_id"),
        ({"executions": [("dev-1",)]}, "executions"),
        ({"executions": []}, "executions"),
        ({"executions": pd.DataFrame({"thing_name": ["dev-1"]})}, "executions"),
        ({"command": "reboot", "status": "QUEUED"}, "status"),
        ({"command": "bad id!"}, "command"),
    ],
)
def test_command_executions_refuses_bad_arguments_before_any_call(service, call, field):
    with pytest.raises(InvalidParameterError) as raised:
        jobsnb.connect(service).command_executions(progress=False, **call)
    assert raised.value.field == field
    assert service.request_count == 0


def test_commands_lists_the_registry(service, iot):
    make_command(iot, "reboot")
    make_command(iot, "collect-logs", displayName="Collect logs")
    iot.update_command(commandId="reboot", deprecated=True)
    listed = jobsnb.connect(service).commands()
    assert_schema(listed, COMMAND_COLUMNS)
    rows = listed.set_index("command_id")
    assert sorted(rows.index) == ["collect-logs", "reboot"]
    assert bool(rows.loc["reboot", "deprecated"])
    assert rows.loc["collect-logs", "display_name"] == "Collect logs"
    assert set(listed["created_at"]) == {utc(0)}
