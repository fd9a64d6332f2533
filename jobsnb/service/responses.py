"""Request → backend call → AWS-shaped JSON, one function per operation.

Each handler takes the backend and a :class:`~jobsnb.service.requests.Request` and returns the
response body as a dict. Handlers run under the backend's lock, after its tick. They carry no
docstrings: each is named like the AWS operation its route serves (the control plane's
DescribeJobExecution is ``describe_job_execution_control``), and that operation's AWS
documentation is theirs.
"""

from __future__ import annotations

from typing import Any

from jobsnb.service.backend import JobsBackend
from jobsnb.service.executions import Execution
from jobsnb.service.job_update_responses import CREATE_JOB_UNSUPPORTED, refuse_unsupported
from jobsnb.service.paging import page_body
from jobsnb.service.requests import Request
from jobsnb.service.scheduling import scheduling_members

__all__ = [
    "add_thing_to_thing_group",
    "cancel_job",
    "cancel_job_execution",
    "create_job",
    "create_thing",
    "create_thing_group",
    "delete_job",
    "delete_job_execution",
    "delete_thing",
    "delete_thing_group",
    "describe_endpoint",
    "describe_job",
    "describe_job_execution",
    "describe_job_execution_control",
    "describe_thing",
    "describe_thing_group",
    "get_job_document",
    "get_pending_job_executions",
    "list_job_executions_for_job",
    "list_job_executions_for_thing",
    "list_jobs",
    "list_thing_groups",
    "list_things",
    "list_things_in_thing_group",
    "remove_thing_from_thing_group",
    "start_next_pending_job_execution",
    "update_job_execution",
    "update_thing",
]

Body = dict[str, Any]


# ---------------------------------------------------------------------------- data plane
def get_pending_job_executions(backend: JobsBackend, req: Request) -> Body:
    in_progress, queued = backend.get_pending_job_executions(req.path["thingName"])
    return {
        "inProgressJobs": [ex.data_summary() for ex in in_progress],
        "queuedJobs": [ex.data_summary() for ex in queued],
    }


def start_next_pending_job_execution(backend: JobsBackend, req: Request) -> Body:
    execution = backend.start_next_pending_job_execution(
        req.path["thingName"],
        req.string_map("statusDetails"),
        req.integer("stepTimeoutInMinutes"),
    )
    if execution is None:
        return {}
    return {"execution": execution.data_shape(backend.now(), include_document=True)}


def describe_job_execution(backend: JobsBackend, req: Request) -> Body:
    execution = backend.describe_job_execution(
        req.path["thingName"], req.path["jobId"], req.query_int("executionNumber")
    )
    if execution is None:
        return {}
    include = req.query_bool("includeJobDocument", default=True)
    return {"execution": execution.data_shape(backend.now(), include_document=include)}


def update_job_execution(backend: JobsBackend, req: Request) -> Body:
    status = req.string("status", required=True)
    assert status is not None
    include_state = req.boolean("includeJobExecutionState")
    include_document = req.boolean("includeJobDocument")
    execution = backend.update_job_execution(
        req.path["thingName"],
        req.path["jobId"],
        status,
        status_details=req.string_map("statusDetails"),
        step_timeout_minutes=req.integer("stepTimeoutInMinutes"),
        expected_version=req.integer("expectedVersion"),
        execution_number=req.integer("executionNumber"),
    )
    body: Body = {}
    if include_state:
        body["executionState"] = execution.state_shape()
    if include_document:
        body["jobDocument"] = execution.job.device_document(backend.now())
    return body


# ---------------------------------------------------------------------------- things, groups
def create_thing(backend: JobsBackend, req: Request) -> Body:
    payload = req.struct("attributePayload") or {}
    attributes = payload.get("attributes")
    if attributes is not None and not (
        isinstance(attributes, dict) and all(isinstance(v, str) for v in attributes.values())
    ):
        raise req.fail("attributePayload.attributes must be a map of strings.")
    thing = backend.create_thing(req.path["thingName"], attributes, req.string("thingTypeName"))
    return {"thingName": thing.name, "thingArn": thing.arn, "thingId": thing.thing_id}


