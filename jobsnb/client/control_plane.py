"""The fleet client's control-plane calls: a job's executions across the fleet, job
summaries, and thing and group lists (a mixin of :class:`~jobsnb.client.FleetClient`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from jobsnb import frames
from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import OnError
from jobsnb.client.fanout import (
    CallError,
    CallFailed,
    FanoutResult,
    RequestBudget,
    RetryPolicy,
    call_with_retries,
)
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import STATUSES, check_thing_name

__all__ = ["LIST_PAGE_SIZE", "ControlPlaneCalls"]

#: The largest page the control plane's list operations give.
LIST_PAGE_SIZE = 250


class ControlPlaneCalls:
    """ListJobExecutionsForJob, DescribeJob, ListThings & co., within the control budget."""

    control: Any
    control_budget: RequestBudget
    retry: RetryPolicy

    if TYPE_CHECKING:  # provided by FleetClient

        def _fan_out(
            self,
            items: Any,
            call: Callable[[Any], dict[str, Any]],
            operation: str,
            identify: Callable[[Any], tuple[str | None, str | None]],
            budget: RequestBudget | None,
            progress: bool,
        ) -> FanoutResult[Any]: ...

        def _finish(
            self, frame: pd.DataFrame, result: FanoutResult[Any], on_error: OnError
        ) -> pd.DataFrame: ...

        def describe(
            self,
            executions: Any,
            *,
            include_document: bool = False,
            flatten_details: bool = False,
            progress: bool = True,
            on_error: OnError = "warn",
        ) -> pd.DataFrame: ...

    def executions(
        self,
        job_ids: str | Iterable[str],
        *,
        status: str | None = None,
        describe: bool = False,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """The whole fleet's executions of each job: the control plane's ListJobExecutionsForJob.

        All statuses, terminal included, one row per thing (its latest execution;
        ``retry_attempt`` counts the earlier ones). ``status`` filters on the service side.
        ``describe=True`` adds every data-plane field of each execution (status details,
        versions) through :meth:`describe`.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arns = [service.backend.create_thing(f"sensor-{i}").arn for i in (1, 2)]
        ...     _ = service.backend.create_job("fw-2", targets=arns, document="{}")
        ...     _ = service.backend.update_job_execution("sensor-1", "fw-2", "SUCCEEDED")
        ...     fleet = jobsnb.connect(service).executions("fw-2", progress=False)
        >>> fleet[["thing_name", "status", "retry_attempt"]]
          thing_name     status  retry_attempt
        0   sensor-1  SUCCEEDED              0
        1   sensor-2     QUEUED              0
        """
        jobs = arguments.job_ids(job_ids)
        if status is not None and status not in STATUSES:
            raise InvalidParameterError("status", f"must be one of {', '.join(STATUSES)}", status)
        arguments.check_on_error(on_error)

        def list_all(job_id: str) -> dict[str, Any]:
            summaries: list[dict[str, Any]] = []
            kwargs: dict[str, Any] = {"jobId": job_id}
            if status is not None:
                kwargs["status"] = status
            for page in self._pages(self.control.list_job_executions_for_job, kwargs):
                summaries.extend(page.get("executionSummaries", []))
            return {"executionSummaries": summaries}

        result = self._fan_out(
            jobs,
            list_all,
            "ListJobExecutionsForJob",
            lambda job_id: (None, job_id),
            None,  # list_all takes from the control budget page by page
            progress,
        )
        parts = [
            frames.job_executions_frame(job_id, response["executionSummaries"])
            for job_id, response in result.succeeded
        ]
        frame = _concat(parts, frames.job_executions_frame("", []))
        if describe and not frame.empty:
            details = self.describe(
                frame[["thing_name", "job_id", "execution_number"]],
                progress=progress,
                on_error="ignore",  # its errors join this call's, reported once below
            )
            extra = [c for c in details.columns if c not in frame.columns or c == "status"]
            frame = frame.merge(
                details[["thing_name", "job_id", "execution_number", *extra]].rename(
                    columns={"status": "described_status"}
                ),
                on=["thing_name", "job_id", "execution_number"],
                how="left",
            )
            result.errors.extend(_errors_from(details))
        return self._finish(frame, result, on_error)

    def job_summary(
        self,
        job_ids: str | Iterable[str],
        *,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """One row per job: its status and how many things (not attempts) ended in each status.

        ``things_<status>`` counts distinct things by the status of their latest execution;
        ``attempts_<status>`` are AWS's own counters, which count every retry.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
        ...     _ = service.backend.create_job("fw-2", [arn], "{}", retry_config=retry)
        ...     _ = service.backend.update_job_execution("sensor-1", "fw-2", "FAILED")
        ...     summary = jobsnb.connect(service).job_summary("fw-2", progress=False)
        >>> summary[["things", "attempts", "things_queued", "attempts_failed"]].to_dict("records")
        [{'things': 1, 'attempts': 2, 'things_queued': 1, 'attempts_failed': 1}]
        """
        jobs = arguments.job_ids(job_ids)
        arguments.check_on_error(on_error)

        described = self._fan_out(
            jobs,
            lambda job_id: self.control.describe_job(jobId=job_id),
            "DescribeJob",
            lambda job_id: (None, job_id),
            self.control_budget,
            progress,
        )
        found = [job_id for job_id, _ in described.succeeded]
        executions = (
            self.executions(found, progress=progress, on_error="ignore")
            if found
            else frames.job_executions_frame("", [])
        )
        rows = [
            (response["job"], executions[executions["job_id"] == job_id])
            for job_id, response in described.succeeded
        ]
        described.errors.extend(_errors_from(executions))
        return self._finish(frames.job_summary_frame(rows), described, on_error)

    def things(
        self,
        group: str | None = None,
        *,
        recursive: bool = False,
        attribute: tuple[str, str] | None = None,
        limit: int | None = None,
    ) -> list[str]:
        """Thing names: all things, or the members of thing ``group`` (ListThings /
        ListThingsInThingGroup, page after page).

        ``recursive`` includes the members of ``group``'s child groups. ``attribute=(name,
        value)`` keeps the things whose attribute ``name`` equals ``value`` (with
        ``group=None``). ``limit`` stops listing after that many names.
        """
        if group is not None:
            check_thing_name(group, "group")
            if attribute is not None:
                raise InvalidParameterError("attribute", "cannot be combined with group", attribute)
            pages = self._pages_or_raise(
                self.control.list_things_in_thing_group,
                {"thingGroupName": group, "recursive": recursive},
                "things",
                limit,
            )
            return [name for page in pages for name in page.get("things", [])][:limit]
        kwargs: dict[str, Any] = {}
        if attribute is not None:
            kwargs = {"attributeName": attribute[0], "attributeValue": attribute[1]}
        pages = self._pages_or_raise(self.control.list_things, kwargs, "things", limit)
        return [thing["thingName"] for page in pages for thing in page.get("things", [])][:limit]

    def groups(self, *, limit: int | None = None) -> list[str]:
        """Names of thing groups (ListThingGroups, page after page; ``limit`` stops early)."""
        pages = self._pages_or_raise(self.control.list_thing_groups, {}, "thingGroups", limit)
        return [g["groupName"] for page in pages for g in page.get("thingGroups", [])][:limit]

    def _pages_or_raise(
        self,
        operation: Callable[..., Any],
        kwargs: dict[str, Any],
        key: str,
        limit: int | None,
    ) -> list[Any]:
        """:meth:`_pages` outside a fan-out: a call that failed for good raises its AWS error."""
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise InvalidParameterError("limit", "must be a positive integer or None", limit)
        try:
            return self._pages(operation, kwargs, key, limit)
        except CallFailed as failed:
            raise failed.error from None

    def _pages(
        self,
        operation: Callable[..., Any],
        kwargs: dict[str, Any],
        key: str = "",
        limit: int | None = None,
    ) -> list[Any]:
        """Every page of a paginated control-plane list, within the control budget.

        Each page is retried on its own; one that fails for good raises
        :class:`~jobsnb.fanout.CallFailed`, which a surrounding fan-out records without
        listing again from the first page.
        """
        pages: list[Any] = []
        kwargs = {**kwargs, "maxResults": LIST_PAGE_SIZE}
        listed = 0
        while True:
            page = call_with_retries(
                lambda: operation(**kwargs), retry=self.retry, budget=self.control_budget
            )
            pages.append(page)
            listed += len(page.get(key, [])) if key else 0
            token = page.get("nextToken")
            if not token or (limit is not None and listed >= limit):
                return pages
            kwargs["nextToken"] = token


def _concat(parts: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    parts = [part for part in parts if not part.empty]
    if not parts:
        return empty
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _errors_from(frame: pd.DataFrame) -> list[CallError]:
    return list(frame.attrs.get("errors", ()))
