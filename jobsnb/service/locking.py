"""How the backend keeps its one rule: every operation runs under the lock, after a tick.

The backend's state is one object graph guarded by one re-entrant lock. Its public methods carry
one of these decorators, so callers need not know the rule: the HTTP app, the sweep thread, a
notebook bulk-loading things through ``service.backend`` while the service runs, all take the
same lock the same way.

* :func:`operation` — an AWS operation: take the lock, apply the timers and rollout releases
  that fell due (``tick``), run, then tell the pending listeners what changed
  (``publish_changes``, MQTT's notifications); a broken input rule (``jobsnb.limits.check_*``)
  becomes the service's own ``InvalidRequestException``, so the service answers only AWS errors.
* :func:`locked` — a read-only view: take the lock and read, without moving any state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from jobsnb.exceptions import InvalidParameterError
from jobsnb.service.errors import InvalidRequestException

__all__ = ["locked", "operation"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


class _Guarded(Protocol):
    lock: AbstractContextManager[Any]

    operation_depth: int

    def tick(self) -> float: ...

    def publish_changes(self) -> None: ...


def operation(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run ``method`` under the owner's lock, after its tick; input rules answer as AWS errors."""

    @functools.wraps(method)
    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        owner = cast("_Guarded", self)
        with owner.lock:
            # Operations call one another (DeleteThing leaves its groups): the listeners hear
            # of the changes once, when the outermost one is done.
            owner.operation_depth += 1
            try:
                owner.tick()
                return method(self, *args, **kwargs)
            except InvalidParameterError as error:
                raise InvalidRequestException(str(error)) from None
            finally:
                owner.operation_depth -= 1
                if not owner.operation_depth:
                    owner.publish_changes()

    return run


def locked(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run ``method`` under the owner's lock (a consistent read; nothing is applied)."""

    @functools.wraps(method)
    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with cast("_Guarded", self).lock:
            return method(self, *args, **kwargs)

    return run
