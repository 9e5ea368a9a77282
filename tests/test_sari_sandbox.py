"""The SARI sandbox speaks like FOSOAuthServerBundle and SARI's course-registration API."""

from datetime import date, timedelta

import httpx
import pytest

from sync.sources.sari import dataset
from sync.sources.sari.dataset import SariData, next_dst_change
from sync.sources.sari.sandbox import SariSandbox

API = "/api/courseregistration"


def http_of(sandbox: SariSandbox) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://sari.test")


def grant(**overrides) -> dict[str, str]:
    params = {
        "client_id": dataset.DEMO_CLIENT_ID,
        "client_secret": dataset.DEMO_CLIENT_SECRET,
        "grant_type": "password",
        "username": dataset.DEMO_USERNAME,
        "password": dataset.DEMO_PASSWORD,
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def token_of(http, **overrides) -> str:
    return http.get("/oauth/v2/token", params=grant(**overrides)).json()["access_token"]


@pytest.fixture
def api(sari_http):
    """GET/PUT/DELETE on the course-registration API as the demo user; returns the response."""
    headers = {"Authorization": f"Bearer {token_of(sari_http)}"}

    def call(method, path, **kwargs):
        return sari_http.request(method, API + path, headers=headers, **kwargs)

    return call


def body(response) -> tuple:
    payload = response.json()
    return payload["status"], payload["result"]


# The token endpoint


def test_a_password_grant_by_get_answers_a_bearer_token(sari_http):
    response = sari_http.get("/oauth/v2/token", params=grant())
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    answer = response.json()
    assert sorted(answer) == ["access_token", "expires_in", "refresh_token", "scope", "token_type"]
    assert (answer["expires_in"], answer["token_type"], answer["scope"]) == (3600, "bearer", "user")


def test_post_takes_the_form_body_and_get_only_the_query_string(sari_http, sari_sandbox):
    assert sari_http.post("/oauth/v2/token", data=grant()).status_code == 200
    response = sari_http.request("GET", "/oauth/v2/token", data=grant())
    assert response.json()["error"] == "invalid_request"
    sari_sandbox.token_post = False
    assert sari_http.post("/oauth/v2/token", data=grant()).status_code == 405


@pytest.mark.parametrize(
    "overrides, error, description",
    [
        ({"grant_type": None}, "invalid_request",
         "Invalid grant_type parameter or parameter missing"),
        ({"client_id": None}, "invalid_client", "Client id was not found in the headers or body"),
        ({"client_secret": "5t Kx/9Qm=Zp2Vw8 Rb/Lc4e=="}, "invalid_client",
         "The client credentials are invalid"),
        ({"client_id": "1_unknown"}, "invalid_client", "The client credentials are invalid"),
        ({"password": "wrong"}, "invalid_grant", "Invalid username and password combination"),
        ({"username": "nobody"}, "invalid_grant", "Invalid username and password combination"),
        ({"password": None}, "invalid_request",
         'Missing parameters. "username" and "password" required'),
    ],
)  # fmt: skip
def test_token_errors_are_fosoauth_400_bodies(sari_http, overrides, error, description):
    response = sari_http.get("/oauth/v2/token", params=grant(**overrides))
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


def test_the_token_lifetime_is_configurable(sari_clock):
    with http_of(SariSandbox(clock=sari_clock, token_lifetime=360000)) as http:
        assert http.get("/oauth/v2/token", params=grant()).json()["expires_in"] == 360000


def test_a_refresh_token_gives_a_new_pair_once(sari_http, sari_sandbox):
    first = sari_http.get("/oauth/v2/token", params=grant()).json()
    refresh = grant(grant_type="refresh_token", refresh_token=first["refresh_token"])
    second = sari_http.get("/oauth/v2/token", params=refresh)
    assert second.status_code == 200
    assert second.json()["access_token"] != first["access_token"]
    again = sari_http.get("/oauth/v2/token", params=refresh).json()
    assert again == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


def test_an_old_refresh_token_has_expired(sari_http, sari_sandbox):
    first = sari_http.get("/oauth/v2/token", params=grant()).json()
    sari_sandbox.advance(timedelta(days=15))
    refresh = grant(grant_type="refresh_token", refresh_token=first["refresh_token"])
    answer = sari_http.get("/oauth/v2/token", params=refresh).json()
    assert answer["error_description"] == "Refresh token has expired"


def test_the_refresh_grant_can_be_switched_off(sari_http, sari_sandbox):
    sari_sandbox.refresh_grant = False
    first = sari_http.get("/oauth/v2/token", params=grant()).json()
    refresh = grant(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert sari_http.get("/oauth/v2/token", params=refresh).json()["error"] == "unauthorized_client"


# Tokens on API calls


def test_a_call_without_a_token_is_401(sari_http):
    response = sari_http.get(API + "/courses/VKU")
    assert response.status_code == 401
    assert response.json()["error"] == "access_denied"


def test_an_unknown_token_is_401_invalid_grant_with_a_challenge(sari_http):
    response = sari_http.get(API + "/courses/VKU", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The access token provided is invalid.",
    }
    assert response.headers["www-authenticate"] == (
        'Bearer realm="Service", error="invalid_grant", '
        'error_description="The access token provided is invalid."'
    )


def test_a_token_expires_with_time(sari_http, sari_sandbox):
    headers = {"Authorization": f"Bearer {token_of(sari_http)}"}
    assert sari_http.get(API + "/courses/VKU", headers=headers).status_code == 200
    sari_sandbox.advance(timedelta(seconds=3600))
    response = sari_http.get(API + "/courses/VKU", headers=headers)
    assert response.status_code == 401
    assert response.json()["error_description"] == "The access token provided has expired."


def test_a_token_expires_after_n_calls_when_asked(sari_http, sari_sandbox):
    sari_sandbox.token_calls = 2
    headers = {"Authorization": f"Bearer {token_of(sari_http)}"}
    statuses = [sari_http.get(API + "/courses/PGS", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 401]


# The six operations


def test_version_echoes_the_text(api):
    assert api("GET", "/version/Hello_World").json() == {"result": "Hello_World", "status": "OK"}


def test_courses_list_future_released_parts_of_the_callers_school(api):
    status, groups = body(api("GET", "/courses/VKU"))
    assert status == "OK"
    assert [g["name"] for g in groups] == [
        "Verkehrskunde Lachen",
        "Verkehrskunde Pfäffikon",
        "Verkehrskunde Rapperswil",
        "Verkehrskunde Lachen Herbst",
    ]  # not Wollerau (not released), not Romanshorn (another school)
    started = groups[0]
    assert started["date"] == "2026-03-04 00:00"
    assert [part["id"] for part in started["courses"]] == [2110003, 2110004]
    assert started["courses"][0] == {
        "id": 2110003,
        "name": "VKU Teil 3",
        "date": "2026-03-11 18:00",
        "address": {
            "name": "Verkehrsschulungsraum Lachen",
            "address": "Seestrasse 12",
            "zip": 8853,
            "city": "Lachen",
        },
        "freeplaces": 0,
    }


def test_times_are_wall_clock_text_without_an_offset_across_summer_time(api):
    rapperswil = body(api("GET", "/courses/VKU"))[1][2]
    assert [part["date"] for part in rapperswil["courses"]] == [
        "2026-03-23 18:00",
        "2026-03-25 18:00",
        "2026-03-30 18:00",
        "2026-04-01 18:00",
    ]


def test_switches_for_a_single_group_and_for_errors_as_http(api, sari_sandbox):
    sari_sandbox.single_group = True
    assert body(api("GET", "/courses/PGS"))[1]["name"] == "PGS Galgenen"
    sari_sandbox.errors_as_http = True
    sari_sandbox.error_result = []
    response = api("GET", "/courses/CZV")
    assert (response.status_code, body(response)) == (404, ("SECTION_NOT_FOUND", []))
    sari_sandbox.bare_errors = True
    response = api("GET", "/courses/CZV")
    assert (response.status_code, response.json()) == (
        404,
        {"code": 404, "message": "Section Not Found"},
    )


def test_business_errors_come_on_http_200_by_default(api):
    response = api("GET", "/courses/CZV")
    assert (response.status_code, response.json()) == (
        200,
        {"result": None, "status": "SECTION_NOT_FOUND"},
    )


def test_course_detail_pads_faber_ids_and_refuses_other_schools(api):
    status, members = body(api("GET", "/coursedetail/2110003"))
    assert members[0] == {
        "faberid": "007181751",
        "firstname": "Lea",
        "lastname": "Meier",
        "birthdate": "2008-04-17",
        "confirmed": "2026-02-18",
    }
    assert members[1]["confirmed"] is None
    assert body(api("GET", "/coursedetail/2120001"))[0] == "NO_PERMISSION"
    assert body(api("GET", "/coursedetail/1234567"))[0] == "COURSE_NOT_FOUND"
    assert body(api("GET", "/coursedetail/2110001"))[0] == "OK"  # a past part still answers


def test_customer_is_unpadded_with_zip_as_text_and_licences_as_stored(api):
    status, person = body(api("GET", "/customer/012345678/2007-11-02"))
    assert (person["faberid"], person["zip"]) == ("12345678", "8854")
    assert [lic["category"] for lic in person["licenses"]] == ["A1", "B", "A1"]
    assert body(api("GET", "/customer/12345678/2007-11-03"))[0] == "PERSON_NOT_FOUND"
    assert body(api("GET", "/customer/12345678/02.11.2007"))[0] == "INVALID_PARAMETER"
    assert body(api("GET", "/customer/ABC/2007-11-02"))[0] == "INVALID_PARAMETER"


def test_enrolment_takes_a_form_body_and_a_repeat_is_already_added(api, sari_sandbox):
    form = {"courseid": "2110004", "faberid": dataset.ELENA, "birthdate": "2008-09-09"}
    assert body(api("PUT", "/personcourse", data=form)) == ("OK", [])
    assert body(api("PUT", "/personcourse", data=form))[0] == "PERSON_ALREADY_ADDED"
    assert body(api("PUT", "/personcourse", params=form))[0] == "INVALID_PARAMETER"
    assert sari_sandbox.data.part(2110004).free_places(sari_sandbox.clock.now()) == 9


def test_removal_reads_the_form_body_and_the_query_only_when_lenient(api, sari_sandbox):
    form = {"courseid": "2110004", "faberid": "012345678"}
    assert body(api("DELETE", "/personcourse", params=form))[0] == "INVALID_PARAMETER"
    sari_sandbox.lenient_delete = True
    assert body(api("DELETE", "/personcourse", params=form)) == ("OK", [])
    assert body(api("DELETE", "/personcourse", data=form))[0] == "COURSEMEMBER_NOT_FOUND"


def test_a_confirmed_member_cannot_be_removed(api):
    form = {"courseid": "2110004", "faberid": dataset.LEA}
    assert body(api("DELETE", "/personcourse", data=form))[0] == "COURSEMEMBER_ALREADY_CONFIRMED"


def test_another_school_sees_only_its_own_courses(sari_http):
    token = token_of(
        sari_http,
        client_id=dataset.OTHER_CLIENT_ID,
        client_secret=dataset.OTHER_CLIENT_SECRET,
        username=dataset.OTHER_USERNAME,
        password=dataset.OTHER_PASSWORD,
    )
    headers = {"Authorization": f"Bearer {token}"}
    groups = sari_http.get(API + "/courses/VKU", headers=headers).json()["result"]
    assert [g["name"] for g in groups] == ["Verkehrskunde Romanshorn"]
    assert sari_http.get(API + "/courses/PGS", headers=headers).json()["result"] == []


def test_unknown_paths_are_symfony_404_pages(sari_http):
    response = sari_http.get("/api/courseregistration/nothing")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_injected_faults_reach_the_api(api, sari_sandbox):
    sari_sandbox.faults.inject("error", status=500)
    assert api("GET", "/courses/VKU").status_code == 500
    assert api("GET", "/courses/VKU").status_code == 200


# The data


def test_the_data_is_the_same_for_the_same_day():
    assert SariData.build(date(2026, 3, 10)) == SariData.build(date(2026, 3, 10))


@pytest.mark.parametrize("today", [date(2026, 1, 5), date(2026, 6, 1), date(2026, 10, 20)])
def test_every_day_has_future_courses_that_cross_a_summer_time_change(today):
    data = SariData.build(today)
    change = next_dst_change(today + timedelta(days=10))
    rapperswil = next(g for g in data.groups("VKU") if g.name == "Verkehrskunde Rapperswil")
    offsets = {part.starts_at.utcoffset() for part in rapperswil.parts}
    assert len(offsets) == 2
    assert all(p.starts_at.date() > today for p in rapperswil.parts)
    assert rapperswil.parts[1].starts_at.date() < change < rapperswil.parts[2].starts_at.date()


def test_part_ids_are_seven_digits_and_unique():
    data = SariData.build(date(2026, 3, 10))
    ids = [p.id for s in data.schools.values() for g in s.groups for p in g.parts]
    assert len(ids) == len(set(ids)) == 30
    assert all(1_000_000 <= i <= 9_999_999 for i in ids)


def test_a_sandbox_on_real_time_lists_its_courses_whenever_it_runs():
    with http_of(SariSandbox()) as http:
        headers = {"Authorization": f"Bearer {token_of(http)}"}
        groups = http.get(API + "/courses/PGS", headers=headers).json()["result"]
    assert [len(group["courses"]) for group in groups] == [3, 3]
