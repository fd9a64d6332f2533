"""Job templates, AWS managed templates, CreateJob from a template, and presigned URLs, through
unmodified boto3 clients (and the AWS CLI) against the local service."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import CREDENTIALS, REGION, START, THING_ARN, error_of, make_things

ROLE = "arn:aws:iam::123456789012:role/jobs-s3"
TEMPLATE_ARN = "arn:aws:iot:us-east-1:123456789012:jobtemplate/{}"
MANAGED_ARN = "arn:aws:iot:us-east-1::jobtemplate/{}:1.0"
FIRMWARE = "${aws:iot:s3-presigned-url:https://firmware.s3.amazonaws.com/v2/fw.bin}"
PRESIGNED_DOC = json.dumps({"operation": "update", "url": FIRMWARE})
TIMEOUT = {"inProgressTimeoutInMinutes": 30}
ZERO_TIMEOUT = {"inProgressTimeoutInMinutes": 0}
RETRY = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]}
ROLLOUT = {"maximumPerMinute": 50}
ABORT = {
    "criteriaList": [
        {
            "failureType": "ALL",
            "action": "CANCEL",
            "thresholdPercentage": 50.0,
            "minNumberOfExecutedThings": 5,
        }
    ]
}
MANAGED_NAMES = [
    "AWS-Download-File",
    "AWS-Install-Application",
    "AWS-Reboot",
    "AWS-Remove-Application",
    "AWS-Restart-Application",
    "AWS-Run-Command",
    "AWS-Start-Application",
    "AWS-Stop-Application",
]


@pytest.fixture
def iot_unchecked(service: LocalJobsService) -> Any:
    """An iot client without botocore's client-side parameter checks (the service's own show)."""
    return boto3.client(
        "iot",
        endpoint_url=service.url,
        region_name=REGION,
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def fetch(url: str) -> tuple[int, Any]:
    """GET ``url`` as a device's HTTP client would: (status, JSON body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def url_in(document: str) -> str:
    return json.loads(document)["url"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- custom templates
def test_a_template_is_created_described_listed_and_deleted(iot: Any, clock: ManualClock) -> None:
    answer = iot.create_job_template(
        jobTemplateId="fw-update",
        description="Firmware update",
        document=PRESIGNED_DOC,
        timeoutConfig=TIMEOUT,
        jobExecutionsRetryConfig=RETRY,
        jobExecutionsRolloutConfig=ROLLOUT,
        abortConfig=ABORT,
        presignedUrlConfig={"roleArn": ROLE, "expiresInSec": 600},
    )
    assert without_metadata(answer) == {
        "jobTemplateArn": TEMPLATE_ARN.format("fw-update"),
        "jobTemplateId": "fw-update",
    }
    described = without_metadata(iot.describe_job_template(jobTemplateId="fw-update"))
    assert described.pop("createdAt").timestamp() == START
    assert described == {
        "jobTemplateArn": TEMPLATE_ARN.format("fw-update"),
        "jobTemplateId": "fw-update",
        "description": "Firmware update",
        "document": PRESIGNED_DOC,
        "timeoutConfig": TIMEOUT,
        "jobExecutionsRetryConfig": RETRY,
        "jobExecutionsRolloutConfig": ROLLOUT,
        "abortConfig": ABORT,
        "presignedUrlConfig": {"roleArn": ROLE, "expiresInSec": 600},
    }
    clock.advance(5)
    iot.create_job_template(jobTemplateId="plain", description="no configs", document="{}")
    plain = iot.describe_job_template(jobTemplateId="plain")
    assert not {"timeoutConfig", "presignedUrlConfig", "abortConfig"} & set(plain)
    listed = iot.list_job_templates()
    assert "nextToken" not in listed
    assert [(t["jobTemplateId"], t["createdAt"].timestamp()) for t in listed["jobTemplates"]] == [
        ("fw-update", START),
        ("plain", START + 5),
    ]
    assert set(listed["jobTemplates"][0]) == {
        "jobTemplateArn", "jobTemplateId", "description", "createdAt"
    }  # fmt: skip
    assert without_metadata(iot.delete_job_template(jobTemplateId="fw-update")) == {}
    assert [t["jobTemplateId"] for t in iot.list_job_templates()["jobTemplates"]] == ["plain"]
    for call in (iot.describe_job_template, iot.delete_job_template):
        code, message, status = error_of(call, jobTemplateId="fw-update")
        assert (code, status) == ("ResourceNotFoundException", 404)
        assert "fw-update" in message


def test_job_templates_are_listed_page_by_page(iot: Any) -> None:
    for index in range(5):
        iot.create_job_template(jobTemplateId=f"t{index}", description="d", document="{}")
    first = iot.list_job_templates(maxResults=2)
    second = iot.list_job_templates(maxResults=2, nextToken=first["nextToken"])
    third = iot.list_job_templates(maxResults=2, nextToken=second["nextToken"])
    pages = [[t["jobTemplateId"] for t in p["jobTemplates"]] for p in (first, second, third)]
    assert pages == [["t0", "t1"], ["t2", "t3"], ["t4"]]
    assert "nextToken" not in third
    paginated = iot.get_paginator("list_job_templates").paginate(PaginationConfig={"PageSize": 3})
    assert [t["jobTemplateId"] for p in paginated for t in p["jobTemplates"]] == [
        f"t{index}" for index in range(5)
    ]
    assert error_of(iot.list_job_templates, nextToken="garbage")[2] == 400


def test_a_template_made_from_a_job_takes_its_document_and_configs(iot: Any) -> None:
    make_things(iot, ["t1"])
    iot.create_job(
        jobId="j1",
        targets=[THING_ARN.format("t1")],
        document=PRESIGNED_DOC,
        timeoutConfig=TIMEOUT,
        jobExecutionsRetryConfig=RETRY,
        presignedUrlConfig={"roleArn": ROLE, "expiresInSec": 300},
    )
    iot.create_job_template(
        jobTemplateId="from-job",
        description="copied",
        jobArn="arn:aws:iot:us-east-1:123456789012:job/j1",
        timeoutConfig={"inProgressTimeoutInMinutes": 90},
    )
    template = iot.describe_job_template(jobTemplateId="from-job")
    assert template["document"] == PRESIGNED_DOC
    assert template["timeoutConfig"] == {"inProgressTimeoutInMinutes": 90}  # the request wins
    assert template["jobExecutionsRetryConfig"] == RETRY
    assert template["presignedUrlConfig"] == {"roleArn": ROLE, "expiresInSec": 300}
    assert "jobExecutionsRolloutConfig" not in template
    code, message, status = error_of(
        iot.create_job_template,
        jobTemplateId="t2",
        description="d",
        jobArn="arn:aws:iot:us-east-1:123456789012:job/nope",
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert "job/nope" in message


def test_create_job_template_refusals(iot: Any, iot_unchecked: Any) -> None:
    iot.create_job_template(jobTemplateId="t1", description="d", document="{}")
    code, message, status = error_of(
        iot.create_job_template, jobTemplateId="t1", description="d", document="{}"
    )
    assert (code, status) == ("ConflictException", 409)
    assert "t1 already exists" in message
    cases: list[tuple[dict[str, Any], str]] = [
        ({"document": "{}"}, "description is required"),
        ({"description": "d"}, "Exactly one of jobArn and document"),
        (
            {"description": "d", "document": "{}", "jobArn": "arn:aws:iot:us-east-1:1:job/x"},
            "Exactly one of jobArn and document",
        ),
        ({"description": "d", "document": "[1]"}, "document must be a JSON object"),
        (
            {"description": "d", "document": "{}", "timeoutConfig": ZERO_TIMEOUT},
            "inProgressTimeoutInMinutes",
        ),
        (
            {"description": "d", "document": "{}", "maintenanceWindows": [
                {"startTime": "cron(0 0 * * ? *)", "durationInMinutes": 60}]},
            "The local service does not support maintenanceWindows.",
        ),
        (
            {"description": "d", "document": "{}", "destinationPackageVersions": [
                "arn:aws:iot:us-east-1:123456789012:package/p/version/1"]},
            "The local service does not support destinationPackageVersions.",
        ),
        (
            {"description": "d", "documentSource": "https://s3.amazonaws.com/b/doc.json"},
            "The local service does not support documentSource.",
        ),
        ({"description": "d", "document": PRESIGNED_DOC}, "presignedUrlConfig is required"),
    ]  # fmt: skip
    for kwargs, expected in cases:
        code, message, status = error_of(
            iot_unchecked.create_job_template, jobTemplateId="new", **kwargs
        )
        assert (code, status) == ("InvalidRequestException", 400), kwargs
        assert expected in message, (kwargs, message)
    code, message, _ = error_of(
        iot_unchecked.create_job_template, jobTemplateId="bad id!", description="d", document="{}"
    )
    assert (code, "jobTemplateId" in message) == ("InvalidRequestException", True)
    assert [t["jobTemplateId"] for t in iot.list_job_templates()["jobTemplates"]] == ["t1"]


# ---------------------------------------------------------------------------- CreateJob from one
def test_a_job_from_a_custom_template_takes_what_it_does_not_give(iot: Any, data: Any) -> None:
    make_things(iot, ["t1"])
    iot.create_job_template(
        jobTemplateId="tpl",
        description="from the template",
        document='{"operation": "reboot"}',
        timeoutConfig=TIMEOUT,
        jobExecutionsRetryConfig=RETRY,
    )
    answer = iot.create_job(
        jobId="j1", targets=[THING_ARN.format("t1")], jobTemplateArn=TEMPLATE_ARN.format("tpl")
    )
    assert answer["description"] == "from the template"
    job = iot.describe_job(jobId="j1")["job"]
    assert job["jobTemplateArn"] == TEMPLATE_ARN.format("tpl")
    assert (job["timeoutConfig"], job["jobExecutionsRetryConfig"]) == (TIMEOUT, RETRY)
    assert iot.get_job_document(jobId="j1")["document"] == '{"operation": "reboot"}'
    execution = data.start_next_pending_job_execution(thingName="t1")["execution"]
    assert execution["jobDocument"] == '{"operation": "reboot"}'
    assert execution["approximateSecondsBeforeTimedOut"] == 30 * 60
    # what CreateJob gives wins over the template
    iot.create_job(
        jobId="j2",
        targets=[THING_ARN.format("t1")],
        jobTemplateArn=TEMPLATE_ARN.format("tpl"),
        description="mine",
        timeoutConfig={"inProgressTimeoutInMinutes": 5},
    )
    job = iot.describe_job(jobId="j2")["job"]
    assert (job["description"], job["timeoutConfig"]) == (
        "mine", {"inProgressTimeoutInMinutes": 5}
    )  # fmt: skip
    assert job["jobExecutionsRetryConfig"] == RETRY
    # a job keeps what it took when its template goes
    iot.delete_job_template(jobTemplateId="tpl")
    assert iot.describe_job(jobId="j1")["job"]["jobTemplateArn"] == TEMPLATE_ARN.format("tpl")
    code, _, status = error_of(
        iot.create_job,
        jobId="j3",
        targets=[THING_ARN.format("t1")],
        jobTemplateArn=TEMPLATE_ARN.format("tpl"),
    )
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_create_job_with_a_template_refusals_name_the_field(iot: Any) -> None:
    make_things(iot, ["t1"])
    iot.create_job_template(jobTemplateId="tpl", description="d", document="{}")
    target = [THING_ARN.format("t1")]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"jobTemplateArn": TEMPLATE_ARN.format("tpl"), "document": "{}"},
         "document and jobTemplateArn cannot both be given"),
        ({"jobTemplateArn": TEMPLATE_ARN.format("tpl"), "documentParameters": {"k": "v"}},
         "documentParameters can only be used with AWS managed templates"),
        ({"document": "{}", "documentParameters": {"k": "v"}},
         "documentParameters can only be used with the jobTemplateArn"),
        ({"jobTemplateArn": "arn:aws:iot:eu-west-1::jobtemplate/AWS-Reboot:1.0"},
         "is not a job template ARN of us-east-1"),
        ({"jobTemplateArn": "tpl"}, "is not a job template ARN"),
        ({"jobTemplateArn": TEMPLATE_ARN.format("a/b")}, "jobTemplateId"),
    ]  # fmt: skip
    for kwargs, expected in cases:
        code, message, status = error_of(iot.create_job, jobId="j1", targets=target, **kwargs)
        assert (code, status) == ("InvalidRequestException", 400), kwargs
        assert expected in message, (kwargs, message)
    assert iot.list_jobs()["jobs"] == []


