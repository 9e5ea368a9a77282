"""The Bakaláři sandbox behaves like a real school server, quirks included."""

import re
from datetime import date

import httpx
import pytest

from sync.sources.bakalari import dataset, directory
from sync.sources.bakalari.dataset import School
from sync.sources.bakalari.sandbox import BakalariSandbox
from tests.fixtures_bakalari import BAKALARI_PREFIX

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = pytest.mark.whole_school

DENIED = {"Message": "Authorization has been denied for this request."}
ERRORS = "https://documentation.openiddict.com/errors/"


def login(http, username=dataset.DEMO_USERNAME, password=dataset.DEMO_PASSWORD):
    form = {"client_id": "ANDR", "grant_type": "password", "username": username}
    return http.post("/api/login", data={**form, "password": password})


def refresh(http, token):
    form = {"client_id": "ANDR", "grant_type": "refresh_token", "refresh_token": token}
    return http.post("/api/login", data=form)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def get(http, path, username=dataset.DEMO_USERNAME, password=dataset.DEMO_PASSWORD, **params):
    token = login(http, username, password).json()["access_token"]
    return http.get(path, headers=bearer(token), params=params)


def test_api_lists_versions_and_api_3_describes_itself(bakalari_http):
    versions = bakalari_http.get("/api").json()
    assert isinstance(versions, list)
    assert versions[0]["BaseUrl"] == "api/3"
    assert bakalari_http.get("/api/3").json() == versions[0]


@pytest.mark.parametrize("path", ["/api", "/api/3"])
def test_posting_to_discovery_is_405_with_the_exact_message(bakalari_http, path):
    response = bakalari_http.post(path)
    assert response.status_code == 405
    assert response.json() == {
        "Message": "The requested resource does not support http method 'POST'."
    }


def test_paths_outside_the_prefix_are_not_found(bakalari_http):
    assert bakalari_http.get("http://bakalari.test/api").status_code == 404
    assert bakalari_http.get("/api/3/nothing").json()["Message"].startswith("No HTTP resource")


def test_login_answers_the_documented_token_fields(bakalari_http):
    body = login(bakalari_http).json()
    assert " ".join(body) == (
        "bak:ApiVersion bak:AppVersion bak:UserId access_token refresh_token id_token "
        "token_type expires_in scope"
    )
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599


def test_legacy_servers_answer_the_old_token_shape(bakalari_clock):
    sandbox = BakalariSandbox(clock=bakalari_clock, legacy=True)
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://x") as http:
        body = login(http).json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 599
    assert "id_token" not in body and "scope" not in body
    assert body["bak:ApiVersion"] == "3.8.0"


def test_access_tokens_are_opaque_and_never_repeat(bakalari_http):
    first, second = login(bakalari_http).json(), login(bakalari_http).json()
    assert first["access_token"] != second["access_token"]
    assert dataset.DEMO_USERNAME not in first["access_token"]
    assert len(first["access_token"]) > 100


def test_login_in_the_query_string_is_an_unknown_client(bakalari_http):
    query = {"client_id": "ANDR", "grant_type": "password", "username": dataset.DEMO_USERNAME}
    response = bakalari_http.post("/api/login", params={**query, "password": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "The mandatory 'client_id' parameter is missing.",
        "error_uri": ERRORS + "ID2029",
    }


def test_a_missing_grant_type_is_an_invalid_request(bakalari_http):
    response = bakalari_http.post("/api/login", data={"client_id": "ANDR"})
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The mandatory 'grant_type' parameter is missing.",
        "error_uri": ERRORS + "ID2029",
    }


def test_a_wrong_password_is_answered_in_czech_with_its_openiddict_code(bakalari_http):
    response = login(bakalari_http, password="špatně")
    assert response.status_code == 400
    assert response.json() == {  # as live servers of API 3.52 answer it
        "error": "invalid_grant",
        "error_description": "Špatný login nebo heslo",
        "error_uri": ERRORS + "ID2024",
    }


def test_legacy_servers_refuse_logins_without_error_codes(bakalari_clock):
    sandbox = BakalariSandbox(clock=bakalari_clock, legacy=True)
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://x") as http:
        body = login(http, password="špatně").json()
    assert body == {"error": "invalid_grant", "error_description": "Špatný login nebo heslo"}


