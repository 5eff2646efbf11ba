"""Timer-trigger schedules: NCRONTAB expressions and TimeSpan intervals, as the Functions host reads them.

The timer trigger takes either a six-field NCRONTAB expression, seconds first
(``{second} {minute} {hour} {day} {month} {day-of-week}``, e.g. ``0 */30 * * * *``), or a TimeSpan
``hh:mm:ss`` meaning "every interval" (the latter only on App Service plans in Azure; accepted here).

Field syntax: ``*``, ``n``, ``a-b``, ``*/s``, ``a-b/s``, ``n/s`` (from n to the field's maximum),
comma lists, month names JAN-DEC and day names SUN-SAT. Day of week is 0-6 with 0 = Sunday (7 is
also read as Sunday). Like NCrontab (the library the host uses) and unlike Vixie cron, a day must
satisfy both the day-of-month and the day-of-week fields when both are restricted.

Times are UTC, the host's default (WEBSITE_TIME_ZONE is not emulated). Pure: no clock, no I/O.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

__all__ = ["CronSchedule", "IntervalSchedule", "Schedule", "ScheduleError", "parse_schedule"]

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_DAYS = {name: number for number, name in enumerate(_DAY_NAMES)}
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})")
# Far enough to find any satisfiable date (e.g. Feb 29 on a given weekday), bounded for the others.
_SEARCH_YEARS = 30


class ScheduleError(ValueError):
    """The schedule is not a valid NCRONTAB expression or TimeSpan."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None

    def parse(self, text: str) -> frozenset[int]:
        values: set[int] = set()
        for item in text.split(","):
            values.update(self._parse_item(item.strip().upper()))
        return frozenset(values)

    def _parse_item(self, item: str) -> range:
        body, _, step_text = item.partition("/")
        step = self._number(step_text) if step_text else 1
        if step < 1:
            raise ScheduleError(f"{self.name}: step must be positive in {item!r}")
        if body == "*":
            start, stop = self.low, self.high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, stop = self._value(first), self._value(last)
        else:
            start = self._value(body)
            stop = self.high if step_text else start
        if start > stop:
            raise ScheduleError(f"{self.name}: range {item!r} runs backwards")
        return range(start, stop + 1, step)

    def _number(self, text: str) -> int:
        if not text.isdigit():
            raise ScheduleError(f"{self.name}: {text!r} is not a number")
        return int(text)

    def _value(self, text: str) -> int:
        value = self.names[text] if self.names and text in self.names else self._number(text)
        if self.name == "day-of-week" and value == 7:
            value = 0
        if not self.low <= value <= self.high:
            raise ScheduleError(f"{self.name}: {text!r} is outside {self.low}-{self.high}")
        return value


_FIELDS = (
    _Field("second", 0, 59),
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 0, 6, _DAYS),
)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed six-field NCRONTAB expression."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    def next_after(self, moment: datetime.datetime) -> datetime.datetime:
        """The first occurrence strictly after ``moment`` (an aware datetime; result in UTC)."""
        candidate = moment.astimezone(datetime.UTC).replace(microsecond=0) + datetime.timedelta(seconds=1)
        limit = candidate.year + _SEARCH_YEARS
        while candidate.year <= limit:
            if candidate.month not in self.months:
                year, month = divmod(candidate.month, 12)
                candidate = candidate.replace(
                    year=candidate.year + year, month=month + 1, day=1, hour=0, minute=0, second=0
                )
            elif candidate.day not in self.days or (candidate.weekday() + 1) % 7 not in self.weekdays:
                candidate = candidate.replace(hour=0, minute=0, second=0) + datetime.timedelta(days=1)
            elif candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0, second=0) + datetime.timedelta(hours=1)
            elif candidate.minute not in self.minutes:
                candidate = candidate.replace(second=0) + datetime.timedelta(minutes=1)
            elif candidate.second not in self.seconds:
                candidate += datetime.timedelta(seconds=1)
            else:
                return candidate
        raise ScheduleError(f"schedule {self.expression!r} never fires")


@dataclass(frozen=True, slots=True)
class IntervalSchedule:
    """A TimeSpan schedule: fire every ``interval``, measured from the previous occurrence."""

    expression: str
    interval: datetime.timedelta

    def next_after(self, moment: datetime.datetime) -> datetime.datetime:
        return moment.astimezone(datetime.UTC) + self.interval


Schedule = CronSchedule | IntervalSchedule


def parse_schedule(expression: str) -> Schedule:
    """Parse a timer trigger's ``schedule`` (after %app setting% resolution)."""
    text = expression.strip()
    span = _TIMESPAN.fullmatch(text)
    if span:
        days, hours, minutes, seconds = (int(group or 0) for group in span.groups())
        interval = datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if interval <= datetime.timedelta(0):
            raise ScheduleError(f"TimeSpan schedule {expression!r} must be positive")
        return IntervalSchedule(expression, interval)
    fields = text.split()
    if len(fields) != len(_FIELDS):
        raise ScheduleError(
            f"NCRONTAB {expression!r} must have 6 fields (second minute hour day month day-of-week), got {len(fields)}"
        )
    parsed = [spec.parse(field) for spec, field in zip(_FIELDS, fields, strict=True)]
    return CronSchedule(text, *parsed)
