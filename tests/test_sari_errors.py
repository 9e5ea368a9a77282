"""Every SARI error kind, with the exact sentence the driving school's admin will read."""

import pytest

from sync.sources.sari import dataset
from sync.sources.sari.client import AlreadyConfirmed, read_groups
from sync.sources.sari.source import SariSource
from sync.upstream.errors import (
    BadCredentials,
    ConfigError,
    PermissionDenied,
    ProtocolError,
    TokenRejected,
    TransientError,
    UpstreamError,
)

pytestmark = pytest.mark.django_db

ENROL = "SARI refused the enrolment in course part {}: "


def refusal(client, call, *args):
    with pytest.raises(UpstreamError) as caught:
        getattr(client, call)(*args)
    return caught.value


@pytest.mark.parametrize(
    "secret, label",
    [
        ("client_id", "client ID"),
        ("client_secret", "client secret"),
        ("username", "API username"),
        ("password", "API password"),
    ],
)
def test_a_missing_secret_is_a_config_error_naming_it(sari_connection, secret, label):
    del sari_connection.secrets[secret]
    with pytest.raises(ConfigError) as caught:
        SariSource().client(sari_connection)
    assert caught.value.message == (
        f"The SARI {label} is not set. Enter it in the connection's settings."
    )


def test_a_missing_address_is_a_config_error(sari_connection):
    sari_connection.base_url = ""
    with pytest.raises(ConfigError) as caught:
        SariSource().client(sari_connection)
    assert caught.value.message == (
        "The SARI server address is not set. Choose an environment in the connection's "
        "settings, or enter the custom URL."
    )


def test_bad_client_credentials(sari_client_for):
    with pytest.raises(BadCredentials) as caught:
        sari_client_for(client_secret=dataset.OTHER_CLIENT_SECRET).login()
    assert caught.value.message == "SARI rejected the client ID or client secret."
    assert caught.value.detail == "GET /oauth/v2/token: HTTP 400, invalid_client"


def test_bad_username_or_password(sari_client_for):
    with pytest.raises(BadCredentials) as caught:
        sari_client_for(username=dataset.OTHER_USERNAME).login()
    assert caught.value.message == "SARI rejected the API username or password."
    assert caught.value.detail == "GET /oauth/v2/token: HTTP 400, invalid_grant"


def test_a_client_not_allowed_the_password_grant(sari_client, sari_sandbox):
    sari_sandbox.password_grant = False
    with pytest.raises(BadCredentials) as caught:
        sari_client.login()
    assert caught.value.message == (
        "SARI does not let this client ID log in with a username and password. "
        "Ask KYBERNA to allow the password grant for it."
    )


def test_a_login_refused_with_http_400_and_no_oauth_code(sari_client, sari_sandbox):
    sari_sandbox.faults.inject("error", status=400)  # a 400 whose body is not FOSOAuth's
    for _ in range(2):
        with pytest.raises(BadCredentials) as caught:
            sari_client.courses("VKU")
    assert caught.value.message == (
        "SARI rejected the login (HTTP 400). Check the client ID, client secret, "
        "API username and password."
    )
    assert caught.value.detail == "GET /oauth/v2/token: HTTP 400"
    assert sari_sandbox.token_requests() == 1  # neither retried nor tried again


def test_an_access_token_refused_after_a_new_login(sari_client, sari_sandbox):
    sari_sandbox.token_calls = 0
    with pytest.raises(TokenRejected) as caught:
        sari_client.courses("VKU")
    assert caught.value.message == (
        "SARI refused a freshly issued access token. Ask KYBERNA whether the API user is locked."
    )
    assert caught.value.step == "login"


def test_another_schools_part_is_no_permission(sari_client):
    with pytest.raises(PermissionDenied) as caught:
        sari_client.course_detail(2120001)
    assert caught.value.message == (
        "SARI refused the member list of course part 2120001: the course part belongs to another "
        "driving school, or the API user lacks the right to use the interface (NO_PERMISSION)."
    )


