"""The Bakaláři sandbox and client agree with what live servers do: the language they need, the
school year of the calendar, refused logins and teachers' privileges, a week's changes."""

from datetime import date, datetime

import httpx
import pytest

from sync.sources.bakalari import dataset
from sync.sources.bakalari.dataset import School
from sync.sources.bakalari.sandbox import BakalariSandbox
from sync.sources.bakalari.school_year import SchoolYear, easter_sunday
from sync.upstream.errors import BadCredentials, PermissionDenied
from tests.fixtures_bakalari import BakalariClock

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = pytest.mark.whole_school

ERRORS = "https://documentation.openiddict.com/errors/"


def login(http, username=dataset.DEMO_USERNAME, password=dataset.DEMO_PASSWORD):
    form = {"client_id": "ANDR", "grant_type": "password", "username": username}
    return http.post("/api/login", data={**form, "password": password})


def get(http, path, username=dataset.DEMO_USERNAME, password=dataset.DEMO_PASSWORD, **params):
    token = login(http, username, password).json()["access_token"]
    return http.get(path, headers={"Authorization": f"Bearer {token}"}, params=params).json()


@pytest.fixture
def school_at():
    """A sandbox whose clock shows `day` at ten in the morning, and a plain client of it."""
    clients = []

    def make(day: date) -> httpx.Client:
        moment = datetime(day.year, day.month, day.day, 10, tzinfo=dataset.PRAGUE)
        sandbox = BakalariSandbox(
            clock=BakalariClock(moment.timestamp()), whole_school_account=True
        )
        http = httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://x")
        clients.append(http)
        return http

    yield make
    for http in clients:
        http.close()


# Accept-Language: cs


def test_every_request_of_the_client_asks_in_czech(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.czech_only = True
    bakalari_client.api_version()
    bakalari_client.user()
    bakalari_client.timetable_actual(date(2026, 3, 25))
    bakalari_client.events()
    bakalari_client.marking_marks(bakalari_client.marking_atoms()[0]["Id"])
    assert len(bakalari_sandbox.languages) == 7  # discovery, login and five data requests
    assert set(bakalari_sandbox.languages) == {"cs"}


def test_a_server_that_needs_czech_fails_a_request_without_it(bakalari_http, bakalari_sandbox):
    bakalari_sandbox.czech_only = True
    refused = bakalari_http.get("/api")
    assert refused.status_code == 500
    assert refused.json() == {"Message": "An error has occurred."}
    assert bakalari_http.get("/api", headers={"Accept-Language": "cs"}).status_code == 200


def test_the_sandbox_answers_without_the_language_unless_told_not_to(bakalari_http):
    assert bakalari_http.get("/api").status_code == 200


# The school year follows the sandbox's clock


def semester(http) -> dict:
    return get(http, "/api/3/user")["SettingModules"]["Common"].get("ActualSemester")


def event_times(http, title: str) -> tuple[str, str]:
    event = next(e for e in get(http, "/api/3/events")["Events"] if e["Title"] == title)
    return event["Times"][0]["StartTime"], event["Times"][-1]["EndTime"]


def day_types(http, day: str) -> dict[str, tuple[str, str]]:
    week = get(http, "/api/3/timetable/actual", date=day)["Days"]
    return {d["Date"][:10]: (d["DayType"], d["DayDescription"]) for d in week}


def test_two_clocks_give_two_school_years_and_semesters(school_at):
    autumn, spring = school_at(date(2026, 11, 2)), school_at(date(2031, 3, 10))
    assert semester(autumn) == {
        "SemesterId": "1",
        "From": "2026-09-01T00:00:00+02:00",
        "To": "2027-01-31T23:59:59+01:00",
    }
    assert semester(spring) == {
        "SemesterId": "2",
        "From": "2031-02-01T00:00:00+01:00",
        "To": "2031-06-30T23:59:59+02:00",
    }


def test_two_clocks_give_two_years_of_events_that_still_cross_summer_time(school_at):
    autumn, spring = school_at(date(2026, 11, 2)), school_at(date(2031, 3, 10))
    assert event_times(autumn, "Zahájení školního roku")[0] == "2026-09-01T00:00:00+02:00"
    assert event_times(spring, "Zahájení školního roku")[0] == "2030-09-02T00:00:00+02:00"
    assert event_times(autumn, "Lyžařský výcvikový kurz") == (
        "2027-03-27T08:00:00+01:00",
        "2027-03-31T16:00:00+02:00",
    )
    assert event_times(spring, "Lyžařský výcvikový kurz") == (
        "2031-03-29T08:00:00+01:00",
        "2031-04-02T16:00:00+02:00",
    )
    assert event_times(spring, "Exkurze Vídeň") == (
        "2030-10-25T07:00:00+02:00",
        "2030-10-28T18:00:00+01:00",
    )


def test_every_event_of_a_year_falls_within_it(school_at):
    events = get(school_at(date(2031, 3, 10)), "/api/3/events")["Events"]
    starts = sorted(e["Times"][0]["StartTime"][:10] for e in events)
    assert starts[0] >= "2030-09-01" and starts[-1] <= "2031-06-30"


def test_holidays_follow_the_year_with_easter_computed(school_at):
    autumn = day_types(school_at(date(2026, 11, 2)), "2026-10-28")
    assert autumn["2026-10-28"] == (
        "Celebration",
        "Den vzniku samostatného československého státu",
    )
    assert autumn["2026-10-29"] == ("Holiday", "Podzimní prázdniny")
    assert autumn["2026-10-27"] == ("WorkDay", "")
    easter = day_types(school_at(date(2031, 3, 10)), "2031-04-14")
    assert easter["2031-04-14"] == ("Celebration", "Velikonoční pondělí")
    assert easter["2031-04-15"] == ("WorkDay", "")
    good_friday = day_types(school_at(date(2031, 3, 10)), "2031-04-11")
    assert good_friday["2031-04-11"] == ("Celebration", "Velký pátek")
    assert good_friday["2031-04-10"] == ("Holiday", "Velikonoční prázdniny")


@pytest.mark.parametrize(
    ("year", "sunday"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2027, date(2027, 3, 28)),
     (2031, date(2031, 4, 13)), (2038, date(2038, 4, 25))],
)  # fmt: skip
def test_easter_is_computed(year, sunday):
    assert easter_sunday(year) == sunday


