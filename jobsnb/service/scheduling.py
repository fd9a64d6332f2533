"""CreateJob's schedulingConfig: a job's start and end times, its maintenance windows.

:func:`parse_scheduling_config` checks the config (InvalidRequestException naming the field and
the rule) into a :class:`Schedule`; the engine keeps one timer per scheduled job in its heap and
calls :func:`on_schedule_due` when it falls due, so a ManualClock moved past a startTime flips
the job at that time exactly, and ``next_due()`` reports the job's next start, end or window.

Decisions where AWS is silent (spec §9, UNCONFIRMED there):

* startTime and endTime are ``YYYY-MM-DDTHH:MM`` (seconds, a fraction, ``Z`` or an offset may
  follow; none means UTC). A year is 365 days.
* A SCHEDULED job has no executions: its targets are resolved at CreateJob (a SNAPSHOT job's
  groups by their members then; a CONTINUOUS job also holds back things joining later), and its
  executions are created at startTime (or in its first maintenance window) through its rollout.
  So devices see nothing before, ListJobExecutionsForJob is empty and every counter is 0.
* Maintenance windows are AWS cron expressions in UTC (:mod:`jobsnb.service.cron`). The rollout
  releases only inside a window that starts at or after startTime; executions released stay
  visible to devices after the window closes. ``scheduledJobRollouts`` lists the next seven
  window starts at or after both now and startTime, as ``YYYY-MM-DDTHH:MM`` (UTC); none once
  the job no longer rolls out (canceled, completed, or stopped at endTime).
* At endTime: STOP_ROLLOUT stops releasing (things not yet released get no execution; the job
  stays IN_PROGRESS until its executions finish, then COMPLETED); CANCEL cancels the job like
  CancelJob (QUEUED executions CANCELED); FORCE_CANCEL like CancelJob with force (IN_PROGRESS
  ones too). A canceled job ends CANCELED with reasonCode the endBehavior and a comment naming
  the endTime. endTime without endBehavior means STOP_ROLLOUT; endBehavior without endTime
  does nothing (the model: it "does not apply").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jobsnb.limits import JOB_END_BEHAVIORS, SCHEDULE_LIMITS
from jobsnb.service.cron import AwsCron, CronError
from jobsnb.service.errors import InvalidRequestException

if TYPE_CHECKING:
    from jobsnb.service.engine import Engine
    from jobsnb.service.jobs import Job

__all__ = ["Schedule", "on_schedule_due", "parse_scheduling_config", "scheduling_members"]

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")
_ROLLOUTS = 7


@dataclass(eq=False)
class Schedule:
    """A job's schedule: start, end, windows, and where it stands (state of the engine's timer)."""

    config: dict[str, Any]
    start: float
    end: float | None = None
    end_behavior: str = "STOP_ROLLOUT"
    windows: list[tuple[AwsCron, int]] = field(default_factory=list)
    next_event_at: float | None = None
    next_window: tuple[float, float] | None = None
    window_end: float | None = None
    stopped: bool = False

    def releasing(self, at: float) -> bool:
        """Whether the rollout may release at ``at``: not stopped, and inside a window if any."""
        if self.stopped:
            return False
        return not self.windows or (self.window_end is not None and at < self.window_end)

    def window_after(self, at: float) -> tuple[float, float] | None:
        """The first window starting at or after ``at`` (and before endTime): (start, end)."""
        found: tuple[float, float] | None = None
        for cron, minutes in self.windows:
            for start in cron.starts(at, 1):
                end = start + minutes * 60
                if found is None or start < found[0] or (start == found[0] and end > found[1]):
                    found = (start, end)
        if found is None or (self.end is not None and found[0] >= self.end):
            return None
        return found

    def rollouts(self, now: float) -> list[dict[str, str]]:
        """scheduledJobRollouts: the next seven window starts at or after now and startTime."""
        starts: set[float] = set()
        after = max(now, self.start)
        for cron, _ in self.windows:
            starts.update(cron.starts(after, _ROLLOUTS))
        if self.end is not None:
            starts = {start for start in starts if start < self.end}
        return [{"startTime": _format(start)} for start in sorted(starts)[:_ROLLOUTS]]


def parse_scheduling_config(config: Any, now: float) -> Schedule | None:
    """Check CreateJob's ``schedulingConfig`` against ``now`` (InvalidRequestException).

    Examples
    --------
    >>> schedule = parse_scheduling_config({"startTime": "2023-11-15T00:00"}, 1_700_000_000)
    >>> schedule.start, schedule.end
    (1700006400.0, None)
    """
    if config is None:
        return None
    if not isinstance(config, dict):
        raise InvalidRequestException("schedulingConfig must be a structure")
    limits = SCHEDULE_LIMITS
    start = _time(config, "startTime")
    if start is None:
        start = now
    elif start < now + limits["min_lead"]:
        raise InvalidRequestException(
            "schedulingConfig.startTime must be at least 30 minutes after the current time"
        )
    elif start > now + limits["max_start"]:
        raise InvalidRequestException(
            "schedulingConfig.startTime must be at most a year after the current time"
        )
    schedule = Schedule(dict(config), start)
    schedule.end = end = _time(config, "endTime")
    if end is not None and end < start + limits["min_span"]:
        raise InvalidRequestException(
            "schedulingConfig.endTime must be at least 30 minutes after startTime "
            "(and the current time)"
        )
    if end is not None and end > now + limits["max_end"]:
        raise InvalidRequestException(
            "schedulingConfig.endTime must be at most two years after the current time"
        )
    behavior = config.get("endBehavior")
    if behavior is not None:
        if behavior not in JOB_END_BEHAVIORS:
            raise InvalidRequestException(
                f"schedulingConfig.endBehavior must be one of {', '.join(JOB_END_BEHAVIORS)}"
            )
        schedule.end_behavior = behavior
    windows = config.get("maintenanceWindows")
    if windows is not None and not isinstance(windows, list):
        raise InvalidRequestException("schedulingConfig.maintenanceWindows must be a list")
    for index, window in enumerate(windows or ()):
        schedule.windows.append(_window(window, index, start))
    if schedule.windows:
        schedule.next_window = schedule.window_after(start)
    return schedule


def _window(window: Any, index: int, start: float) -> tuple[AwsCron, int]:
    where = f"schedulingConfig.maintenanceWindows[{index}]"
    if not isinstance(window, dict):
        raise InvalidRequestException(f"{where} must be a structure")
    expression = window.get("startTime")
    if not isinstance(expression, str) or not 1 <= len(expression) <= 256:
        raise InvalidRequestException(f"{where}.startTime is required: a cron expression")
    try:
        cron = AwsCron(expression)
        if not cron.starts(start, 1):
            raise CronError("never falls due after the job's startTime")
    except CronError as error:
        raise InvalidRequestException(f"{where}.startTime {error}") from None
    minutes = window.get("durationInMinutes")
    low, high = SCHEDULE_LIMITS["min_window_minutes"], SCHEDULE_LIMITS["max_window_minutes"]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
        raise InvalidRequestException(
            f"{where}.durationInMinutes must be an integer from {low} to {high}"
        )
    return cron, minutes


def _time(config: dict[str, Any], key: str) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise InvalidRequestException(
            f"schedulingConfig.{key} must be a date and time YYYY-MM-DDTHH:MM (UTC)"
        )
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequestException(
            f"schedulingConfig.{key} {value!r} is not a date and time that exists"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _format(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M")


def scheduling_members(job: Job, now: float) -> dict[str, object]:
    """DescribeJob's schedulingConfig (as given) and scheduledJobRollouts, when the job has them."""
    schedule = job.schedule
    if schedule is None:
        return {}
    members: dict[str, object] = {"schedulingConfig": schedule.config}
    if schedule.windows:
        rolling = job.status in ("SCHEDULED", "IN_PROGRESS") and not schedule.stopped
        members["scheduledJobRollouts"] = schedule.rollouts(now) if rolling else []
    return members


