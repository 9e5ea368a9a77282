"""A client of SARI's VKU/PGS course-registration API, logged in as one driving school's API user.

It logs in with the OAuth2 password grant (SARI wants the five parameters in the token request's
query string), keeps the access token until shortly before it expires, and logs in again once
when an API call answers 401. Answers are unwrapped from SARI's `{result, status}` envelope and
normalised into the frozen dataclasses below, whatever variant the server sends: a list of
groups, one group or nothing; parts in any order; Zurich wall-clock times without an offset;
FABER-IDs padded or not; zip codes as numbers or text; licence categories listed twice.
Any status but OK becomes an error kind from `sync.upstream.errors` with a sentence the driving
school's admin understands; SARI's code is kept in `UpstreamError.code` (and in the detail).

Secrets stay out of logs, errors and storage by construction, not by scrubbing (URL encoding
changes secrets holding "+", "/" or "=", so a search-and-replace would miss them): the token
request hands them to httpx as `params`, requests are described by method and path only, no
error text is built from a URL or from the token endpoint's free text, and the credentials and
the token are left out of every repr. The token lives in memory only.
"""

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import quote

from sync.upstream import errors
from sync.upstream.diagnosis import Diagnosis, run_checks
from sync.upstream.errors import (
    BadCredentials,
    PermissionDenied,
    ProtocolError,
    SyncError,
    TransientError,
    UpstreamError,
)
from sync.upstream.http import Response
from sync.upstream.session import AccessToken, TokenSession, renew_at

from .formats import FormatError, canonical_faber_id, parse_date, parse_time

log = logging.getLogger(__name__)

SERVER_NAME = "SARI"
LOGIN_PATH = "/oauth/v2/token"
API = "/api/courseregistration"
COURSE_TYPES = ("VKU", "PGS")
NO_SUCH_SECTION = "SECTION_NOT_FOUND"  # the driving school does not offer this course type
DOCUMENTED_LIFETIME = 3600  # seconds, if a token answer lacks expires_in
PROBE_TEXT = "EduRPG-connection-test"
NOT_SARI = "The address does not point to a SARI server ({})."
OAUTH_CODE = re.compile(r"[a-z_]{1,40}\Z")
BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*\Z")  # RFC 6750's b64token
ALREADY_ENROLLED = {"PERSON_ALREADY_ADDED"}
NOT_ENROLLED = {"COURSEMEMBER_NOT_FOUND", "PERSON_NOT_FOUND", "PERSON_NOT_REGISTERED"}
shape_error = partial(errors.shape_error, SERVER_NAME)

# SARI's status codes: the reason the admin reads after "SARI refused <what>: ".
REASONS = {
    "PERSON_NOT_FOUND": "it knows no person with this FABER-ID and birth date",
    "INVALID_PARAMETER": "a value sent is not valid",
    "COURSE_NOT_FOUND": "the course part does not exist",
    "SECTION_NOT_FOUND": "this course type does not exist for the driving school",
    "NO_PERMISSION": "the course part belongs to another driving school, "
    "or the API user lacks the right to use the interface",
    "DRIVINGSCHOOL_NOT_FOUND": "the API user is linked to no driving school; "
    "ask KYBERNA to assign it to yours",
    "LICENSE_EXPIRED": "the learner's licence has expired",
    "COURSE_PERSON_DEADLINE_VIOLATED": "the registration deadline of the course part has passed",
    "MISMATCH_BIRTHDATE_FABERID": "the birth date does not match the FABER-ID",
    "COURSE_NOT_SAME_DATE": "the person is already booked in another course on the same day",
    "COURSE_FULL": "the course part is full",
    "COURSE_NOT_ALLOWED_OR_ENABLED": "the course part is not released or not open for changes",
    "COURSEMEMBER_ALREADY_CONFIRMED": "the person's attendance is already confirmed; "
    "only the SARI portal can remove them now",
    "PERSON_ALREADY_ADDED": "the person is already enrolled in the course part",
    "COURSEMEMBER_NOT_FOUND": "the person is not enrolled in the course part",
    "PERSON_NOT_REGISTERED": "the person is not enrolled in the course part",
}
PERMISSION_CODES = {"NO_PERMISSION", "DRIVINGSCHOOL_NOT_FOUND"}


class AlreadyConfirmed(UpstreamError):
    """COURSEMEMBER_ALREADY_CONFIRMED: permanent; someone must act in the SARI portal."""


# What the client returns


@dataclass(frozen=True)
class Venue:
    name: str
    address: str  # street and number in one string
    zip: str  # SARI sends an integer here and a string for persons; always text here
    city: str


