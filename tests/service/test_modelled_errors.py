"""Every error an operation can answer is one its botocore model lists, so that boto3 raises
``client.exceptions.<Shape>`` for it and retries only what AWS would have it retry."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from jobsnb.service.errors import ThrottlingException
from jobsnb.service.routes import DATA, ROUTES, Route

_NOT_FOUND = "ResourceNotFoundException"
_STATE = "InvalidStateTransitionException"
_EXISTS = "ResourceAlreadyExistsException"
_VERSION = "VersionConflictException"
_CONFLICT = "ConflictException"
_CERT_STATE = "CertificateStateException"

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
    ("control", "CreateJobTemplate"): {"ConflictException", _NOT_FOUND},
    ("control", "DescribeJobTemplate"): {_NOT_FOUND},
    ("control", "ListJobTemplates"): set(),
    ("control", "DeleteJobTemplate"): {_NOT_FOUND},
    ("control", "ListManagedJobTemplates"): {_NOT_FOUND},
    ("control", "DescribeManagedJobTemplate"): {_NOT_FOUND},
    ("control", "CreateCommand"): {_CONFLICT},
    ("control", "GetCommand"): {_NOT_FOUND},
    ("control", "ListCommands"): set(),
    ("control", "UpdateCommand"): {_NOT_FOUND, _CONFLICT},
    ("control", "DeleteCommand"): set(),  # an unknown command is success (204)
    ("control", "GetCommandExecution"): {_NOT_FOUND},
    ("control", "ListCommandExecutions"): {_NOT_FOUND},
    ("control", "DeleteCommandExecution"): {_CONFLICT},  # an unknown one is success
    ("control", "CreateKeysAndCertificate"): set(),
    ("control", "DescribeCertificate"): {_NOT_FOUND},
    ("control", "UpdateCertificate"): {_NOT_FOUND, _CERT_STATE},
    ("control", "DeleteCertificate"): {_NOT_FOUND, _CERT_STATE, "DeleteConflictException"},
    ("control", "ListCertificates"): set(),
    ("control", "AttachThingPrincipal"): {_NOT_FOUND},
    ("control", "DetachThingPrincipal"): {_NOT_FOUND},
    ("control", "ListThingPrincipals"): {_NOT_FOUND},
    ("control", "ListThingPrincipalsV2"): {_NOT_FOUND},
    ("control", "ListPrincipalThings"): {_NOT_FOUND},
    ("control", "ListPrincipalThingsV2"): {_NOT_FOUND},
    ("control", "UpdateEventConfigurations"): set(),
    ("control", "DescribeEventConfigurations"): set(),
}
#: Operations with no input members, whose model lists no 400 shape: the route's validation
#: shape answers only a body over MAX_BODY, which no SDK sends them.
NO_INPUT = {("control", "DescribeEventConfigurations")}
#: The service's own routes (the presigned URLs it hands out), which no model describes.
AWS_ROUTES = [route for route in ROUTES if route.aws]


def _answerable(route: Route) -> set[str]:
    """Every error shape the app can answer for ``route``: its validation shape (bad input,
    bodies too large, hostile JSON), its 5xx (a simulated fault, an unexpected failure),
    ThrottlingException where it has a quota, and what its backend operation raises."""
    shapes = {route.unavailable.__name__}
    if (route.plane, route.operation) not in NO_INPUT:
        shapes.add(route.invalid.__name__)
    if route.quota is not None:
        shapes.add(ThrottlingException.__name__)
    return shapes | RAISED[(route.plane, route.operation)]


def test_the_list_covers_every_route() -> None:
    assert set(RAISED) == {(route.plane, route.operation) for route in AWS_ROUTES}


@pytest.mark.parametrize("route", AWS_ROUTES, ids=lambda r: f"{r.plane}-{r.operation}")
def test_every_error_a_route_answers_is_modelled(route: Route) -> None:
    service = "iot-jobs-data" if route.plane == DATA else "iot"
    model = botocore.session.get_session().get_service_model(service)
    modelled = {shape.name for shape in model.operation_model(route.operation).error_shapes}
    assert _answerable(route) <= modelled, _answerable(route) - modelled


def test_schedulingconfig_refusals_are_createjobs_modelled_invalid_request(iot: Any) -> None:
    """Every schedulingConfig rule answers CreateJob's InvalidRequestException (and a scheduled
    job's UpdateJob, CancelJob and DeleteJob answer no error at all)."""
    model = botocore.session.get_session().get_service_model("iot")
    modelled = {shape.name for shape in model.operation_model("CreateJob").error_shapes}
    iot.create_thing(thingName="t1")
    target = ["arn:aws:iot:us-east-1:123456789012:thing/t1"]
    for scheduling in (
        {"startTime": "2023-11-14T22:20"},
        {"endTime": "2030-01-01T00:00", "startTime": "2030-01-01T00:10"},
        {"endBehavior": "PAUSE"},
        {"maintenanceWindows": [{"startTime": "cron(0 2 * * * *)", "durationInMinutes": 5}]},
        {"maintenanceWindows": [{"startTime": "cron(0 2 ? * * *)", "durationInMinutes": 1431}]},
    ):
        with pytest.raises(ClientError) as caught:
            iot.create_job(jobId="j", targets=target, document="{}", schedulingConfig=scheduling)
        code = caught.value.response["Error"]["Code"]
        assert code == "InvalidRequestException", scheduling
        assert code in modelled
    later = {"startTime": "2023-11-15T00:00"}
    iot.create_job(jobId="j", targets=target, document="{}", schedulingConfig=later)
    iot.update_job(jobId="j", description="later")
    iot.cancel_job(jobId="j")
    iot.delete_job(jobId="j")


def test_certificate_refusals_are_their_operations_modelled_shapes(iot: Any) -> None:
    """Each certificate refusal answers a shape, and an HTTP status, its operation's model has."""
    model = botocore.session.get_session().get_service_model("iot")
    iot.create_thing(thingName="t1")
    cert = iot.create_keys_and_certificate(setAsActive=True)
    cert_id, arn = cert["certificateId"], cert["certificateArn"]
    iot.attach_thing_principal(thingName="t1", principal=arn)

    def refused(operation: str, call: Any, **kwargs: Any) -> str:
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        code = str(caught.value.response["Error"]["Code"])
        status = caught.value.response["ResponseMetadata"]["HTTPStatusCode"]
        shapes = model.operation_model(operation).error_shapes
        statuses = {shape.name: shape.metadata["error"]["httpStatusCode"] for shape in shapes}
        assert statuses.get(code) == status, (operation, code, status)
        return code

    assert refused("DeleteCertificate", iot.delete_certificate, certificateId=cert_id) == (
        "CertificateStateException"
    )
    assert refused("DescribeCertificate", iot.describe_certificate, certificateId="0" * 64)
    assert refused(
        "AttachThingPrincipal", iot.attach_thing_principal, thingName="t1", principal="x"
    )
    assert refused("ListPrincipalThings", iot.list_principal_things, principal=arn[:-1] + "0")
    assert refused("DeleteThing", iot.delete_thing, thingName="t1")
    iot.update_certificate(certificateId=cert_id, newStatus="REVOKED")
    assert refused(
        "UpdateCertificate", iot.update_certificate, certificateId=cert_id, newStatus="ACTIVE"
    )
    assert refused("DeleteCertificate", iot.delete_certificate, certificateId=cert_id) == (
        "DeleteConflictException"
    )
