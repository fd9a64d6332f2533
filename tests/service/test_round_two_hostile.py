"""Hostile input for the round-two operations (scheduling, templates, presigned URLs, commands):
each answers its modelled 4xx naming the field, never a 5xx, over real boto3 or raw HTTP."""

from __future__ import annotations

import json
from typing import Any

from jobsnb.service import cron
from tests.helpers import THING_ARN, error_of

COMMAND_ARN = "arn:aws:iot:us-east-1:123456789012:command/{}"
JSON_OUT = {"awsJsonSubstitution": {"outputFormat": "JSON"}}


def _nested(depth: int) -> str:
    return "[" * depth + '"${aws:iot:commandexecution::parameter:a}"' + "]" * depth


def test_a_payload_template_nested_too_deep_is_refused_naming_it(iot: Any) -> None:
    for depth in (65, 990, 16_000):
        code, message, status = error_of(
            iot.create_command,
            commandId=f"deep-{depth}",
            payloadTemplate=_nested(depth),
            preprocessor=JSON_OUT,
            mandatoryParameters=[{"name": "a"}],
        )
        assert (code, status) == ("ValidationException", 400)
        assert "payloadTemplate" in message, message
        assert "64" in message, message


def test_a_payload_template_at_the_nesting_bound_runs(iot: Any, data: Any) -> None:
    iot.create_thing(thingName="t1")
    iot.create_command(
        commandId="deep",
        payloadTemplate=_nested(64),
        preprocessor=JSON_OUT,
        mandatoryParameters=[{"name": "a"}],
    )
    started = data.start_command_execution(
        targetArn=THING_ARN.format("t1"),
        commandArn=COMMAND_ARN.format("deep"),
        parameters={"a": {"S": "x"}},
    )
    execution = iot.get_command_execution(
        executionId=started["executionId"], targetArn=THING_ARN.format("t1")
    )
    assert execution["status"] == "CREATED"
    assert json.loads(json.dumps(execution["parameters"])) == {"a": {"S": "x"}}


def test_a_presigned_url_with_a_non_ascii_signature_is_denied(raw: Any) -> None:
    for query in ("X-Amz-Signature=%C3%A9", "X-Amz-Date=%E2%80%A8&X-Amz-Signature=%F0%9F%94%91"):
        reply = raw("GET", f"/presigned-urls/fw/a.bin?{query}")
        assert reply.status == 403, reply.body
        assert reply.json()["__type"] == "AccessDeniedException"


