"""A client of one school's Bakaláři server (mobile API v3), logged in as one account.

It logs in lazily with the password and keeps the rotating token pair, handing every new pair
to `on_session` so that the next run need not log in. It renews the access token shortly before
it expires and once on a 401, serialising renewals across threads, because a refresh token can
be redeemed only a few times. Answers come back as checked JSON payloads; everything else
becomes an error kind from `sync.upstream.errors` with a sentence the school's admin understands.

The password and the tokens never reach a log record or an error: requests are described by
method and path only, and token fields are left out of every repr.
"""

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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
    TokenRejected,
    UpstreamError,
)
from sync.upstream.http import Response
from sync.upstream.session import AccessToken, TokenSession, renew_at

from . import directory
from .formats import parse_time

log = logging.getLogger(__name__)

SERVER_NAME = "Bakaláři"
CLIENT_ID = "ANDR"  # the Android app's id; every third-party client uses it
REFRESH_LIFETIME = 30 * 24 * 3600.0  # refresh tokens seem to die after about a month unused
FAMILY_TYPES = ("student", "parents")
NOT_BAKALARI = "The address does not point to a Bakaláři server ({})."
# Some installations answer 500 to a request without it; the mobile app always sends it.
LANGUAGE = {"Accept-Language": "cs"}
# Only plain names reach the admin's sentence: the rest of a server's text stays in the detail.
MISSING_PRIVILEGE = re.compile(r"Some privilege is missing \((?P<names>\w+(?:, ?\w+)*)\)")
shape_error = partial(errors.shape_error, SERVER_NAME)


