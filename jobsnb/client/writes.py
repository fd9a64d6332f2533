"""The data plane's writes across a fleet: start next and update, as DataFrames.

:class:`Writes` makes StartNextPendingJobExecution and UpdateJobExecution for many things at
once through the client's fan-out; :class:`~jobsnb.client.FleetClient` offers its methods as its
own. An update whose answer may have been lost is looked up before it is sent again (see
:mod:`jobsnb.client.reconcile`); a refusal tells conflicts (the execution changed since it was
read) from other refusals by the executionState it carries, or by one more DescribeJobExecution
when it carries none (see :mod:`jobsnb.client.conflicts`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from jobsnb import frames
from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import Executions, OnError, Things
from jobsnb.client._calls import Calls, Outcome
from jobsnb.client.conflicts import CONFLICT_CODE, CONFLICTS_ATTR, find_conflicts
from jobsnb.client.data_plane import DataPlane
from jobsnb.client.progress import Progress, offset
from jobsnb.client.reconcile import UpdateItem, reconciling_update
from jobsnb.limits import check_status_details, check_step_timeout

__all__ = ["Writes"]


class Writes:
    """The data-plane writes of a :class:`~jobsnb.client.FleetClient`, on its shared ``calls``.

    ``reads`` describes refused updates. ``progress``, ``stop`` and ``on_error`` are as for
    :class:`~jobsnb.client.data_plane.DataPlane`.
    """

    def __init__(self, calls: Calls, reads: DataPlane) -> None:
        self.calls = calls
        self.reads = reads

    def start_next(
        self,
        things: Things,
        *,
        status_details: Mapping[str, str] | None = None,
        step_timeout_minutes: int | None = None,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """StartNextPendingJobExecution on every thing: each starts its next pending execution.

        Parameters
        ----------
        things
            A thing name, names, a Series of names or a frame with a ``thing_name`` column.
        status_details, step_timeout_minutes
            The statusDetails and a step timer (1-10080 minutes) of each started execution.
        progress, stop, on_error
            A bar or ``progress(done, total)``; a Stop event (calls not made are ``NotRun``
            rows); what failed calls do. See :class:`~jobsnb.client.data_plane.DataPlane`.

        Returns
        -------
        pandas.DataFrame
            One row per thing that answered (:data:`~jobsnb.frames.EXECUTION_COLUMNS`): the
            execution it now runs (one already IN_PROGRESS comes back unchanged), or only
            ``thing_name`` when it had nothing pending. A call whose answer was lost is simply
            sent again: the execution it started is IN_PROGRESS by then, and comes back as it
            is, so nothing else is started.

        Raises
        ------
        FanoutInterrupted
            On Ctrl-C (a KeyboardInterrupt): ``.partial`` is this frame with the rows that
            answered, and every item not called is a ``NotRun`` row of its errors.

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
        arguments.check_on_error(on_error)
        names = arguments.thing_names(things)
        kwargs: dict[str, Any] = {}
        if status_details is not None:
            kwargs["statusDetails"] = check_status_details(status_details, "status_details")
        if step_timeout_minutes is not None:
            kwargs["stepTimeoutInMinutes"] = check_step_timeout(
                step_timeout_minutes, "step_timeout_minutes"
            )
        data = self.calls.data
        result = self.calls.fan_out(
            names,
            lambda name: data.start_next_pending_job_execution(thingName=name, **kwargs),
            "StartNextPendingJobExecution",
            lambda name: (name, None),
            self.calls.write_budget,
            progress,
            stop,
        )
        records = [(name, response.get("execution")) for name, response in result.succeeded]
        outcome = Outcome.of(frames.executions_frame(records), result, len(names))
        return self.calls.report(outcome, on_error)

    def update(
        self,
        executions: Executions,
        status: str,
        *,
        status_details: Mapping[str, str] | None = None,
        expected_version: int | Literal["frame"] | None = "frame",
        step_timeout_minutes: int | None = None,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """UpdateJobExecution on every (thing, job[, execution number]): report a status.

        Parameters
        ----------
        executions
            As for :meth:`describe`; rows without a ``job_id`` are skipped.
        status
            What a device may set: IN_PROGRESS, SUCCEEDED, FAILED or REJECTED.
        status_details
            The statusDetails each execution gets.
        expected_version
            ``"frame"`` (the default) sends each row's ``version_number`` as
            ``expectedVersion`` when ``executions`` is a frame with one, so an execution changed
            meanwhile is refused, not overwritten; an int sends that version for all; None
            checks nothing.
        step_timeout_minutes
            A new step timer (1-10080 minutes), or -1 to cancel the current one.
        progress, stop, on_error
            A bar or ``progress(done, total)``; a Stop event (calls not made are ``NotRun``
            rows); what failed calls do. See :class:`~jobsnb.client.data_plane.DataPlane`.

        Returns
        -------
        pandas.DataFrame
            The new state of each updated execution (:data:`~jobsnb.frames.EXECUTION_COLUMNS`;
            UpdateJobExecution answers only ``status``, ``status_details`` and
            ``version_number``: the times stay NaT). Refused updates are error rows; those
            refused because the execution changed since it was read are also conflicts, with
            its current state in ``frame.jobsnb.conflicts``. An update whose answer may have
            been lost (dropped connection, read timeout, 5xx) is described before it is sent
            again, and counts as applied (a normal row, never a conflict, never applied twice)
            when the execution already shows it (:mod:`jobsnb.client.reconcile`).

        Raises
        ------
        FanoutInterrupted
            On Ctrl-C (a KeyboardInterrupt): ``.partial`` is this frame with the rows that
            answered, and every item not called is a ``NotRun`` row of its errors.

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
        >>> stale.jobsnb.conflicts[["expected_version", "status", "version_number"]]
           expected_version     status  version_number
        0                 1  SUCCEEDED               2
        """
        arguments.check_on_error(on_error)
        arguments.check_device_status(status)
        executions = arguments.executions_with_jobs(executions)
        pairs = arguments.execution_pairs(executions)
        versions = arguments.expected_versions(executions, expected_version, len(pairs))
        read_at = arguments.expected_versions(executions, "frame", len(pairs))
        base: dict[str, Any] = {"status": status, "includeJobExecutionState": True}
        if status_details is not None:
            base["statusDetails"] = check_status_details(status_details, "status_details")
        if step_timeout_minutes is not None:
            base["stepTimeoutInMinutes"] = check_step_timeout(
                step_timeout_minutes, "step_timeout_minutes", allow_cancel=True
            )
        items = [
            UpdateItem(pair, version, known)
            for pair, version, known in zip(pairs, versions, read_at, strict=True)
        ]
        result = self.calls.fan_out(
            items,
            reconciling_update(self.calls.data, base),
            "UpdateJobExecution",
            lambda item: (item.pair[0], item.pair[1]),
            self.calls.write_budget,
            progress,
            stop,
        )
        records = [
            (
                item.pair[0],
                {
                    "jobId": item.pair[1],
                    **_number(item.pair[2]),
                    **response.get("executionState", {}),
                },
            )
            for item, response in result.succeeded
        ]
        frame = frames.executions_frame(records)
        outcome = Outcome.of(frame, result, len(items))
        refused = [
            (item, expected)
            for item, error in result.failed
            if (expected := item.expected) is not None and error.error_code == CONFLICT_CODE
        ]
        frame.attrs[CONFLICTS_ATTR] = ()
        if refused and not outcome.interrupted:
            # A refusal's executionState tells a conflict at once. Conflicts are described
            # still, for the full state (times too) frame.jobsnb.conflicts shows, and so are
            # refusals without one; a conflict whose describe failed is left undecided.
            states: list[Mapping[str, Any] | None] = [
                {"execution": item.refused_state} if item.refused_state is not None else None
                for item, _ in refused
            ]
            to_describe = [
                index
                for index, (item, expected) in enumerate(refused)
                if item.refused_state is None or item.refused_state.get("versionNumber") != expected
            ]
            if to_describe:
                pairs = [refused[index][0].pair for index in to_describe]
                described = self.reads.describe_pairs(
                    pairs, False, offset(progress, len(items)), stop
                )
                for index, response in zip(to_describe, described.responses, strict=True):
                    states[index] = response
                outcome.errors += described.errors
                outcome.calls += len(to_describe)
                outcome.interrupted = described.interrupted
                outcome.stopped = outcome.stopped or described.stopped
            pairs_expected = [(item.pair, expected) for item, expected in refused]
            frame.attrs[CONFLICTS_ATTR] = find_conflicts(pairs_expected, states)
        return self.calls.report(outcome, on_error)


def _number(number: int | None) -> dict[str, int]:
    return {} if number is None else {"executionNumber": number}
