"""The SARI client against the sandbox: every quirk of the real API comes out normalised."""

from datetime import UTC, date, datetime, timedelta

import pytest

from sync.sources.sari import dataset
from sync.sources.sari.client import (
    AlreadyConfirmed,
    CourseGroup,
    Venue,
    read_groups,
    read_person,
    token_lifetime,
)
from sync.sources.sari.formats import ZURICH
from sync.upstream.errors import BadCredentials, PermissionDenied, TokenRejected, UpstreamError

STARTED_GROUP = (2110003, 2110004)  # Verkehrskunde Lachen: parts 1 and 2 are past


def names(groups: list[CourseGroup]) -> list[str]:
    return [group.name for group in groups]


def test_courses_are_groups_of_future_parts_ordered_by_start(sari_client):
    groups = sari_client.courses("VKU")
    assert names(groups) == [
        "Verkehrskunde Lachen",
        "Verkehrskunde Rapperswil",
        "Verkehrskunde Pfäffikon",
        "Verkehrskunde Lachen Herbst",
    ]
    assert tuple(part.id for part in groups[0].parts) == STARTED_GROUP
    assert [part.name for part in groups[0].parts] == ["VKU Teil 3", "VKU Teil 4"]
    assert all(group.course_type == "VKU" for group in groups)
    assert [len(group.parts) for group in sari_client.courses("PGS")] == [3, 3]


def test_part_ids_are_integers(sari_client):
    part = sari_client.courses("PGS")[0].parts[0]
    assert part.id == 2110005
    assert isinstance(part.id, int)
    assert sari_client.courses("PGS")[0].part_ids == {2110005, 2110006, 2110007}


def test_a_single_group_object_is_read_as_a_list_of_one(sari_client, sari_sandbox):
    sari_sandbox.single_group = True
    groups = sari_client.courses("VKU")
    assert names(groups) == ["Verkehrskunde Lachen"]
    assert groups[0].part_ids == set(STARTED_GROUP)


def test_no_groups_is_an_empty_list_whether_list_or_null(sari_client_for, sari_sandbox):
    other_school = sari_client_for(
        client_id=dataset.OTHER_CLIENT_ID,
        client_secret=dataset.OTHER_CLIENT_SECRET,
        username=dataset.OTHER_USERNAME,
        password=dataset.OTHER_PASSWORD,
    )
    assert other_school.courses("PGS") == []
    sari_sandbox.single_group = True
    assert other_school.courses("PGS") == []


@pytest.mark.parametrize("result", [None, "", [], {}, [{"name": "Leer", "courses": []}]])
def test_empty_answers_and_groups_without_parts_are_no_groups(result):
    assert read_groups(result, "VKU", "the VKU course list") == []


def test_reordered_parts_and_groups_read_the_same(sari_client, sari_sandbox):
    before = sari_client.courses("VKU")
    sari_sandbox.data.reverse_order()
    assert sari_client.courses("VKU") == before


def test_past_parts_drop_out_of_their_group_and_then_the_group(sari_client, sari_sandbox):
    sari_sandbox.advance(timedelta(days=2))  # part 3 (tomorrow 18:00) is past
    assert sari_client.courses("VKU")[0].part_ids == {2110004}
    sari_sandbox.advance(timedelta(days=2))  # part 4 too
    assert "Verkehrskunde Lachen" not in names(sari_client.courses("VKU"))


def test_zurich_wall_clock_times_cross_summer_time_correctly(sari_client):
    rapperswil = sari_client.courses("VKU")[1]
    assert rapperswil.name == "Verkehrskunde Rapperswil"
    local = [part.starts_at for part in rapperswil.parts]
    assert {(t.hour, t.minute) for t in local} == {(18, 0)}
    assert all(t.tzinfo is ZURICH for t in local)
    assert [t.astimezone(UTC).hour for t in local] == [17, 17, 16, 16]
    assert local[2] == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)


def test_the_group_keeps_its_own_date(sari_client):
    group = sari_client.courses("VKU")[0]
    assert group.date == datetime(2026, 3, 4, 0, 0, tzinfo=ZURICH)
    assert group.starts_at == datetime(2026, 3, 11, 18, 0, tzinfo=ZURICH)


def test_venue_zip_codes_are_text_though_sent_as_numbers(sari_client):
    part = sari_client.courses("PGS")[0].parts[0]
    galgenen = dataset.GALGENEN
    assert part.venue == Venue(galgenen.name, galgenen.address, "8854", galgenen.city)