@dataclass(frozen=True)
class Tokens:
    """One token pair and when to renew it. Times are Unix seconds."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    renew_at: float
    refresh_obtained_at: float

    @classmethod
    def from_grant(cls, payload: Any, now: float) -> "Tokens":
        """Read a token answer; `id_token` and `scope` may be missing, `token_type` any case."""
        if not isinstance(payload, dict):
            raise ProtocolError("Bakaláři answered the login without tokens.", step="login")
        access, refresh = payload.get("access_token"), payload.get("refresh_token")
        lifetime = payload.get("expires_in")
        kind = str(payload.get("token_type", "")).lower()
        if not (isinstance(access, str) and isinstance(refresh, str) and kind == "bearer"):
            raise ProtocolError(
                "Bakaláři answered the login without a usable token pair.",
                detail=f"fields: {sorted(payload)}, token_type: {kind!r}",
                step="login",
            )
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            raise ProtocolError(
                "Bakaláři answered the login without a token lifetime.",
                detail=f"expires_in: {lifetime!r}",
                step="login",
            )
        return cls(access, refresh, renew_at(now, lifetime), now)

    @classmethod
    def from_session(cls, session: Mapping, *, owner: dict[str, str]) -> "Tokens | None":
        """The pair kept by an earlier run, if it belongs to this server and account."""
        if not session or any(session.get(k) != v for k, v in owner.items()):
            return None
        try:
            return cls(
                session["access_token"],
                session["refresh_token"],
                timestamp(session["access_renew_at"]),
                timestamp(session["refresh_obtained_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def as_session(self, owner: dict[str, str]) -> dict[str, str]:
        return {
            **owner,
            "access_token": self.access_token,
            "access_renew_at": isoformat(self.renew_at),
            "refresh_token": self.refresh_token,
            "refresh_obtained_at": isoformat(self.refresh_obtained_at),
            "refresh_expires_at": isoformat(self.refresh_obtained_at + REFRESH_LIFETIME),
        }

    def refresh_usable(self, now: float) -> bool:
        return now < self.refresh_obtained_at + REFRESH_LIFETIME


@dataclass(frozen=True)
class UserProfile:
    """Who is logged in (`/api/3/user`) and which modules and rights the school gave them."""

    uid: str
    full_name: str
    user_type: str
    modules: Mapping[str, frozenset[str]] | None  # None: not listed, as in mid-summer
    class_id: str = ""
    semester_from: datetime | None = None
    semester_to: datetime | None = None

    @classmethod
    def from_payload(cls, payload: dict) -> "UserProfile":
        modules = {
            str(m.get("Module")): frozenset(m.get("Rights") or ())
            for m in payload.get("EnabledModules") or ()
            if isinstance(m, dict)
        }
        semester = actual_semester(payload)
        return cls(
            uid=payload["UserUID"],
            full_name=payload["FullName"],
            user_type=payload["UserType"],
            modules=modules or None,
            class_id=(payload.get("Class") or {}).get("Id") or "",
            semester_from=parse_time(semester.get("From")),
            semester_to=parse_time(semester.get("To")),
        )

    def allows(self, module: str, right: str) -> bool:
        """Unknown without a module list: the server then decides, with a 403 if it refuses."""
        return self.modules is None or right in self.modules.get(module, ())

    @property
    def is_family(self) -> bool:
        """A pupil or parent account, as opposed to a teacher or other staff account."""
        return self.user_type in FAMILY_TYPES


def actual_semester(payload: dict) -> dict:
    """`SettingModules.Common.ActualSemester`; missing during the summer holidays."""
    common = (payload.get("SettingModules") or {}).get("Common") or {}
    return common.get("ActualSemester") or {}


class BakalariClient(TokenSession):
    """One school, one account. Thread-safe; several threads may share one client."""

    locked_hint = "The account may have been locked or its password changed."

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str | None,
        *,
        session: Mapping | None = None,
        on_session: Callable[[dict], None] | None = None,
        **options,
    ) -> None:
        """`options` go to `TokenSession`: clock, transport, limits, retry, allow_insecure."""
        super().__init__(base_url, server_name=SERVER_NAME, **options)
        self.username = username
        self._password = password
        self._on_session = on_session
        self._tokens = Tokens.from_session(session or {}, owner=self._owner())
        self._profile: UserProfile | None = None

    def __repr__(self) -> str:
        return f"<BakalariClient {self.base_url} as {self.username}>"

    def request(self, method: str, path: str, *, headers=None, **kwargs) -> Response:
        """Every request to the school's server, in Czech."""
        return super().request(method, path, headers={**LANGUAGE, **(headers or {})}, **kwargs)

    # Discovery

    def api_version(self) -> str:
        """The server's API 3 version ("3.28.0"); proves that the address is a Bakaláři server."""
        response = self.request("GET", "/api")
        if response.status_code != 200:
            raise discovery_status_error(response)
        try:
            versions = response.json()
        except ProtocolError as error:
            raise ProtocolError(
                NOT_BAKALARI.format("/api did not answer with JSON"),
                detail=f"{error.detail} ({error.message})",
            ) from None
        return api_3_version(versions)

    def public_directory(self) -> dict[str, frozenset[str]]:
        """The ids of every class, teacher and room the school's public timetable offers
        (`directory`); {} where the school does not publish it (a 404, a redirect to the login
        page, a page without the lists). Needs no login."""
        try:
            response = self.request("GET", "/Timetable/Public")
        except errors.SyncError:  # optional: the sync goes on without the school's totals
            log.warning("the school's public timetable could not be read", exc_info=True)
            return {}
        if response.status_code != 200:
            return {}
        return directory.parse(response.content.decode("utf-8", "replace"))

    # Data endpoints

    def user(self) -> dict:
        """`/api/3/user`: who is logged in, their class (pupils) and enabled modules."""
        payload = self._get("/user", "the account's profile")
        if not isinstance(payload, dict) or not all(
            isinstance(payload.get(k), str) for k in ("UserUID", "FullName", "UserType")
        ):
            raise shape_error("the account's profile", "an object with UserUID, FullName, UserType")
        self._profile = UserProfile.from_payload(payload)
        return payload

    def profile(self) -> UserProfile:
        """The parsed profile, fetched once per client."""
        if self._profile is None:
            self.user()
        return self._profile

    def require(self, module: str, right: str) -> None:
        """PermissionDenied unless the school enabled `module` with `right` for this account."""
        if not self.profile().allows(module, right):
            raise PermissionDenied(
                f"The Bakaláři account {self.username} may not use the {module} module "
                f"(right {right}). Ask the school's Bakaláři administrator to enable it.",
                detail=f"EnabledModules lacks {module}/{right}",
            )

    def timetable_permanent(self) -> dict:
        """The standing timetable with its Classes, Groups, Subjects, Teachers and Rooms."""
        self.require("Timetable", "ShowTimetable")
        what = "the permanent timetable"
        return expect_lists(self._get("/timetable/permanent", what), what, *TIMETABLE_LISTS)

    def timetable_actual(self, day: date) -> dict:
        """The Monday-to-Friday week containing `day`, with that week's changes."""
        self.require("Timetable", "ShowTimetable")
        what = f"the timetable of the week of {day.isoformat()}"
        payload = self._get("/timetable/actual", what, params={"date": day.isoformat()})
        return expect_lists(payload, what, *TIMETABLE_LISTS)

    def marking_atoms(self) -> list[dict]:
        """Teacher accounts: the grade book's atoms (a subject taught to a class or group)."""
        self._require_staff("the grade book (marking)")
        what = "the grade book (marking)"
        return expect_lists(self._get("/marking/atoms", what), what, "Atoms")["Atoms"]

    def marking_marks(self, atom_id: str) -> dict:
        """Teacher accounts: one atom's Students, Marks, MarkOptions and Teachers."""
        self._require_staff("the grade book (marking)")
        what = f"the grade book entry {atom_id!r}"
        payload = self._get(f"/marking/marks/{quote(atom_id, safe='')}", what)
        return expect_lists(payload, what, "Students", "Marks")

    def subjects(self) -> dict:
        """Pupil and parent accounts: the pupil's subjects with their teachers."""
        if not self.profile().is_family:
            raise PermissionDenied(
                f"The Bakaláři account {self.username} is a {self.profile().user_type} account; "
                "the list of subjects is only for pupil and parent accounts.",
                detail="/api/3/subjects needs UserType student or parents",
            )
        self.require("Subjects", "ShowSubjects")
        return expect_lists(self._get("/subjects", "the subjects"), "the subjects", "Subjects")

    def events(self, since: date | None = None) -> dict:
        """The events the account sees, the whole school year unless `since` is given."""
        self.require("Events", "ShowEvents")
        params = {"from": since.isoformat()} if since else None
        payload = self._get("/events", "the events", params=params)
        check_event_times(expect_lists(payload, "the events", "Events")["Events"])
        return payload

    def _require_staff(self, what: str) -> None:
        if self.profile().is_family:
            raise PermissionDenied(
                f"The Bakaláři account {self.username} is a {self.profile().user_type} account; "
                f"{what} needs a teacher account.",
                detail="marking endpoints need a teacher account",
            )

    # Requests with a token

    def _get(self, path: str, what: str, *, params: dict | None = None) -> Any:
        response = self._authorized("GET", "/api/3" + path, params=params)
        if response.status_code != 200:
            raise data_error(response, what)
        return response.json()

    def _held_token(self) -> AccessToken | None:
        tokens = self._tokens
        return AccessToken(tokens.access_token, tokens.renew_at) if tokens else None

    def _log_in(self) -> None:
        """The password grant, whatever session is kept."""
        with self._refusal_kept():
            if not self._password:
                raise TokenRejected(
                    "Bakaláři needs a new login, but no password is stored. "
                    "Enter the password again in the connection's settings.",
                    step="login",
                )
            self._grant(grant_type="password", username=self.username, password=self._password)

    def _refresh(self) -> None:
        """Redeem the kept refresh token while it may work; else, or if refused, the password."""
        tokens = self._tokens
        if tokens is not None and tokens.refresh_usable(self._clock()):
            try:
                return self._grant(grant_type="refresh_token", refresh_token=tokens.refresh_token)
            except TokenRejected as error:
                log.info("Bakaláři refused the kept refresh token", extra={"detail": error.detail})
                self._forget_session()
        self._log_in()

    def _grant(self, **form: str) -> None:
        response = self.request("POST", "/api/login", data={"client_id": CLIENT_ID, **form})
        if response.status_code != 200:
            raise login_error(response, form["grant_type"])
        self._tokens = Tokens.from_grant(response.json(), self._clock())
        log.info("Bakaláři %s grant succeeded", form["grant_type"])
        if self._on_session is not None:
            self._on_session(self._tokens.as_session(self._owner()))

    def _forget_session(self) -> None:
        self._tokens = None
        if self._on_session is not None:
            self._on_session({})

    def _owner(self) -> dict[str, str]:
        """Whose tokens these are: a changed address or username makes them useless."""
        return {"base_url": self.base_url, "username": self.username}


