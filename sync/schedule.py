"""How often the schedule runs, read off its cron expression (for "late" detection)."""

from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings

FIELD_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]  # minute hour day month weekday


def parse_field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start, end = (int(v) for v in part.split("-", 1))
        else:
            start = end = int(part)
        values.update(range(start, end + 1, step))
    return values


@lru_cache(maxsize=8)
def fires_at(expression: str) -> list[set[int]]:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"not a five-field cron expression: {expression!r}")
    parsed = [parse_field(f, lo, hi) for f, (lo, hi) in zip(fields, FIELD_RANGES, strict=True)]
    parsed[4] = {v % 7 for v in parsed[4]}  # both 0 and 7 mean Sunday
    return parsed


@lru_cache(maxsize=8)
def longest_gap(expression: str) -> timedelta:
    """The longest wait between two runs over a sample week (minute by minute)."""
    moment = datetime(2024, 1, 1)  # a Monday
    first = previous = None
    gap = timedelta(0)
    for _ in range(7 * 24 * 60):
        if fires(expression, moment):
            if previous is not None:
                gap = max(gap, moment - previous)
            first, previous = first or moment, moment
        moment += timedelta(minutes=1)
    if first is None:
        return timedelta(days=7)
    return max(gap, first + timedelta(days=7) - previous)  # across the week's end


def fires(expression: str, moment: datetime) -> bool:
    minutes, hours, days, months, weekdays = fires_at(expression)
    either_day = all(f != "*" for f in expression.split()[2:5:2])
    weekday = (moment.weekday() + 1) % 7
    return (
        moment.minute in minutes
        and moment.hour in hours
        and moment.month in months
        and day_matches(moment.day in days, weekday in weekdays, either_day)
    )


def last_tick(expression: str, now: datetime) -> datetime:
    """The latest minute at or before `now` on which the schedule fires (in `now`'s clock)."""
    moment = now.replace(second=0, microsecond=0)
    for _ in range(366 * 24 * 60):
        if fires(expression, moment):
            return moment
        moment -= timedelta(minutes=1)
    return moment


def day_matches(by_date: bool, by_weekday: bool, either: bool) -> bool:
    # cron's rule: with both day fields restricted, either may match; otherwise both must.
    return (by_date or by_weekday) if either else (by_date and by_weekday)


def expected_interval() -> timedelta:
    return longest_gap(settings.SYNC_SCHEDULE)


def round_started(trigger: str) -> datetime:
    """Since when a successful run of a connection counts as this round's.

    A scheduled run belongs to the schedule's latest tick, read as cron reads it (the system's
    local time), so piled-up ticks and the same tick on several machines sync each connection
    once. Any other trigger asks for fresh data: its round starts now.
    """
    now = datetime.now().astimezone()
    if trigger != "cron":
        return now
    return last_tick(settings.SYNC_SCHEDULE, now.replace(tzinfo=None)).replace(tzinfo=now.tzinfo)
