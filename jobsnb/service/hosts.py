"""The names a service bound to a host answers to.

One place for what the HTTP side's Host check (:mod:`~jobsnb.service.browsers`) and the MQTT
endpoint's TLS server certificate (:mod:`~jobsnb.service.mqtt.endpoint`) both need to know.
"""

from __future__ import annotations

import socket

__all__ = ["WILDCARD_HOSTS", "machine_names"]

#: Binds that listen on every interface: the service is then reached by the machine's names and
#: addresses, not only by the host it was given.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def machine_names() -> set[str]:
    """The host name and the fully qualified name of the machine the service runs on."""
    return {socket.gethostname(), socket.getfqdn()}