# ---------------------------------------------------------------------------- managed templates
def test_managed_templates_are_listed_with_their_arns(iot: Any) -> None:
    listed = iot.list_managed_job_templates()["managedJobTemplates"]
    assert [t["templateName"] for t in listed] == MANAGED_NAMES
    reboot = listed[MANAGED_NAMES.index("AWS-Reboot")]
    assert reboot == {
        "templateArn": "arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot:1.0",
        "templateName": "AWS-Reboot",
        "description": "A managed job template for rebooting the device.",
        "environments": ["LINUX"],
        "templateVersion": "1.0",
    }
    only = iot.list_managed_job_templates(templateName="AWS-Run-Command")["managedJobTemplates"]
    assert [t["templateName"] for t in only] == ["AWS-Run-Command"]
    first = iot.list_managed_job_templates(maxResults=3)
    rest = iot.list_managed_job_templates(maxResults=10, nextToken=first["nextToken"])
    names = [t["templateName"] for p in (first, rest) for t in p["managedJobTemplates"]]
    assert (names, "nextToken" in rest) == (MANAGED_NAMES, False)
    code, message, status = error_of(iot.list_managed_job_templates, templateName="AWS-Nope")
    assert (code, status, "AWS-Nope" in message) == ("ResourceNotFoundException", 404, True)