def test_data_needs_a_bearer_token(bakalari_http):
    response = bakalari_http.get("/api/3/user")
    assert response.status_code == 401
    assert response.json() == DENIED
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_unknown_token_is_challenged_as_invalid(bakalari_http):
    response = bakalari_http.get("/api/3/user", headers=bearer("made-up"))
    assert response.status_code == 401
    assert response.json() == DENIED
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "ID2004" in response.headers["WWW-Authenticate"]


def test_access_tokens_expire_after_their_lifetime(bakalari_http, bakalari_clock):
    token = login(bakalari_http).json()["access_token"]
    assert bakalari_http.get("/api/3/user", headers=bearer(token)).status_code == 200
    bakalari_clock.advance(3599)
    response = bakalari_http.get("/api/3/user", headers=bearer(token))
    assert response.status_code == 401
    assert "ID2019" in response.headers["WWW-Authenticate"]


def test_a_short_access_lifetime_can_be_configured(bakalari_clock):
    assert BakalariSandbox(clock=bakalari_clock, access_lifetime=30).access_lifetime == 30


def test_access_tokens_can_be_made_to_die_after_some_calls(bakalari_http, bakalari_sandbox):
    bakalari_sandbox.access_token_calls = 2
    token = login(bakalari_http).json()["access_token"]
    statuses = [bakalari_http.get("/api/3/user", headers=bearer(token)).status_code for _ in "abc"]
    assert statuses == [200, 200, 401]


def test_a_refresh_token_is_redeemed_three_times_then_it_is_spent(bakalari_http):
    token = login(bakalari_http).json()["refresh_token"]
    pairs = [refresh(bakalari_http, token).json() for _ in range(3)]
    assert len({p["access_token"] for p in pairs}) == 3
    response = refresh(bakalari_http, token)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The specified refresh token has already been redeemed.",
        "error_uri": ERRORS + "ID2012",
    }
    assert refresh(bakalari_http, pairs[-1]["refresh_token"]).status_code == 200


def test_an_unknown_refresh_token_is_invalid(bakalari_http):
    assert refresh(bakalari_http, "made-up").json() == {
        "error": "invalid_grant",
        "error_description": "The specified token is invalid.",
        "error_uri": ERRORS + "ID2003",
    }


def test_a_refresh_token_unused_for_a_month_expires(bakalari_http, bakalari_clock):
    token = login(bakalari_http).json()["refresh_token"]
    bakalari_clock.advance(31 * 24 * 3600)
    assert refresh(bakalari_http, token).json()["error_description"] == (
        "The specified token is no longer valid."
    )


@pytest.mark.parametrize(
    ("path", "param"), [("/api/3/timetable/actual", "date"), ("/api/3/events", "from")]
)
def test_malformed_dates_are_refused_with_a_model_state(bakalari_http, path, param):
    response = get(bakalari_http, path, **{param: "28.3.2026"})
    assert response.status_code == 400
    assert response.json() == {
        "Message": "The request is invalid.",
        "ModelState": {
            "$type": "HttpError",
            param: {
                "$type": "String[]",
                "$values": ["The value '28.3.2026' is not valid for Nullable`1."],
            },
        },
    }


def week_dates(response):
    return [day["Date"][:10] for day in response.json()["Days"]]


def test_the_actual_timetable_is_the_whole_week_of_the_date(bakalari_http):
    response = get(bakalari_http, "/api/3/timetable/actual", date="2026-03-25")
    assert week_dates(response) == [f"2026-03-{day}" for day in range(23, 28)]
    assert all(day["Atoms"] for day in response.json()["Days"])


def test_a_saturday_gives_the_week_it_ends(bakalari_http):
    response = get(bakalari_http, "/api/3/timetable/actual", date="2026-03-28")
    assert week_dates(response)[0] == "2026-03-23"


def test_dates_outside_the_school_year_snap_to_its_ends(bakalari_http):
    before = get(bakalari_http, "/api/3/timetable/actual", date="2025-06-10")
    assert week_dates(before)[0] == "2025-09-01"
    after = get(bakalari_http, "/api/3/timetable/actual", date="2026-12-01")
    assert week_dates(after)[0] == "2026-08-31"
    assert after.json()["Classes"] == [] and after.json()["Hours"]


def test_holidays_have_no_lessons(bakalari_http):
    response = get(bakalari_http, "/api/3/timetable/actual", date="2026-04-02")
    days = {day["Date"][:10]: day for day in response.json()["Days"]}
    assert days["2026-04-03"]["DayType"] == "Celebration"
    assert days["2026-04-03"]["DayDescription"] == "Velký pátek"
    assert days["2026-04-03"]["Atoms"] == []
    assert days["2026-04-01"]["Atoms"]


