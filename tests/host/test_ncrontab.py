"""Timer schedules: six-field NCRONTAB (seconds first) and TimeSpan intervals, in UTC."""

from __future__ import annotations

import datetime

import pytest

from functions_host.ncrontab import CronSchedule, IntervalSchedule, ScheduleError, parse_schedule

UTC = datetime.UTC
START = datetime.datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC)  # a Wednesday


def at(day: str) -> datetime.datetime:
    """``at("2024-02-01 09:00:00")``: a UTC moment, spelled the way it reads."""
    return datetime.datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0 */30 * * * *", at("2024-02-01 00:00:00")),
        ("* * * * * *", at("2024-02-01 00:00:00")),
        ("*/15 * * * * *", at("2024-02-01 00:00:00")),
        ("30 5 * * * *", at("2024-02-01 00:05:30")),
        ("0 0 9 * * MON-FRI", at("2024-02-01 09:00:00")),
        ("0 0 9 * * SAT,SUN", at("2024-02-03 09:00:00")),
        ("0 0 0 29 FEB *", at("2024-02-29 00:00:00")),
        ("0 0 0 31 DEC *", at("2024-12-31 00:00:00")),
        ("0 0 12 * * 0", at("2024-02-04 12:00:00")),
        ("0 0 12 * * 7", at("2024-02-04 12:00:00")),
        ("0 0 1-3/2 * * *", at("2024-02-01 01:00:00")),
        ("0 10/20 * * * *", at("2024-02-01 00:10:00")),
    ],
)
def test_next_occurrence(expression: str, expected: datetime.datetime) -> None:
    assert parse_schedule(expression).next_after(START) == expected


def test_next_occurrence_is_strictly_after_the_given_moment() -> None:
    schedule = parse_schedule("0 0 * * * *")
    assert schedule.next_after(at("2024-01-01 10:00:00")) == at("2024-01-01 11:00:00")


def test_day_of_month_and_day_of_week_must_both_match_like_ncrontab() -> None:
    # Friday the 13th: NCrontab requires both fields, unlike Vixie cron's "either".
    assert parse_schedule("0 0 0 13 * FRI").next_after(START) == at("2024-09-13 00:00:00")


def test_timespan_schedule_fires_every_interval() -> None:
    schedule = parse_schedule("00:05:00")
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.next_after(START) == START + datetime.timedelta(minutes=5)
    assert parse_schedule("1.00:00:00").next_after(START) == START + datetime.timedelta(days=1)


def test_parsed_fields_are_exposed() -> None:
    schedule = parse_schedule("0 */30 9-17 * * MON-FRI")
    assert isinstance(schedule, CronSchedule)
    assert schedule.minutes == {0, 30}
    assert schedule.hours == set(range(9, 18))
    assert schedule.weekdays == {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    "expression",
    ["* * * * *", "60 * * * * *", "* * 24 * * *", "* * * 0 * *", "* * * * 13 *", "5-1 * * * * *", "*/0 * * * * *"],
)
def test_invalid_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expression)


def test_a_schedule_that_never_fires_is_an_error_not_a_hang() -> None:
    with pytest.raises(ScheduleError, match="never fires"):
        parse_schedule("0 0 0 30 FEB *").next_after(START)
