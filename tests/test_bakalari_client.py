"""The Bakaláři client against the sandbox: login, tokens, endpoints and the API's quirks."""

import threading
from datetime import date, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from sync.sources.bakalari import dataset
from sync.sources.bakalari.formats import parse_time
from sync.sources.bakalari.sandbox import BakalariSandbox
from sync.upstream.errors import BadCredentials, PermissionDenied, ProtocolError
from tests.fixtures_bakalari import BAKALARI_PREFIX

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = pytest.mark.whole_school


class RecordingTransport(httpx.BaseTransport):
    """Passes requests to the sandbox and keeps them, to look at what went over the wire."""

    def __init__(self, app) -> None:
        self.inner = httpx.WSGITransport(app=app)
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return self.inner.handle_request(request)


def logins(sandbox) -> int:
    return sandbox.requests.count(("POST", "/api/login"))


def redemptions(sandbox) -> int:
    return sum(grant.redemptions for grant in sandbox.refresh_tokens.values())


def test_it_logs_in_with_a_form_body(bakalari_client_for, bakalari_sandbox):
    transport = RecordingTransport(bakalari_sandbox)
    bakalari_client_for(transport=transport).user()
    login = transport.sent[0]
    assert login.url.query == b""
    assert login.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(login.content.decode()) == {
        "client_id": ["ANDR"],
        "grant_type": ["password"],
        "username": [dataset.DEMO_USERNAME],
        "password": [dataset.DEMO_PASSWORD],
    }
    assert b"%C5%98" in login.content  # the Ř of the password, percent-encoded UTF-8


def test_it_keeps_the_path_prefix(bakalari_client_for, bakalari_sandbox):
    transport = RecordingTransport(bakalari_sandbox)
    bakalari_client_for(transport=transport).user()
    assert [r.url.path for r in transport.sent] == [
        f"{BAKALARI_PREFIX}/api/login",
        f"{BAKALARI_PREFIX}/api/3/user",
    ]


def test_it_checks_the_api_version(bakalari_client):
    assert bakalari_client.api_version() == "3.28.0"


def test_ids_are_percent_encoded_in_paths(bakalari_client_for, bakalari_sandbox):
    transport = RecordingTransport(bakalari_sandbox)
    client = bakalari_client_for(transport=transport)
    atom = next(a for a in client.marking_atoms() if " " in a["Id"])
    roster = client.marking_marks(atom["Id"])
    assert transport.sent[-1].url.raw_path.endswith(atom["Id"].replace(" ", "%20").encode())
    assert roster["Students"]


def test_ids_and_names_are_kept_verbatim(bakalari_client):
    timetable = bakalari_client.timetable_permanent()
    assert "U  12" in {teacher["Id"] for teacher in timetable["Teachers"]}
    assert ("10", "M   ") in {(s["Id"], s["Abbrev"]) for s in timetable["Subjects"]}
    assert " 1. A" in {school_class["Name"] for school_class in timetable["Classes"]}


def test_unknown_fields_reach_the_caller_untouched(bakalari_client):
    timetable = bakalari_client.timetable_permanent()
    assert timetable["Students"] == []
    assert timetable["Days"][0]["Atoms"][0]["LessonRelease"] == "NoChange"


def test_it_hands_every_new_token_pair_to_on_session(bakalari_client_for, bakalari_clock):
    sessions = []
    client = bakalari_client_for(on_session=sessions.append)
    client.user()
    bakalari_clock.advance(3600)
    client.user()
    assert len(sessions) == 2
    assert sessions[0]["refresh_token"] != sessions[1]["refresh_token"]
    assert {"refresh_token", "refresh_obtained_at", "refresh_expires_at"} <= set(sessions[1])
    assert dataset.DEMO_PASSWORD not in str(sessions)


def test_a_kept_session_spares_the_next_run_a_login(bakalari_client_for, bakalari_sandbox):
    sessions = []
    bakalari_client_for(on_session=sessions.append).user()
    bakalari_client_for(session=sessions[-1]).timetable_permanent()
    assert logins(bakalari_sandbox) == 1


def test_a_session_of_another_account_is_not_used(bakalari_client_for, bakalari_sandbox):
    sessions = []
    bakalari_client_for(on_session=sessions.append).user()
    other = bakalari_client_for(
        dataset.TEACHER_USERNAME, dataset.TEACHER_PASSWORD, session=sessions[-1]
    )
    assert other.user()["FullName"] == "Nováková Jana"
    assert logins(bakalari_sandbox) == 2


def test_it_accepts_the_legacy_token_answer(bakalari_client_for, bakalari_clock):
    sandbox = BakalariSandbox(BAKALARI_PREFIX, clock=bakalari_clock, legacy=True)
    client = bakalari_client_for(sandbox=sandbox)
    assert client.user()["UserType"] == "teacher"
    bakalari_clock.advance(599 - 59)
    client.user()
    assert redemptions(sandbox) == 1  # renewed from the server's expires_in, not an hour


