"""A local SARI VKU/PGS server: FOSOAuthServerBundle-style tokens and the six course routes.

The token endpoint takes its parameters from the query string on GET and from the form body on
POST (oauth2-php's rule), with the password and refresh_token grants and the bundle's 400 bodies
`{error, error_description}`. API calls need `Authorization: Bearer`; an unknown or expired token
answers 401 `invalid_grant` with a `WWW-Authenticate` challenge. Every API answer is the envelope
`{"result": ..., "status": "OK" | "<CODE>"}`.

Where public notes are silent the sandbox decides, and says so here; the switches on the
instance cover the unknowns of the notes (section 3.7):
- business errors come on HTTP 200 (`errors_as_http` sends 404/403/400 instead, or every one
  with the HTTP status `error_status`, and `bare_errors` drops the envelope from those);
  `result` on an error is `error_result` (null);
- `confirmed` is null for a member not yet confirmed (`unconfirmed` changes it);
- getCourses sends a list of groups (`single_group` sends the first group as an object, or
  null); an unknown course type, or one the school does not run, is SECTION_NOT_FOUND;
- DELETE reads its parameters from the form body only (`lenient_delete` adds the query string);
- the registration deadline is two days before a part starts; listings and enrolments use the
  sandbox clock, so `advance` lets parts drop out;
- a user without a driving school gets DRIVINGSCHOOL_NOT_FOUND, a user without the right to use
  the interface NO_PERMISSION, on everything but the version echo (customer needs the right only);
- LICENSE_EXPIRED when none of the person's licences is valid on the part's day.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sync.upstream.sandbox import Reply, Request, SandboxApp, json_reply

from .dataset import (
    ApiUser,
    Clock,
    DrivingSchool,
    Group,
    Member,
    Part,
    PartPlace,
    Person,
    SariData,
)
from .formats import FormatError, canonical_faber_id, format_time, padded_faber_id, parse_date

API = "/api/courseregistration"
REALM = "Service"
GRANT_TYPES = ("authorization_code", "token", "password", "client_credentials", "refresh_token")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
HTTP_STATUS_OF = {  # for `errors_as_http`
    "PERSON_NOT_FOUND": 404,
    "COURSE_NOT_FOUND": 404,
    "COURSEMEMBER_NOT_FOUND": 404,
    "DRIVINGSCHOOL_NOT_FOUND": 404,
    "SECTION_NOT_FOUND": 404,
    "NO_PERMISSION": 403,
    "INTERNAL_SERVER_ERROR": 500,
}
HTML_ERROR = (
    "<!DOCTYPE html><html><head><title>{title}</title></head><body>"
    '<h1>Oops! An Error Occurred</h1><h2>The server returned a "{title}".</h2></body></html>'
)


@dataclass
class AccessGrant:
    username: str
    client_id: str
    expires_at: float
    calls: int = 0


@dataclass
class RefreshGrant:
    username: str
    client_id: str
    expires_at: float


class Refusal(Exception):
    """An API answer with a status other than OK."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Challenge(Exception):
    """A 401 from the OAuth layer, before the API sees the request."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class SariSandbox(SandboxApp):
    title = "SARI (VKU/PGS course registration)"

    def __init__(
        self,
        prefix: str = "",
        *,
        data: SariData | None = None,
        clock: Clock | None = None,
        token_lifetime: int = 3600,
        refresh_lifetime: int = 1_209_600,
    ) -> None:
        super().__init__(prefix)
        self.clock = clock or Clock()
        self.data = data or SariData.build(self.clock.now().date())
        self.token_lifetime = token_lifetime
        self.refresh_lifetime = refresh_lifetime
        # The unknowns of the notes, switchable (see the module docstring)
        self.errors_as_http = False  # business errors as 404/403/400 instead of HTTP 200
        self.bare_errors = False  # ... and then without the envelope
        self.error_status: int | None = None  # ... or all of them with this HTTP status
        self.error_result: Any = None  # `result` of an error envelope
        self.unconfirmed: Any = None  # `confirmed` of a member not yet confirmed
        self.single_group = False  # courses: the first group as an object, not a list
        self.lenient_delete = False  # DELETE reads the query string too, not only the body
        self.token_post = True  # the token endpoint takes POST as well as GET
        self.password_grant = True  # False: the client may not use it (unauthorized_client)
        self.refresh_grant = True
        self.version_answer: str | None = None  # a server that does not echo the version text
        self.token_calls: int | None = None  # fault: an access token dies after this many calls
        self.token_text: str | None = None  # fault: the access token handed out, not a random one
        # fault: a hostile server: API calls are refused with the client secret of the last
        # login quoted, as sent, in their status
        self.quote_login = False
        self.last_client_secret = ""
        self.statuses: list[str] = []  # one-shot: the next API calls answer these codes
        self.access_tokens: dict[str, AccessGrant] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.add_routes()

    def add_routes(self) -> None:
        self.route("GET", "/oauth/v2/token", self.token)
        self.route("POST", "/oauth/v2/token", self.token)
        self.route("GET", API + "/version/(?P<text>.+)", self.api(self.version))
        customer = API + "/customer/(?P<faber_id>[^/]+)/(?P<birthdate>[^/]+)"
        self.route("GET", customer, self.api(self.customer))
        self.route("GET", API + "/courses/(?P<course_type>[^/]+)", self.api(self.courses))
        self.route("GET", API + "/coursedetail/(?P<part_id>[^/]+)", self.api(self.course_detail))
        self.route("PUT", API + "/personcourse", self.api(self.enrol))
        self.route("DELETE", API + "/personcourse", self.api(self.unenrol))

    # What tests and the demo change

    def advance(self, delta: timedelta) -> None:
        """Let time pass: tokens expire, parts drop out, deadlines close."""
        self.clock.advance(delta.total_seconds())

    def inject_status(self, code: str, count: int = 1) -> None:
        """The next `count` API calls (after login) answer with this status code."""
        self.statuses.extend([code] * count)

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token handed out so far (for leak checks)."""
        return [*self.access_tokens, *self.refresh_tokens]

    def token_requests(self) -> int:
        return sum(1 for _, path in self.requests if path == "/oauth/v2/token")

    # Symfony's error pages

    def not_found(self, request: Request) -> Reply:
        return html_error(404, "404 Not Found")

    def method_not_allowed(self, request: Request) -> Reply:
        return html_error(405, "405 Method Not Allowed")

    # The token endpoint

    def token(self, request: Request) -> Reply:
        if request.method == "POST" and not self.token_post:
            return self.method_not_allowed(request)
        params = request.form if request.method == "POST" else request.query
        self.last_client_secret = params.get("client_secret", "")
        if params.get("grant_type") not in GRANT_TYPES:
            return oauth_error(
                "invalid_request", "Invalid grant_type parameter or parameter missing"
            )
        if not params.get("client_id"):
            return oauth_error("invalid_client", "Client id was not found in the headers or body")
        client = self.data.clients.get(params["client_id"])
        if client is None or not same(client.secret, params.get("client_secret", "")):
            return oauth_error("invalid_client", "The client credentials are invalid")
        if params["grant_type"] == "password" and self.password_grant:
            return self.password_login(client.client_id, params)
        if params["grant_type"] == "refresh_token" and self.refresh_grant:
            return self.refresh(client.client_id, params)
        return oauth_error(
            "unauthorized_client", "The grant type is unauthorized for this client_id"
        )

    def password_login(self, client_id: str, params: dict[str, str]) -> Reply:
        username, password = params.get("username"), params.get("password")
        if not username or not password:
            return oauth_error(
                "invalid_request", 'Missing parameters. "username" and "password" required'
            )
        user = self.data.users.get(username)
        if user is None or not same(user.password, password):
            return oauth_error("invalid_grant", "Invalid username and password combination")
        return self.issue(user.username, client_id)

    def refresh(self, client_id: str, params: dict[str, str]) -> Reply:
        if not params.get("refresh_token"):
            return oauth_error("invalid_request", 'No "refresh_token" parameter found')
        grant = self.refresh_tokens.get(params["refresh_token"])
        if grant is None or grant.client_id != client_id:
            return oauth_error("invalid_grant", "Invalid refresh token")
        if self.clock() >= grant.expires_at:
            return oauth_error("invalid_grant", "Refresh token has expired")
        del self.refresh_tokens[params["refresh_token"]]  # a new one replaces it
        return self.issue(grant.username, client_id)

    def issue(self, username: str, client_id: str) -> Reply:
        access, refresh, now = secrets.token_hex(32), secrets.token_hex(32), self.clock()
        access = self.token_text or access
        self.access_tokens[access] = AccessGrant(username, client_id, now + self.token_lifetime)
        self.refresh_tokens[refresh] = RefreshGrant(
            username, client_id, now + self.refresh_lifetime
        )
        answer = {
            "access_token": access,
            "expires_in": self.token_lifetime,
            "token_type": "bearer",
            "scope": "user",
            "refresh_token": refresh,
        }
        return json_reply(200, answer, NO_STORE)

    # The API's frame: token check, injected statuses, envelope

    def api(self, handler: Callable[..., Any]) -> Callable[..., Reply]:
        def serve(request: Request, **params: str) -> Reply:
            try:
                user = self.authenticate(request)
                if self.quote_login:
                    raise Refusal(urlencode({"client_secret": self.last_client_secret}))
                if self.statuses:
                    raise Refusal(self.statuses.pop(0))
                result = handler(request, user, **params)
            except Challenge as challenge:
                return challenge_reply(challenge)
            except Refusal as refusal:
                return self.refusal(refusal.code)
            return json_reply(200, {"result": result, "status": "OK"})

        return serve

    def authenticate(self, request: Request) -> ApiUser:
        token = request.bearer()
        if not token:
            raise Challenge("access_denied", "OAuth2 authentication required")
        grant = self.access_tokens.get(token)
        if grant is None:
            raise Challenge("invalid_grant", "The access token provided is invalid.")
        used_up = self.token_calls is not None and grant.calls >= self.token_calls
        if used_up or self.clock() >= grant.expires_at:
            raise Challenge("invalid_grant", "The access token provided has expired.")
        grant.calls += 1
        return self.data.users[grant.username]

    def refusal(self, code: str) -> Reply:
        if not self.errors_as_http:
            return json_reply(200, {"result": self.error_result, "status": code})
        status = self.error_status or HTTP_STATUS_OF.get(code, 400)
        if self.bare_errors:
            return json_reply(status, {"code": status, "message": code.replace("_", " ").title()})
        return json_reply(status, {"result": self.error_result, "status": code})

    # The six operations

    def version(self, request: Request, user: ApiUser, text: str) -> str:
        return text if self.version_answer is None else self.version_answer

    def customer(self, request: Request, user: ApiUser, faber_id: str, birthdate: str) -> dict:
        if not user.permitted:
            raise Refusal("NO_PERMISSION")
        person, born = self.lookup(faber_id, birthdate)
        if person is None or person.birthdate != born:
            raise Refusal("PERSON_NOT_FOUND")
        return person_json(person)

    def courses(self, request: Request, user: ApiUser, course_type: str) -> list | dict | None:
        school, now = self.school_of(user), self.clock.now()
        if course_type not in school.sections:
            raise Refusal("SECTION_NOT_FOUND")
        groups = [
            self.group_json(group, now)
            for group in school.groups
            if group.course_type == course_type
        ]
        groups = [g for g in groups if g["courses"]]
        if self.single_group:
            return groups[0] if groups else None
        return groups

    def course_detail(self, request: Request, user: ApiUser, part_id: str) -> list[dict]:
        part = self.own_part(user, part_id).part
        return [self.member_json(member) for member in part.members.values()]

    def enrol(self, request: Request, user: ApiUser) -> list:
        school = self.school_of(user)
        form = request.form
        if not all(form.get(k) for k in ("courseid", "faberid", "birthdate")):
            raise Refusal("INVALID_PARAMETER")
        part = self.own_part(user, form["courseid"], school).part
        self.check_open(part)
        person, born = self.lookup(form["faberid"], form["birthdate"])
        if person is None:
            raise Refusal("PERSON_NOT_FOUND")
        if person.birthdate != born:
            raise Refusal("MISMATCH_BIRTHDATE_FABERID")
        if person.faber_id in part.members:
            raise Refusal("PERSON_ALREADY_ADDED")
        self.check_admission(school, part, person)
        part.members[person.faber_id] = Member(person.faber_id)
        return []

    def unenrol(self, request: Request, user: ApiUser) -> list:
        params = {**request.query, **request.form} if self.lenient_delete else request.form
        if not (params.get("courseid") and params.get("faberid")):
            raise Refusal("INVALID_PARAMETER")
        part = self.own_part(user, params["courseid"]).part
        faber_id = faber_key(params["faberid"])
        if faber_id is None or faber_id not in self.data.persons:
            raise Refusal("PERSON_NOT_FOUND")
        member = part.members.get(faber_id)
        if member is None:
            raise Refusal("COURSEMEMBER_NOT_FOUND")
        if member.confirmed:
            raise Refusal("COURSEMEMBER_ALREADY_CONFIRMED")
        self.check_open(part)
        del part.members[faber_id]
        return []

    # The rules behind them

    def school_of(self, user: ApiUser) -> DrivingSchool:
        if not user.permitted:
            raise Refusal("NO_PERMISSION")
        if user.school_id not in self.data.schools:
            raise Refusal("DRIVINGSCHOOL_NOT_FOUND")
        return self.data.school(user.school_id)

    def own_part(
        self, user: ApiUser, part_id: str, school: DrivingSchool | None = None
    ) -> PartPlace:
        school = school or self.school_of(user)
        place = self.data.locate(int(part_id)) if part_id.isdigit() else None
        if place is None:
            raise Refusal("COURSE_NOT_FOUND")
        if place.school is not school:
            raise Refusal("NO_PERMISSION")
        return place

    def check_open(self, part: Part) -> None:
        if not (part.released and part.activated) or part.starts_at <= self.clock.now():
            raise Refusal("COURSE_NOT_ALLOWED_OR_ENABLED")

    def check_admission(self, school: DrivingSchool, part: Part, person: Person) -> None:
        if self.clock.now() >= part.deadline:
            raise Refusal("COURSE_PERSON_DEADLINE_VIOLATED")
        day = part.starts_at.date()
        if not any(lic.expires_on >= day for lic in person.licences):
            raise Refusal("LICENSE_EXPIRED")
        if any(
            other is not part and other.starts_at.date() == day and person.faber_id in other.members
            for group in school.groups
            for other in group.parts
        ):
            raise Refusal("COURSE_NOT_SAME_DATE")
        if len(part.members) >= part.capacity:
            raise Refusal("COURSE_FULL")

    def lookup(self, faber_id: str, birthdate: str) -> tuple[Person | None, date]:
        """The person with this FABER-ID (padded or not), and the birth date asked for."""
        key = faber_key(faber_id)
        try:
            born = parse_date(birthdate)
        except FormatError:
            raise Refusal("INVALID_PARAMETER") from None
        if key is None:
            raise Refusal("INVALID_PARAMETER")
        return self.data.persons.get(key), born

    # Payloads

    def group_json(self, group: Group, now: datetime) -> dict:
        listed = [p for p in group.parts if p.released and p.activated and p.starts_at > now]
        return {
            "name": group.name,
            "date": f"{group.starts_on.isoformat()} 00:00",
            "courses": [part_json(part, now) for part in listed],
        }

    def member_json(self, member: Member) -> dict:
        person = self.data.persons[member.faber_id]
        return {
            "faberid": padded_faber_id(member.faber_id),
            "firstname": person.first_name,
            "lastname": person.last_name,
            "birthdate": person.birthdate.isoformat(),
            "confirmed": iso_or(member.confirmed, self.unconfirmed),
        }