@dataclass(frozen=True)
class CoursePart:
    """One SARI course: a part of a group. Its id is the only stable key SARI offers."""

    id: int
    name: str
    starts_at: datetime  # aware, Europe/Zurich; SARI sends no end time
    venue: Venue
    free_places: int | None  # 0 after the registration deadline too: not a capacity signal


@dataclass(frozen=True)
class CourseGroup:
    """A group of parts ("Verkehrskunde Lachen"). It has no id, and past parts drop out of it."""

    course_type: str
    name: str
    date: datetime | None  # the group's own date as SARI sends it
    parts: tuple[CoursePart, ...]  # by start time, then id, whatever order SARI sent

    @property
    def part_ids(self) -> frozenset[int]:
        return frozenset(part.id for part in self.parts)

    @property
    def starts_at(self) -> datetime:
        """The start of its first listed (future) part."""
        return self.parts[0].starts_at


@dataclass(frozen=True)
class Member:
    """A person enrolled in one part."""

    faber_id: str  # canonical: leading zeros stripped, for comparisons
    faber_id_raw: str  # as SARI sent it (zero-padded in coursedetail)
    first_name: str
    last_name: str
    birthdate: date | None
    confirmed_on: date | None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_on is not None


@dataclass(frozen=True)
class Licence:
    category: str  # "B", "A1", "A35kW", ...
    expires_on: date | None


@dataclass(frozen=True)
class Person:
    faber_id: str  # canonical
    faber_id_raw: str  # as SARI sent it (unpadded in customer)
    birthdate: date | None
    first_name: str
    last_name: str
    address: str
    zip: str
    city: str
    licences: tuple[Licence, ...]  # one per category, the latest expiry; by category

    def licence(self, category: str) -> Licence | None:
        return next((lic for lic in self.licences if lic.category == category), None)


@dataclass(frozen=True)
class Credentials:
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    username: str = field(repr=False)
    password: str = field(repr=False)

    def password_grant(self) -> dict[str, str]:
        """The token request's query parameters."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "password",
            "username": self.username,
            "password": self.password,
        }


class SariClient(TokenSession):
    """One driving school's API user. Thread-safe; several threads may share one client."""

    renewal, renewal_note = "a new login", "logging in again"
    locked_hint = "Ask KYBERNA whether the API user is locked."

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        **options,
    ) -> None:
        """`options` go to `TokenSession`: clock, transport, limits, retry, allow_insecure."""
        super().__init__(base_url, server_name=SERVER_NAME, **options)
        self._credentials = Credentials(client_id, client_secret, username, password)
        self._token: AccessToken | None = None

    def __repr__(self) -> str:
        return f"<SariClient {self.base_url}>"

    # The operations

    def version(self, text: str) -> str:
        """The version check: SARI echoes `text`; anything else means it is not SARI's API."""
        try:
            echo = self._call("GET", f"{API}/version/{segment(text)}", "the version check")
        except UpstreamError as error:
            if error.code == "404":
                raise ProtocolError(
                    NOT_SARI.format("it has no version check"), detail=error.detail
                ) from None
            raise
        if echo != text:
            raise ProtocolError(
                "SARI answered the version check with another text than it was sent, "
                "so this is not the interface the sync expects.",
                detail=f"sent {text!r}, got {echo!r}"[:200],
                step="version",
            )
        return echo

    def courses(self, course_type: str) -> list[CourseGroup]:
        """The future, released course groups of the API user's driving school, by start."""
        what = f"the {course_type} course list"
        result = self._call("GET", f"{API}/courses/{segment(course_type)}", what)
        return read_groups(result, course_type, what)

    def course_detail(self, part_id: int) -> list[Member]:
        """The persons enrolled in one part, in SARI's order."""
        what = f"the member list of course part {part_id}"
        return read_members(self._call("GET", f"{API}/coursedetail/{int(part_id)}", what), what)

    def customer(self, faber_id: str, birthdate: date | str) -> Person:
        """The person with this FABER-ID and birth date (PERSON_NOT_FOUND otherwise)."""
        path = f"{API}/customer/{segment(str(faber_id).strip())}/{segment(day_text(birthdate))}"
        return read_person(self._call("GET", path, "the person lookup"), "the person lookup")

    def enrol(self, part_id: int, faber_id: str, birthdate: date | str) -> bool:
        """Enrol a person in one part; False if they were enrolled already.

        The FABER-ID goes out as given: SARI matches it with or without leading zeros.
        """
        form = {"courseid": str(int(part_id)), "faberid": str(faber_id)}
        form["birthdate"] = day_text(birthdate)
        what = f"the enrolment in course part {part_id}"
        return self._change("PUT", form, what, ALREADY_ENROLLED)

    def unenrol(self, part_id: int, faber_id: str) -> bool:
        """Remove a person from one part; False if they were not enrolled.

        AlreadyConfirmed if SARI has confirmed their attendance: only the portal can undo that.
        """
        form = {"courseid": str(int(part_id)), "faberid": str(faber_id)}
        what = f"the removal from course part {part_id}"
        return self._change("DELETE", form, what, NOT_ENROLLED)

    def _change(self, method: str, form: dict[str, str], what: str, done: set[str]) -> bool:
        """PUT or DELETE a person-course link (form body); False if SARI says it is so already."""
        try:
            self._call(method, f"{API}/personcourse", what, data=form)
        except UpstreamError as error:
            if error.code in done:
                return False
            raise
        return True

    # Requests with a token

    def _call(self, method: str, path: str, what: str, **kwargs) -> Any:
        return unwrap(self._authorized(method, path, **kwargs), what)

    def transient_answer(self, response: Response) -> TransientError | None:
        """SARI's INTERNAL_SERVER_ERROR status is retried like an HTTP 5xx, on any HTTP status;
        any other status code in an HTTP 5xx is a business error, left to `unwrap`."""
        # the cheap byte test spares parsing every good answer twice
        if response.status_code < 500 and b"INTERNAL_SERVER_ERROR" not in response.content:
            return super().transient_answer(response)
        code = envelope_status(response)
        if code == "INTERNAL_SERVER_ERROR":
            return TransientError(
                "SARI reported an internal error (INTERNAL_SERVER_ERROR).",
                detail=f"{response.description}: HTTP {response.status_code}, "
                "status INTERNAL_SERVER_ERROR",
                step="http",
            )
        if code and code != "OK" and response.status_code >= 500:
            return None  # e.g. COURSEMEMBER_NOT_FOUND sent with HTTP 500
        return super().transient_answer(response)

    def _held_token(self) -> AccessToken | None:
        return self._token

    def _log_in(self) -> None:
        """The password grant; a token is renewed by logging in again."""
        with self._refusal_kept():
            response = self.request("GET", LOGIN_PATH, params=self._credentials.password_grant())
            self._token = read_token(response, self._clock())
        log.info("SARI login succeeded")