def describe_thing(backend: JobsBackend, req: Request) -> Body:
    return backend.describe_thing(req.path["thingName"]).describe()


def update_thing(backend: JobsBackend, req: Request) -> Body:
    payload = req.struct("attributePayload")
    attributes = None if payload is None else payload.get("attributes")
    if attributes is not None and not (
        isinstance(attributes, dict) and all(isinstance(v, str) for v in attributes.values())
    ):
        raise req.fail("attributePayload.attributes must be a map of strings.")
    merge = bool(payload.get("merge")) if payload else False
    backend.update_thing(
        req.path["thingName"],
        attributes,
        merge,
        req.integer("expectedVersion"),
        req.string("thingTypeName"),
        req.boolean("removeThingType"),
    )
    return {}


def delete_thing(backend: JobsBackend, req: Request) -> Body:
    backend.delete_thing(req.path["thingName"], req.query_int("expectedVersion"))
    return {}


def list_things(backend: JobsBackend, req: Request) -> Body:
    things, token = backend.list_things(
        req.query_string("nextToken"),
        req.query_int("maxResults"),
        req.query_string("attributeName"),
        req.query_string("attributeValue"),
        req.query_bool("usePrefixAttributeValue"),
        req.query_string("thingTypeName"),
    )
    return page_body("things", [thing.summary() for thing in things], token)


def create_thing_group(backend: JobsBackend, req: Request) -> Body:
    properties = req.struct("thingGroupProperties") or {}
    payload = properties.get("attributePayload") or {}
    attributes = payload.get("attributes") if isinstance(payload, dict) else None
    description = properties.get("thingGroupDescription")
    if description is not None and not isinstance(description, str):
        raise req.fail("thingGroupDescription must be a string.")
    if attributes is not None and not isinstance(attributes, dict):
        raise req.fail("attributePayload.attributes must be a map of strings.")
    group = backend.create_thing_group(
        req.path["thingGroupName"], description, attributes, req.string("parentGroupName")
    )
    return {
        "thingGroupName": group.name,
        "thingGroupArn": group.arn,
        "thingGroupId": group.group_id,
    }


def describe_thing_group(backend: JobsBackend, req: Request) -> Body:
    return backend.describe_thing_group(req.path["thingGroupName"]).describe()


def delete_thing_group(backend: JobsBackend, req: Request) -> Body:
    backend.delete_thing_group(req.path["thingGroupName"], req.query_int("expectedVersion"))
    return {}


def list_thing_groups(backend: JobsBackend, req: Request) -> Body:
    groups, token = backend.list_thing_groups(
        req.query_string("nextToken"),
        req.query_int("maxResults"),
        req.query_string("parentGroup"),
        req.query_string("namePrefixFilter"),
    )
    return page_body(
        "thingGroups", [{"groupName": g.name, "groupArn": g.arn} for g in groups], token
    )


def add_thing_to_thing_group(backend: JobsBackend, req: Request) -> Body:
    backend.add_thing_to_thing_group(
        req.string("thingGroupName"),
        req.string("thingName"),
        req.string("thingGroupArn"),
        req.string("thingArn"),
    )
    return {}


def remove_thing_from_thing_group(backend: JobsBackend, req: Request) -> Body:
    backend.remove_thing_from_thing_group(
        req.string("thingGroupName"),
        req.string("thingName"),
        req.string("thingGroupArn"),
        req.string("thingArn"),
    )
    return {}


def list_things_in_thing_group(backend: JobsBackend, req: Request) -> Body:
    names, token = backend.list_things_in_thing_group(
        req.path["thingGroupName"],
        req.query_bool("recursive"),
        req.query_string("nextToken"),
        req.query_int("maxResults"),
    )
    return page_body("things", names, token)


