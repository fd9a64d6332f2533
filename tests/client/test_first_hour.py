"""What a new user meets first: empty answers stay frames, thing attributes join onto frames,
and things the account does not know can be named (issue 13)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames import EXECUTION_COLUMNS
from jobsnb.service import LocalJobsService
from tests.helpers import assert_schema, fast_client, make_job, make_things, no_errors


def test_describe_of_an_empty_pending_frame_is_an_empty_frame(service: LocalJobsService) -> None:
    client = fast_client(service)
    pending = client.pending(["nosuch-thing"], progress=False)
    assert pending.empty
    described = client.describe(pending, progress=False)
    assert described.empty
    assert_schema(described, EXECUTION_COLUMNS)
    no_errors(described)


def test_update_of_an_empty_frame_calls_nothing(service: LocalJobsService, iot: Any) -> None:
    make_things(iot, ["sensor-1"])
    make_job(iot, "fw-2", ["sensor-1"])
    client = fast_client(service)
    pending = client.pending("sensor-1", progress=False)
    updated = client.update(pending[pending["job_id"] == "other"], "SUCCEEDED", progress=False)
    assert updated.empty
    no_errors(updated)
    assert client.pending("sensor-1", progress=False)["status"].tolist() == ["QUEUED"]


# --- thing attributes -----------------------------------------------------------------------------


def _fleet(iot: Any) -> None:
    for name, attributes in [
        ("sensor-1", {"region": "eu", "model": "s1"}),
        ("sensor-2", {"region": "us"}),
        ("sensor-3", {}),
    ]:
        iot.create_thing(thingName=name, attributePayload={"attributes": attributes})
    make_job(iot, "fw-2", ["sensor-1", "sensor-2", "sensor-3"])


def test_thing_attributes_are_a_frame_of_strings(service: LocalJobsService, iot: Any) -> None:
    _fleet(iot)
    attributes = fast_client(service).thing_attributes()
    assert list(attributes.columns) == ["thing_name", "model", "region"]
    assert set(attributes.dtypes) == {pd.StringDtype()}
    assert attributes.set_index("thing_name")["region"].fillna("-").to_dict() == {
        "sensor-1": "eu",
        "sensor-2": "us",
        "sensor-3": "-",
    }
    only = fast_client(service).thing_attributes(["sensor-2"])
    assert only["thing_name"].tolist() == ["sensor-2"]


def test_with_attributes_joins_onto_executions_and_keeps_errors(
    service: LocalJobsService, iot: Any
) -> None:
    _fleet(iot)
    client = fast_client(service)
    fleet = client.executions(["fw-2", "nosuch-job"], progress=False, on_error="ignore")
    joined = fleet.jobsnb.with_attributes(client.thing_attributes())
    assert list(joined.columns) == [*fleet.columns, "model", "region"]
    assert joined["region"].fillna("-").tolist() == ["eu", "us", "-"]
    assert joined.jobsnb.errors["job_id"].tolist() == ["nosuch-job"]
    charts = pytest.importorskip("jobsnb.charts")
    figure = charts.status_distribution(joined, facet="region")
    assert figure.data


def test_an_attribute_named_like_a_column_raises_naming_it(
    service: LocalJobsService, iot: Any
) -> None:
    iot.create_thing(thingName="sensor-1", attributePayload={"attributes": {"status": "spare"}})
    make_job(iot, "fw-2", ["sensor-1"])
    client = fast_client(service)
    pending = client.pending("sensor-1", progress=False)
    with pytest.raises(InvalidParameterError, match=r"'status'.*prefix"):
        pending.jobsnb.with_attributes(client.thing_attributes())
    joined = pending.jobsnb.with_attributes(client.thing_attributes(), prefix="attr_")
    assert joined[["status", "attr_status"]].values.tolist() == [["QUEUED", "spare"]]


def test_with_attributes_of_an_empty_frame_is_empty(service: LocalJobsService, iot: Any) -> None:
    _fleet(iot)
    client = fast_client(service)
    joined = client.pending("nosuch", progress=False).jobsnb.with_attributes(
        client.thing_attributes()
    )
    assert joined.empty
    assert {"model", "region"} <= set(joined.columns)


# --- things the account does not know -------------------------------------------------------------


def _describe_thing_calls(client: Any) -> list[str]:
    """The thing names of every DescribeThing ``client.control`` makes from now on."""
    asked: list[str] = []
    client.control.meta.events.register(
        "provide-client-params.iot.DescribeThing",
        lambda params, **_: asked.append(params["thingName"]),
    )
    return asked


def test_an_unknown_thing_is_an_empty_answer_unless_checked(
    service: LocalJobsService, iot: Any
) -> None:
    make_things(iot, ["sensor-1", "sensor-2"])
    make_job(iot, "fw-2", ["sensor-1"])
    client = fast_client(service)
    things = ["sensor-1", "sensor-2", "nosuch-thing"]
    plain = client.pending(things, progress=False)
    no_errors(plain)
    asked = _describe_thing_calls(client)
    with pytest.warns(UserWarning, match="ResourceNotFoundException"):
        checked = client.pending(things, check_things=True, progress=False)
    assert checked["thing_name"].tolist() == ["sensor-1"]
    errors = checked.jobsnb.errors
    assert errors[["thing_name", "operation", "error_code", "http_status"]].values.tolist() == [
        ["nosuch-thing", "DescribeThing", "ResourceNotFoundException", 404]
    ]
    assert pd.isna(errors["job_id"][0])
    assert asked == ["sensor-2", "nosuch-thing"]  # sensor-1 answered with a row: no call


def test_names_from_client_things_are_not_checked(service: LocalJobsService, iot: Any) -> None:
    make_things(iot, ["sensor-1", "sensor-2"], group="north")
    client = fast_client(service)
    asked = _describe_thing_calls(client)
    for names in (client.things(), client.things("north")):
        checked = client.pending(names, check_things=True, progress=False)
        assert checked.empty
        no_errors(checked)
    assert asked == []
    client.pending(list(client.things())[:1], check_things=True, progress=False)
    assert asked == ["sensor-1"]  # a plain list is checked


def test_check_things_with_details_counts_every_call(service: LocalJobsService, iot: Any) -> None:
    make_things(iot, ["sensor-1"])
    make_job(iot, "fw-2", ["sensor-1"])
    client = fast_client(service)
    seen: list[tuple[int, int]] = []
    frame = client.pending(
        ["sensor-1", "nosuch"],
        check_things=True,
        details=True,
        progress=lambda done, total: seen.append((done, total)),
        on_error="ignore",
    )
    assert frame[["thing_name", "status_details"]].values.tolist() == [["sensor-1", {}]]
    assert frame.jobsnb.errors["thing_name"].tolist() == ["nosuch"]
    assert seen[-1] == (4, 4)  # two GetPending, one DescribeThing, one DescribeJobExecution
