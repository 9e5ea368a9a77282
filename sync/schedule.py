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
    minutes, hours, days, months, weekdays = fires_at(expression)
    # cron's rule: with both day fields restricted, either may match; otherwise both must.
    either_day = all(f != "*" for f in expression.split()[2:5:2])
    moment = datetime(2024, 1, 1)  # a Monday
    first = previous = None
    gap = timedelta(0)
    for _ in range(7 * 24 * 60):
        weekday = (moment.weekday() + 1) % 7  # cron counts Sunday as 0
        if (
            moment.minute in minutes
            and moment.hour in hours
            and moment.month in months
            and day_matches(moment.day in days, weekday in weekdays, either_day)
        ):
            if previous is not None:
                gap = max(gap, moment - previous)
            first, previous = first or moment, moment
        moment += timedelta(minutes=1)
    if first is None:
        return timedelta(days=7)
    return max(gap, first + timedelta(days=7) - previous)  # across the week's end


def day_matches(by_date: bool, by_weekday: bool, either: bool) -> bool:
    return (by_date or by_weekday) if either else (by_date and by_weekday)


def expected_interval() -> timedelta:
    return longest_gap(settings.SYNC_SCHEDULE)
