"""What both MQTT endpoints share: the CA file, the notifications and the command requests."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from jobsnb.exceptions import ServiceStartError
from jobsnb.service.mqtt.commands import CommandRequests
from jobsnb.service.mqtt.notifications import JobNotifications, Send, Wants

if TYPE_CHECKING:
    from jobsnb.service.backend import JobsBackend

__all__ = ["SharedEndpoint"]


class SharedEndpoint:
    """The part of an MQTT endpoint that is the same on the embedded and an attached broker.

    Parameters
    ----------
    backend
        The service's backend.
    """

    def __init__(self, backend: JobsBackend) -> None:
        self.backend = backend
        self._files: tempfile.TemporaryDirectory[str] | None = None
        self._notifications: JobNotifications | None = None
        self._command_requests: CommandRequests | None = None

    @property
    def ca_file(self) -> Path:
        """The PEM file of the service's CA: what devices trust, an attached broker's cafile."""
        if self._files is None:
            raise ServiceStartError("The MQTT endpoint is not running.")
        return Path(self._files.name) / "ca.pem"

    @property
    def notifications_sent(self) -> dict[str, int]:
        """How many notify, notify-next, events and command requests (``commands``) were sent."""
        sent = dict(self._notifications.sent) if self._notifications is not None else {}
        if self._command_requests is not None:
            sent["commands"] = self._command_requests.sent
        return sent

    def _write_files(self, **others: str) -> dict[str, str]:
        """Write the CA (``ca.pem``) and ``others`` (file name → PEM) to a private folder."""
        self._files = tempfile.TemporaryDirectory(prefix="jobsnb-mqtt-")
        folder = Path(self._files.name)
        paths = {}
        for name, text in {"ca.pem": self.backend.authority.ca_pem, **others}.items():
            (folder / name).write_text(text)
            paths[name] = str(folder / name)
        return paths

    def _start_notifying(self, send: Send, wants: Wants | None = None) -> None:
        self._notifications = JobNotifications(self.backend, send, wants)
        self._command_requests = CommandRequests(self.backend, send, wants)

    def _close_shared(self) -> None:
        """Stop notifying (first: nothing more is sent) and remove the files."""
        if self._command_requests is not None:
            self._command_requests.close()
            self._command_requests = None
        if self._notifications is not None:
            self._notifications.close()
            self._notifications = None
        if self._files is not None:
            self._files.cleanup()
            self._files = None
