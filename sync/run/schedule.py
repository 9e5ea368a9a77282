"""How often the schedule runs, read off its cron expression (for "late" detection)."""

from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core import checks

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
FIELDS = [  # name, lowest, highest, the names cron also accepts (numbered from the lowest)
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day", 1, 31, []),
    ("month", 1, 12, MONTHS),
    ("weekday", 0, 7, WEEKDAYS),
]


def parse_field(text: str, low: int, high: int, names: list[str]) -> set[int]:
    """The values a field names; ValueError when cron would not read it so."""
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            start, end = low, high
        else:
            first, _, last = part.partition("-")
            start = field_value(first, low, names)
            end = field_value(last, low, names) if last else start
        if not low <= start <= end <= high or step < 1:
            raise ValueError(part)
        values.update(range(start, end + 1, step))
    return values


def field_value(text: str, low: int, names: list[str]) -> int:
    lowered = text.lower()
    return names.index(lowered) + low if lowered in names else int(text)


@lru_cache(maxsize=8)
def fires_at(expression: str) -> list[set[int]]:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"{expression!r} has {len(fields)} fields, not the five of cron "
            "(minute hour day month weekday)"
        )
    parsed = []
    for text, (name, low, high, names) in zip(fields, FIELDS, strict=True):
        try:
            parsed.append(parse_field(text, low, high, names))
        except ValueError:
            raise ValueError(
                f"in {expression!r} the {name} field {text!r} is not valid (values {low}-{high})"
            ) from None
    parsed[4] = {v % 7 for v in parsed[4]}  # both 0 and 7 mean Sunday
    return parsed


def schedule_problem(expression: str) -> str | None:
    """Why SYNC_SCHEDULE cannot be read as cron reads it, or None."""
    try:
        fires_at(expression)
    except ValueError as exc:
        return f"SYNC_SCHEDULE is not a cron expression: {exc}"
    return None


def check_schedule(app_configs, **kwargs) -> list[checks.Error]:
    """`manage.py check` reports it; every other command stops before it starts (manage.py)."""
    problem = schedule_problem(settings.SYNC_SCHEDULE)
    return [checks.Error(problem, id="sync.E001")] if problem else []


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


def next_tick(expression: str, now: datetime) -> datetime | None:
    """The first minute after `now` on which the schedule fires (in `now`'s clock), in a year."""
    moment = now.replace(second=0, microsecond=0)
    for _ in range(366 * 24 * 60):
        moment += timedelta(minutes=1)
        if fires(expression, moment):
            return moment
    return None


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