def test_describe_managed_template_gives_aws_document_and_parameters(iot: Any) -> None:
    described = without_metadata(
        iot.describe_managed_job_template(templateName="AWS-Download-File")
    )
    assert described == {
        "templateName": "AWS-Download-File",
        "templateArn": "arn:aws:iot:us-east-1::jobtemplate/AWS-Download-File:1.0",
        "description": "A managed job template for downloading a file.",
        "templateVersion": "1.0",
        "environments": ["LINUX"],
        "documentParameters": [
            {"key": "downloadUrl", "description": "URL of file to download.",
             "regex": "(.*?)", "example": "http://www.example.com/index.html", "optional": False},
            {"key": "filePath",
             "description": "Path on the device where downloaded file is written.",
             "regex": "(.*?)", "example": "/path/to/file", "optional": False},
            {"key": "runAsUser",
             "description": "Execute handler as another user. If not specified, "
             "then handler is executed as the same user as device client.",
             "regex": "(.){0,256}", "example": "user1", "optional": True},
            {"key": "pathToHandler", "description": "Path to handler on the device. If not "
             "specified, then device client will use the current working directory.",
             "regex": "(.){0,4096}", "example": "/path/to/handler/script", "optional": True},
        ],
        # byte for byte what the developer guide prints for DescribeManagedJobTemplate
        "document": '{"version":"1.0","steps":[{"action":{"name":"Download-File","type":'
        '"runHandler","input":{"handler":"download-file.sh","args":["${aws:iot:parameter:'
        'downloadUrl}","${aws:iot:parameter:filePath}"],"path":"${aws:iot:parameter:'
        'pathToHandler}"},"runAsUser":"${aws:iot:parameter:runAsUser}"}}]}',
    }  # fmt: skip
    reboot = iot.describe_managed_job_template(templateName="AWS-Reboot", templateVersion="1.0")
    assert json.loads(reboot["document"])["steps"][0]["action"]["input"] == {
        "handler": "reboot.sh", "path": "${aws:iot:parameter:pathToHandler}"
    }  # fmt: skip
    for name in MANAGED_NAMES:
        template = iot.describe_managed_job_template(templateName=name)
        keys = {p["key"] for p in template["documentParameters"]}
        assert json.loads(template["document"])["version"] == "1.0"
        assert keys == set(_placeholders(template["document"])), name
    for kwargs, expected in (
        ({"templateName": "AWS-Nope"}, ("ResourceNotFoundException", 404)),
        ({"templateName": "AWS-Reboot", "templateVersion": "2.0"},
         ("ResourceNotFoundException", 404)),
        ({"templateName": "AWS-Reboot", "templateVersion": "latest"},
         ("InvalidRequestException", 400)),
    ):  # fmt: skip
        code, _, status = error_of(iot.describe_managed_job_template, **kwargs)
        assert (code, status) == expected, kwargs


