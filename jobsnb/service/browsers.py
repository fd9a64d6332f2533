"""Who may call the service from a browser: an Origin allow-list and a Host check.

The service listens next to a browser on the user's machine, and a web page can send it requests:
a ``text/plain`` POST needs no CORS preflight, so without a check any page open in the browser
could update executions (the browser hides the answer, not the request). And a page whose DNS
name is re-pointed at 127.0.0.1 (DNS rebinding) becomes same-origin with the service. So:

* a request with an ``Origin`` header not on the allow-list (empty unless told) is refused;
* a request whose ``Host`` is not the service's own address (``127.0.0.1:PORT``,
  ``localhost:PORT``, ``[::1]:PORT`` or the host it was bound to; on a wildcard bind also any IP
  address and this machine's name) is refused: a rebound page sends its own name as Host.

AWS SDKs and the AWS CLI send no Origin and the endpoint's own Host, so they never meet either.
An allowed origin gets the CORS headers a browser needs, for its preflight and its answers.

Examples
--------
>>> policy = BrowserPolicy(["http://localhost:8888"])
>>> policy.serve_at("127.0.0.1", 8765)
>>> policy.refusal("http://localhost:8888", "127.0.0.1:8765") is None
True
>>> policy.refusal(None, "evil.example:8765").startswith("Host evil.example:8765 is not")
True
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from jobsnb.exceptions import InvalidParameterError
from jobsnb.service.hosts import WILDCARD_HOSTS, machine_names

__all__ = ["ANY_ORIGIN", "BrowserPolicy", "normalise_origin"]

#: On the allow-list, lets every origin in (the Host check still stands).
ANY_ORIGIN = "*"
_METHODS = b"GET, PUT, POST, PATCH, DELETE"
# What a browser script may read of an answer beyond the safe-listed headers: the request id,
# and the error shape AWS's JavaScript SDK reads.
_EXPOSED = b"x-amzn-RequestId, x-amzn-ErrorType"


def normalise_origin(origin: str) -> str:
    """``origin`` as browsers send it: scheme and host lower-case, no trailing slash."""
    return origin.strip().rstrip("/").lower()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class BrowserPolicy:
    """The Origin allow-list and the Host check of one service.

    Parameters
    ----------
    allow_origins
        Origins (``scheme://host[:port]``, as a browser sends them in ``Origin``) whose pages may
        call the service; ``"*"`` allows every origin. Empty: no page may.
    """

    def __init__(self, allow_origins: Iterable[str] = ()) -> None:
        if isinstance(allow_origins, str):
            raise InvalidParameterError("allow_origins", "must be a list of origins", allow_origins)
        for origin in allow_origins:
            if origin != ANY_ORIGIN and "://" not in str(origin):
                raise InvalidParameterError(
                    "allow_origins", "takes origins like http://localhost:8888, or *", origin
                )
        self.allow_origins = frozenset(normalise_origin(origin) for origin in allow_origins)
        self._names: frozenset[str] = frozenset()
        self._port: str | None = None
        self._any_ip = False

    def serve_at(self, host: str, port: int) -> None:
        """Learn the address the service listens on: the Hosts it answers to."""
        names = {"127.0.0.1", "localhost", "[::1]", f"[{host}]" if ":" in host else host}
        self._any_ip = host in WILDCARD_HOSTS
        if self._any_ip:
            # Listening on every interface is asking to be reached by address or by this
            # machine's name; an IP literal cannot be rebound, a name can.
            names |= machine_names()
        self._names = frozenset(name.lower() for name in names)
        self._port = str(port)

    def origin_allowed(self, origin: str) -> bool:
        """Whether pages of ``origin`` may call the service."""
        return ANY_ORIGIN in self.allow_origins or normalise_origin(origin) in self.allow_origins

    def refusal(self, origin: str | None, host: str | None) -> str | None:
        """Why a request with these ``Origin`` and ``Host`` headers is refused, or None."""
        if origin is not None and not self.origin_allowed(origin):
            return (
                f"Requests from origin {origin} are refused: a web page may call this service "
                f"only when its origin is allowed (jobsnb serve --allow-origin {origin}, or "
                f"LocalJobsService(allow_origins=[{origin!r}]))."
            )
        if host is None or self._port is None:
            return None  # no Host: not a browser (they always send it); not bound: no address
        name, colon, port = host.strip().lower().rpartition(":")
        if not colon or name.endswith(":") or (name.startswith("[") != name.endswith("]")):
            name, port = host.strip().lower(), ""  # no port (an IPv6 literal has colons inside)
        # A Host without a port names the service's host all the same; only its name matters
        # against rebinding, which needs a name the attacker controls.
        if port in ("", self._port) and (name in self._names or (self._any_ip and _is_ip(name))):
            return None
        return (
            f"Host {host} is not this service's address (127.0.0.1, localhost or [::1] with its "
            "port): refused, as a page whose DNS name was re-pointed here (DNS rebinding) sends."
        )

    def cors_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        """The headers that let a page of an allowed ``origin`` read an answer."""
        if origin is None or not self.origin_allowed(origin):
            return []
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-expose-headers", _EXPOSED),
            (b"vary", b"Origin"),
        ]

    def preflight_headers(
        self, origin: str, request_headers: str | None
    ) -> Sequence[tuple[bytes, bytes]]:
        """The answer to an allowed origin's CORS preflight: any method, the headers it asked."""
        allowed = [
            *self.cors_headers(origin),
            (b"access-control-allow-methods", _METHODS),
            (b"access-control-max-age", b"600"),
        ]
        if request_headers:
            allowed.append((b"access-control-allow-headers", request_headers.encode("latin-1")))
        return allowed