# Test connection


def diagnose(client: SariClient) -> Diagnosis:
    """Log in, check the version echo, list both course types; the first failure stops."""
    return run_checks(partial(check_connection, client))


def check_connection(client: SariClient) -> str:
    client.login()
    client.version(PROBE_TEXT)
    listed = offered_courses(client)
    counts = [f"{len(listed[t])} {t}" if t in listed else f"no {t}" for t in COURSE_TYPES]
    offered = "" if len(listed) == len(COURSE_TYPES) else " (the others are not offered)"
    return (
        f"Logged in; SARI answered the version check and lists {' and '.join(counts)} "
        f"course groups{offered}."
    )


def offered_courses(
    client: SariClient, before: Callable[[str], None] = lambda course_type: None
) -> dict[str, list[CourseGroup]]:
    """The course groups of each course type the driving school offers: SARI answers
    SECTION_NOT_FOUND for a type it does not, which is no fault unless it offers neither."""
    listed = {}
    for course_type in COURSE_TYPES:
        before(course_type)
        try:
            listed[course_type] = client.courses(course_type)
        except UpstreamError as error:
            if error.code != NO_SUCH_SECTION:
                raise
    if not listed:
        raise UpstreamError(
            "SARI knows neither VKU nor PGS courses for this driving school. "
            "Ask KYBERNA whether the API user is assigned to the right school.",
            code=NO_SUCH_SECTION,
            step="permission",
        )
    return listed


# The token endpoint


def read_token(response: Response, now: float) -> AccessToken:
    if response.status_code != 200:
        raise login_error(response)
    body = json_or_none(response)
    if not isinstance(body, dict):
        raise ProtocolError(NOT_SARI.format("its login answer is not a JSON object"))
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ProtocolError(NOT_SARI.format("its login answer has no access token"))
    if not BEARER_TOKEN.match(access):
        # It cannot go into an Authorization header, and httpx's refusal would quote it.
        raise ProtocolError(NOT_SARI.format("its access token cannot be sent back in a header"))
    return AccessToken(access, renew_at(now, token_lifetime(body.get("expires_in"))))


