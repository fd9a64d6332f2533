"""A client's circuit breaker: a dead endpoint fails a fan-out in seconds, not in minutes.

Retrying each call on its own is right for a service that is busy (429) or briefly failing
(5xx), and wrong for one that is not there: 2,000 things times 10 attempts with back-off keep a
fan-out busy for a quarter of an hour. One :class:`CircuitBreaker` per client, shared by all its
fan-outs and threads, counts connection failures in a row (a refused or timed-out connection,
with no answer from the endpoint between). After :data:`~jobsnb.limits.BREAKER_FAILURES` it
*opens*: every call not yet made ends at once as :class:`EndpointUnreachable` (an error row
``error_code="EndpointUnreachable"``). After :data:`~jobsnb.limits.BREAKER_COOLDOWN_SECONDS` one
call probes the endpoint; any answer (even an error answer: the endpoint is there) closes the
breaker, a connection failure opens it for another cool-down. Throttling, 5xx, dropped
connections and read timeouts come from an endpoint that is there: they neither open nor close it.
"""

from __future__ import annotations

import threading
import time
from typing import Final, Literal
from urllib.parse import urlsplit

from botocore.exceptions import ConnectionError as NotConnected

from jobsnb.limits import BREAKER_COOLDOWN_SECONDS, BREAKER_FAILURES

__all__ = ["CircuitBreaker", "EndpointUnreachable", "Reach", "reach_of"]

#: What one attempt told about the endpoint: it answered, it could not be connected to, or
#: neither (a dropped connection or read timeout after the request went out).
Reach = Literal["answered", "unreachable", "unknown"]
_CLOSED: Final = "closed"


class EndpointUnreachable(ConnectionError):
    """A call not made because the client's breaker is open; its message says what to check."""


def reach_of(error: BaseException | None) -> Reach:
    """What an attempt that raised ``error`` (None: it succeeded) says about the endpoint.

    Examples
    --------
    >>> from botocore.exceptions import EndpointConnectionError
    >>> reach_of(None), reach_of(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    ('answered', 'unreachable')
    """
    if error is None:
        return "answered"
    # EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError: nothing was sent.
    if isinstance(error, NotConnected):
        return "unreachable"
    if hasattr(error, "response"):  # a ClientError: the endpoint answered, with an error
        return "answered"
    return "unknown"


class CircuitBreaker:
    """Connection failures in a row, shared by every thread of one client.

    Parameters
    ----------
    failures
        Connection failures in a row that open the breaker.
    cooldown
        Seconds it stays open before one call may probe the endpoint.

    Examples
    --------
    >>> from botocore.exceptions import EndpointConnectionError
    >>> breaker = CircuitBreaker(failures=2, cooldown=60)
    >>> error = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    >>> for _ in range(2):
    ...     _ = breaker.before()
    ...     breaker.after(error)
    >>> breaker.state
    'open'
    >>> try:
    ...     _ = breaker.before()
    ... except EndpointUnreachable as refused:
    ...     print(str(refused)[:60])
    no connection to http://127.0.0.1:1 after 2 connection failu
    """

    def __init__(
        self, failures: int = BREAKER_FAILURES, cooldown: float = BREAKER_COOLDOWN_SECONDS
    ) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._in_a_row = 0
        self._opened_at: float | None = None
        self._probing = False
        self._last: BaseException | None = None
        #: How often the breaker opened, for tests and diagnostics.
        self.openings = 0

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` (calls end at once) or ``"half-open"`` (one may probe)."""
        with self._lock:
            if self._opened_at is None:
                return _CLOSED
            if time.monotonic() - self._opened_at < self.cooldown or self._probing:
                return "open"
            return "half-open"

    def before(self) -> bool:
        """Whether the coming attempt is the probe; raises :class:`EndpointUnreachable` if open."""
        with self._lock:
            if self._opened_at is None:
                return False
            waited = time.monotonic() - self._opened_at
            if waited >= self.cooldown and not self._probing:
                self._probing = True
                return True
            left = max(0.0, self.cooldown - waited)
            last = self._last
        raise EndpointUnreachable(self._message(last, left))

    def after(self, error: BaseException | None, probe: bool = False) -> None:
        """Record what an attempt (``probe``: the one :meth:`before` let through) found."""
        reach = reach_of(error)
        with self._lock:
            if probe:
                self._probing = False
            if reach == "answered":
                self._in_a_row, self._opened_at = 0, None
            elif reach == "unreachable":
                self._in_a_row += 1
                self._last = error
                if self._in_a_row >= self.failures and (probe or self._opened_at is None):
                    self._opened_at = time.monotonic()
                    self.openings += 1

    def _message(self, last: BaseException | None, left: float) -> str:
        url = urlsplit(getattr(last, "kwargs", {}).get("endpoint_url") or "")
        endpoint = f"{url.scheme}://{url.netloc}" if url.netloc else "the endpoint"
        return (
            f"no connection to {endpoint} after {self._in_a_row} connection failures in a row "
            f"(last: {last}); not called. Check that the service is running and that "
            f"endpoint_url, the network and any proxy are right; calls try again in {left:.0f} s"
        )
