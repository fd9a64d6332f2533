"""What a client call recorded beside its frame: failed calls, and ``frame.jobsnb``.

A client frame carries the calls that failed for it in ``attrs["errors"]``, and an update's
conflicts in ``attrs["conflicts"]``, as records, so that frames still concatenate (pandas
compares ``attrs``). This module is the only reader of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from jobsnb.frames._arrays import frame_of, string_array
from jobsnb.frames._display import MAX_ROWS, styled
from jobsnb.frames.executions import executions_frame
from jobsnb.frames.things import with_attributes
from jobsnb.schema import ERROR_COLUMNS

if TYPE_CHECKING:  # at run time frames needs nothing of the client (which builds frames)
    from pandas.io.formats.style import Styler

    from jobsnb.client.conflicts import Conflict
    from jobsnb.client.fanout import CallError

__all__ = ["JobsnbAccessor", "conflicts_frame", "errors_frame"]


def errors_frame(errors: Sequence[CallError]) -> pd.DataFrame:
    """Build the errors frame: one row per call that failed for good.

    Examples
    --------
    >>> from jobsnb.client.fanout import CallError
    >>> from jobsnb.frames import errors_frame
    >>> error = CallError("a", None, "GetPendingJobExecutions", "ThrottlingException",
    ...                   "Rate exceeded", attempts=5, http_status=429)
    >>> errors_frame([error])[["thing_name", "job_id", "error_code", "http_status"]]
      thing_name job_id           error_code  http_status
    0          a   <NA>  ThrottlingException          429
    """
    arrays = {
        "thing_name": string_array([e.thing_name for e in errors]),
        "job_id": string_array([e.job_id for e in errors]),
        "operation": string_array([e.operation for e in errors]),
        "error_code": string_array([e.error_code for e in errors]),
        "message": string_array([e.message for e in errors]),
        "attempts": pd.array([e.attempts for e in errors], dtype="Int64"),
        "http_status": pd.array([e.http_status for e in errors], dtype="Int64"),
    }
    return frame_of(ERROR_COLUMNS, arrays)


def conflicts_frame(conflicts: Sequence[Conflict]) -> pd.DataFrame:
    """Build the conflicts frame: each refused update's execution as it is now.

    Parameters
    ----------
    conflicts
        The :class:`~jobsnb.client.conflicts.Conflict` records of an update.

    Returns
    -------
    pandas.DataFrame
        :data:`~jobsnb.schema.EXECUTION_COLUMNS` as DescribeJobExecution answered just after the
        refusal, with ``expected_version`` (Int64, what the update expected) after
        ``execution_number``.
    """
    current = executions_frame([(c.thing_name, c.execution) for c in conflicts])
    expected = pd.Series([c.expected_version for c in conflicts], dtype="Int64")
    current.insert(
        list(current.columns).index("execution_number") + 1, "expected_version", expected
    )
    return current


@pd.api.extensions.register_dataframe_accessor("jobsnb")
class JobsnbAccessor:
    """``frame.jobsnb``: what a client call recorded about the frame it returned.

    Examples
    --------
    >>> import jobsnb
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     frame = jobsnb.connect(service).pending("sensor-1", progress=False)
    >>> frame.jobsnb.errors.empty, frame.jobsnb.snapshot_at is not None
    (True, True)
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    @property
    def errors(self) -> pd.DataFrame:
        """The calls that failed for good, one row each (:data:`ERROR_COLUMNS`)."""
        return errors_frame(list(self._frame.attrs.get("errors", ())))

    @property
    def conflicts(self) -> pd.DataFrame:
        """An update's conflicts: executions someone changed since they were read.

        One row per refused update whose execution no longer had the version it expected,
        with the execution's current state (:func:`conflicts_frame`); empty for any other
        frame. Every conflict is in :attr:`errors` too: the call did fail, nothing was
        overwritten.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
        ...     client = jobsnb.connect(service)
        ...     seen = client.pending("sensor-1", progress=False)
        ...     _ = service.backend.update_job_execution("sensor-1", "fw-2", "IN_PROGRESS")
        ...     refused = client.update(seen, "FAILED", progress=False, on_error="ignore")
        >>> refused.jobsnb.conflicts[["thing_name", "expected_version", "status", "version_number"]]
          thing_name  expected_version       status  version_number
        0   sensor-1                 1  IN_PROGRESS               2
        """
        return conflicts_frame(list(self._frame.attrs.get("conflicts", ())))

    def styled(self, *, max_rows: int | None = MAX_ROWS, precision: int = 1) -> Styler:
        """The frame as a table that reads well in a notebook (:func:`jobsnb.frames.styled`).

        Durations as ``12m 54s``, times to the second in UTC, whole floats as integers, names
        unwrapped, messages whole, statuses in the charts' colours.

        Examples
        --------
        >>> import pandas as pd
        >>> import jobsnb.frames
        >>> waits = pd.DataFrame({"job_id": ["fw-2"], "count": [52.0],
        ...                       "max": [pd.Timedelta(hours=2, minutes=5)]})
        >>> shown = waits.jobsnb.styled().to_html()
        >>> ">52<" in shown, ">2h 05m<" in shown
        (True, True)
        """
        return styled(self._frame, max_rows=max_rows, precision=precision)

    def with_attributes(self, attributes: pd.DataFrame, *, prefix: str = "") -> pd.DataFrame:
        """The frame with its things' attributes as columns (:func:`jobsnb.frames.with_attributes`).

        ``attributes`` is ``client.thing_attributes()``; a name that is already a column raises
        unless ``prefix`` (e.g. ``"attr_"``) sets it apart. Rows, index and errors are kept.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1", {"region": "eu"}).arn
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
        ...     client = jobsnb.connect(service)
        ...     fleet = client.executions("fw-2", progress=False)
        ...     joined = fleet.jobsnb.with_attributes(client.thing_attributes())
        >>> joined[["thing_name", "status", "region"]]
          thing_name  status region
        0   sensor-1  QUEUED     eu
        """
        return with_attributes(self._frame, attributes, prefix=prefix)

    @property
    def snapshot_at(self) -> pd.Timestamp | None:
        """When a pending snapshot was taken (the service's time), if the frame is one."""
        stamp = self._frame.attrs.get("snapshot_at")
        return None if stamp is None else pd.Timestamp(stamp)
