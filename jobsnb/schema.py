"""The column schema of every jobsnb frame, defined once: names, dtypes and meanings.

:mod:`jobsnb.frames` builds frames to these schemas; the README's tables are
:func:`schema_markdown`'s output.

Examples
--------
>>> from jobsnb.schema import PENDING_COLUMNS, STATUS_DTYPE
>>> [column.name for column in PENDING_COLUMNS][:3]
['thing_name', 'job_id', 'status']
>>> STATUS_DTYPE.ordered
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from jobsnb.limits import COMMAND_STATUSES, JOB_STATUSES, PROCESS_COUNTERS, STATUSES

__all__ = [
    "COMMAND_COLUMNS",
    "COMMAND_EXECUTION_COLUMNS",
    "COMMAND_STATUS_DTYPE",
    "ERROR_COLUMNS",
    "EXECUTION_COLUMNS",
    "EXECUTION_OPTIONAL_COLUMNS",
    "JOB_EXECUTION_COLUMNS",
    "JOB_SUMMARY_COLUMNS",
    "PENDING_COLUMNS",
    "STARTED_COMMAND_COLUMNS",
    "STATUS_DTYPE",
    "THING_ATTRIBUTE_COLUMNS",
    "Column",
    "empty_frame",
    "schema_markdown",
]

#: The ordered categorical every ``status`` column has: all eight statuses, in rollout order.
STATUS_DTYPE: Final = pd.CategoricalDtype(list(STATUSES), ordered=True)
#: The ordered categorical of command execution ``status`` columns: the model's six statuses.
COMMAND_STATUS_DTYPE: Final = pd.CategoricalDtype(list(COMMAND_STATUSES), ordered=True)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a frame: its name, its pandas dtype string and what it means.

    ``categories`` are an ordered categorical's, when they are not :data:`STATUS_DTYPE`'s.
    """

    name: str
    dtype: str
    description: str
    categories: tuple[str, ...] | None = None

    @property
    def pandas_dtype(self) -> Any:
        """The dtype object (``"category"``: :data:`STATUS_DTYPE`, or ``categories``, ordered)."""
        if self.dtype == "category":
            if self.categories is not None:
                return pd.CategoricalDtype(list(self.categories), ordered=True)
            return STATUS_DTYPE
        if self.dtype == "string":
            # Built at call time so that pandas' ``mode.string_storage`` option is honoured.
            return pd.StringDtype()
        return pd.api.types.pandas_dtype(self.dtype)


_UTC = "datetime64[ns, UTC]"
_ORDER = " < ".join(STATUSES)


def _thing() -> Column:
    return Column("thing_name", "string", "The thing (device).")


def _job() -> Column:
    return Column("job_id", "string", "The job.")


def _status(meaning: str) -> Column:
    return Column("status", "category", f"{meaning} Ordered categorical: {_ORDER}.")


def _times(started: str) -> tuple[Column, ...]:
    return (
        Column("queued_at", _UTC, "When the execution was queued."),
        Column("started_at", _UTC, f"When it went IN_PROGRESS; {started}"),
        Column("last_updated_at", _UTC, "Its last change."),
    )


_VERSION = Column("version_number", "Int64", "Starts at 1; +1 on every change (device or service).")
_EXECUTION = Column(
    "execution_number", "Int64", "1 for a (job, thing)'s first attempt; +1 for each retry."
)

PENDING_COLUMNS: Final = (
    _thing(),
    _job(),
    _status("QUEUED or IN_PROGRESS: the list GetPendingJobExecutions put it in."),
    Column(
        "queue_position",
        "Int64",
        "0 = the execution StartNextPendingJobExecution would pick next for this thing, then "
        "1, 2, … in the service's order (IN_PROGRESS first, then QUEUED by queued_at). The "
        "service lists at most 10 per thing.",
    ),
    *_times("NaT while QUEUED."),
    _VERSION,
    _EXECUTION,
    Column(
        "snapshot_at",
        _UTC,
        "When the snapshot was taken: one value for the whole frame (also "
        '`frame.attrs["snapshot_at"]`).',
    ),
    Column("queue_age", "timedelta64[ns]", "`snapshot_at - queued_at`."),
    Column(
        "in_progress_for",
        "timedelta64[ns]",
        "`snapshot_at - started_at` for IN_PROGRESS rows; NaT for QUEUED ones.",
    ),
)