TIMETABLE_LISTS = ("Hours", "Days", "Classes", "Groups", "Subjects", "Teachers", "Rooms")


def diagnose(client: BakalariClient) -> Diagnosis:
    """Test connection: reach the server, check it is Bakaláři API 3, log in, check rights."""
    return run_checks(partial(check_account, client))


def check_account(client: BakalariClient) -> str:
    version = client.api_version()
    client.login()
    profile = client.profile()
    client.require("Timetable", "ShowTimetable")
    if profile.is_family:
        client.require("Subjects", "ShowSubjects")
    elif profile.user_type == "teacher":  # as the sync, which reads rosters of teachers only
        client.marking_atoms()
    return f"Logged in as {profile.full_name} ({profile.user_type}), API {version}."


def timestamp(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def isoformat(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def api_3_version(versions: Any) -> str:
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise ProtocolError(NOT_BAKALARI.format("/api did not list API versions"))
    if not any("BaseUrl" in v for v in versions):
        raise ProtocolError(NOT_BAKALARI.format("/api did not list API versions"))
    for version in versions:
        if version.get("BaseUrl") == "api/3":
            return str(version.get("ApiVersion") or "3")
    offered = ", ".join(str(v.get("ApiVersion") or v.get("BaseUrl")) for v in versions)
    raise ProtocolError(
        f"The server offers Bakaláři API {offered or 'none'}, but not API 3, which the sync needs.",
        detail=f"GET /api: {versions!r}"[:300],
        step="version",
    )


def discovery_status_error(response: Response) -> SyncError:
    status = response.status_code
    detail = f"{response.description}: HTTP {status}"
    if status == 404:
        return ProtocolError(NOT_BAKALARI.format("/api answered HTTP 404"), detail=detail)
    if 300 <= status < 400:
        return UpstreamError(
            f"The server answered /api with a redirect (HTTP {status}) instead of the Bakaláři "
            "API. Check the school address: it should be the one of the Bakaláři login page.",
            detail=f"{detail}, Location: {response.headers.get('location', '').split('?')[0]}",
            code=str(status),
            step="http",
        )
    return UpstreamError(
        f"The server answered /api with HTTP {status} instead of the list of Bakaláři API "
        "versions.",
        detail=detail,
        code=str(status),
        step="http",
    )


def oauth_error(response: Response) -> dict | None:
    """The token endpoint's `{error, error_description[, error_uri]}` body, if that is what came."""
    try:
        body = response.json()
    except ProtocolError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body
    return None


def login_error(response: Response, grant_type: str) -> SyncError:
    body = oauth_error(response)
    status = response.status_code
    if body is None:
        if status == 404:
            return ProtocolError(NOT_BAKALARI.format("/api/login answered HTTP 404"))
        return ProtocolError(
            f"Bakaláři answered the login with an unexpected HTTP {status}.",
            detail=f"{response.description}: HTTP {status}",
            step="login",
        )
    code = body["error"]
    detail = " ".join(
        str(body.get(k)) for k in ("error", "error_description", "error_uri") if body.get(k)
    )
    if code == "invalid_grant" and grant_type == "password":
        return BadCredentials("Bakaláři rejected the username or password.", detail=detail)
    if code == "invalid_grant":
        return TokenRejected(
            "Bakaláři no longer accepts the kept login session.", detail=detail, step="login"
        )
    if code == "invalid_client":
        return BadCredentials(
            "Bakaláři refused this app's login (client ANDR). The school may have switched off "
            "access for the Bakaláři mobile app.",
            detail=detail,
        )
    return ProtocolError(
        f"Bakaláři did not accept the login request ({code}).", detail=detail, step="login"
    )


def data_error(response: Response, what: str) -> SyncError:
    status = response.status_code
    detail = f"{response.description}: HTTP {status}: {server_message(response)}"
    if status == 403:
        return PermissionDenied(refusal_sentence(response, what), detail=detail)
    if status == 404:
        return UpstreamError(
            f"Bakaláři could not find {what} (HTTP 404).", detail=detail, code="404", step="http"
        )
    if status == 400:
        return ProtocolError(
            f"Bakaláři refused the request for {what} as invalid (HTTP 400).", detail=detail
        )
    return ProtocolError(
        f"Bakaláři answered the request for {what} with an unexpected HTTP {status}.",
        detail=detail,
    )


def refusal_sentence(response: Response, what: str) -> str:
    """A 403 that names the missing privileges ("IsTeacher,IsSuperuser") says what would do."""
    sentence = f"Bakaláři does not let this account read {what}."
    missing = MISSING_PRIVILEGE.search(server_message(response))
    if missing is None:
        return sentence
    names = [name.strip() for name in missing["names"].split(",")]
    needed = " or ".join(names)
    hint = " Sync with a teacher's account." if "IsTeacher" in names else ""
    return f"{sentence[:-1]}: it needs {needed}.{hint}"


def server_message(response: Response) -> str:
    """The ASP.NET error text, with any `ModelState` complaints, for the log."""
    try:
        body = response.json()
    except ProtocolError:
        return response.content[:200].decode("utf-8", "replace")
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get("Message", ""))]
    for name, problem in (body.get("ModelState") or {}).items():
        if isinstance(problem, dict):
            parts.append(f"{name}: {'; '.join(map(str, problem.get('$values') or ()))}")
    return " ".join(p for p in parts if p)[:300]


def expect_lists(payload: Any, what: str, *keys: str) -> dict:
    """`payload` must be an object whose `keys` hold lists of objects; other fields are free."""
    if not isinstance(payload, dict):
        raise shape_error(what, f"an object with {', '.join(keys)}")
    for key in keys:
        items = payload.get(key)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise shape_error(what, f"a list named {key}")
    return payload


def check_event_times(events: list[dict]) -> None:
    """Every event time must be readable: a broken one fails the fetch, not a later write."""
    for event in events:
        times = event.get("Times") or []
        if not isinstance(times, list) or not all(isinstance(t, dict) for t in times):
            raise shape_error("the events", "Times as a list of objects")
        for moment in times:
            parse_time(moment.get("StartTime"))
            parse_time(moment.get("EndTime"))
        parse_time(event.get("DateChanged"))