def test_it_refreshes_shortly_before_the_token_expires(
    bakalari_client, bakalari_sandbox, bakalari_clock
):
    bakalari_client.user()
    bakalari_clock.advance(3599 - 61)
    bakalari_client.user()
    assert redemptions(bakalari_sandbox) == 0
    bakalari_clock.advance(2)
    bakalari_client.user()
    assert redemptions(bakalari_sandbox) == 1
    assert bakalari_sandbox.requests.count(("GET", "/api/3/user")) == 3  # never a 401


def test_it_refreshes_once_on_401(bakalari_client, bakalari_sandbox):
    bakalari_client.user()
    bakalari_sandbox.access_token_calls = 1
    assert bakalari_client.marking_atoms()
    assert redemptions(bakalari_sandbox) == 1
    assert logins(bakalari_sandbox) == 2  # the password login and the one refresh


def test_a_refused_refresh_token_falls_back_to_the_password_once(
    bakalari_client_for, bakalari_sandbox, bakalari_clock
):
    sessions = []
    client = bakalari_client_for(on_session=sessions.append)
    client.user()
    bakalari_sandbox.refresh_tokens.clear()  # the server forgot every refresh token
    bakalari_clock.advance(3600)
    client.user()
    assert logins(bakalari_sandbox) == 3  # login, refused refresh, login
    assert sessions[1] == {}  # the dead refresh token is dropped before the new login
    assert sessions[2]["refresh_token"] in bakalari_sandbox.refresh_tokens


def test_a_wrong_password_is_never_retried(bakalari_client_for, bakalari_sandbox):
    client = bakalari_client_for(password="špatné-heslo")
    with pytest.raises(BadCredentials):
        client.user()
    with pytest.raises(BadCredentials):
        client.timetable_permanent()
    assert client.requests_made == 1
    assert bakalari_sandbox.requests == [("POST", "/api/login")]


def test_a_spent_session_and_a_wrong_password_cost_two_requests(
    bakalari_client_for, bakalari_sandbox, bakalari_clock
):
    sessions = []
    bakalari_client_for(on_session=sessions.append).user()
    bakalari_sandbox.refresh_tokens.clear()
    bakalari_clock.advance(3600)
    client = bakalari_client_for(password="změněné-heslo", session=sessions[-1])
    with pytest.raises(BadCredentials):
        client.user()
    assert client.requests_made == 2  # the refused refresh, the refused password


def test_the_refresh_reuse_limit_sends_the_fourth_user_to_the_password(
    bakalari_client_for, bakalari_sandbox, bakalari_clock
):
    sessions = []
    bakalari_client_for(on_session=sessions.append).user()
    bakalari_clock.advance(3600)
    for _ in range(4):  # four runs that all start from the same kept session
        bakalari_client_for(session=sessions[0]).user()
    assert redemptions(bakalari_sandbox) == 3
    assert logins(bakalari_sandbox) == 1 + 4 + 1  # first login, 4 refreshes, 1 fallback


def run_in_threads(count: int, work) -> list:
    barrier, results, errors = threading.Barrier(count), [], []

    def worker():
        barrier.wait()
        try:
            results.append(work())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    return results


def test_concurrent_refreshes_are_serialised(bakalari_client, bakalari_sandbox, bakalari_clock):
    bakalari_client.user()
    bakalari_clock.advance(3600)
    bakalari_sandbox.faults.latency = 0.01
    results = run_in_threads(8, bakalari_client.user)
    assert len(results) == 8
    assert redemptions(bakalari_sandbox) == 1


def test_concurrent_401s_renew_the_token_once(bakalari_client, bakalari_sandbox):
    bakalari_client.user()
    bakalari_sandbox.access_tokens.clear()  # every access token is now refused
    bakalari_sandbox.faults.latency = 0.01
    results = run_in_threads(8, bakalari_client.user)
    assert len(results) == 8
    assert redemptions(bakalari_sandbox) == 1


def test_event_times_carry_their_prague_offset(bakalari_client):
    events = bakalari_client.events()["Events"]
    course = next(e for e in events if e["Title"] == "Lyžařský výcvikový kurz")
    start = parse_time(course["Times"][0]["StartTime"])
    end = parse_time(course["Times"][0]["EndTime"])
    assert start.utcoffset() == timedelta(hours=1)
    assert end.utcoffset() == timedelta(hours=2)
    assert (end - start) == timedelta(days=4, hours=7)  # one hour lost to summer time