EXECUTION_COLUMNS: Final = (
    _thing(),
    _job(),
    _EXECUTION,
    _status("The execution's status."),
    Column(
        "status_details",
        "object",
        "The statusDetails map as a dict of strings; `{}` when empty or absent, never NA.",
    ),
    *_times("NaT if it never started."),
    Column(
        "approximate_seconds_before_timed_out",
        "Int64",
        "Seconds to the nearer of the step and in-progress deadlines; NA when no timer runs.",
    ),
    _VERSION,
)

#: Columns :func:`executions_frame` appends only when asked (``include_document``,
#: ``flatten_details``); ``detail_<key>`` stands for one column per statusDetails key.
EXECUTION_OPTIONAL_COLUMNS: Final = (
    Column(
        "job_document", "string", "The job document (a JSON string); with `include_document=True`."
    ),
    Column(
        "detail_<key>",
        "string",
        "One per statusDetails key across all rows (key in snake_case, other characters → `_`, "
        "a clash gets `_2`, `_3`); NA where a row lacks the key; with `flatten_details=True`.",
    ),
)

JOB_EXECUTION_COLUMNS: Final = (
    _job(),
    _thing(),
    _status("The latest execution's status."),
    _EXECUTION,
    Column("retry_attempt", "Int64", "0 for the first attempt; +1 for each retry."),
    *_times("NaT if it never started."),
)


JOB_SUMMARY_COLUMNS: Final = (
    _job(),
    Column(
        "job_status",
        "category",
        f"Ordered categorical: {' < '.join(JOB_STATUSES)} (a job's life order; SCHEDULED: "
        "waiting for its schedulingConfig's startTime, with no executions yet).",
        categories=JOB_STATUSES,
    ),
    Column("target_selection", "string", "SNAPSHOT or CONTINUOUS."),
    Column("things", "Int64", "Distinct things with an execution of the job."),
    Column(
        "attempts", "Int64", "Executions including retries: the sum of the `attempts_*` columns."
    ),
    *(
        Column(
            f"things_{status.lower()}",
            "Int64",
            f"Distinct things whose latest execution is {status}.",
        )
        for status in STATUSES
    ),
    *(
        Column(
            f"attempts_{status.lower()}",
            "Int64",
            f"Executions (attempts) that are {status}: DescribeJob's {PROCESS_COUNTERS[status]}.",
        )
        for status in STATUSES
    ),
    Column(
        "scheduled_start_at",
        _UTC,
        "schedulingConfig's startTime: the job is SCHEDULED until then; NaT without one.",
    ),
    Column(
        "next_window_at",
        _UTC,
        "The next maintenance window's start (DescribeJob's first scheduledJobRollouts): with "
        "windows the job rolls out only inside them; NaT when no window is to come.",
    ),
    Column("scheduled_end_at", _UTC, "schedulingConfig's endTime; NaT without one."),
    Column(
        "end_behavior",
        "string",
        "What happens at scheduled_end_at: STOP_ROLLOUT, CANCEL or FORCE_CANCEL; NA without "
        "an endTime.",
    ),
)

ERROR_COLUMNS: Final = (
    _thing(),
    Column("job_id", "string", "The job, NA for calls about no job in particular."),
    Column("operation", "string", "The AWS operation, e.g. DescribeJobExecution."),
    Column("error_code", "string", "The AWS error code, e.g. ThrottlingException."),
    Column("message", "string", "The error message."),
    Column("attempts", "Int64", "Calls made before giving up."),
    Column("http_status", "Int64", "The HTTP status of the last answer; NA if none came."),
)

#: ``client.thing_attributes()``: one row per thing; ``<attribute>`` stands for one column per
#: attribute name, as the account spells it (``frame.jobsnb.with_attributes`` joins them on).
THING_ATTRIBUTE_COLUMNS: Final = (
    _thing(),
    Column(
        "<attribute>",
        "string",
        "One per attribute name across the things listed, named as the attribute (sorted); NA "
        "where a thing lacks it. Joined onto a frame, a name that is already a column raises "
        'unless `prefix="attr_"` is given.',
    ),
)

_COMMAND_ORDER = " < ".join(COMMAND_STATUSES)


def _command_ids() -> tuple[Column, ...]:
    return (
        Column("command_id", "string", "The command's id (the end of its ARN)."),
        Column("command_arn", "string", "The command's ARN."),
    )


def _target() -> tuple[Column, ...]:
    return (
        _thing(),
        Column(
            "target_arn",
            "string",
            "The thing's ARN (`thing_name` is NA for a target that is not a thing).",
        ),
    )


_EXECUTION_ID = Column("execution_id", "string", "The command execution's id.")