def test_a_user_without_a_driving_school(sari_client_for):
    client = sari_client_for(username=dataset.ORPHAN_USERNAME, password=dataset.ORPHAN_PASSWORD)
    with pytest.raises(PermissionDenied) as caught:
        client.courses("VKU")
    assert caught.value.message == (
        "SARI refused the VKU course list: the API user is linked to no driving school; "
        "ask KYBERNA to assign it to yours (DRIVINGSCHOOL_NOT_FOUND)."
    )
    assert caught.value.step == "permission"


def test_http_403_without_the_envelope_is_no_permission(sari_client, sari_sandbox):
    sari_sandbox.errors_as_http = sari_sandbox.bare_errors = True
    with pytest.raises(PermissionDenied) as caught:
        sari_client.course_detail(2120001)
    assert caught.value.message == (
        "SARI does not let this API user read the member list of course part 2120001 (HTTP 403)."
    )


def test_http_404_without_the_envelope(sari_client, sari_sandbox):
    sari_sandbox.errors_as_http = sari_sandbox.bare_errors = True
    error = refusal(sari_client, "course_detail", 9999999)
    assert error.message == "SARI could not find the member list of course part 9999999 (HTTP 404)."
    assert error.code == "404"


def test_other_http_statuses_without_the_envelope(sari_client, sari_sandbox):
    sari_sandbox.errors_as_http = sari_sandbox.bare_errors = True
    error = refusal(sari_client, "enrol", 2110004, dataset.LUCA, "2005-01-15")
    assert error.message == "SARI answered the enrolment in course part 2110004 with HTTP 400."


def test_a_business_error_sent_with_http_500_is_that_error_not_an_outage(sari_client, sari_sandbox):
    sari_sandbox.errors_as_http, sari_sandbox.error_status = True, 500
    assert sari_client.unenrol(2110004, dataset.LUCA) is False  # not enrolled: nothing to undo
    error = refusal(sari_client, "course_detail", 9999999)
    assert error.code == "COURSE_NOT_FOUND" and "HTTP 500" in error.detail
    assert sari_client.requests_made == 3  # the login, then each call once: none retried


def test_an_http_500_without_a_business_code_is_still_retried(sari_client, sari_sandbox):
    sari_sandbox.errors_as_http = sari_sandbox.bare_errors = True
    sari_sandbox.error_status = 500
    with pytest.raises(TransientError) as caught:
        sari_client.course_detail(9999999)
    assert caught.value.message == "SARI had an internal error (HTTP 500)."


def test_an_unknown_course_type(sari_client):
    error = refusal(sari_client, "courses", "CZV")
    assert error.message == (
        "SARI refused the CZV course list: this course type does not exist for the driving "
        "school (SECTION_NOT_FOUND)."
    )
    assert (error.code, error.step) == ("SECTION_NOT_FOUND", "permission")


def test_an_unknown_person(sari_client):
    error = refusal(sari_client, "customer", "7181751", "1999-12-31")
    assert error.message == (
        "SARI refused the person lookup: it knows no person with this FABER-ID and birth date "
        "(PERSON_NOT_FOUND)."
    )


def test_an_invalid_parameter(sari_client):
    error = refusal(sari_client, "customer", "7181751", "31.12.1999")
    assert error.message == (
        "SARI refused the person lookup: a value sent is not valid (INVALID_PARAMETER)."
    )


def test_an_unknown_part(sari_client):
    error = refusal(sari_client, "course_detail", 9999999)
    assert error.message == (
        "SARI refused the member list of course part 9999999: the course part does not exist "
        "(COURSE_NOT_FOUND)."
    )