def test_free_places_drop_to_zero_at_the_deadline_not_only_when_full(sari_client):
    part_3, part_4 = sari_client.courses("VKU")[0].parts
    assert (part_3.free_places, part_4.free_places) == (0, 10)  # 2 of 12 taken
    full_group = sari_client.courses("PGS")[1]
    assert {part.free_places for part in full_group.parts} == {0}


def test_faber_ids_are_padded_in_course_detail_and_compare_equal_with_customer(sari_client):
    lea, noah = sari_client.course_detail(2110003)
    assert (lea.faber_id_raw, lea.faber_id) == ("007181751", "7181751")
    person = sari_client.customer(lea.faber_id_raw, lea.birthdate)
    assert person.faber_id_raw == "7181751"
    assert person.faber_id == lea.faber_id
    assert (noah.faber_id_raw, noah.faber_id) == ("012345678", "12345678")


def test_members_carry_names_birth_dates_and_confirmation(sari_client):
    lea, noah = sari_client.course_detail(2110003)
    assert (lea.first_name, lea.last_name, lea.birthdate) == ("Lea", "Meier", date(2008, 4, 17))
    assert (lea.confirmed, lea.confirmed_on) == (True, date(2026, 2, 18))
    assert (noah.confirmed, noah.confirmed_on) == (False, None)


@pytest.mark.parametrize("unconfirmed", [None, "", False])
def test_unconfirmed_members_read_alike_however_sari_writes_it(
    sari_client, sari_sandbox, unconfirmed
):
    sari_sandbox.unconfirmed = unconfirmed
    assert sari_client.course_detail(2110003)[1].confirmed_on is None


def test_a_part_without_members_has_an_empty_list(sari_client):
    assert sari_client.course_detail(2110012) == []


def test_customer_zip_is_text_and_duplicate_licences_keep_the_latest(sari_client):
    noah = sari_client.customer("12345678", date(2007, 11, 2))
    assert (noah.zip, noah.city, noah.address) == ("8854", "Siebnen", "Bahnhofstrasse 21")
    assert [lic.category for lic in noah.licences] == ["A1", "B"]
    assert noah.licence("A1").expires_on == date(2027, 7, 23)  # not the expired 2025 permit
    elena = sari_client.customer("8765432", "2008-09-09")
    assert elena.licence("B").expires_on == date(2027, 2, 3)
    assert elena.licence("A") is None


def test_a_licence_without_expiry_counts_as_the_latest():
    person = read_person(
        {
            "faberid": "1",
            "licenses": [
                {"category": "B", "expirationdate": "2030-01-01"},
                {"category": "B", "expirationdate": None},
            ],
        },
        "the person lookup",
    )
    assert person.licence("B").expires_on is None


def test_the_version_check_echoes_the_text(sari_client):
    assert sari_client.version("Test_20260310 a/b?c") == "Test_20260310 a/b?c"


def test_business_errors_on_http_200_keep_their_code(sari_client):
    with pytest.raises(UpstreamError) as caught:
        sari_client.customer("7181751", "1999-01-01")
    assert caught.value.code == "PERSON_NOT_FOUND"
    assert "HTTP 200" in caught.value.detail


def test_business_errors_as_http_4xx_with_the_envelope(sari_client, sari_sandbox):
    sari_sandbox.errors_as_http = True
    with pytest.raises(UpstreamError) as caught:
        sari_client.customer("7181751", "1999-01-01")
    assert caught.value.code == "PERSON_NOT_FOUND"
    assert "HTTP 404" in caught.value.detail
    with pytest.raises(PermissionDenied):
        sari_client.course_detail(2120001)


def test_business_errors_as_http_4xx_without_the_envelope(sari_client, sari_sandbox):
    sari_sandbox.errors_as_http = sari_sandbox.bare_errors = True
    with pytest.raises(UpstreamError) as caught:
        sari_client.customer("7181751", "1999-01-01")
    assert caught.value.code == "404"
    with pytest.raises(PermissionDenied):
        sari_client.course_detail(2120001)
    with pytest.raises(UpstreamError) as caught:
        sari_client.enrol(2110004, dataset.LUCA, "2005-01-15")
    assert caught.value.code == "400"


def test_enrolling_twice_is_success(sari_client, sari_sandbox):
    assert sari_client.enrol(2110004, dataset.ELENA, date(2008, 9, 9)) is True
    assert sari_client.enrol(2110004, dataset.ELENA, date(2008, 9, 9)) is False
    assert dataset.ELENA in sari_sandbox.data.part(2110004).members