# ---------------------------------------------------------------------------- jobs
def create_job(backend: JobsBackend, req: Request) -> Body:
    refuse_unsupported(req, CREATE_JOB_UNSUPPORTED)
    targets = req.string_list("targets")
    if targets is None:
        raise req.fail("targets is required.")
    job = backend.create_job(
        req.path["jobId"],
        targets,
        req.string("document"),
        description=req.string("description"),
        target_selection=req.string("targetSelection") or "SNAPSHOT",
        timeout_config=req.struct("timeoutConfig"),
        retry_config=req.struct("jobExecutionsRetryConfig"),
        rollout_config=req.struct("jobExecutionsRolloutConfig"),
        abort_config=req.struct("abortConfig"),
        scheduling_config=req.struct("schedulingConfig"),
        presigned_url_config=req.struct("presignedUrlConfig"),
        job_template_arn=req.string("jobTemplateArn"),
        document_parameters=req.string_map("documentParameters"),
    )
    body: Body = {"jobArn": job.arn, "jobId": job.job_id}
    if job.description is not None:
        body["description"] = job.description
    return body


def describe_job(backend: JobsBackend, req: Request) -> Body:
    job = backend.describe_job(req.path["jobId"])
    return {"job": {**job.describe(), **scheduling_members(job, backend.now())}}


def get_job_document(backend: JobsBackend, req: Request) -> Body:
    return {"document": backend.describe_job(req.path["jobId"]).document}


def list_jobs(backend: JobsBackend, req: Request) -> Body:
    jobs, token = backend.list_jobs(
        req.query_string("status"),
        req.query_string("targetSelection"),
        req.query_string("thingGroupName"),
        req.query_string("nextToken"),
        req.query_int("maxResults"),
    )
    return page_body("jobs", [job.summary() for job in jobs], token)


def list_job_executions_for_job(backend: JobsBackend, req: Request) -> Body:
    executions, token = backend.list_job_executions_for_job(
        req.path["jobId"],
        req.query_string("status"),
        req.query_string("nextToken"),
        req.query_int("maxResults"),
    )
    summaries = [
        {
            "thingArn": backend.thing_arn(ex.thing_name),
            "jobExecutionSummary": ex.control_summary(),
        }
        for ex in executions
    ]
    return page_body("executionSummaries", summaries, token)


def list_job_executions_for_thing(backend: JobsBackend, req: Request) -> Body:
    executions, token = backend.list_job_executions_for_thing(
        req.path["thingName"],
        req.query_string("status"),
        req.query_string("jobId"),
        req.query_string("nextToken"),
        req.query_int("maxResults"),
    )
    summaries = [
        {"jobId": ex.job.job_id, "jobExecutionSummary": ex.control_summary()} for ex in executions
    ]
    return page_body("executionSummaries", summaries, token)


def describe_job_execution_control(backend: JobsBackend, req: Request) -> Body:
    execution: Execution = backend.find_execution(
        req.path["thingName"], req.path["jobId"], req.query_int("executionNumber")
    )
    return {
        "execution": execution.control_shape(backend.thing_arn(execution.thing_name), backend.now())
    }


def cancel_job(backend: JobsBackend, req: Request) -> Body:
    job = backend.cancel_job(
        req.path["jobId"],
        req.query_bool("force"),
        req.string("reasonCode"),
        req.string("comment"),
    )
    body: Body = {"jobArn": job.arn, "jobId": job.job_id}
    if job.description is not None:
        body["description"] = job.description
    return body


def cancel_job_execution(backend: JobsBackend, req: Request) -> Body:
    backend.cancel_job_execution(
        req.path["thingName"],
        req.path["jobId"],
        req.query_bool("force"),
        req.integer("expectedVersion"),
        req.string_map("statusDetails"),
    )
    return {}


def delete_job_execution(backend: JobsBackend, req: Request) -> Body:
    try:
        number = int(req.path["executionNumber"])
    except ValueError:
        raise req.fail("executionNumber must be an integer.") from None
    backend.delete_job_execution(
        req.path["thingName"], req.path["jobId"], number, req.query_bool("force")
    )
    return {}


def delete_job(backend: JobsBackend, req: Request) -> Body:
    backend.delete_job(req.path["jobId"], req.query_bool("force"))
    return {}


def describe_endpoint(backend: JobsBackend, req: Request) -> Body:
    endpoint_type = req.query_string("endpointType")
    known = (None, "iot:Jobs", "iot:Data", "iot:Data-ATS", "iot:CredentialProvider")
    if endpoint_type not in known:
        raise req.fail(f"endpointType {endpoint_type!r} is not one of {known[1:]}.")
    return {"endpointAddress": backend.endpoint_address}