@pytest.mark.parametrize(
    "part_id, faber_id, birthdate, code, reason",
    [
        (2110004, dataset.LUCA, "2005-01-15", "LICENSE_EXPIRED",
         "the learner's licence has expired"),
        (2110003, dataset.ELENA, "2008-09-09", "COURSE_PERSON_DEADLINE_VIOLATED",
         "the registration deadline of the course part has passed"),
        (2110004, dataset.ELENA, "2008-09-10", "MISMATCH_BIRTHDATE_FABERID",
         "the birth date does not match the FABER-ID"),
        (2110006, dataset.JONAS, "2004-02-29", "COURSE_NOT_SAME_DATE",
         "the person is already booked in another course on the same day"),
        (2110016, dataset.MIA, "2006-06-30", "COURSE_FULL", "the course part is full"),
        (2110019, dataset.ELENA, "2008-09-09", "COURSE_NOT_ALLOWED_OR_ENABLED",
         "the course part is not released or not open for changes"),
        (2110004, "999999999", "2008-09-09", "PERSON_NOT_FOUND",
         "it knows no person with this FABER-ID and birth date"),
    ],
)  # fmt: skip
def test_refused_enrolments(sari_client, part_id, faber_id, birthdate, code, reason):
    error = refusal(sari_client, "enrol", part_id, faber_id, birthdate)
    assert error.message == ENROL.format(part_id) + f"{reason} ({code})."
    assert error.code == code
    assert not error.retryable


def test_removing_a_confirmed_member(sari_client):
    with pytest.raises(AlreadyConfirmed) as caught:
        sari_client.unenrol(2110004, dataset.LEA)
    assert caught.value.message == (
        "SARI refused the removal from course part 2110004: the person's attendance is already "
        "confirmed; only the SARI portal can remove them now (COURSEMEMBER_ALREADY_CONFIRMED)."
    )


def test_a_status_the_sync_does_not_know(sari_client, sari_sandbox):
    sari_sandbox.inject_status("COURSE_CLOSED")
    error = refusal(sari_client, "courses", "PGS")
    assert error.message == (
        "SARI refused the PGS course list: for a reason the sync does not know (COURSE_CLOSED)."
    )
    assert error.detail == "GET /api/courseregistration/courses/PGS: HTTP 200, status COURSE_CLOSED"


def test_an_answer_without_the_envelope(sari_client, sari_sandbox):
    sari_client.login()
    sari_sandbox.faults.inject("error", status=200)
    with pytest.raises(ProtocolError) as caught:
        sari_client.courses("VKU")
    assert caught.value.message == (
        "SARI sent the VKU course list without its usual envelope (an object with result and "
        "status)."
    )


def test_a_value_that_cannot_be_read():
    groups = [{"name": "Verkehrskunde", "courses": [{"id": 61, "date": "23.05.2026 10:00"}]}]
    with pytest.raises(ProtocolError) as caught:
        read_groups(groups, "VKU", "the VKU course list")
    assert caught.value.message == "SARI sent the VKU course list with a value that cannot be read."


def test_a_shape_that_cannot_be_read():
    with pytest.raises(ProtocolError) as caught:
        read_groups("Kurse", "VKU", "the VKU course list")
    assert caught.value.message == (
        "SARI sent the VKU course list in an unexpected form (expected a list of course groups)."
    )


def test_a_version_check_that_does_not_echo(sari_client, sari_sandbox):
    sari_sandbox.version_answer = "1.3"
    with pytest.raises(ProtocolError) as caught:
        sari_client.version("EduRPG")
    assert caught.value.message == (
        "SARI answered the version check with another text than it was sent, so this is not the "
        "interface the sync expects."
    )
    assert caught.value.step == "version"


def test_a_login_answered_with_an_unexpected_status(sari_client, sari_sandbox):
    sari_sandbox.faults.inject("error", status=403)
    with pytest.raises(UpstreamError) as caught:
        sari_client.login()
    assert (
        caught.value.message == "SARI answered the login with HTTP 403 instead of an access token."
    )
    assert caught.value.step == "http"


def test_a_throttled_call_beyond_the_attempts(sari_client, sari_sandbox):
    sari_client.login()
    sari_sandbox.faults.inject("throttle", count=3, retry_after=0)
    with pytest.raises(TransientError) as caught:
        sari_client.courses("VKU")
    assert caught.value.message == "SARI asked us to slow down (HTTP 429)."
