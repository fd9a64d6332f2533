"""Every error an operation can answer is one its botocore model lists, so that boto3 raises
``client.exceptions.<Shape>`` for it and retries only what AWS would have it retry."""

from __future__ import annotations

import botocore.session
import pytest

from jobsnb.service.errors import ThrottlingException
from jobsnb.service.routes import DATA, ROUTES, Route

_NOT_FOUND = "ResourceNotFoundException"
_STATE = "InvalidStateTransitionException"
_EXISTS = "ResourceAlreadyExistsException"
_VERSION = "VersionConflictException"
_CONFLICT = "ConflictException"

#: What each operation's backend call raises besides the route's ``invalid`` (read from
#: backend.py, things.py, execution_operations.py, commands.py and command_executions.py: a
#: ``describe_*``, ``find_execution`` or ``_command`` lookup raises ResourceNotFoundException,
#: an ``expected_version`` check VersionConflictException, a status check
#: InvalidStateTransitionException, a commands' state check ConflictException).
RAISED: dict[tuple[str, str], set[str]] = {
    (DATA, "GetPendingJobExecutions"): set(),
    (DATA, "StartNextPendingJobExecution"): set(),
    (DATA, "DescribeJobExecution"): {_NOT_FOUND},
    (DATA, "UpdateJobExecution"): {_NOT_FOUND, _STATE},
    (DATA, "StartCommandExecution"): {_NOT_FOUND, _CONFLICT},
    ("control", "AddThingToThingGroup"): {_NOT_FOUND},
    ("control", "RemoveThingFromThingGroup"): {_NOT_FOUND},
    ("control", "CreateThing"): {_EXISTS},
    ("control", "DescribeThing"): {_NOT_FOUND},
    ("control", "UpdateThing"): {_NOT_FOUND, _VERSION},
    ("control", "DeleteThing"): {_NOT_FOUND, _VERSION},
    ("control", "ListThings"): set(),
    ("control", "CreateThingGroup"): {_EXISTS},
    ("control", "DescribeThingGroup"): {_NOT_FOUND},
    ("control", "DeleteThingGroup"): {_VERSION},  # an unknown group is success, as in AWS
    ("control", "ListThingGroups"): set(),
    ("control", "ListThingsInThingGroup"): {_NOT_FOUND},
    ("control", "CreateJob"): {_EXISTS, _NOT_FOUND},
    ("control", "DescribeJob"): {_NOT_FOUND},
    ("control", "DeleteJob"): {_NOT_FOUND, _STATE},
    ("control", "UpdateJob"): {_NOT_FOUND},
    ("control", "AssociateTargetsWithJob"): {_NOT_FOUND, "LimitExceededException"},
    ("control", "GetJobDocument"): {_NOT_FOUND},
    ("control", "ListJobs"): set(),
    ("control", "CancelJob"): {_NOT_FOUND},
    ("control", "ListJobExecutionsForJob"): {_NOT_FOUND},
    ("control", "ListJobExecutionsForThing"): set(),
    ("control", "DescribeJobExecution"): {_NOT_FOUND},
    ("control", "CancelJobExecution"): {_NOT_FOUND, _VERSION, _STATE},
    ("control", "DeleteJobExecution"): {_NOT_FOUND, _STATE},
    ("control", "DescribeEndpoint"): set(),
    ("control", "CreateCommand"): {_CONFLICT},
    ("control", "GetCommand"): {_NOT_FOUND},
    ("control", "ListCommands"): set(),
    ("control", "UpdateCommand"): {_NOT_FOUND, _CONFLICT},
    ("control", "DeleteCommand"): set(),  # an unknown command is success (204)
    ("control", "GetCommandExecution"): {_NOT_FOUND},
    ("control", "ListCommandExecutions"): {_NOT_FOUND},
    ("control", "DeleteCommandExecution"): {_CONFLICT},  # an unknown one is success
}


def _answerable(route: Route) -> set[str]:
    """Every error shape the app can answer for ``route``: its validation shape (bad input,
    bodies too large, hostile JSON), its 5xx (a simulated fault, an unexpected failure),
    ThrottlingException where it has a quota, and what its backend operation raises."""
    shapes = {route.invalid.__name__, route.unavailable.__name__}
    if route.quota is not None:
        shapes.add(ThrottlingException.__name__)
    return shapes | RAISED[(route.plane, route.operation)]


def test_the_list_covers_every_route() -> None:
    assert set(RAISED) == {(route.plane, route.operation) for route in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.plane}-{r.operation}")
def test_every_error_a_route_answers_is_modelled(route: Route) -> None:
    service = "iot-jobs-data" if route.plane == DATA else "iot"
    model = botocore.session.get_session().get_service_model(service)
    modelled = {shape.name for shape in model.operation_model(route.operation).error_shapes}
    assert _answerable(route) <= modelled, _answerable(route) - modelled