def test_the_permanent_timetable_repeats_groups_and_keeps_quirky_ids(bakalari_http):
    timetable = get(bakalari_http, "/api/3/timetable/permanent").json()
    group_ids = [group["Id"] for group in timetable["Groups"]]
    assert len(group_ids) > len(set(group_ids))
    assert {"U  12"} <= {teacher["Id"] for teacher in timetable["Teachers"]}
    assert {" 6", " 1"} <= {subject["Id"] for subject in timetable["Subjects"]}
    assert "M   " in {subject["Abbrev"] for subject in timetable["Subjects"]}
    assert " 1. A" in {school_class["Name"] for school_class in timetable["Classes"]}


def test_the_opt_in_whole_school_account_sees_the_whole_school(bakalari_http):
    timetable = get(bakalari_http, "/api/3/timetable/permanent").json()
    assert len(timetable["Classes"]) == 30
    assert len(timetable["Teachers"]) == 42


def test_the_opt_in_whole_school_accounts_atoms_cover_every_group_and_pupil(
    bakalari_http, bakalari_sandbox
):
    token = login(bakalari_http).json()["access_token"]
    atoms = bakalari_http.get("/api/3/marking/atoms", headers=bearer(token)).json()["Atoms"]
    school = bakalari_sandbox.school
    assert {school.atom(a["Id"]).group_id for a in atoms} == {g.id for g in school.groups}
    pupils = set()
    for atom in atoms:
        roster = bakalari_http.get(f"/api/3/marking/marks/{atom['Id']}", headers=bearer(token))
        pupils |= {student["Id"] for student in roster.json()["Students"]}
    assert pupils == {pupil.id for pupil in school.pupils}


def test_an_ordinary_teacher_sees_only_their_own_groups(bakalari_http):
    response = get(
        bakalari_http, "/api/3/marking/atoms", dataset.TEACHER_USERNAME, dataset.TEACHER_PASSWORD
    )
    assert 0 < len(response.json()["Atoms"]) < 30


@pytest.mark.parametrize("path", ["/api/3/marking/atoms", "/api/3/marking/marks/0F10"])
def test_marking_is_refused_to_pupils_with_the_live_text(bakalari_http, path):
    response = get(bakalari_http, path, dataset.PUPIL_USERNAME, dataset.PUPIL_PASSWORD)
    assert response.status_code == 403
    assert response.json() == {"Message": "Some privilege is missing (IsTeacher,IsSuperuser)."}


def test_subjects_are_refused_to_teachers(bakalari_http):
    assert get(bakalari_http, "/api/3/subjects").status_code == 403


def test_a_parent_sees_the_childs_subjects_with_teachers(bakalari_http):
    subjects = get(
        bakalari_http, "/api/3/subjects", dataset.PARENT_USERNAME, dataset.PARENT_PASSWORD
    ).json()["Subjects"]
    assert "ČJL" in {subject["SubjectAbbrev"] for subject in subjects}
    assert all(subject["TeacherID"] for subject in subjects)


def test_a_switched_off_module_is_refused(bakalari_http, bakalari_sandbox):
    bakalari_sandbox.disable_module(dataset.DEMO_USERNAME, "Timetable")
    assert get(bakalari_http, "/api/3/timetable/permanent").status_code == 403
    modules = {m["Module"] for m in get(bakalari_http, "/api/3/user").json()["EnabledModules"]}
    assert "Timetable" not in modules


def test_the_user_profile_per_account_type(bakalari_http):
    pupil = get(bakalari_http, "/api/3/user", dataset.PUPIL_USERNAME, dataset.PUPIL_PASSWORD)
    assert pupil.json()["FullName"] == "Hájek Matěj, 1.A"
    assert pupil.json()["UserType"] == "student"
    assert pupil.json()["Class"]["Name"] == " 1. A"
    teacher = get(bakalari_http, "/api/3/user").json()
    assert (teacher["FullName"], teacher["UserType"]) == ("Dvořák Pavel", "teacher")


def test_events_cross_the_change_to_summer_time(bakalari_http):
    events = get(bakalari_http, "/api/3/events").json()["Events"]
    course = next(e for e in events if e["Title"] == "Lyžařský výcvikový kurz")
    assert course["Times"][0]["StartTime"] == "2026-03-28T08:00:00+01:00"
    assert course["Times"][0]["EndTime"] == "2026-04-01T16:00:00+02:00"


