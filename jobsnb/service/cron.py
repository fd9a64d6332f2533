"""AWS's cron expressions, ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``, in UTC.

A maintenance window's ``startTime`` is one of these (spec §9: AWS's cron syntax, in UTC). The
well-kept ``croniter`` library does the calendar arithmetic; this module only translates AWS's
dialect into croniter's five Unix fields and keeps the sixth, the year, itself:

* AWS numbers the days of the week 1-7 from Sunday, Unix 0-6 (names SUN-SAT are the same);
* AWS writes "the last Friday" ``6L``, croniter ``L5``; ``#`` (``6#3``: the third Friday), ``L``
  and ``W`` in the day of the month, ``?``, ranges, lists and steps mean the same in both;
* exactly one of day-of-month and day-of-week must be ``?`` (AWS's rule);
* the year field, 1970-2199, is applied here: croniter 7.0's own year field finds no match from a
  timezone-aware start, misses ``0 2 1 1 * 0 2025`` altogether, and stops at 2099.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> sundays = AwsCron("cron(30 22 ? * 1 *)")
>>> start = datetime(2023, 11, 14, tzinfo=timezone.utc).timestamp()
>>> [datetime.fromtimestamp(t, timezone.utc).isoformat() for t in sundays.starts(start, 2)]
['2023-11-19T22:30:00+00:00', '2023-11-26T22:30:00+00:00']
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from croniter import croniter
from croniter.croniter import CroniterError

__all__ = ["AwsCron", "CronError"]

_WRAPPED = re.compile(r"cron\((.*)\)", re.DOTALL)
_YEAR_PART = re.compile(r"(\*|\d{4})(?:-(\d{4}))?(?:/(\d+))?")
# A day's number, not a step's (in 2/2 the second 2 is "every other day").
_DAY_NUMBER = re.compile(r"(?<!/)\d+")
_YEARS = (1970, 2199)
# How many starts are worked out at once: scheduledJobRollouts lists seven.
_KEEP = 7
# croniter's extensions (R: a random value, H: a hashed one) stand alone, not inside THU or MAR.
_CRONITER_ONLY = re.compile(r"(?<![A-Za-z])[RrHh](?![A-Za-z])")


class CronError(ValueError):
    """An expression that is not AWS's cron syntax, or that never falls due."""


class AwsCron:
    """One AWS cron expression: when it falls due, in epoch seconds (UTC).

    Parameters
    ----------
    expression
        ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``.

    Raises
    ------
    CronError
        Not six fields in ``cron(...)``, a field croniter or AWS refuses, croniter's own ``R``
        and ``H``, a character outside ASCII, neither or both of the day fields ``?``, a year
        outside 1970-2199 or stepping by 0.

    Examples
    --------
    >>> AwsCron("cron(0 2 ? * 6L *)").unix
    '0 2 ? * L5'
    >>> AwsCron("0 2 * * ? *")
    Traceback (most recent call last):
    ...
    jobsnb.service.cron.CronError: must be cron(Minutes Hours Day-of-month Month Day-of-week Year)
    """

    def __init__(self, expression: str) -> None:
        wrapped = _WRAPPED.fullmatch(expression.strip())
        fields = wrapped.group(1).split() if wrapped else []
        if len(fields) != 6:
            raise CronError("must be cron(Minutes Hours Day-of-month Month Day-of-week Year)")
        if not expression.isascii():
            raise CronError("must be written in ASCII (digits 0-9)")
        for named in fields:
            if _CRONITER_ONLY.search(named):
                raise CronError(f"{named!r}: R and H are croniter's, not AWS's cron syntax")
        minutes, hours, day, month, weekday, year = fields
        if (day == "?") == (weekday == "?"):
            raise CronError("exactly one of Day-of-month and Day-of-week must be ?")
        self.years = _years(year)
        # (asked from, the starts found from then, whether those are all there are)
        self._kept: tuple[float, list[float], bool] | None = None
        self.unix = " ".join((minutes, hours, day, month, _unix_weekday(weekday)))
        try:
            croniter(self.unix, datetime(2000, 1, 1))
        except (CroniterError, ValueError, KeyError) as error:
            raise CronError(f"is not a valid cron expression ({error})") from None

    def starts(self, after: float, count: int) -> list[float]:
        """The first ``count`` times at or after ``after`` (epoch seconds) the expression is due.

        Fewer when its years run out. Raises :class:`CronError` when it never falls due.
        The starts found are kept, so asking again from the same or a later time (each
        DescribeJob, each window event of a job) walks no calendar until they run out.
        """
        kept = self._kept
        if kept is not None and after >= kept[0]:
            _, found, complete = kept
            first = bisect.bisect_left(found, after)
            if complete or len(found) - first >= count:
                return found[first : first + count]
        wanted = max(count, _KEEP)
        found = list(itertools.islice(self._iterate(after), wanted))
        self._kept = (after, found, len(found) < wanted)
        return found[:count]

    def _iterate(self, after: float) -> Iterator[float]:
        # croniter works on naive UTC datetimes here (see the module's note on its year field);
        # it yields times after its start, so start one second before to include ``after``.
        start = datetime.fromtimestamp(after - 1, UTC).replace(tzinfo=None)
        years = set(self.years)
        while start.year <= self.years[-1]:
            walk = croniter(self.unix, start)
            try:
                moment = walk.get_next(datetime)
                while moment.year in years:
                    yield moment.replace(tzinfo=UTC).timestamp()
                    moment = walk.get_next(datetime)
            except CroniterError:
                raise CronError("never falls due") from None
            later = [year for year in self.years if year > moment.year]
            if not later:
                return
            start = datetime(later[0], 1, 1) - timedelta(seconds=1)


def _years(field: str) -> list[int]:
    years: set[int] = set()
    for part in field.split(","):
        match = _YEAR_PART.fullmatch(part)
        if match is None:
            raise CronError(
                f"Year {field!r} must be *, a year 1970-2199, a range, a list or a step"
            )
        first, last, step = match.groups()
        low = _YEARS[0] if first == "*" else int(first)
        high = int(last) if last else (_YEARS[1] if first == "*" or step else low)
        if not _YEARS[0] <= low <= high <= _YEARS[1]:
            raise CronError(f"Year {field!r} must lie in 1970-2199")
        if step is not None and int(step) == 0:
            raise CronError(f"Year {field!r} must not step by 0")
        years.update(range(low, high + 1, int(step or 1)))
    return sorted(years)


def _unix_weekday(field: str) -> str:
    if field in ("?", "*"):
        return field
    last = re.fullmatch(r"(\d)L", field)
    if last:
        return f"L{_shift(last.group(1))}"
    day, sharp, nth = field.partition("#")
    # Shift the numbers of the day part only: in 6#3, 3 is "the third", not a day.
    day = _DAY_NUMBER.sub(lambda number: _shift(number.group()), day)
    return day + sharp + nth


def _shift(number: str) -> str:
    value = int(number)
    if not 1 <= value <= 7:
        raise CronError(f"Day-of-week {number} must be 1-7 (1 is Sunday) or SUN-SAT")
    return str(value - 1)