def test_a_presigned_placeholder_naming_no_s3_object_is_refused(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    config = {"roleArn": "arn:aws:iam::123456789012:role/jobs-s3", "expiresInSec": 60}
    urls = ("http://[::1/x", "https://[bad/k", "../x", "bü/k", "b/k", "B_UCKET/k", "-b-/k", "a\0/k")
    for index, url in enumerate(urls):
        document = json.dumps({"url": "${aws:iot:s3-presigned-url:" + url + "}"})
        for call, kwargs in (
            (iot.create_job, {"jobId": f"p{index}", "targets": [THING_ARN.format("t1")]}),
            (iot.create_job_template, {"jobTemplateId": f"p{index}", "description": "d"}),
        ):
            code, message, status = error_of(
                call, document=document, presignedUrlConfig=config, **kwargs
            )
            assert (code, status) == ("InvalidRequestException", 400), (url, message)
            assert "presigned URL placeholder" in message, message


def test_a_window_cron_outside_aws_dialect_is_refused_naming_the_window(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    for index, expression in enumerate(
        (
            "cron(0 0 ? * \u0661 *)",  # an Arabic-Indic 1 as the day of the week
            "cron(0 0 1 * ? \u0662\u0660\u0662\u0664)",  # and as the year
            "cron(0 0 R * ? *)",  # croniter's random day: not AWS's, and not reproducible
            "cron(0 0 H * ? *)",
            "cron(0 0 ? * H(1-3) *)",
            "cron(0 0 * * ? */0)",
            "cron(0 0 * * ? 2024/0)",
        )
    ):
        code, message, status = error_of(
            iot.create_job,
            jobId=f"w{index}",
            targets=[THING_ARN.format("t1")],
            document="{}",
            schedulingConfig={
                "startTime": "2023-11-15T00:00",
                "maintenanceWindows": [{"startTime": expression, "durationInMinutes": 60}],
            },
        )
        assert (code, status) == ("InvalidRequestException", 400), (expression, message)
        assert "maintenanceWindows[0].startTime" in message, message


def test_window_crons_with_names_and_aws_wildcards_still_pass(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    for index, expression in enumerate(
        (
            "cron(0 0 ? MAR-APR THU#2 *)",
            "cron(0 0 ? * 6L *)",
            "cron(0 0 15W * ? *)",
        )
    ):
        iot.create_job(
            jobId=f"ok{index}",
            targets=[THING_ARN.format("t1")],
            document="{}",
            schedulingConfig={
                "startTime": "2023-11-15T00:00",
                "maintenanceWindows": [{"startTime": expression, "durationInMinutes": 60}],
            },
        )


def test_a_time_filter_with_non_ascii_digits_is_refused_naming_it(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    for after in ("\uff12\uff10\uff12\uff13-11-14T23:59", "2023-11-14T2\u0663:59"):
        code, message, status = error_of(
            iot.list_command_executions,
            targetArn=THING_ARN.format("t1"),
            startedTimeFilter={"after": after},
        )
        assert (code, status) == ("ValidationException", 400), message
        assert "startedTimeFilter.after" in message, message


def test_describing_a_job_with_many_windows_again_walks_no_calendar(
    iot: Any, clock: Any, monkeypatch: Any
) -> None:
    """A window's coming starts are worked out once, not per DescribeJob or per window event:
    2,000 windows (136 KB) cost seconds of the service's lock each time before."""
    iot.create_thing(thingName="t1")
    windows = [
        {"startTime": f"cron({i % 60} {i // 60 % 24} ? * {1 + i % 7} *)", "durationInMinutes": 1}
        for i in range(2_000)
    ]
    iot.create_job(
        jobId="many",
        targets=[THING_ARN.format("t1")],
        document="{}",
        schedulingConfig={"startTime": "2023-11-15T00:00", "maintenanceWindows": windows},
    )
    first = iot.describe_job(jobId="many")["job"]["scheduledJobRollouts"]
    walks: list[str] = []
    real = cron.croniter

    def counted(*args: Any, **kwargs: Any) -> Any:
        walks.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(cron, "croniter", counted)
    assert iot.describe_job(jobId="many")["job"]["scheduledJobRollouts"] == first
    clock.advance(3 * 3600)
    later = iot.describe_job(jobId="many")["job"]["scheduledJobRollouts"]
    assert len(later) == 7
    assert later[0]["startTime"] > first[0]["startTime"]
    assert len(walks) < 100, len(walks)


def test_a_parameter_value_holding_a_placeholder_reaches_the_device_as_written(
    iot: Any, data: Any, service: Any
) -> None:
    """Each placeholder is filled once: a value that spells another parameter's (or the
    timeout's) placeholder is text, not a second substitution."""
    iot.create_thing(thingName="t1")
    p2 = "${aws:iot:commandexecution::parameter:p2}"
    timeout = "${aws:iot:commandexecution::executionTimeoutSec}"
    iot.create_command(
        commandId="twice",
        payloadTemplate=json.dumps(
            {"m": "1=${aws:iot:commandexecution::parameter:p1};2=" + p2, "t": timeout}
        ),
        preprocessor=JSON_OUT,
        mandatoryParameters=[{"name": "p1"}, {"name": "p2"}],
    )
    sent: list[Any] = []
    service.backend.on_command(sent.append)
    data.start_command_execution(
        targetArn=THING_ARN.format("t1"),
        commandArn=COMMAND_ARN.format("twice"),
        parameters={"p1": {"S": p2 + timeout}, "p2": {"S": "secret"}},
        executionTimeoutSeconds=30,
    )
    assert json.loads(sent[0].payload) == {"m": f"1={p2}{timeout};2=secret", "t": 30}


def test_template_arns_and_names_outside_the_model_are_refused_naming_them(
    iot_unchecked: Any,
) -> None:
    iot_unchecked.create_thing(thingName="t1")
    for arn in ("arn:aws:iot:us-east-1::jobtemplate/" + "A" * 1600, "arn:aws:iot:\u00e9", "x"):
        code, message, status = error_of(
            iot_unchecked.create_job,
            jobId="from-template",
            targets=[THING_ARN.format("t1")],
            jobTemplateArn=arn,
        )
        assert (code, status) == ("InvalidRequestException", 400), message
        assert "jobTemplateArn" in message, message
        assert len(message) < 400, message
    code, message, status = error_of(
        iot_unchecked.describe_managed_job_template, templateName="A" * 65
    )
    assert (code, status) == ("InvalidRequestException", 400), message
    assert "templateName" in message, message


def test_a_double_parameter_beyond_a_double_is_refused_naming_it(iot: Any, raw: Any) -> None:
    iot.create_thing(thingName="t1")
    iot.create_command(
        commandId="d",
        payloadTemplate='{"a": "${aws:iot:commandexecution::parameter:a}"}',
        preprocessor=JSON_OUT,
        mandatoryParameters=[{"name": "a"}],
    )
    for number in ("1" + "0" * 400, "-" + "9" * 310):
        body = (
            f'{{"targetArn": "{THING_ARN.format("t1")}", "commandArn": "{COMMAND_ARN.format("d")}",'
            f' "parameters": {{"a": {{"D": {number}}}}}}}'
        )
        reply = raw("POST", "/command-executions", body.encode())
        assert reply.status == 400, reply.body
        assert reply.json()["__type"] == "ValidationException"
        assert "parameters.a.D" in reply.json()["message"]
