"""AWS managed job templates: their documents, ``documentParameters`` and substitution.

``AWS-Reboot``, ``AWS-Download-File`` and the others, and what CreateJob makes of them.

The documents, parameter keys, regexes, examples and descriptions are AWS's, as the developer
guide prints them ("Managed template remote actions and job documents", and
DescribeManagedJobTemplate's output for ``AWS-Download-File``), in AWS's compact form. The guide
prints no parameter table for the templates other than ``AWS-Download-File``: theirs follow it
(their one required parameter, ``packages`` or ``services``, takes any value, like
``downloadUrl``), and so do the descriptions the guide does not print (marked below).
``AWS-Run-Command``'s document is the one device code written against it parses (a
``runCommand`` action whose ``input.command`` is the ``command`` parameter).

Decisions where AWS is silent: a value must match its parameter's regex as a whole; an
optional parameter left out is replaced by the empty string (the AWS IoT Device Client reads an
empty ``runAsUser`` or ``path`` as "not given"); a value is inserted JSON-escaped, so the
document stays JSON whatever the value holds; each template has one version, ``1.0``, its
default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from jobsnb.service.errors import InvalidRequestException

__all__ = ["MANAGED_TEMPLATES", "VERSION", "DocumentParameter", "ManagedTemplate"]

#: The one version of every managed template, its default.
VERSION = "1.0"
_PARAMETER = re.compile(r"\$\{aws:iot:parameter:([a-zA-Z0-9_-]+)\}")
_KEY = re.compile(r"[a-zA-Z0-9_-]{1,128}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_VALUE = 30720


@dataclass(frozen=True)
class DocumentParameter:
    """One ``documentParameters`` entry of a managed template."""

    key: str
    description: str
    regex: str
    example: str
    optional: bool

    def shape(self) -> dict[str, object]:
        """DescribeManagedJobTemplate's DocumentParameter."""
        return {
            "key": self.key,
            "description": self.description,
            "regex": self.regex,
            "example": self.example,
            "optional": self.optional,
        }


@dataclass(frozen=True)
class ManagedTemplate:
    """One AWS managed job template."""

    name: str
    description: str
    document: str
    parameters: tuple[DocumentParameter, ...]
    environments: tuple[str, ...] = ("LINUX",)
    version: str = VERSION

    def arn(self, region: str) -> str:
        """``arn:aws:iot:REGION::jobtemplate/NAME:VERSION`` (no account: AWS owns it)."""
        return f"arn:aws:iot:{region}::jobtemplate/{self.name}:{self.version}"

    def summary(self, region: str) -> dict[str, object]:
        """ListManagedJobTemplates' ManagedJobTemplateSummary."""
        return {
            "templateArn": self.arn(region),
            "templateName": self.name,
            "description": self.description,
            "environments": list(self.environments),
            "templateVersion": self.version,
        }

    def describe(self, region: str) -> dict[str, object]:
        """DescribeManagedJobTemplate's output."""
        return {
            **self.summary(region),
            "documentParameters": [parameter.shape() for parameter in self.parameters],
            "document": self.document,
        }

    def render(self, values: dict[str, Any] | None) -> str:
        """The document with every ``${aws:iot:parameter:KEY}`` replaced by its value.

        Raises
        ------
        InvalidRequestException
            Naming the key: one the template does not have, a required one missing, a value
            that is not a string of 1-30720 characters without control characters, or one its
            parameter's regex does not match.

        Examples
        --------
        >>> reboot = MANAGED_TEMPLATES["AWS-Reboot"]
        >>> json.loads(reboot.render({"runAsUser": "root"}))["steps"][0]["action"]["runAsUser"]
        'root'
        """
        values = values or {}
        known = {parameter.key: parameter for parameter in self.parameters}
        for key, value in values.items():
            if key not in known:
                raise InvalidRequestException(
                    f"documentParameters key {key!r} is not a parameter of {self.name}; "
                    f"its parameters are {', '.join(known)}"
                )
            if (
                not isinstance(value, str)
                or not 1 <= len(value) <= _MAX_VALUE
                or _CONTROL.search(value)
            ):
                raise InvalidRequestException(
                    f"documentParameters value of {key!r} must be 1-{_MAX_VALUE} characters "
                    "without control characters"
                )
            if re.fullmatch(known[key].regex, value, re.DOTALL) is None:
                raise InvalidRequestException(
                    f"documentParameters value of {key!r} does not match its regex "
                    f"{known[key].regex!r}"
                )
        for parameter in self.parameters:
            if not parameter.optional and parameter.key not in values:
                raise InvalidRequestException(
                    f"documentParameters key {parameter.key!r} is required by {self.name}"
                )

        def value_of(found: re.Match[str]) -> str:
            return json.dumps(values.get(found.group(1), ""))[1:-1]

        return _PARAMETER.sub(value_of, self.document)