def _placeholders(document: str) -> list[str]:
    marker = "${aws:iot:parameter:"
    return [part.split("}", 1)[0] for part in document.split(marker)[1:]]


def test_a_job_from_a_managed_template_gets_its_parameters_substituted(iot: Any, data: Any) -> None:
    make_things(iot, ["t1"])
    parameters = {"downloadUrl": 'https://example.com/a "quoted" \\ file', "filePath": "/tmp/f"}
    answer = iot.create_job(
        jobId="dl",
        targets=[THING_ARN.format("t1")],
        jobTemplateArn=MANAGED_ARN.format("AWS-Download-File"),
        documentParameters=parameters,
    )
    assert answer["description"] == "A managed job template for downloading a file."
    job = iot.describe_job(jobId="dl")["job"]
    assert job["jobTemplateArn"] == MANAGED_ARN.format("AWS-Download-File")
    assert job["documentParameters"] == parameters
    document = data.start_next_pending_job_execution(thingName="t1")["execution"]["jobDocument"]
    assert document == iot.get_job_document(jobId="dl")["document"]
    action = json.loads(document)["steps"][0]["action"]
    assert action["input"]["args"] == [parameters["downloadUrl"], "/tmp/f"]
    assert (action["input"]["path"], action["runAsUser"]) == ("", "")  # optional, not given
    # an ARN without its version names the default version; optional parameters are taken
    iot.create_job(
        jobId="rb",
        targets=[THING_ARN.format("t1")],
        jobTemplateArn="arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot",
        documentParameters={"runAsUser": "root"},
    )
    reboot = json.loads(iot.get_job_document(jobId="rb")["document"])["steps"][0]["action"]
    assert (reboot["runAsUser"], reboot["input"]["handler"]) == ("root", "reboot.sh")