@pytest.mark.parametrize("errors_as_http", [False, True])
def test_removing_someone_not_enrolled_is_success(sari_client, sari_sandbox, errors_as_http):
    sari_sandbox.errors_as_http = errors_as_http
    assert sari_client.unenrol(2110004, "012345678") is True  # Noah, unconfirmed
    assert sari_client.unenrol(2110004, "012345678") is False  # COURSEMEMBER_NOT_FOUND
    assert sari_client.unenrol(2110004, "999999999") is False  # PERSON_NOT_FOUND
    sari_sandbox.inject_status("PERSON_NOT_REGISTERED")
    assert sari_client.unenrol(2110004, dataset.ELENA) is False


def test_removing_a_confirmed_member_is_a_distinct_error_not_retried(sari_client, sari_sandbox):
    sari_client.login()
    with pytest.raises(AlreadyConfirmed) as caught:
        sari_client.unenrol(2110004, "007181751")
    assert caught.value.code == "COURSEMEMBER_ALREADY_CONFIRMED"
    assert not caught.value.retryable
    assert sari_client.requests_made == 2  # the login and one DELETE


def test_removal_sends_its_parameters_in_the_form_body(sari_client, sari_sandbox):
    assert sari_sandbox.lenient_delete is False  # the query string would be ignored
    assert sari_client.unenrol(2110004, dataset.NOAH) is True
    assert dataset.NOAH not in sari_sandbox.data.part(2110004).members


def test_one_login_serves_many_calls(sari_client, sari_sandbox):
    sari_client.courses("VKU")
    sari_client.courses("PGS")
    sari_client.course_detail(2110004)
    assert sari_sandbox.token_requests() == 1
    assert sari_client.requests_made == 4


def test_the_token_is_renewed_shortly_before_it_expires(sari_client, sari_sandbox):
    sari_client.courses("VKU")
    sari_sandbox.advance(timedelta(seconds=3600 - 90))
    sari_client.courses("VKU")
    assert sari_sandbox.token_requests() == 1
    sari_sandbox.advance(timedelta(seconds=60))  # inside the one-minute margin
    sari_client.courses("VKU")
    assert sari_sandbox.token_requests() == 2


def test_a_token_expiring_mid_run_means_one_new_login(sari_client, sari_sandbox):
    sari_sandbox.token_calls = 2
    for _ in range(3):
        assert len(sari_client.courses("PGS")) == 2
    assert sari_sandbox.token_requests() == 2
    assert sari_client.requests_made == 2 + 3 + 1  # two logins, three calls, one refused


def test_a_short_token_lifetime_still_serves_calls(sari_client_for, sari_sandbox):
    sari_sandbox.token_lifetime = 60
    client = sari_client_for()
    client.courses("VKU")
    client.courses("PGS")
    assert sari_sandbox.token_requests() == 1


def test_a_token_refused_after_a_new_login_is_not_retried_again(sari_client, sari_sandbox):
    sari_sandbox.token_calls = 0
    with pytest.raises(TokenRejected):
        sari_client.courses("VKU")
    assert sari_sandbox.token_requests() == 2
    assert sari_client.requests_made == 4


def test_rejected_credentials_are_neither_retried_nor_tried_again(sari_client_for, sari_sandbox):
    client = sari_client_for(password="wrong")
    for _ in range(2):
        with pytest.raises(BadCredentials):
            client.courses("VKU")
    assert sari_sandbox.token_requests() == 1


def test_the_login_is_a_get_with_its_parameters_in_the_query_string(sari_client, sari_sandbox):
    sari_client.login()
    # the sandbox reads a GET's parameters from the query string only, as oauth2-php does
    assert sari_sandbox.requests == [("GET", "/oauth/v2/token")]


def test_the_client_shows_no_secret_in_its_repr(sari_client):
    sari_client.login()
    shown = repr(sari_client) + repr(sari_client._credentials) + repr(sari_client._token)
    for secret in (dataset.DEMO_CLIENT_SECRET, dataset.DEMO_PASSWORD, dataset.DEMO_USERNAME):
        assert secret not in shown
    assert sari_client._token.value not in shown


@pytest.mark.parametrize(
    "value, seconds", [(3600, 3600), ("360000", 360000), (None, 3600), (0, 3600)]
)
def test_an_odd_token_lifetime_falls_back_to_the_documented_hour(value, seconds):
    assert token_lifetime(value) == seconds