#: ``client.start_command()``: one row per thing a command execution was started on.
STARTED_COMMAND_COLUMNS: Final = (
    *_target(),
    _EXECUTION_ID,
    *_command_ids(),
)

#: ``client.command_executions()``: GetCommandExecution's fields, or ListCommandExecutions'
#: (those the summary lacks are NA, `{}` for the maps, unless ``describe=True``).
COMMAND_EXECUTION_COLUMNS: Final = (
    *_target(),
    _EXECUTION_ID,
    *_command_ids(),
    Column(
        "status",
        "category",
        f"Ordered categorical: {_COMMAND_ORDER} (the model's order: not yet done, then the "
        "outcomes). TIMED_OUT set by the cloud is not final: the device may still report.",
        COMMAND_STATUSES,
    ),
    Column("status_reason_code", "string", "statusReason.reasonCode, from the device; NA if none."),
    Column(
        "status_reason_description",
        "string",
        "statusReason.reasonDescription, from the device; NA if none.",
    ),
    Column(
        "result",
        "object",
        "The device's result map as a dict of plain values (S → str, B → bool, BIN → bytes); "
        "`{}` when absent, never NA.",
    ),
    Column(
        "parameters",
        "object",
        "The parameters the execution was started with, as a dict of plain values (S → str, "
        "B → bool, I/L/UL → int, D → float, BIN → bytes); `{}` when absent, never NA.",
    ),
    Column(
        "execution_timeout_seconds",
        "Int64",
        "Seconds the device has from creation before the cloud sets TIMED_OUT.",
    ),
    Column("created_at", _UTC, "When the execution was created (its timer starts then)."),
    Column("started_at", _UTC, "When it started on the device; NaT if it has not."),
    Column("completed_at", _UTC, "When it reached an outcome; NaT if it has not."),
    Column("last_updated_at", _UTC, "Its last change."),
    Column("time_to_live", _UTC, "When AWS stops keeping the execution."),
)

#: ``client.commands()``: ListCommands, one row per command.
COMMAND_COLUMNS: Final = (
    *_command_ids(),
    Column("display_name", "string", "The console's name for it; NA if none."),
    Column("deprecated", "boolean", "Deprecated commands start no new executions."),
    Column("pending_deletion", "boolean", "Being deleted."),
    Column("created_at", _UTC, "When it was created."),
    Column("last_updated_at", _UTC, "Its last change."),
)

_TABLES: Final = (
    ("Pending executions: one row per (thing, pending execution)", PENDING_COLUMNS),
    ("Executions: one row per (thing, execution) asked for", EXECUTION_COLUMNS),
    ("Executions of a job (control plane): one row per thing", JOB_EXECUTION_COLUMNS),
    ("Job summaries: one row per job", JOB_SUMMARY_COLUMNS),
    ("Errors: one row per call that failed for good", ERROR_COLUMNS),
    ("Thing attributes: one row per thing", THING_ATTRIBUTE_COLUMNS),
    ("Started commands: one row per thing a command was started on", STARTED_COMMAND_COLUMNS),
    ("Command executions: one row per command execution", COMMAND_EXECUTION_COLUMNS),
    ("Commands: one row per command", COMMAND_COLUMNS),
)


def empty_frame(columns: Sequence[Column]) -> pd.DataFrame:
    """Return a frame with no rows and the given columns and dtypes.

    Examples
    --------
    >>> from jobsnb.schema import ERROR_COLUMNS, empty_frame
    >>> frame = empty_frame(ERROR_COLUMNS)
    >>> len(frame), frame.dtypes["attempts"]
    (0, Int64Dtype())
    """
    return pd.DataFrame({c.name: pd.Series([], dtype=c.pandas_dtype) for c in columns})


def schema_markdown() -> str:
    """Render every schema as a markdown table (column | dtype | meaning), for the README.

    Examples
    --------
    >>> from jobsnb.schema import schema_markdown
    >>> print(schema_markdown().splitlines()[0])
    ### Pending executions: one row per (thing, pending execution)
    """
    parts = []
    for title, columns in _TABLES:
        rows = [f"### {title}", "", "| column | dtype | meaning |", "|---|---|---|"]
        rows += [f"| `{c.name}` | `{c.dtype}` | {c.description} |" for c in columns]
        if columns is EXECUTION_COLUMNS:
            rows += [
                f"| `{c.name}` | `{c.dtype}` | Optional. {c.description} |"
                for c in EXECUTION_OPTIONAL_COLUMNS
            ]
        parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"