@pytest.mark.parametrize(
    ("parameters", "named", "rule"),
    [
        ({"downloadUrl": "u", "filePath": "f", "mode": "x"}, "'mode'", "is not a parameter"),
        ({"downloadUrl": "u"}, "'filePath'", "is required"),
        ({"downloadUrl": "u", "filePath": "f", "runAsUser": "u" * 257}, "'runAsUser'", "regex"),
        ({"downloadUrl": "u", "filePath": "f\nrm -rf /"}, "'filePath'", "control characters"),
        ({"downloadUrl": "", "filePath": "f"}, "'downloadUrl'", "1-30720 characters"),
    ],
)
def test_document_parameters_are_checked_naming_the_key(
    iot_unchecked: Any, parameters: dict[str, str], named: str, rule: str
) -> None:
    make_things(iot_unchecked, ["t1"])
    code, message, status = error_of(
        iot_unchecked.create_job,
        jobId="dl",
        targets=[THING_ARN.format("t1")],
        jobTemplateArn=MANAGED_ARN.format("AWS-Download-File"),
        documentParameters=parameters,
    )
    assert (code, status) == ("InvalidRequestException", 400)
    assert named in message
    assert rule in message
    assert iot_unchecked.list_jobs()["jobs"] == []


def test_create_job_from_a_managed_template_that_does_not_exist(iot: Any) -> None:
    make_things(iot, ["t1"])
    for arn in (
        MANAGED_ARN.format("AWS-Nope"),
        "arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot:9.9",
    ):
        code, _, status = error_of(
            iot.create_job, jobId="j1", targets=[THING_ARN.format("t1")], jobTemplateArn=arn
        )
        assert (code, status) == ("ResourceNotFoundException", 404), arn