def test_a_date_before_the_year_gives_its_first_school_week(school_at):
    spring = school_at(date(2031, 3, 10))  # 1 September 2030 is a Sunday
    week = get(spring, "/api/3/timetable/actual", date="2029-05-01")["Days"]
    assert week[0]["Date"][:10] == "2030-09-02"


def test_registration_numbers_follow_the_year_the_school_is_built_for():
    early, late = School.build(today=date(2026, 11, 2)), School.build(today=date(2031, 3, 10))
    first_grade = [c.id for c in early.classes if c.grade == 1]
    number = next(p for p in early.pupils if p.class_id in first_grade).registration_number
    assert number.startswith("2026/")
    assert late.pupils[0].registration_number.startswith("2030/")
    assert late.add_pupil(late.classes[0].id, "Nový", "Jan").registration_number == "2030/9001"


def test_july_belongs_to_the_year_that_ended_without_a_semester(school_at):
    july = school_at(date(2027, 7, 15))
    user = get(july, "/api/3/user")
    assert "ActualSemester" not in user["SettingModules"]["Common"]
    assert user["EnabledModules"], "modules stay listed until mid-summer"
    assert event_times(july, "Ukončení školního roku")[0] == "2027-06-30T00:00:00+02:00"
    week = get(july, "/api/3/timetable/actual", date="2027-09-15")["Days"]
    assert week[0]["Date"][:10] == "2027-08-30", "the last week of the summer"
    assert all(day["DayType"] == "Holiday" and not day["Atoms"] for day in week)


def test_the_year_of_a_summer_day_is_the_one_ending():
    assert SchoolYear.containing(date(2027, 8, 31)) == SchoolYear(2026)
    assert SchoolYear.containing(date(2027, 9, 1)) == SchoolYear(2027)


# Refused logins (their bodies: test_bakalari_sandbox)


def test_a_wrong_password_with_error_uri_is_still_bad_credentials(bakalari_client_for):
    client = bakalari_client_for(password="špatně")
    with pytest.raises(BadCredentials) as caught:
        client.user()
    assert caught.value.message == "Bakaláři rejected the username or password."
    assert caught.value.detail.endswith(ERRORS + "ID2024")
    assert "špatně" not in f"{caught.value.message} {caught.value.detail}"


# A non-teacher on the marking endpoints


def test_a_staff_account_that_is_no_teacher_is_told_it_needs_a_teachers_account(
    bakalari_client_for, bakalari_sandbox
):
    headmaster = bakalari_sandbox.school.teachers[2]
    account = dataset.Account(
        "reditel", "Ředitel-Heslo-1", "headmastership", headmaster.id, dataset.TEACHER_MODULES
    )
    bakalari_sandbox.school.accounts.append(account)
    client = bakalari_client_for("reditel", "Ředitel-Heslo-1")
    with pytest.raises(PermissionDenied) as caught:
        client.marking_atoms()
    assert caught.value.message == (
        "Bakaláři does not let this account read the grade book (marking): it needs IsTeacher "
        "or IsSuperuser. Sync with a teacher's account."
    )
    assert "Some privilege is missing (IsTeacher,IsSuperuser)." in caught.value.detail


# A week's changes in the actual timetable


