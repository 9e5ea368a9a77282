"""The Czech school year the sandbox's school lives in, for any date: no year is written down.

A school year runs from 1 September to 30 June. July and August still belong to the year that
ended in June: servers keep answering with it (the timetable up to 31 August, no semester) until
the next one starts. Days off are the Czech public holidays, Easter computed, and the school
holidays as the ministry usually sets them: autumn on 29 and 30 October, Christmas from
22 December to 2 January, one day at the end of the first semester, a spring week in February
(each district has its own; this school's is the week of the second Monday) and Maundy Thursday.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

PUBLIC_HOLIDAYS = {  # (month, day): name
    (1, 1): "Nový rok",
    (5, 1): "Svátek práce",
    (5, 8): "Den vítězství",
    (7, 5): "Den slovanských věrozvěstů Cyrila a Metoděje",
    (7, 6): "Den upálení mistra Jana Husa",
    (9, 28): "Den české státnosti",
    (10, 28): "Den vzniku samostatného československého státu",
    (11, 17): "Den boje za svobodu a demokracii",
    (12, 24): "Vánoce",
    (12, 25): "Vánoce",
    (12, 26): "Vánoce",
}
MONDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = 0, 2, 3, 4, 5, 6


def easter_sunday(year: int) -> date:
    """The Gregorian computus (Meeus/Jones/Butcher)."""
    golden = year % 19
    century, rest = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    correction = (century - (century + 8) // 25 + 1) // 3
    epact = (19 * golden + century - leap_centuries - correction + 15) % 30
    quarters, rest_of_quarter = divmod(rest, 4)
    weekday = (32 + 2 * century_rest + 2 * quarters - epact - rest_of_quarter) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def weekday_on_or_before(day: date, weekday: int) -> date:
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    return weekday_on_or_after(date(year, month, 1), weekday) + timedelta(weeks=n - 1)


def last_sunday(year: int, month: int) -> date:
    """Daylight saving starts on the last Sunday of March and ends on the last of October."""
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return weekday_on_or_before(next_month - timedelta(days=1), SUNDAY)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class SchoolYear:
    first: int  # the calendar year of its September

    @classmethod
    def containing(cls, day: date) -> "SchoolYear":
        return cls(day.year if day.month >= 9 else day.year - 1)

    @property
    def start(self) -> date:
        return date(self.first, 9, 1)

    @property
    def end(self) -> date:
        return date(self.first + 1, 6, 30)

    @property
    def second_semester(self) -> date:
        return date(self.first + 1, 2, 1)

    @property
    def summer_end(self) -> date:
        return date(self.first + 1, 8, 31)

    def in_summer(self, day: date) -> bool:
        """After the last day of school, before the next year begins."""
        return self.end < day <= self.summer_end

    def day_off(self, day: date) -> tuple[str, str] | None:
        """(DayType, DayDescription) of a day without lessons, None for a school day."""
        named = self.days_off.get(day)
        if named is None and not self.start <= day <= self.end:
            return ("Holiday", "")
        return named

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < SATURDAY and self.day_off(day) is None

    @property
    def first_school_day(self) -> date:
        return next(d for d in self.days_from(self.start, 1) if self.is_school_day(d))

    @property
    def last_school_day(self) -> date:
        return next(d for d in self.days_from(self.end, -1) if self.is_school_day(d))

    def days_from(self, day: date, step: int):
        while True:
            yield day
            day += timedelta(days=step)

    @cached_property
    def days_off(self) -> dict[date, tuple[str, str]]:
        days = {day: ("Holiday", name) for day, name in self.school_holidays()}
        for year in (self.first, self.first + 1):
            for (month, day), name in PUBLIC_HOLIDAYS.items():
                days[date(year, month, day)] = ("Celebration", name)
        easter = easter_sunday(self.first + 1)
        days[easter - timedelta(days=2)] = ("Celebration", "Velký pátek")
        days[easter + timedelta(days=1)] = ("Celebration", "Velikonoční pondělí")
        return days

    def school_holidays(self) -> list[tuple[date, str]]:
        autumn = [date(self.first, 10, day) for day in (29, 30)]
        christmas = [date(self.first, 12, 22) + timedelta(days=n) for n in range(12)]
        half_term = weekday_on_or_before(date(self.first + 1, 1, 31), FRIDAY)
        spring = nth_weekday(self.first + 1, 2, MONDAY, 2)
        holidays = [
            *((day, "Podzimní prázdniny") for day in autumn),
            *((day, "Vánoční prázdniny") for day in christmas),
            (half_term, "Pololetní prázdniny"),
            *((spring + timedelta(days=n), "Jarní prázdniny") for n in range(5)),
            (easter_sunday(self.first + 1) - timedelta(days=3), "Velikonoční prázdniny"),
        ]
        return [(day, name) for day, name in holidays if day.weekday() < SATURDAY]