# ---------------------------------------------------------------------------- presigned URLs
def presigned_job(iot: Any, expires: int) -> None:
    """Job ``fw`` on thing ``t1``, its document holding a presigned-URL placeholder."""
    make_things(iot, ["t1"])
    iot.create_job(
        jobId="fw",
        targets=[THING_ARN.format("t1")],
        document=PRESIGNED_DOC,
        presignedUrlConfig={"roleArn": ROLE, "expiresInSec": expires},
    )


def test_devices_receive_presigned_urls_the_control_plane_sees_placeholders(
    iot: Any, data: Any
) -> None:
    presigned_job(iot, expires=120)
    assert iot.get_job_document(jobId="fw")["document"] == PRESIGNED_DOC
    pending = data.describe_job_execution(thingName="t1", jobId="$next")["execution"]
    started = data.start_next_pending_job_execution(thingName="t1")["execution"]
    described = data.describe_job_execution(thingName="t1", jobId="fw")["execution"]
    updated = data.update_job_execution(
        thingName="t1", jobId="fw", status="IN_PROGRESS", includeJobDocument=True
    )
    for document in (
        pending["jobDocument"], started["jobDocument"], described["jobDocument"],
        updated["jobDocument"],
    ):  # fmt: skip
        assert "${aws:iot" not in document
        assert json.loads(document)["operation"] == "update"
        url = urlsplit(url_in(document))
        assert url.path == "/presigned-urls/firmware/v2%2Ffw.bin"
        query = parse_qs(url.query)
        assert (query["X-Amz-Date"], query["X-Amz-Expires"]) == (["20231114T221320Z"], ["120"])
    quiet = data.describe_job_execution(thingName="t1", jobId="fw", includeJobDocument=False)
    assert "jobDocument" not in quiet["execution"]


def test_a_presigned_url_answers_until_it_expires_on_the_service_clock(
    iot: Any, data: Any, clock: ManualClock
) -> None:
    presigned_job(iot, expires=60)
    url = url_in(data.start_next_pending_job_execution(thingName="t1")["execution"]["jobDocument"])
    assert fetch(url) == (200, {"bucket": "firmware", "key": "v2/fw.bin"})
    clock.advance(59)
    assert fetch(url)[0] == 200
    clock.advance(1)
    assert fetch(url) == (
        403, {"message": "Request has expired", "__type": "AccessDeniedException"}
    )  # fmt: skip
    # each delivery issues a fresh URL, from the service clock's now
    again = url_in(
        data.describe_job_execution(thingName="t1", jobId="fw")["execution"]["jobDocument"]
    )
    assert parse_qs(urlsplit(again).query)["X-Amz-Date"] == ["20231114T221420Z"]
    assert fetch(again)[0] == 200
    # a URL whose expiry was stretched by hand is refused
    status, body = fetch(url.replace("X-Amz-Expires=60", "X-Amz-Expires=3600"))
    assert (status, body["__type"]) == (403, "AccessDeniedException")
    assert "signature" in body["message"]


def test_update_job_changes_the_expiry_of_later_deliveries(iot: Any, data: Any) -> None:
    make_things(iot, ["t1"])
    iot.create_job_template(
        jobTemplateId="fw",
        description="firmware",
        document=json.dumps(
            {
                "url": "${aws:iot:s3-presigned-url:https://s3.us-west-2.amazonaws.com/fw-bucket/a.bin}"
            }
        ),
        presignedUrlConfig={"roleArn": ROLE},
    )
    iot.create_job(
        jobId="j1", targets=[THING_ARN.format("t1")], jobTemplateArn=TEMPLATE_ARN.format("fw")
    )
    assert iot.describe_job(jobId="j1")["job"]["presignedUrlConfig"]["expiresInSec"] == 3600
    iot.update_job(jobId="j1", presignedUrlConfig={"roleArn": ROLE, "expiresInSec": 900})
    document = data.start_next_pending_job_execution(thingName="t1")["execution"]["jobDocument"]
    url = urlsplit(url_in(document))
    assert url.path == "/presigned-urls/fw-bucket/a.bin"
    assert parse_qs(url.query)["X-Amz-Expires"] == ["900"]