def changed_atoms(timetable: dict) -> list[dict]:
    return [atom for day in timetable["Days"] for atom in day["Atoms"] if atom["Change"]]


def test_the_actual_week_carries_changes_of_every_kind(bakalari_http):
    timetable = get(bakalari_http, "/api/3/timetable/actual", date="2026-03-25")
    kinds = {atom["Change"]["ChangeType"] for atom in changed_atoms(timetable)}
    assert kinds == {"Canceled", "Removed", "Substitution", "RoomChanged", "Added"}


def test_lessons_that_do_not_take_place_keep_only_their_hour_and_group(bakalari_http):
    timetable = get(bakalari_http, "/api/3/timetable/actual", date="2026-03-25")
    gone = [
        atom
        for atom in changed_atoms(timetable)
        if atom["Change"]["ChangeType"] in ("Canceled", "Removed")
    ]
    assert gone
    for atom in gone:
        assert (atom["SubjectId"], atom["TeacherId"], atom["RoomId"]) == (None, None, None)
        assert isinstance(atom["HourId"], int) and atom["GroupIds"]
    excursion = next(a for a in gone if a["Change"]["ChangeType"] == "Canceled")["Change"]
    assert excursion["Hours"] == "1. - 2. hod" and excursion["Time"] == "8:00 - 9:40"
    assert (excursion["TypeAbbrev"], excursion["Start"], excursion["Duration"]) == ("Exk", 480, 100)


def test_lessons_that_change_name_what_they_change_to(bakalari_http):
    timetable = get(bakalari_http, "/api/3/timetable/actual", date="2026-03-25")
    teachers = {t["Id"]: t for t in timetable["Teachers"]}
    rooms = {r["Id"]: r for r in timetable["Rooms"]}
    for atom in changed_atoms(timetable):
        change = atom["Change"]
        day = next(d for d in timetable["Days"] if atom in d["Atoms"])
        assert change["Day"] == day["Date"]
        if change["ChangeType"] == "Substitution":
            name = teachers[atom["TeacherId"]]["Name"]
            assert change["Description"].startswith("Suplování: ")
            assert change["Description"].split(": ")[1].split()[0] in name
        if change["ChangeType"] == "RoomChanged":
            assert change["Description"] == f"Změna učebny: {rooms[atom['RoomId']]['Abbrev']}"
        if change["ChangeType"] == "Added":
            assert atom["HourId"] == 2 and change["Hours"] == "0. hod"


def test_a_weeks_changes_are_the_same_on_every_call_and_differ_between_weeks(
    bakalari_http, bakalari_clock
):
    other = BakalariSandbox(clock=bakalari_clock, whole_school_account=True)
    with httpx.Client(transport=httpx.WSGITransport(app=other), base_url="http://x") as http:
        again = get(http, "/api/3/timetable/actual", date="2026-03-25")
    first = get(bakalari_http, "/api/3/timetable/actual", date="2026-03-25")
    assert changed_atoms(first) == changed_atoms(again)
    earlier = get(bakalari_http, "/api/3/timetable/actual", date="2026-03-18")
    assert changed_atoms(earlier) and changed_atoms(earlier) != changed_atoms(first)


def test_changes_are_known_two_weeks_ahead_only(bakalari_http, bakalari_clock):
    assert changed_atoms(get(bakalari_http, "/api/3/timetable/actual", date="2026-04-01"))
    assert not changed_atoms(get(bakalari_http, "/api/3/timetable/actual", date="2026-04-08"))
    bakalari_clock.advance(14 * 24 * 3600)
    assert changed_atoms(get(bakalari_http, "/api/3/timetable/actual", date="2026-04-08"))


def test_a_pupil_sees_the_changes_of_their_own_groups(bakalari_http, bakalari_sandbox):
    everything = get(bakalari_http, "/api/3/timetable/actual", date="2026-03-25")
    school = bakalari_sandbox.school
    cancelled = next(
        a for a in changed_atoms(everything) if a["Change"]["ChangeType"] == "Canceled"
    )
    pupil = school.members(school.group(cancelled["GroupIds"][0]))[0]
    school.accounts.append(
        dataset.Account("zak.vylet", "Žák-Heslo-9", "student", pupil.id, dataset.FAMILY_MODULES)
    )
    theirs = get(
        bakalari_http, "/api/3/timetable/actual", "zak.vylet", "Žák-Heslo-9", date="2026-03-25"
    )
    groups = {g.id for g in school.groups_of(pupil)}
    expected = [a for a in changed_atoms(everything) if set(a["GroupIds"]) <= groups]
    assert cancelled in changed_atoms(theirs)
    assert changed_atoms(theirs) == expected


def test_the_permanent_timetable_has_no_changes(bakalari_http):
    assert not changed_atoms(get(bakalari_http, "/api/3/timetable/permanent"))