def person_json(person: Person) -> dict:
    return {
        "faberid": person.faber_id,  # unpadded here, padded in coursedetail
        "birthdate": person.birthdate.isoformat(),
        "firstname": person.first_name,
        "lastname": person.last_name,
        "address": person.address,
        "zip": person.zip,  # a string here, an integer in course addresses
        "city": person.city,
        "licenses": [  # as stored: the same category may come twice
            {"category": lic.category, "expirationdate": lic.expires_on.isoformat()}
            for lic in person.licences
        ],
    }


def part_json(part: Part, now: datetime) -> dict:
    venue = part.venue
    return {
        "id": part.id,
        "name": part.name,
        "date": format_time(part.starts_at),
        "address": {
            "name": venue.name,
            "address": venue.address,
            "zip": venue.zip,
            "city": venue.city,
        },
        "freeplaces": part.free_places(now),
    }


def iso_or(day: date | None, missing: Any) -> Any:
    return day.isoformat() if day else missing


def faber_key(text: str) -> str | None:
    try:
        return canonical_faber_id(text)
    except FormatError:
        return None


def same(expected: str, given: str) -> bool:
    return secrets.compare_digest(expected.encode(), given.encode())


def oauth_error(error: str, description: str) -> Reply:
    return json_reply(400, {"error": error, "error_description": description}, NO_STORE)


def challenge_reply(challenge: Challenge) -> Reply:
    header = (
        f'Bearer realm="{REALM}", error="{challenge.error}", '
        f'error_description="{challenge.description}"'
    )
    body = {"error": challenge.error, "error_description": challenge.description}
    return json_reply(401, body, {**NO_STORE, "WWW-Authenticate": header})


def html_error(status: int, title: str) -> Reply:
    body = HTML_ERROR.format(title=title).encode()
    return Reply(status, body, {"Content-Type": "text/html; charset=UTF-8"})
