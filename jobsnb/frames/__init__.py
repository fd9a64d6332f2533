"""AWS IoT Jobs responses → typed pandas DataFrames, built to the schemas of :mod:`jobsnb.schema`.

Every frame jobsnb returns is built by one function of this module from raw boto3 response
dicts, with no network, and follows the same rules so that frames can be trusted and joined:

* **Times** are ``datetime64[ns, UTC]``. The data plane sends integer epoch seconds; boto3 turns
  the control plane's times into datetimes in the *local* zone; both end up as the same UTC
  instant. Durations are ``timedelta64[ns]``. A time the service did not send (``startedAt`` of
  a QUEUED execution) is ``NaT``.
* **Status** is always :data:`STATUS_DTYPE`, the ordered categorical of all eight statuses
  (``QUEUED < IN_PROGRESS < SUCCEEDED < ... < REMOVED``, the order of
  :data:`jobsnb.limits.STATUSES`), even when only two occur, so ``frame.status.value_counts()``
  always has eight rows and ``frame[frame.status > "IN_PROGRESS"]`` selects the terminal ones.
  A command execution's ``status`` is :data:`COMMAND_STATUS_DTYPE`, the model's six
  (``CREATED < IN_PROGRESS < SUCCEEDED < FAILED < REJECTED < TIMED_OUT``).
* **Integers** are nullable ``Int64``; **text** is the ``string`` dtype; a missing value is
  ``<NA>``. Nothing is silently dropped: a thing with no execution still gets a row.
* **Empty input** gives an empty frame with the same columns and dtypes (:func:`empty_frame`).
* Column names are snake_case versions of the wire names (``queuedAt`` → ``queued_at``).

The schemas (``PENDING_COLUMNS``, ``EXECUTION_COLUMNS``, ``JOB_EXECUTION_COLUMNS``,
``JOB_SUMMARY_COLUMNS``, ``ERROR_COLUMNS``, the Commands' ``STARTED_COMMAND_COLUMNS``,
``COMMAND_EXECUTION_COLUMNS`` and ``COMMAND_COLUMNS``, whose ``status`` is
:data:`COMMAND_STATUS_DTYPE`) are defined in :mod:`jobsnb.schema` and re-exported
here; the README's tables are :func:`~jobsnb.schema.schema_markdown`'s output.

To show a frame to a person, ``frame.jobsnb.styled()`` (:func:`styled`) writes durations as
``12m 54s``, times to the second in UTC and whole numbers without ``.0``;
:func:`format_duration` is the one way jobsnb writes a duration.

Examples
--------
>>> import pandas as pd
>>> from jobsnb.frames import pending_frame
>>> response = {
...     "inProgressJobs": [{"jobId": "fw-1", "queuedAt": 1700000000, "startedAt": 1700000060,
...                         "lastUpdatedAt": 1700000060, "versionNumber": 2,
...                         "executionNumber": 1}],
...     "queuedJobs": [{"jobId": "fw-2", "queuedAt": 1700000030,
...                     "lastUpdatedAt": 1700000030, "versionNumber": 1, "executionNumber": 1}],
... }
>>> frame = pending_frame([("sensor-1", response)], pd.Timestamp("2023-11-14 22:15:20Z"))
>>> frame[["thing_name", "job_id", "status", "queue_position", "queue_age"]]
  thing_name job_id       status  queue_position       queue_age
0   sensor-1   fw-1  IN_PROGRESS               0 0 days 00:02:00
1   sensor-1   fw-2       QUEUED               1 0 days 00:01:30
"""

from __future__ import annotations

from jobsnb.frames._display import format_duration, format_value, styled
from jobsnb.frames.calls import JobsnbAccessor, errors_frame
from jobsnb.frames.commands import (
    command_executions_frame,
    commands_frame,
    started_commands_frame,
)
from jobsnb.frames.executions import executions_frame, pending_frame, summaries_frame
from jobsnb.frames.jobs import job_executions_frame, job_summary_frame
from jobsnb.frames.things import thing_attributes_frame, with_attributes
from jobsnb.schema import (
    COMMAND_COLUMNS,
    COMMAND_EXECUTION_COLUMNS,
    COMMAND_STATUS_DTYPE,
    ERROR_COLUMNS,
    EXECUTION_COLUMNS,
    EXECUTION_OPTIONAL_COLUMNS,
    JOB_EXECUTION_COLUMNS,
    JOB_SUMMARY_COLUMNS,
    PENDING_COLUMNS,
    STARTED_COMMAND_COLUMNS,
    STATUS_DTYPE,
    THING_ATTRIBUTE_COLUMNS,
    Column,
    empty_frame,
    schema_markdown,
)

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
    "JobsnbAccessor",
    "command_executions_frame",
    "commands_frame",
    "empty_frame",
    "errors_frame",
    "executions_frame",
    "format_duration",
    "format_value",
    "job_executions_frame",
    "job_summary_frame",
    "pending_frame",
    "schema_markdown",
    "started_commands_frame",
    "styled",
    "summaries_frame",
    "thing_attributes_frame",
    "with_attributes",
]