BAD_CONFIGS: list[tuple[Any, str]] = [
    ({"roleArn": ROLE, "expiresInSec": 59}, "expiresInSec"),
    ({"roleArn": ROLE, "expiresInSec": 3601}, "expiresInSec"),
    ({"roleArn": ROLE, "expiresInSec": "600"}, "expiresInSec"),
    ({"expiresInSec": 600}, "roleArn is required"),
    ({"roleArn": "arn:aws:iot:us-east-1:123456789012:thing/t1"}, "roleArn"),
]


@pytest.mark.parametrize(("config", "named"), BAD_CONFIGS)
def test_bad_presigned_url_configs_are_refused_everywhere(
    iot_unchecked: Any, config: Any, named: str
) -> None:
    make_things(iot_unchecked, ["t1"])
    iot_unchecked.create_job(jobId="j0", targets=[THING_ARN.format("t1")], document="{}")
    calls = [
        (iot_unchecked.create_job, {"jobId": "j1", "targets": [THING_ARN.format("t1")],
                                    "document": PRESIGNED_DOC}),
        (iot_unchecked.update_job, {"jobId": "j0"}),
        (iot_unchecked.create_job_template, {"jobTemplateId": "t", "description": "d",
                                             "document": PRESIGNED_DOC}),
    ]  # fmt: skip
    for call, kwargs in calls:
        code, message, status = error_of(call, presignedUrlConfig=config, **kwargs)
        assert (code, status) == ("InvalidRequestException", 400), call
        assert f"presignedUrlConfig.{named}" in message, message
    assert "presignedUrlConfig" not in iot_unchecked.describe_job(jobId="j0")["job"]


def test_placeholders_need_a_presigned_url_config_and_an_s3_url(iot: Any) -> None:
    make_things(iot, ["t1"])
    code, message, status = error_of(
        iot.create_job, jobId="j1", targets=[THING_ARN.format("t1")], document=PRESIGNED_DOC
    )
    assert (code, status) == ("InvalidRequestException", 400)
    assert "presignedUrlConfig is required" in message
    code, message, _ = error_of(
        iot.create_job,
        jobId="j1",
        targets=[THING_ARN.format("t1")],
        document='{"url": "${aws:iot:s3-presigned-url:https://example.com/fw.bin}"}',
        presignedUrlConfig={"roleArn": ROLE},
    )
    assert (code, "https://example.com/fw.bin" in message) == ("InvalidRequestException", True)


# ---------------------------------------------------------------------------- the AWS CLI
def test_cli_templates(aws_cli: Any, iot: Any) -> None:
    def output(result: subprocess.CompletedProcess[str]) -> Any:
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    make_things(iot, ["t1"])
    created = output(
        aws_cli(
            "iot", "create-job-template", "--job-template-id", "cli-tpl",
            "--description", "from the CLI", "--document", '{"op": "x"}',
            "--timeout-config", "inProgressTimeoutInMinutes=7",
        )
    )  # fmt: skip
    assert created == {"jobTemplateArn": TEMPLATE_ARN.format("cli-tpl"), "jobTemplateId": "cli-tpl"}
    described = output(aws_cli("iot", "describe-job-template", "--job-template-id", "cli-tpl"))
    assert (described["timeoutConfig"], described["createdAt"]) == (
        {"inProgressTimeoutInMinutes": 7}, START
    )  # fmt: skip
    reboot = output(
        aws_cli("iot", "describe-managed-job-template", "--template-name", "AWS-Reboot")
    )
    assert reboot["templateArn"] == "arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot:1.0"
    output(
        aws_cli(
            "iot", "create-job", "--job-id", "cli-dl", "--targets", THING_ARN.format("t1"),
            "--job-template-arn", MANAGED_ARN.format("AWS-Download-File"),
            "--document-parameters", "downloadUrl=https://example.com/index.html,filePath=/tmp/f",
        )
    )  # fmt: skip
    action = json.loads(iot.get_job_document(jobId="cli-dl")["document"])["steps"][0]["action"]
    assert action["input"]["args"] == ["https://example.com/index.html", "/tmp/f"]
    missing = aws_cli("iot", "describe-managed-job-template", "--template-name", "AWS-Nope")
    assert (missing.returncode != 0, "ResourceNotFoundException" in missing.stderr) == (True, True)
