"""A second SDK on the wire: the AWS SDK for JavaScript v3 runs a device's calls against the
local service and reads ``err.executionState`` off a stale update (tests/js/wire_check.mjs), and
changes a rolling-out job with its control-plane client (tests/js/control_check.mjs), and
agrees with boto3 on what it reads of job templates (tests/js/templates_check.mjs) and of AWS IoT
Commands (tests/js/commands_check.mjs).

Needs Node and ``npm ci --prefix tests/js``; without them the test skips, except under
``CI=true``, where it fails.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from jobsnb.service import LocalJobsService, ManualClock
from tests.helpers import error_of, make_job, make_things

JS = Path(__file__).resolve().parents[1] / "js"
INSTALL = "npm ci --prefix tests/js"


def node_or_skip() -> str:
    """The node executable; a skip (a failure under CI=true) when it or the SDK is missing."""
    node = shutil.which("node")
    if node is None:
        reason = f"node is not installed (install Node 18+, then {INSTALL})"
    elif not all(
        (JS / "node_modules" / "@aws-sdk" / package).is_dir()
        for package in ("client-iot-jobs-data-plane", "client-iot")
    ):
        reason = f"tests/js/node_modules is missing: run {INSTALL}"
    else:
        return node
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


def run_script(name: str, service: LocalJobsService, **env_vars: str) -> Any:
    """Run ``tests/js/<name>`` against the service; its JSON output."""
    node = node_or_skip()
    env = {**os.environ, "JOBSNB_SERVICE_URL": service.url, **env_vars}
    # Dummy credentials only: the SDK must never look for real ones.
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [node, str(JS / name)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_js_sdk_runs_a_device_and_reads_execution_state(
    service: LocalJobsService, iot: Any
) -> None:
    make_things(iot, ["js-device"])
    make_job(iot, "fw-js", ["js-device"], document=json.dumps({"operation": "reboot"}))

    out = run_script("wire_check.mjs", service, JOBSNB_THING="js-device")

    assert out["pending"] == {"queued": ["fw-js"], "inProgress": []}
    assert out["started"] == {
        "jobId": "fw-js",
        "status": "IN_PROGRESS",
        "versionNumber": 2,
        "executionNumber": 1,
    }
    assert out["described"]["versionNumber"] == 2
    assert json.loads(out["described"]["jobDocument"]) == {"operation": "reboot"}
    assert out["updated"] == {
        "status": "IN_PROGRESS",
        "statusDetails": {"step": "js"},
        "versionNumber": 3,
    }
    stale = out["stale"]
    assert stale["thrown"] is True
    assert stale["name"] == "InvalidStateTransitionException"
    assert stale["httpStatusCode"] == 409
    assert stale["message"].startswith("VersionMismatch")
    assert stale["executionState"]["versionNumber"] == out["updated"]["versionNumber"]
    assert stale["executionState"] == out["updated"]
    assert service.request_counts["UpdateJobExecution"] == 2


def test_the_js_sdk_changes_a_job_as_it_rolls_out(service: LocalJobsService, iot: Any) -> None:
    times = {"JOBSNB_START_TIME": "2023-11-14T23:00", "JOBSNB_END_TIME": "2023-11-20T00:00"}
    out = run_script("control_check.mjs", service, **times)

    arn = "arn:aws:iot:us-east-1:123456789012:job/js-rollout"
    assert out["created"] == {"jobId": "js-rollout", "jobArn": arn}
    assert out["before"] == {
        "status": "IN_PROGRESS",
        "isConcurrent": True,
        "createdAt": "2023-11-14T22:13:20.000Z",
        "rollout": {"maximumPerMinute": 1},
    }
    things = [f"arn:aws:iot:us-east-1:123456789012:thing/js-{n}" for n in (1, 2, 3)]
    assert out["after"] == {
        "description": "changed from JavaScript",
        "timeoutConfig": {"inProgressTimeoutInMinutes": 9},
        "comment": "one more",
        "targets": things,
        "lastUpdatedAtIsDate": True,
    }
    assert out["associated"] == {"jobId": "js-rollout", "jobArn": arn}
    assert out["listed"] == [{"jobId": "js-rollout", "status": "IN_PROGRESS", "isConcurrent": True}]
    scheduled = iot.describe_job(jobId="js-scheduled")["job"]
    assert out["scheduled"] == {
        "status": "SCHEDULED",
        "schedulingConfig": scheduled["schedulingConfig"],
        "scheduledJobRollouts": scheduled["scheduledJobRollouts"],
        "listed": ["js-scheduled"],
    }
    assert [r["startTime"] for r in scheduled["scheduledJobRollouts"]] == [
        f"2023-11-{day}T02:00" for day in range(15, 20)
    ]
    assert out["missing"]["thrown"] is True
    assert out["missing"]["name"] == "ResourceNotFoundException"
    assert out["missing"]["httpStatusCode"] == 404
    assert out["unsupported"]["name"] == "InvalidRequestException"
    assert out["unsupported"]["httpStatusCode"] == 400
    assert "namespaceId" in out["unsupported"]["message"]


# ---------------------------------------------------------------------------- boto3 as JS sees it
def js_view(value: Any) -> Any:
    """A boto3 answer as the scripts print the JS SDK's: no ResponseMetadata, datetimes as
    ``Date.toISOString()`` strings, bytes as ``{"$bytes": base64}``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [js_view(item) for item in value]
    if isinstance(value, dict):
        return {k: js_view(v) for k, v in value.items() if k != "ResponseMetadata"}
    return value


