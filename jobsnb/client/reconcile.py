"""Ambiguous writes: an update whose answer was lost is looked up before it is sent again.

When UpdateJobExecution fails after its request may have reached the service (the connection
dropped after sending, the answer timed out, a 5xx; see
:func:`~jobsnb.client.retries.maybe_applied`), sending it again blindly is wrong both ways: with
``expectedVersion`` the retry is refused (the first one moved the version on) and would be
reported as a conflict, and without it the report is applied twice. So the next attempt first
describes the execution (DescribeJobExecution) and calls the update *applied* (a normal row,
built from that answer) when the execution already shows it:

- with an expected version ``v``: the requested status at version ``v + 1``;
- without one: the requested status and every statusDetails pair sent, at a version above the
  one the frame was read at (when the frame had one; else status and details suffice).

Otherwise it sends the update again. StartNextPendingJobExecution needs none of this: sent again,
it returns the execution the first request started (IN_PROGRESS executions come back as they
are), so a retry reports the same execution and starts nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jobsnb.client._arguments import Pair
from jobsnb.client.conflicts import execution_state, keep_execution_state
from jobsnb.client.retries import maybe_applied

__all__ = ["UpdateItem", "is_applied", "reconciling_update"]


@dataclass(eq=False)
class UpdateItem:
    """One execution to update, and whether an earlier attempt may have been applied.

    ``expected`` is the ``expectedVersion`` sent (None: none), ``read_at`` the version its frame
    was read at (None: unknown). ``refused_state`` is the ``executionState`` a refusal carried.
    """

    pair: Pair
    expected: int | None
    read_at: int | None = None
    maybe_applied: bool = False
    refused_state: Mapping[str, Any] | None = None


def is_applied(execution: Mapping[str, Any], sent: Mapping[str, Any], item: UpdateItem) -> bool:
    """Whether ``execution`` (DescribeJobExecution's) already shows the update ``sent``.

    Examples
    --------
    >>> item = UpdateItem(("sensor-1", "fw-2", None), expected=3)
    >>> sent = {"status": "SUCCEEDED"}
    >>> is_applied({"status": "SUCCEEDED", "versionNumber": 4}, sent, item)
    True
    >>> is_applied({"status": "SUCCEEDED", "versionNumber": 5}, sent, item)  # someone else's
    False
    """
    if execution.get("status") != sent["status"]:
        return False
    details = execution.get("statusDetails") or {}
    if any(details.get(key) != value for key, value in sent.get("statusDetails", {}).items()):
        return False
    version = execution.get("versionNumber")
    if item.expected is not None:
        return version == item.expected + 1
    if item.read_at is not None:
        return isinstance(version, int) and version > item.read_at
    return True


def reconciling_update(data: Any, sent: Mapping[str, Any]) -> Callable[[UpdateItem], Any]:
    """One attempt of UpdateJobExecution for an item, describing first after an ambiguous one.

    Parameters
    ----------
    data
        The boto3 ``iot-jobs-data`` client.
    sent
        UpdateJobExecution's arguments common to every item (``status``, ``statusDetails``,
        ``stepTimeoutInMinutes``, ``includeJobExecutionState``).

    Returns
    -------
    Callable
        Makes one attempt for an :class:`UpdateItem`: UpdateJobExecution's answer, or one made
        from DescribeJobExecution's when the update turns out to be applied already. A
        refusal's ``executionState`` is kept in the item's ``refused_state``.
    """
    keep_execution_state(data)

    def attempt(item: UpdateItem) -> Any:
        thing, job, number = item.pair
        where: dict[str, Any] = {"thingName": thing, "jobId": job}
        if number is not None:
            where["executionNumber"] = number
        if item.maybe_applied:
            execution = data.describe_job_execution(**where)["execution"]
            if is_applied(execution, sent, item):
                keys = ("status", "statusDetails", "versionNumber")
                return {"executionState": {k: execution[k] for k in keys if k in execution}}
        kwargs = {**sent, **where}
        if item.expected is not None:
            kwargs["expectedVersion"] = item.expected
        try:
            return data.update_job_execution(**kwargs)
        except Exception as error:
            item.maybe_applied = item.maybe_applied or maybe_applied(error)
            item.refused_state = execution_state(error)
            raise

    return attempt