_RUN_AS_USER = DocumentParameter(
    "runAsUser",
    "Execute handler as another user. If not specified, then handler is executed as the same "
    "user as device client.",
    "(.){0,256}",
    "user1",
    True,
)
_PATH_TO_HANDLER = DocumentParameter(
    "pathToHandler",
    "Path to handler on the device. If not specified, then device client will use the current "
    "working directory.",
    "(.){0,4096}",
    "/path/to/handler/script",
    True,
)


def _handler_document(name: str, handler: str, args: tuple[str, ...]) -> str:
    """A runHandler job document, compact as DescribeManagedJobTemplate returns it."""
    handler_input: dict[str, object] = {"handler": handler}
    if args:
        handler_input["args"] = [f"${{aws:iot:parameter:{key}}}" for key in args]
    handler_input["path"] = "${aws:iot:parameter:pathToHandler}"
    action = {
        "name": name,
        "type": "runHandler",
        "input": handler_input,
        "runAsUser": "${aws:iot:parameter:runAsUser}",
    }
    return json.dumps({"version": "1.0", "steps": [{"action": action}]}, separators=(",", ":"))


def _handler_template(
    name: str, description: str, handler: str, *required: DocumentParameter
) -> ManagedTemplate:
    document = _handler_document(name[4:], handler, tuple(p.key for p in required))
    return ManagedTemplate(name, description, document, (*required, _RUN_AS_USER, _PATH_TO_HANDLER))


def _required(key: str, description: str, example: str) -> DocumentParameter:
    return DocumentParameter(key, description, "(.*?)", example, False)


_PACKAGES_EXAMPLE = "package1 package2"
_SERVICES_EXAMPLE = "service1 service2"

_TEMPLATES = (
    _handler_template(
        "AWS-Download-File",
        "A managed job template for downloading a file.",
        "download-file.sh",
        _required("downloadUrl", "URL of file to download.", "http://www.example.com/index.html"),
        _required("filePath", "Path on the device where downloaded file is written.",
                  "/path/to/file"),
    ),
    _handler_template(
        "AWS-Install-Application",
        "A managed job template for installing one or more applications.",  # not printed
        "install-packages.sh",
        _required("packages", "Space separated list of packages to install.", _PACKAGES_EXAMPLE),
    ),
    _handler_template("AWS-Reboot", "A managed job template for rebooting the device.",
                      "reboot.sh"),
    _handler_template(
        "AWS-Remove-Application",
        "A managed job template for uninstalling one or more applications.",
        "remove-packages.sh",
        _required("packages", "Space separated list of packages to remove.", _PACKAGES_EXAMPLE),
    ),
    _handler_template(
        "AWS-Restart-Application",
        "A managed job template for restarting one or more system services.",
        "restart-services.sh",
        _required("services", "Space separated list of services to restart.", _SERVICES_EXAMPLE),
    ),
    ManagedTemplate(
        "AWS-Run-Command",
        "A managed job template for running a command.",  # not printed
        json.dumps(
            {
                "version": "1.0",
                "steps": [
                    {
                        "action": {
                            "name": "Run-Command",
                            "type": "runCommand",
                            "input": {"command": "${aws:iot:parameter:command}"},
                            "runAsUser": "${aws:iot:parameter:runAsUser}",
                        }
                    }
                ],
            },
            separators=(",", ":"),
        ),
        (
            _required(
                "command",
                "Command to run on the device: the program and its arguments, comma separated.",
                "ls,-l,/tmp",
            ),
            _RUN_AS_USER,
        ),
    ),
    _handler_template(
        "AWS-Start-Application",
        "A managed job template for starting one or more system services.",  # not printed
        "start-services.sh",
        _required("services", "Space separated list of services to start.", _SERVICES_EXAMPLE),
    ),
    _handler_template(
        "AWS-Stop-Application",
        "A managed job template for stopping one or more system services.",
        "stop-services.sh",
        _required("services", "Space separated list of services to stop.", _SERVICES_EXAMPLE),
    ),
)  # fmt: skip

#: Every managed template by name, in name order (ListManagedJobTemplates' order).
MANAGED_TEMPLATES: dict[str, ManagedTemplate] = {t.name: t for t in _TEMPLATES}