def test_js_view_matches_what_the_scripts_print() -> None:
    answer = {
        "ResponseMetadata": {"HTTPStatusCode": 200},
        "at": [datetime.fromtimestamp(1_700_000_000.5, UTC)],
        "content": b"\x00\xff",
    }
    assert js_view(answer) == {"at": ["2023-11-14T22:13:20.500Z"], "content": {"$bytes": "AP8="}}


def js_refusal(code: str, message: str, status: int) -> dict[str, Any]:
    """boto3's (code, message, HTTP status) of a refusal as the scripts print the JS SDK's."""
    return {"thrown": True, "name": code, "httpStatusCode": status, "message": message}


ROLE = "arn:aws:iam::123456789012:role/jobs-s3"
DOWNLOAD_ARN = "arn:aws:iot:us-east-1::jobtemplate/AWS-Download-File:1.0"
FIRMWARE = "${aws:iot:s3-presigned-url:https://firmware.s3.amazonaws.com/v2/fw.bin}"
CREATED_AT = "2023-11-14T22:13:20.000Z"  # the manual clock's START as the JS SDK prints it
# What the job describes, less what the device's run changed afterwards.
RUN_CHANGES = {"status", "lastUpdatedAt", "completedAt", "jobProcessDetails"}


def fetch(url: str) -> tuple[int, Any]:
    """GET a presigned URL the service handed out: (status, JSON body)."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, json.loads(answer.read())


def test_the_js_sdk_reads_templates_as_boto3_does(
    service: LocalJobsService, iot: Any, data: Any
) -> None:
    out = run_script("templates_check.mjs", service)

    # managed templates: described, listed, a page of them
    for name in ("reboot", "download"):
        template_name = {"reboot": "AWS-Reboot", "download": "AWS-Download-File"}[name]
        assert out[name] == js_view(iot.describe_managed_job_template(templateName=template_name))
    assert out["download"]["templateArn"] == DOWNLOAD_ARN
    assert [p["key"] for p in out["download"]["documentParameters"]] == [
        "downloadUrl", "filePath", "runAsUser", "pathToHandler"
    ]  # fmt: skip
    assert out["managed"] == js_view(iot.list_managed_job_templates())
    assert len(out["managed"]["managedJobTemplates"]) == 8
    assert "nextToken" not in out["managed"]
    assert out["firstPage"] == js_view(iot.list_managed_job_templates(maxResults=3))
    assert len(out["firstPage"]["managedJobTemplates"]) == 3

    # a custom template with a presigned-URL placeholder
    template_arn = "arn:aws:iot:us-east-1:123456789012:jobtemplate/js-fw"
    assert out["created"] == {"jobTemplateArn": template_arn, "jobTemplateId": "js-fw"}
    assert out["describedTemplate"] == js_view(iot.describe_job_template(jobTemplateId="js-fw"))
    assert out["describedTemplate"]["createdAt"] == CREATED_AT
    assert out["describedTemplate"]["presignedUrlConfig"] == {"roleArn": ROLE, "expiresInSec": 600}
    assert json.loads(out["describedTemplate"]["document"])["url"] == FIRMWARE
    assert out["templates"] == js_view(iot.list_job_templates())

    # a job from AWS-Download-File with documentParameters, one from the custom template
    job = iot.describe_job(jobId="js-dl")["job"]
    assert out["fromManaged"] == {
        "jobArn": job["jobArn"], "jobId": "js-dl", "description": job["description"]
    }  # fmt: skip
    assert out["fromManaged"]["description"] == out["download"]["description"]
    stable = {k: v for k, v in js_view(job).items() if k not in RUN_CHANGES}
    assert {k: v for k, v in out["describedJob"].items() if k not in RUN_CHANGES} == stable
    assert out["describedJob"]["jobTemplateArn"] == DOWNLOAD_ARN
    assert out["describedJob"]["documentParameters"] == {
        "downloadUrl": FIRMWARE, "filePath": "/tmp/fw.bin"
    }  # fmt: skip
    assert out["controlDocument"] == iot.get_job_document(jobId="js-dl")["document"]
    assert out["fromCustom"]["description"] == "Firmware from JavaScript"
    assert out["fromCustom"]["jobArn"] == iot.describe_job(jobId="js-custom")["job"]["jobArn"]

    # a refused documentParameters value: the same refusal boto3 gets
    bad = out["badParameter"]
    code, message, status = error_of(
        iot.create_job,
        jobId="js-bad",
        targets=[job["targets"][0]],
        jobTemplateArn=DOWNLOAD_ARN,
        documentParameters={"downloadUrl": "https://example.com/f", "filePath": "f\nrm -rf /"},
    )
    assert bad == js_refusal(code, message, status)
    assert (bad["name"], bad["httpStatusCode"]) == ("InvalidRequestException", 400)
    assert "'filePath'" in bad["message"]
    assert [j["jobId"] for j in iot.list_jobs()["jobs"]] == ["js-dl", "js-custom"]

    # the device: parameters substituted, placeholders replaced by the service's URLs
    first, second = out["first"], out["second"]
    assert (first["jobId"], second["jobId"]) == ("js-dl", "js-custom")
    # same clock, same URL: boto3's delivery of the document is the JS SDK's, byte for byte
    described = data.describe_job_execution(thingName="js-device", jobId="js-dl")["execution"]
    assert first["jobDocument"] == described["jobDocument"]
    assert second == js_view(
        data.describe_job_execution(thingName="js-device", jobId="js-custom")["execution"]
    )
    assert (second["status"], second["approximateSecondsBeforeTimedOut"]) == ("IN_PROGRESS", 1800)
    action = json.loads(first["jobDocument"])["steps"][0]["action"]
    url = action["input"]["args"][0]
    expected = json.loads(out["controlDocument"])
    expected["steps"][0]["action"]["input"]["args"][0] = url
    assert json.loads(first["jobDocument"]) == expected
    assert action["input"]["args"][1] == "/tmp/fw.bin"
    for document, expires in ((first["jobDocument"], "300"), (second["jobDocument"], "600")):
        assert "${aws:iot" not in document
        link = url if document is first["jobDocument"] else json.loads(document)["url"]
        parts = urlsplit(link)
        assert f"{parts.scheme}://{parts.netloc}" == service.url
        assert parts.path == "/presigned-urls/firmware/v2%2Ffw.bin"
        assert parse_qs(parts.query)["X-Amz-Expires"] == [expires]
        assert fetch(link) == (200, {"bucket": "firmware", "key": "v2/fw.bin"})


# ---------------------------------------------------------------------------- commands
CONTENT = bytes([0x00, 0x01, 0x7B, 0x80, 0xFE, 0xFF, 0x0A])  # as commands_check.mjs sends it
#: A device's binary result (not UTF-8), base64 as its MQTT response carries it.
LOG = base64.b64encode(b"\x00\x01\xff").decode()
COMMAND_ARN = "arn:aws:iot:us-east-1:123456789012:command/{}"
JS_THING = "arn:aws:iot:us-east-1:123456789012:thing/js-device"


def test_the_js_sdk_runs_commands_as_boto3_sees_them(
    service: LocalJobsService, iot: Any, data: Any, clock: ManualClock
) -> None:
    sent: list[Any] = []
    service.backend.on_command(sent.append)
    out = run_script("commands_check.mjs", service, JOBSNB_PHASE="start")

    # the commands, their bytes, their template
    assert out["staticCreated"] == {
        "commandId": "js-reboot", "commandArn": COMMAND_ARN.format("js-reboot")
    }  # fmt: skip
    static = iot.get_command(commandId="js-reboot")
    assert static["payload"]["content"] == CONTENT
    assert out["staticGot"] == js_view(static)
    assert out["staticGot"]["payload"] == {
        "content": {"$bytes": base64.b64encode(CONTENT).decode()},
        "contentType": "application/octet-stream",
    }
    assert out["bytes"] == {"isUint8Array": True, "same": True}
    assert out["dynamicGot"] == js_view(iot.get_command(commandId="js-logs"))
    assert out["dynamicGot"]["mandatoryParameters"][0]["defaultValue"] == {"I": 10}
    assert out["dynamicGot"]["createdAt"] == CREATED_AT
    assert out["commands"] == js_view(iot.list_commands(sortOrder="ASCENDING"))

    # the executions the data-plane client started, and what the device was sent
    logs, reboot = out["started"]["logs"], out["started"]["reboot"]
    assert out["started"]["retried"] == reboot  # one clientToken, one execution
    assert out["execution"] == js_view(
        iot.get_command_execution(executionId=logs, targetArn=JS_THING)
    )
    assert out["execution"]["parameters"] == {"lines": {"I": 50}, "since": {"S": "1h"}}
    assert (out["execution"]["status"], out["createdAtIsDate"]) == ("CREATED", True)
    assert out["listed"] == js_view(
        iot.list_command_executions(targetArn=JS_THING, sortOrder="ASCENDING")
    )
    assert [e["executionId"] for e in out["listed"]["commandExecutions"]] == [logs, reboot]
    assert [(r.execution_id, r.payload) for r in sent] == [
        (logs, b'{"lines":50,"since":"1h"}'), (reboot, CONTENT)
    ]  # fmt: skip

    # refusals of an unknown command: boto3's, name, status and message
    for name, call, kwargs in (
        ("unknownGet", iot.get_command, {"commandId": "js-ghost"}),
        ("unknownStart", data.start_command_execution,
         {"targetArn": JS_THING, "commandArn": COMMAND_ARN.format("js-ghost")}),
    ):  # fmt: skip
        code, message, status = error_of(call, **kwargs)
        assert out[name] == js_refusal(code, message, status)
        assert (code, status, "js-ghost" in message) == ("ResourceNotFoundException", 404, True)

    # the device answers (MQTT's response topic, in-process), then the JS SDK reads it
    clock.advance(5)
    result = {"tail": {"s": "ok"}, "clean": {"b": True}, "log": {"bin": LOG}}
    reason = {"reasonCode": "DONE", "reasonDescription": "sent"}
    service.backend.update_command_execution(
        "js-device", logs, "SUCCEEDED", status_reason=reason, result=result
    )
    clock.advance(3)
    service.backend.update_command_execution(
        "js-device", reboot, "FAILED", status_reason={"reasonCode": "BUSY"}
    )
    read = run_script(
        "commands_check.mjs", service, JOBSNB_PHASE="read", JOBSNB_EXECUTIONS=f"{logs},{reboot}"
    )

    def got(execution_id: str, **kwargs: Any) -> Any:
        return js_view(
            iot.get_command_execution(executionId=execution_id, targetArn=JS_THING, **kwargs)
        )

    assert read["logs"] == got(logs, includeResult=True)
    assert read["logs"]["result"] == {
        "tail": {"S": "ok"}, "clean": {"B": True}, "log": {"BIN": {"$bytes": LOG}}
    }  # fmt: skip
    assert read["resultTypes"] == {
        "tail": {"S": "string"}, "clean": {"B": "boolean"}, "log": {"BIN": "Uint8Array"}
    }  # fmt: skip
    assert read["logs"]["statusReason"] == reason
    assert (read["logs"]["status"], read["logs"]["completedAt"]) == (
        "SUCCEEDED", "2023-11-14T22:13:25.000Z"
    )  # fmt: skip
    assert read["completedAtIsDate"] is True
    assert read["logsQuiet"] == got(logs)
    assert "result" not in read["logsQuiet"]
    assert read["reboot"] == got(reboot, includeResult=True)
    assert (read["reboot"]["status"], read["reboot"]["statusReason"]) == (
        "FAILED", {"reasonCode": "BUSY"}
    )  # fmt: skip
    assert read["listed"] == js_view(
        iot.list_command_executions(commandArn=COMMAND_ARN.format("js-logs"))
    )
    assert [e["status"] for e in read["listed"]["commandExecutions"]] == ["SUCCEEDED"]