def test_the_no_date_placeholder_is_none():
    assert parse_time("0001-01-01T00:00:00+01:00") is None
    assert parse_time(None) is None


def test_a_time_without_an_offset_is_prague_wall_clock():
    winter, summer = parse_time("2026-01-15T08:00:00"), parse_time("2026-07-15T08:00:00")
    assert winter.utcoffset() == timedelta(hours=1) and winter.hour == 8
    assert summer.utcoffset() == timedelta(hours=2) and summer.hour == 8


def test_an_unreadable_time_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="cannot be read"):
        parse_time("30.2.2020")


def test_events_since_a_date(bakalari_client):
    events = bakalari_client.events(since=date(2026, 6, 1))["Events"]
    assert [e["Title"] for e in events] == ["Sportovní den", "Ukončení školního roku"]


def test_the_profile_is_parsed_once(bakalari_client, bakalari_sandbox):
    profile = bakalari_client.profile()
    bakalari_client.profile()
    assert (profile.full_name, profile.user_type) == ("Dvořák Pavel", "teacher")
    assert profile.allows("Timetable", "ShowTimetable")
    assert profile.semester_from.utcoffset() == timedelta(hours=1)
    assert bakalari_sandbox.requests.count(("GET", "/api/3/user")) == 1


def test_the_actual_timetable_is_a_week(bakalari_client):
    days = bakalari_client.timetable_actual(date(2026, 3, 29))["Days"]
    assert [day["Date"][:10] for day in days][::4] == ["2026-03-23", "2026-03-27"]


def test_a_pupil_sees_subjects_and_their_own_timetable(bakalari_client_for):
    client = bakalari_client_for(dataset.PUPIL_USERNAME, dataset.PUPIL_PASSWORD)
    assert len(client.subjects()["Subjects"]) == 14
    assert [c["Abbrev"] for c in client.timetable_permanent()["Classes"]] == ["1.A"]


def test_a_missing_module_is_named(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.disable_module(dataset.DEMO_USERNAME, "Events")
    with pytest.raises(PermissionDenied, match="may not use the Events module"):
        bakalari_client.events()
    assert ("GET", "/api/3/events") not in bakalari_sandbox.requests


def test_marking_needs_a_teacher_account(bakalari_client_for, bakalari_sandbox):
    client = bakalari_client_for(dataset.PARENT_USERNAME, dataset.PARENT_PASSWORD)
    with pytest.raises(PermissionDenied) as caught:
        client.marking_atoms()
    assert caught.value.message == (
        f"The Bakaláři account {dataset.PARENT_USERNAME} is a parents account; "
        "the grade book (marking) needs a teacher account."
    )
    assert ("GET", "/api/3/marking/atoms") not in bakalari_sandbox.requests


def test_subjects_need_a_pupil_or_parent_account(bakalari_client):
    with pytest.raises(PermissionDenied, match="only for pupil and parent accounts"):
        bakalari_client.subjects()


def test_dataset_changes_show_between_calls(bakalari_client, bakalari_sandbox):
    school = bakalari_sandbox.school
    atom = bakalari_client.marking_atoms()[0]
    before = {s["Id"]: s for s in bakalari_client.marking_marks(atom["Id"])["Students"]}
    first, second = list(before)[:2]
    newcomer = school.add_pupil(before[first]["ClassId"], "Nováčková", "Šárka", girl=True)
    school.rename_pupil(first, last_name="Přejmenovaný")
    school.remove_pupil(second)
    after = {s["Id"]: s for s in bakalari_client.marking_marks(atom["Id"])["Students"]}
    assert set(after) == set(before) - {second} | {newcomer.id}
    assert after[first]["LastName"] == "Přejmenovaný"


def test_a_reordered_school_gives_the_same_records(bakalari_client, bakalari_sandbox):
    before = bakalari_client.timetable_permanent()
    bakalari_sandbox.school.reverse_order()
    after = bakalari_client.timetable_permanent()
    assert after["Teachers"] == before["Teachers"][::-1]
    assert sorted(after["Rooms"], key=str) == sorted(before["Rooms"], key=str)


def test_in_summer_a_profile_without_modules_leaves_access_to_the_server(
    bakalari_client, bakalari_sandbox
):
    bakalari_sandbox.summer = True
    assert bakalari_client.profile().semester_from is None
    assert bakalari_client.timetable_permanent()["Teachers"]
    assert bakalari_client.events() == {"Events": []}


def test_in_summer_a_module_the_server_refuses_is_still_permission_denied(
    bakalari_client, bakalari_sandbox
):
    bakalari_sandbox.summer = True
    bakalari_sandbox.disable_module(dataset.DEMO_USERNAME, "Timetable")
    with pytest.raises(PermissionDenied, match="does not let this account read"):
        bakalari_client.timetable_permanent()
