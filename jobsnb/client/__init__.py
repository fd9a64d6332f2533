"""The fleet client: the IoT Jobs data plane fanned out across many things, as DataFrames.

>>> import jobsnb
>>> from jobsnb.service import LocalJobsService
>>> with LocalJobsService() as service:
...     client = jobsnb.connect(service.url)
...     client.pending(["sensor-1", "sensor-2"], progress=False).empty
True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from os import PathLike
from typing import Any, Literal

import pandas as pd

from jobsnb import frames
from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import OnError, Pair
from jobsnb.client._boto import (
    CONTROL_PLANE,
    DATA_PLANE,
    is_local_endpoint,
    make_client,
    make_session,
)
from jobsnb.client.control_plane import ControlPlaneCalls
from jobsnb.client.fanout import (
    FanoutResult,
    RequestBudget,
    RetryPolicy,
    fan_out,
)
from jobsnb.exceptions import FanoutError, InvalidParameterError, JobsnbWarning
from jobsnb.history import to_history
from jobsnb.limits import (
    DEVICE_STATUSES,
    check_status_details,
    check_step_timeout,
)

__all__ = ["FleetClient", "connect"]


#: AWS's published data-plane quotas, per account: reads and writes, requests per second.
DEFAULT_READS_PER_SECOND = 200.0
DEFAULT_WRITES_PER_SECOND = 200.0
#: Control-plane job APIs allow about 10 requests per second each.
DEFAULT_CONTROL_PER_SECOND = 10.0


def connect(
    endpoint_url: str | Any | None = None,
    *,
    profile_name: str | None = None,
    region_name: str | None = None,
    boto3_session: Any | None = None,
    control_endpoint_url: str | None = None,
    reads_per_second: float = DEFAULT_READS_PER_SECOND,
    writes_per_second: float = DEFAULT_WRITES_PER_SECOND,
    control_per_second: float = DEFAULT_CONTROL_PER_SECOND,
    workers: int = 16,
    retry: RetryPolicy | None = None,
) -> FleetClient:
    """Connect to the IoT Jobs data and control planes of an AWS account, or to the local service.

    Parameters
    ----------
    endpoint_url
        The data-plane endpoint. For the local service its URL (or the service or sandbox object
        itself: anything with a ``url`` attribute), which serves both planes. Against AWS leave it
        out: the account's ``iot:Jobs`` endpoint is found with the control plane's
        DescribeEndpoint.
    profile_name, region_name, boto3_session
        Which AWS credentials and region to use (default: boto3's default chain).
    control_endpoint_url
        The control-plane endpoint, when it is not AWS's default for the region (default: the
        same as ``endpoint_url`` for the local service, AWS's regional endpoint otherwise).
    reads_per_second, writes_per_second
        Request budgets for data-plane reads (GetPendingJobExecutions, DescribeJobExecution) and
        writes (StartNext, Update), shared by all calls of this client; AWS's quotas by default.
    control_per_second
        Request budget of the control-plane calls (list and describe jobs).
    workers
        Threads making calls at once; the connection pool is sized to match.
    retry
        Back-off for throttling, 5xx and connection errors (default: up to 10 attempts).

    Examples
    --------
    >>> import jobsnb
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     client = jobsnb.connect(service)
    ...     client.endpoint_url == service.url
    True
    """
    url = getattr(endpoint_url, "url", endpoint_url)
    if url is not None and not isinstance(url, str):
        raise InvalidParameterError("endpoint_url", "must be a URL string or have a .url", url)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidParameterError("workers", "must be an integer >= 1", workers)
    budgets = {
        "reads_per_second": reads_per_second,
        "writes_per_second": writes_per_second,
        "control_per_second": control_per_second,
    }
    for name, rate in budgets.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise InvalidParameterError(name, "must be a positive number of requests/s", rate)
    session = make_session(boto3_session, profile_name, region_name)
    # The local service serves both planes on one port; AWS's data-plane endpoint (the
    # account's iot:Jobs address) does not serve the control plane.
    local = is_local_endpoint(url) or hasattr(endpoint_url, "url")
    control = make_client(
        CONTROL_PLANE,
        session,
        endpoint_url=control_endpoint_url or (url if local else None),
        region_name=region_name,
        max_pool_connections=workers,
    )
    if url is None:
        address = control.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
        url = address if "://" in address else f"https://{address}"
    data = make_client(
        DATA_PLANE, session, endpoint_url=url, region_name=region_name, max_pool_connections=workers
    )
    return FleetClient(
        data,
        control,
        endpoint_url=url,
        read_budget=RequestBudget(reads_per_second),
        write_budget=RequestBudget(writes_per_second),
        control_budget=RequestBudget(control_per_second),
        workers=workers,
        retry=retry,
    )


class FleetClient(ControlPlaneCalls):
    """Asks the IoT Jobs data plane about many things at once and answers with DataFrames.

    Make one with :func:`jobsnb.connect`. Every method accepts one thing or thousands, runs the
    calls concurrently within the client's request budgets, retries what can be retried, and
    returns a typed DataFrame (schemas in :mod:`jobsnb.frames`). Calls that fail for good become
    rows of ``frame.jobsnb.errors`` (and :attr:`last_errors`); ``on_error`` says whether they
    also warn (default), raise :class:`~jobsnb.exceptions.FanoutError`, or pass silently.
    """

    def __init__(
        self,
        data_client: Any,
        control_client: Any,
        *,
        endpoint_url: str,
        read_budget: RequestBudget,
        write_budget: RequestBudget,
        control_budget: RequestBudget,
        workers: int = 16,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.data = data_client
        self.control = control_client
        self.endpoint_url = endpoint_url
        self.read_budget = read_budget
        self.write_budget = write_budget
        self.control_budget = control_budget
        self.workers = workers
        self.retry = retry or RetryPolicy()
        #: The errors of the latest call, from whichever thread made it: a live chart or a panel
        #: refreshing in the background replaces it. ``frame.jobsnb.errors`` belongs to its frame.
        self.last_errors: pd.DataFrame = frames.errors_frame([])

    def __repr__(self) -> str:
        return f"FleetClient(endpoint_url={self.endpoint_url!r}, workers={self.workers})"

    # ------------------------------------------------------------------ reads
    def pending(
        self,
        things: str | Iterable[str] | pd.Series | pd.DataFrame,
        *,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """Pending executions (IN_PROGRESS and QUEUED) of every thing: GetPendingJobExecutions.

        One row per pending execution, in the order the device would get them, with
        ``queue_age`` and ``in_progress_for`` measured at one ``snapshot_at`` (the service's
        time). Things with nothing pending have no rows; things whose call failed are in
        ``frame.jobsnb.errors``.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     client = jobsnb.connect(service)
        ...     list(client.pending("sensor-1", progress=False).columns[:3])
        ['thing_name', 'job_id', 'status']
        """
        names = arguments.thing_names(things)
        arguments.check_on_error(on_error)
        result = self._fan_out(
            names,
            lambda name: self.data.get_pending_job_executions(thingName=name),
            "GetPendingJobExecutions",
            lambda name: (name, None),
            self.read_budget,
            progress,
        )
        snapshot_at = _service_time(result)
        frame = frames.pending_frame(result.succeeded, snapshot_at)
        return self._finish(frame, result, on_error)

    def describe(
        self,
        executions: pd.DataFrame | Iterable[Sequence[Any] | Mapping[str, Any]],
        *,
        include_document: bool = False,
        flatten_details: bool = False,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """Every field of each execution: DescribeJobExecution for (thing, job[, number]) pairs.

        ``executions`` is a DataFrame with ``thing_name`` and ``job_id`` (and optionally
        ``execution_number``) columns, such as the output of :meth:`pending`, or a list of
        ``(thing, job)`` / ``(thing, job, execution_number)`` tuples or dicts with those keys.
        ``status_details`` is a dict column; ``flatten_details`` adds one ``detail_<key>``
        column per key, ``include_document`` the job document. Frame rows without a
        ``job_id`` (things :meth:`start_next` found idle) are skipped.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document='{"v": 2}')
        ...     client = jobsnb.connect(service)
        ...     frame = client.describe(client.pending("sensor-1", progress=False),
        ...                             include_document=True, progress=False)
        >>> frame[["thing_name", "job_id", "status", "job_document"]]
          thing_name job_id  status job_document
        0   sensor-1   fw-2  QUEUED     {"v": 2}
        """
        executions = arguments.executions_with_jobs(executions)
        pairs = arguments.execution_pairs(executions)
        arguments.check_on_error(on_error)

        def describe_one(pair: Pair) -> dict[str, Any]:
            thing, job, number = pair
            kwargs: dict[str, Any] = {"includeJobDocument": include_document}
            if number is not None:
                kwargs["executionNumber"] = number
            return self.data.describe_job_execution(thingName=thing, jobId=job, **kwargs)  # type: ignore[no-any-return]

        result = self._fan_out(
            pairs,
            describe_one,
            "DescribeJobExecution",
            lambda pair: (pair[0], pair[1]),
            self.read_budget,
            progress,
        )
        records = [(pair[0], response.get("execution")) for pair, response in result.succeeded]
        frame = frames.executions_frame(
            records, include_document=include_document, flatten_details=flatten_details
        )
        return self._finish(frame, result, on_error)

    # ------------------------------------------------------------------ writes
    def start_next(
        self,
        things: str | Iterable[str] | pd.Series | pd.DataFrame,
        *,
        status_details: Mapping[str, str] | None = None,
        step_timeout_minutes: int | None = None,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """StartNextPendingJobExecution on every thing: each starts its next pending execution.

        One row per thing that answered: the execution it is now running (already IN_PROGRESS
        ones come back unchanged), or a row with only ``thing_name`` set when it had nothing
        pending.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_thing("sensor-2")
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
        ...     client = jobsnb.connect(service)
        ...     started = client.start_next(["sensor-1", "sensor-2"], progress=False,
        ...                                 status_details={"step": "download"})
        >>> started[["thing_name", "job_id", "status", "version_number"]]
          thing_name job_id       status  version_number
        0   sensor-1   fw-2  IN_PROGRESS               2
        1   sensor-2   <NA>          NaN            <NA>
        """
        names = arguments.thing_names(things)
        arguments.check_on_error(on_error)
        kwargs: dict[str, Any] = {}
        if status_details is not None:
            kwargs["statusDetails"] = check_status_details(status_details, "status_details")
        if step_timeout_minutes is not None:
            kwargs["stepTimeoutInMinutes"] = check_step_timeout(
                step_timeout_minutes, "step_timeout_minutes"
            )
        result = self._fan_out(
            names,
            lambda name: self.data.start_next_pending_job_execution(thingName=name, **kwargs),
            "StartNextPendingJobExecution",
            lambda name: (name, None),
            self.write_budget,
            progress,
        )
        records = [(name, response.get("execution")) for name, response in result.succeeded]
        return self._finish(frames.executions_frame(records), result, on_error)

    def update(
        self,
        executions: pd.DataFrame | Iterable[Sequence[Any] | Mapping[str, Any]],
        status: str,
        *,
        status_details: Mapping[str, str] | None = None,
        expected_version: int | Literal["frame"] | None = "frame",
        step_timeout_minutes: int | None = None,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """UpdateJobExecution on every (thing, job[, execution number]): report a status.

        ``status`` is what a device may set: IN_PROGRESS, SUCCEEDED, FAILED or REJECTED.
        ``expected_version="frame"`` (the default) sends each row's ``version_number`` as
        ``expectedVersion`` when ``executions`` is a DataFrame that has one, so an execution
        changed by someone else meanwhile is refused (an ``InvalidStateTransitionException``
        error row) instead of overwritten; an int sends that version for all; None checks
        nothing. Frame rows without a ``job_id`` (things :meth:`start_next` found idle) are
        skipped. Returns the new state of each updated execution: UpdateJobExecution answers
        only ``status``, ``status_details`` and ``version_number`` (the times stay NaT; call
        :meth:`describe` on the result for every field).

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
        ...     client = jobsnb.connect(service)
        ...     seen = client.pending("sensor-1", progress=False)
        ...     done = client.update(seen, "SUCCEEDED", progress=False)
        ...     stale = client.update(seen, "FAILED", progress=False, on_error="ignore")
        >>> done[["thing_name", "status", "version_number"]].to_dict("records")
        [{'thing_name': 'sensor-1', 'status': 'SUCCEEDED', 'version_number': 2}]
        >>> stale.jobsnb.errors["error_code"].tolist()  # the frame was out of date: refused
        ['InvalidStateTransitionException']
        """
        if status not in DEVICE_STATUSES:
            raise InvalidParameterError(
                "status", f"must be one a device may set: {', '.join(sorted(DEVICE_STATUSES))}",
                status,
            )  # fmt: skip
        executions = arguments.executions_with_jobs(executions)
        pairs = arguments.execution_pairs(executions)
        arguments.check_on_error(on_error)
        versions = arguments.expected_versions(executions, expected_version, len(pairs))
        base: dict[str, Any] = {"status": status, "includeJobExecutionState": True}
        if status_details is not None:
            base["statusDetails"] = check_status_details(status_details, "status_details")
        if step_timeout_minutes is not None:
            base["stepTimeoutInMinutes"] = check_step_timeout(
                step_timeout_minutes, "step_timeout_minutes", allow_cancel=True
            )
        items = list(zip(pairs, versions, strict=True))

        def update_one(item: tuple[Pair, int | None]) -> dict[str, Any]:
            (thing, job, number), version = item
            kwargs = dict(base)
            if number is not None:
                kwargs["executionNumber"] = number
            if version is not None:
                kwargs["expectedVersion"] = version
            return self.data.update_job_execution(thingName=thing, jobId=job, **kwargs)  # type: ignore[no-any-return]

        result = self._fan_out(
            items,
            update_one,
            "UpdateJobExecution",
            lambda item: (item[0][0], item[0][1]),
            self.write_budget,
            progress,
        )
        records = [
            (
                thing,
                {
                    "jobId": job,
                    **({"executionNumber": number} if number is not None else {}),
                    **response.get("executionState", {}),
                },
            )
            for ((thing, job, number), _), response in result.succeeded
        ]
        return self._finish(frames.executions_frame(records), result, on_error)

    def snapshot(
        self,
        things: str | Iterable[str] | pd.Series | pd.DataFrame,
        path: str | PathLike[str],
        *,
        progress: bool = True,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """:meth:`pending` for ``things``, appended to the Parquet history at ``path``.

        Read the history back with :func:`jobsnb.history.read_history`.
        """
        frame = self.pending(things, progress=progress, on_error=on_error)
        to_history(frame, path)
        return frame

    # ------------------------------------------------------------------ plumbing
    def _fan_out(
        self,
        items: Sequence[Any],
        call: Callable[[Any], dict[str, Any]],
        operation: str,
        identify: Callable[[Any], tuple[str | None, str | None]],
        budget: RequestBudget | None,
        progress: bool,
    ) -> FanoutResult[Any]:
        return fan_out(
            items,
            call,
            operation=operation,
            identify=identify,
            budget=budget,
            workers=self.workers,
            retry=self.retry,
            progress=progress,
        )

    def _finish(
        self, frame: pd.DataFrame, result: FanoutResult[Any], on_error: OnError
    ) -> pd.DataFrame:
        errors = frames.errors_frame(result.errors)
        self.last_errors = errors
        # A tuple, not a frame: pandas compares attrs when it concatenates frames.
        frame.attrs["errors"] = tuple(result.errors)
        if result.errors:
            summary = (
                f"{len(result.errors)} of {len(result.items)} calls failed "
                f"({', '.join(sorted({e.error_code for e in result.errors}))}); "
                "see frame.jobsnb.errors"
            )
            if on_error == "raise":
                raise FanoutError(summary, errors=errors, partial=frame)
            if on_error == "warn":
                warnings.warn(summary, JobsnbWarning, stacklevel=3)
        return frame


# ---------------------------------------------------------------------- helpers
def _service_time(result: FanoutResult[Any]) -> pd.Timestamp:
    """The latest ``Date`` the service answered with (its clock), else the local UTC now."""
    headers = {
        response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        for _, response in result.succeeded
    }
    stamps = [parsedate_to_datetime(header) for header in headers if header]
    if not stamps:
        return pd.Timestamp.now(tz="UTC")
    return pd.Timestamp(max(stamps)).tz_convert("UTC")