def on_schedule_due(engine: Engine, job: Job, at: float) -> float | None:
    """Apply what the job's schedule makes due at ``at``; return when it next falls due.

    In order: startTime (SCHEDULED → IN_PROGRESS), a window opening, a release if the rollout
    may release now and has nothing timed, endTime's endBehavior.
    """
    schedule = job.schedule
    assert schedule is not None
    if job.status == "SCHEDULED" and at >= schedule.start:
        job.status = "IN_PROGRESS"
        job.last_updated_at = at
    started = job.status == "IN_PROGRESS"
    window = schedule.next_window
    if started and window is not None and at >= window[0]:
        schedule.window_end = max(schedule.window_end or window[1], window[1])
        schedule.next_window = schedule.window_after(window[0] + 1)
    if started and job.unreleased and job.next_release_at is None and schedule.releasing(at):
        engine.release(job, at)
    if started and schedule.end is not None and at >= schedule.end and not schedule.stopped:
        _end(engine, job, schedule, at)
    engine.check_completed(job, at)
    if job.status not in ("SCHEDULED", "IN_PROGRESS") or schedule.stopped:
        return None
    due = [schedule.end] if schedule.end is not None else []
    if job.status == "SCHEDULED":
        due.append(schedule.start)
    elif schedule.next_window is not None and (job.continuous or job.unreleased):
        due.append(schedule.next_window[0])
    return min(due) if due else None


def _end(engine: Engine, job: Job, schedule: Schedule, at: float) -> None:
    schedule.stopped = True
    if schedule.end_behavior == "STOP_ROLLOUT":
        job.unreleased.clear()
        job.next_release_at = None
        job.last_updated_at = at
        return
    engine.cancel(
        job,
        at,
        force=schedule.end_behavior == "FORCE_CANCEL",
        reason=schedule.end_behavior,
        comment=f"Canceled at the scheduled endTime {_format(at)} ({schedule.end_behavior}).",
    )