def token_lifetime(value: Any) -> float:
    """`expires_in` in seconds; the documented hour if it is missing or odd, because a wrong
    guess costs only one 401 and a new login."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return DOCUMENTED_LIFETIME
    return value


def login_error(response: Response) -> SyncError:
    """Why the token request failed. Only the OAuth error code is kept from the answer:
    the request carried the secrets, and a server or proxy may echo them in its text."""
    status = response.status_code
    body = json_or_none(response)
    code = body.get("error") if isinstance(body, dict) else None
    if isinstance(code, str) and OAUTH_CODE.match(code):
        return oauth_refusal(code, f"{response.description}: HTTP {status}, {code}")
    detail = f"{response.description}: HTTP {status}"
    if status == 404:
        return ProtocolError(NOT_SARI.format("it has no login at /oauth/v2/token"), detail=detail)
    if body is None and "html" in response.headers.get("content-type", ""):
        return ProtocolError(NOT_SARI.format("its login answered with a web page"), detail=detail)
    if status == 400:  # SARI's answer to rejected credentials, whatever else its body says
        return BadCredentials(
            "SARI rejected the login (HTTP 400). Check the client ID, client secret, "
            "API username and password.",
            detail=detail,
        )
    return UpstreamError(
        f"SARI answered the login with HTTP {status} instead of an access token.",
        detail=detail,
        code=str(status),
        step="http",
    )


def oauth_refusal(code: str, detail: str) -> SyncError:
    if code == "invalid_client":
        return BadCredentials("SARI rejected the client ID or client secret.", detail=detail)
    if code == "invalid_grant":
        return BadCredentials("SARI rejected the API username or password.", detail=detail)
    if code in ("unauthorized_client", "unsupported_grant_type"):
        return BadCredentials(
            "SARI does not let this client ID log in with a username and password. "
            "Ask KYBERNA to allow the password grant for it.",
            detail=detail,
        )
    return ProtocolError(f"SARI refused the login request ({code}).", detail=detail, step="login")


# The envelope


def unwrap(response: Response, what: str) -> Any:
    """`result` of an OK envelope; otherwise the error its status or HTTP status stands for."""
    status = response.status_code
    if 200 <= status < 300:
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise ProtocolError(
                f"SARI sent {what} without its usual envelope (an object with result and status).",
                detail=f"{response.description}: HTTP {status}",
            )
        if body["status"] != "OK":
            raise business_error(body["status"], what, response)
        return body.get("result")
    code = envelope_status(response)
    if code and code != "OK":
        raise business_error(code, what, response)
    raise http_error(response, what)


def business_error(code: str, what: str, response: Response) -> SyncError:
    code = code[:60]
    reason = REASONS.get(code, "for a reason the sync does not know")
    message = f"SARI refused {what}: {reason} ({code})."
    detail = f"{response.description}: HTTP {response.status_code}, status {code}"
    if code in PERMISSION_CODES:
        return PermissionDenied(message, detail=detail)
    if code == "COURSEMEMBER_ALREADY_CONFIRMED":
        return AlreadyConfirmed(message, detail=detail, code=code)
    step = "permission" if code == "SECTION_NOT_FOUND" else "http"
    return UpstreamError(message, detail=detail, code=code, step=step)


def http_error(response: Response, what: str) -> SyncError:
    status = response.status_code
    detail = f"{response.description}: HTTP {status}"
    if status == 403:
        return PermissionDenied(
            f"SARI does not let this API user read {what} (HTTP 403).", detail=detail
        )
    if status == 404:
        return UpstreamError(
            f"SARI could not find {what} (HTTP 404).", detail=detail, code="404", step="http"
        )
    return UpstreamError(
        f"SARI answered {what} with HTTP {status}.", detail=detail, code=str(status), step="http"
    )


def envelope_status(response: Response) -> str | None:
    body = json_or_none(response)
    status = body.get("status") if isinstance(body, dict) else None
    return status if isinstance(status, str) else None


def json_or_none(response: Response) -> Any:
    try:
        return response.json()
    except ProtocolError:
        return None


# Payloads into dataclasses


def read_groups(result: Any, course_type: str, what: str) -> list[CourseGroup]:
    """A list of groups, one group object, or nothing: always a list, by start, without
    groups whose parts are all gone."""
    if result in (None, "", [], {}):
        return []
    items = [result] if isinstance(result, dict) else result
    if not isinstance(items, list):
        raise shape_error(what, "a list of course groups")
    groups = [read_group(item, course_type, what) for item in items]
    groups = [group for group in groups if group.parts]
    return sorted(groups, key=lambda g: (g.starts_at, g.parts[0].id))


def read_group(item: Any, course_type: str, what: str) -> CourseGroup:
    if not isinstance(item, dict):
        raise shape_error(what, "course groups as objects")
    parts = item.get("courses") or []
    if not isinstance(parts, list):
        raise shape_error(what, "a list of courses in each group")
    ordered = sorted((read_part(part, what) for part in parts), key=lambda p: (p.starts_at, p.id))
    date_ = item.get("date")
    starts = readable(what, parse_time, date_) if date_ else None
    return CourseGroup(course_type, text(item.get("name")), starts, tuple(ordered))


def read_part(item: Any, what: str) -> CoursePart:
    if not isinstance(item, dict):
        raise shape_error(what, "courses as objects")
    return CoursePart(
        id=readable(what, part_id, item.get("id")),
        name=text(item.get("name")),
        starts_at=readable(what, parse_time, item.get("date")),
        venue=read_venue(item.get("address"), what),
        free_places=readable(what, optional_int, item.get("freeplaces")),
    )


def read_venue(item: Any, what: str) -> Venue:
    if item in (None, "", []):
        return Venue("", "", "", "")
    if not isinstance(item, dict):
        raise shape_error(what, "addresses as objects")
    fields = (item.get(key) for key in ("name", "address", "zip", "city"))
    return Venue(*(text(value) for value in fields))


def read_members(result: Any, what: str) -> list[Member]:
    if result in (None, "", [], {}):
        return []
    if not isinstance(result, list) or not all(isinstance(m, dict) for m in result):
        raise shape_error(what, "a list of members")
    return [read_member(member, what) for member in result]


def read_member(item: dict, what: str) -> Member:
    raw = text(item.get("faberid"))
    return Member(
        faber_id=readable(what, canonical_faber_id, raw),
        faber_id_raw=raw,
        first_name=text(item.get("firstname")),
        last_name=text(item.get("lastname")),
        birthdate=readable(what, optional_date, item.get("birthdate")),
        confirmed_on=readable(what, optional_date, item.get("confirmed")),
    )


def read_person(result: Any, what: str) -> Person:
    if not isinstance(result, dict):
        raise shape_error(what, "a person object")
    raw = text(result.get("faberid"))
    return Person(
        faber_id=readable(what, canonical_faber_id, raw),
        faber_id_raw=raw,
        birthdate=readable(what, optional_date, result.get("birthdate")),
        first_name=text(result.get("firstname")),
        last_name=text(result.get("lastname")),
        address=text(result.get("address")),
        zip=text(result.get("zip")),
        city=text(result.get("city")),
        licences=latest_licences(read_licences(result.get("licenses"), what)),
    )


def read_licences(items: Any, what: str) -> list[Licence]:
    items = items or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise shape_error(what, "a list of licences")
    return [
        Licence(
            text(item.get("category")), readable(what, optional_date, item.get("expirationdate"))
        )
        for item in items
    ]


def latest_licences(licences: Iterable[Licence]) -> tuple[Licence, ...]:
    """One licence per category: the one that expires last (no expiry counts as latest)."""
    latest: dict[str, Licence] = {}
    for licence in licences:
        current = latest.get(licence.category)
        if current is None or expiry(licence) > expiry(current):
            latest[licence.category] = licence
    return tuple(sorted(latest.values(), key=lambda lic: lic.category))


def expiry(licence: Licence) -> date:
    return licence.expires_on or date.max


def readable(what: str, read: Callable[[Any], Any], value: Any) -> Any:
    """`read(value)`, or a ProtocolError naming what could not be read."""
    try:
        return read(value)
    except (FormatError, TypeError, ValueError) as exc:
        raise ProtocolError(
            f"SARI sent {what} with a value that cannot be read.", detail=str(exc)[:200]
        ) from None


def part_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FormatError(f"a course id must be a number, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip().isdigit():
        raise FormatError(f"{value!r} is not a course id")
    return int(value)


def optional_int(value: Any) -> int | None:
    return None if value in (None, "") else part_id(value)


def optional_date(value: Any) -> date | None:
    """A date, or None for the null, empty or false values SARI may use for "none"."""
    return parse_date(value) if value else None


def text(value: Any) -> str:
    """Text as SARI meant it: numbers (zip codes, ids) as their digits, null as empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def segment(value: Any) -> str:
    """One path segment, every reserved character escaped."""
    return quote(str(value), safe="")


def day_text(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else day
