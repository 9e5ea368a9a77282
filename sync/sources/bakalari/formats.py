"""How Bakaláři writes its values: times with their Prague offset, and a placeholder for none."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sync.upstream.errors import ProtocolError

PRAGUE = ZoneInfo("Europe/Prague")


def parse_time(value) -> datetime | None:
    """A Bakaláři time ("2020-01-28T00:00:00+01:00") as an aware datetime.

    None for a missing value or the "0001-01-01" placeholder old servers send for "no date";
    a time without an offset is read as Prague's wall clock, the only one a school's server has.
    """
    if isinstance(value, datetime):
        return value
    if not value or (isinstance(value, str) and value.startswith("0001-01-01")):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"Bakaláři sent a time that cannot be read: {value!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=PRAGUE)


def parse_clock(value, minutes=None) -> time | None:
    """A timetable's clock time ("7:05"), or newer servers' minutes from midnight; None when
    neither can be read (the lesson is still mirrored, without its time)."""
    if isinstance(value, str) and value.count(":") == 1:
        hours, mins = value.strip().split(":")
        if hours.isdigit() and mins.isdigit() and int(hours) < 24 and int(mins) < 60:
            return time(int(hours), int(mins))
    if isinstance(minutes, int) and not isinstance(minutes, bool) and 0 <= minutes < 24 * 60:
        return time(*divmod(minutes, 60))
    return None