def test_events_from_a_date_leave_out_earlier_ones(bakalari_http):
    events = get(bakalari_http, "/api/3/events", **{"from": "2026-03-01"}).json()["Events"]
    assert events
    assert all(e["Times"][-1]["EndTime"] >= "2026-03-01" for e in events)


def test_the_school_is_the_same_on_every_build():
    assert School.build() == School.build()
    assert School.build(seed=1) != School.build()


def test_the_school_is_a_realistic_czech_gymnasium():
    school = School.build()
    assert len(school.classes) == 30
    assert 560 <= len(school.pupils) <= 640
    assert len({p.id for p in school.pupils}) == len(school.pupils)
    assert any(re.search("[ěščřžýáíéůú]", p.last_name) for p in school.pupils)
    assert any(re.fullmatch(r"U +\d+", t.id) for t in school.teachers)


def test_dataset_changes_show_in_the_next_answers(bakalari_http, bakalari_sandbox):
    school = bakalari_sandbox.school
    pupil = school.pupils[0]
    school.rename_pupil(pupil.id, last_name="Hájková-Nová", first_name="Matěj")
    newcomer = school.add_pupil(pupil.class_id, "Nový", "Žofie", girl=True)
    gone = school.remove_pupil(school.pupils[1].id)
    school.rename_teacher("U  12", last_name="Veselá")
    atom = next(a for a in school.atoms if a.group_id == school.groups_of(pupil)[0].id)
    roster = get(bakalari_http, f"/api/3/marking/marks/{atom.id}").json()
    names = {s["Id"]: s["DisplayName"] for s in roster["Students"]}
    assert names[pupil.id] == "Hájková-Nová Matěj"
    assert names[newcomer.id] == "Nový Žofie"
    assert gone.id not in names
    teachers = get(bakalari_http, "/api/3/timetable/permanent").json()["Teachers"]
    assert "Mgr. Jana Veselá" in {t["Name"] for t in teachers}


def test_reversing_the_order_reverses_the_lists(bakalari_http, bakalari_sandbox):
    before = [c["Id"] for c in get(bakalari_http, "/api/3/timetable/permanent").json()["Classes"]]
    bakalari_sandbox.school.reverse_order()
    after = [c["Id"] for c in get(bakalari_http, "/api/3/timetable/permanent").json()["Classes"]]
    assert after == before[::-1]


def test_the_sandbox_date_follows_its_clock(bakalari_sandbox):
    assert bakalari_sandbox.today() == date(2026, 3, 25)


def test_in_summer_the_profile_lacks_semester_and_modules_and_events_are_empty(
    bakalari_http, bakalari_sandbox
):
    bakalari_sandbox.summer = True
    user = get(bakalari_http, "/api/3/user").json()
    assert "EnabledModules" not in user
    assert "ActualSemester" not in user["SettingModules"]["Common"]
    assert get(bakalari_http, "/api/3/events").json() == {"Events": []}
    assert get(bakalari_http, "/api/3/timetable/permanent").status_code == 200


@pytest.mark.django_db
def test_no_account_sees_the_whole_school_by_default(bakalari_clock):
    sandbox = BakalariSandbox(BAKALARI_PREFIX, clock=bakalari_clock)
    school = sandbox.school
    assert not any(account.sees_everything for account in school.accounts)
    teachers = [a for a in school.accounts if a.user_type == "teacher"]
    assert len(teachers) >= 3
    for account in teachers:
        assert {x.teacher_id for x in school.lessons_of(account)} == {account.person_id}
        assert {a.teacher_id for a in school.atoms_of(account)} == {account.person_id}
        assert len(school.class_ids_of(account)) < len(school.classes)


def test_the_public_timetable_lists_every_class_teacher_and_room(bakalari_http, bakalari_sandbox):
    page = bakalari_http.get("/Timetable/Public")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    listed = directory.parse(page.text)
    school = bakalari_sandbox.school
    assert listed["class"] == {c.id for c in school.classes}
    assert listed["teacher"] == {t.id for t in school.teachers}  # "U  12" verbatim
    assert listed["room"] == {r.id for r in school.rooms}
    bakalari_sandbox.public_timetable = False
    hidden = bakalari_http.get("/Timetable/Public")
    assert hidden.status_code == 302 and hidden.headers["location"].endswith("/login")
