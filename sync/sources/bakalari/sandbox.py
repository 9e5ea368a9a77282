"""A local Bakaláři server (API v3) with the quirks real school servers have.

Unauthenticated discovery (`/api`, `/api/3`), the OpenIddict-style token endpoint with
rotating refresh tokens (each redeemable three times, then "already been redeemed"), Bearer-only
data endpoints that answer 401 with a `WWW-Authenticate` challenge, ASP.NET Web API error bodies
(405, 400 `ModelState`), the timetable week snapping, each actual week's changes (lessons
cancelled, removed, substituted, moved or added: `timetable_changes`), and per-account modules
and user types.

Where public notes are silent the sandbox decides, and says so here:
- the marking endpoints refuse an account that is not a teacher with the live 403
  `{"Message": "Some privilege is missing (IsTeacher,IsSuperuser)."}`; an endpoint meant for
  another user type (subjects for teachers), or one whose module is switched off, answers 403
  `{"Message": "An error has occurred."}`, like the what-if endpoint does when prediction is off;
- teachers' grade book (marking) is gated on their `Marks` module;
- an unknown or someone else's marking atom answers 404 `{"Message": "An error has occurred."}`;
- a weekend date in `timetable/actual` returns the week it belongs to (Monday to Friday);
- the permanent timetable's days carry the dates of the current week;
- a server without the mobile API (`mobile_api_enabled = False`) answers `invalid_client`;
- the school year is the one containing the sandbox's clock; in July and August `/api/3/user`
  has no semester; in `summer` mode (mid-summer, when servers stop serving last year, a switch:
  the notes give no date) it lists no modules either, and the event lists are empty; the modules
  still gate access;
- refused logins carry an OpenIddict `error_uri` (not on legacy servers);
- a server that needs `Accept-Language: cs` (some do, per users' reports) is a fault to switch
  on (`czech_only`): it then answers 500 to a request without it.
"""

import html
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sync.upstream.sandbox import Handler, Reply, Request, SandboxApp, json_reply

from . import dataset
from .dataset import PRAGUE, Account, Event, Pupil, School
from .school_year import (
    MONDAY,
    WEDNESDAY,
    SchoolYear,
    monday_of,
    nth_weekday,
    weekday_on_or_before,
)
from .timetable_changes import Change, Taught, WeekChanges, plan_week

API_VERSION = {"ApiVersion": "3.28.0", "ApplicationVersion": "1.62.1022.1", "BaseUrl": "api/3"}
LEGACY_VERSION = {"ApiVersion": "3.8.0", "ApplicationVersion": "1.28.306.4", "BaseUrl": "api/3"}
CLIENT_ID = "ANDR"
OPENIDDICT_ERRORS = "https://documentation.openiddict.com/errors/"
DENIED = {"Message": "Authorization has been denied for this request."}
AN_ERROR = {"Message": "An error has occurred."}
NOT_A_TEACHER = {"Message": "Some privilege is missing (IsTeacher,IsSuperuser)."}
CHANGES_AHEAD = 14  # days from the current week's Monday that have their changes planned
QUERY_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
LESSON_TIMES = (
    "7:05-7:50 8:00-8:45 8:55-9:40 10:00-10:45 10:55-11:40 11:50-12:35 12:40-13:25 "
    "13:35-14:20 14:30-15:15 15:20-16:05 16:10-16:55"
)
HOURS = [  # ids are not captions: lesson "1" has id 3
    dict(
        zip(
            ("Id", "Caption", "BeginTime", "EndTime"),
            (2 + n, str(n), *span.split("-")),
            strict=True,
        )
    )
    for n, span in enumerate(LESSON_TIMES.split())
]
CYCLES = {
    "1": {"Id": "1", "Abbrev": "L", "Name": "Lichý"},
    "0": {"Id": "0", "Abbrev": "S", "Name": "Sudý"},
}
MARK_OPTIONS = [
    {"Id": str(n), "Abbrev": str(n), "Name": name}
    for n, name in enumerate(["výborný", "chvalitebný", "dobrý", "dostatečný", "nedostatečný"], 1)
]
FAMILY_TYPES = ("student", "parents")  # every other type is staff: teacher, headmastership, ...
USER_TYPE_TEXT = {"teacher": "učitel", "student": "žák", "parents": "rodič"}


@dataclass
class AccessGrant:
    username: str
    expires_at: float
    calls: int = 0


@dataclass
class RefreshGrant:
    username: str
    issued_at: float
    redemptions: int = 0


class BakalariSandbox(SandboxApp):
    title = "Bakaláři (API v3)"

    def __init__(
        self,
        prefix: str = "",
        *,
        school: School | None = None,
        clock: Callable[[], float] = time.time,
        access_lifetime: int | None = None,
        legacy: bool = False,
        refresh_reuse_limit: int = 3,
        refresh_idle_seconds: int = 30 * 24 * 3600,
        error_uris: bool | None = None,
        whole_school_account: bool = False,
    ) -> None:
        super().__init__(prefix)
        self.clock = clock
        self.school = school or School.build(
            today=self.today(), whole_school_account=whole_school_account
        )
        self.legacy = legacy  # API 3.8: token_type "bearer", 599 s, no id_token or scope
        self.access_lifetime = access_lifetime or (599 if legacy else 3599)
        self.refresh_reuse_limit = refresh_reuse_limit
        self.refresh_idle_seconds = refresh_idle_seconds
        # newer servers add OpenIddict error codes to 400 bodies; API 3.8 did not
        self.error_uris = not legacy if error_uris is None else error_uris
        self.access_token_calls: int | None = None  # fault: tokens die after this many calls
        # fault: the token endpoint refuses, quoting the posted form; a spent token is quoted
        self.echo_login = False
        self.mobile_api_enabled = True
        self.summer = False
        self.czech_only = False  # fault: 500 to a request without `Accept-Language: cs`
        self.refuse_marking: set[str] = set()  # fault: these teachers' grade books answer 403
        # The school publishes its public timetable (its start page lists every class, teacher
        # and room); off, the page redirects to the login page as a server that hides it does.
        self.public_timetable = True
        self.languages: list[str] = []  # the Accept-Language of each request, "" for none
        self.api_versions = [LEGACY_VERSION if legacy else API_VERSION]
        self.access_tokens: dict[str, AccessGrant] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.add_routes()

    def add_routes(self) -> None:
        self.route("GET", "/api", self.versions)
        self.route("GET", "/api/3", self.version)
        self.route("POST", "/api/login", self.login)
        self.route("GET", "/Timetable/Public", self.public_timetable_page)
        self.route("GET", "/api/3/user", self.data(self.user))
        timetable = self.data(self.timetable_permanent, module="Timetable")
        self.route("GET", "/api/3/timetable/permanent", timetable)
        self.route("GET", "/api/3/timetable/actual", self.data(self.timetable_actual, "Timetable"))
        self.route("GET", "/api/3/events", self.data(self.events, module="Events"))
        self.route("GET", "/api/3/subjects", self.data(self.subjects, "Subjects", FAMILY_TYPES))
        atoms = self.data(self.marking_atoms, "Marks", ("teacher",), NOT_A_TEACHER)
        self.route("GET", "/api/3/marking/atoms", atoms)
        marks = self.data(self.marking_marks, "Marks", ("teacher",), NOT_A_TEACHER)
        self.route("GET", "/api/3/marking/marks/(?P<atom_id>.+)", marks)

    # What tests and the demo change

    def disable_module(self, username: str, module: str) -> None:
        self.school.account(username).modules.pop(module, None)

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token handed out so far (for leak checks)."""
        return [*self.access_tokens, *self.refresh_tokens]

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock(), PRAGUE).date()

    def year(self) -> SchoolYear:
        """The school year of the clock; July and August still belong to the one ending."""
        return SchoolYear.containing(self.today())

    # Requests outside the prefix, unknown paths, wrong methods, the language

    def dispatch(self, request: Request) -> Reply:
        language = request.headers.get("accept-language", "")
        self.languages.append(language)
        if self.czech_only and not language.lower().startswith("cs"):
            return json_reply(500, AN_ERROR)
        return super().dispatch(request)

    def __call__(self, environ, start_response):
        if not self.handles(environ.get("PATH_INFO", "")):
            start_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8")])
            return [b"<!DOCTYPE html><html><body><h2>404 - File or directory not found.</h2>"]
        return super().__call__(environ, start_response)

    def method_not_allowed(self, request: Request) -> Reply:
        message = f"The requested resource does not support http method '{request.method}'."
        return json_reply(405, {"Message": message})

    def not_found(self, request: Request) -> Reply:
        if not request.path.startswith("/api"):
            return Reply(404, b"<h2>404 - File or directory not found.</h2>", html_type())
        message = f"No HTTP resource was found that matches the request URI '{request.path}'."
        return json_reply(404, {"Message": message})

    # Discovery

    def versions(self, request: Request) -> Reply:
        return json_reply(200, self.api_versions)

    def version(self, request: Request) -> Reply:
        for version in self.api_versions:
            if version["BaseUrl"] == "api/3":
                return json_reply(200, version)
        return self.not_found(request)

    # The token endpoint

    def login(self, request: Request) -> Reply:
        form = request.form  # parameters in the query string are not read, as on real servers
        if self.echo_login:  # a broken or hostile server
            posted = f"{request.body.decode()} {json.dumps(form, ensure_ascii=False)}"
            return self.oauth_error("invalid_request", f"Cannot read the request: {posted}")
        if self.legacy and not (form.get("client_id") and form.get("grant_type")):
            return self.oauth_error("invalid_client", "Unknown Client or invalid grant type.")
        if not form.get("client_id"):
            return self.oauth_error(
                "invalid_client", "The mandatory 'client_id' parameter is missing.", "ID2029"
            )
        if not form.get("grant_type"):
            return self.oauth_error(
                "invalid_request", "The mandatory 'grant_type' parameter is missing.", "ID2029"
            )
        if form["client_id"] != CLIENT_ID or not self.mobile_api_enabled:
            description = "The specified 'client_id' is invalid."
            return self.oauth_error("invalid_client", description, "ID2052")
        if form["grant_type"] == "password":
            return self.password_grant(form)
        if form["grant_type"] == "refresh_token":
            return self.refresh_grant(form)
        return self.oauth_error(
            "unsupported_grant_type", "The specified 'grant_type' is not supported.", "ID2032"
        )

    def password_grant(self, form: dict[str, str]) -> Reply:
        username, password = form.get("username"), form.get("password")
        if not username or not password:
            description = "The mandatory 'username' and/or 'password' parameters are missing."
            return self.oauth_error("invalid_request", description, "ID2059")
        account = self.school.account(username)
        if account is None or not secrets.compare_digest(
            account.password.encode(), password.encode()
        ):
            return self.oauth_error("invalid_grant", "Špatný login nebo heslo", "ID2024")
        return self.issue(account)

    def refresh_grant(self, form: dict[str, str]) -> Reply:
        token = form.get("refresh_token")
        if not token:
            return self.oauth_error(
                "invalid_request", "The mandatory 'refresh_token' parameter is missing.", "ID2029"
            )
        grant = self.refresh_tokens.get(token)
        if grant is None:
            return self.oauth_error("invalid_grant", "The specified token is invalid.", "ID2003")
        if self.clock() - grant.issued_at > self.refresh_idle_seconds:
            return self.oauth_error(
                "invalid_grant", "The specified token is no longer valid.", "ID2012"
            )
        if grant.redemptions >= self.refresh_reuse_limit:
            description = "The specified refresh token has already been redeemed."
            return self.oauth_error("invalid_grant", description, "ID2012")
        grant.redemptions += 1
        return self.issue(self.school.account(grant.username))

    def issue(self, account: Account) -> Reply:
        now = self.clock()
        access, refresh = secrets.token_urlsafe(96), secrets.token_urlsafe(128)
        self.access_tokens[access] = AccessGrant(account.username, now + self.access_lifetime)
        self.refresh_tokens[refresh] = RefreshGrant(account.username, now)
        return json_reply(200, self.token_body(account, access, refresh))

    def token_body(self, account: Account, access: str, refresh: str) -> dict:
        version = self.api_versions[0]
        about = {
            "bak:ApiVersion": version["ApiVersion"],
            "bak:AppVersion": version["ApplicationVersion"],
            "bak:UserId": account.person_id,
        }
        if self.legacy:
            tokens = {"access_token": access, "token_type": "bearer"}
            return {**tokens, "expires_in": self.access_lifetime, "refresh_token": refresh, **about}
        return {
            **about,
            "access_token": access,
            "refresh_token": refresh,
            "id_token": secrets.token_urlsafe(48),
            "token_type": "Bearer",
            "expires_in": self.access_lifetime,
            "scope": "openid profile offline_access bakalari_api",
        }

    def oauth_error(self, error: str, description: str, code: str = "") -> Reply:
        body = {"error": error, "error_description": description}
        if code and self.error_uris:
            body["error_uri"] = OPENIDDICT_ERRORS + code
        return json_reply(400, body)

    def public_timetable_page(self, request: Request) -> Reply:
        """The public timetable's start page: a select each of classes, teachers and rooms."""
        if not self.public_timetable:
            return Reply(302, b"", {"Location": f"{self.prefix}/login"})
        school = self.school
        selects = "".join(
            public_select(name, label, items)
            for name, label, items in (
                ("selectedClass", "Třídy", [(c.id, c.abbrev) for c in school.classes]),
                ("selectedTeacher", "Učitelé", [(t.id, t.surname_first) for t in school.teachers]),
                ("selectedRoom", "Místnosti", [(r.id, r.abbrev) for r in school.rooms]),
            )
        )
        page = (
            '<!DOCTYPE html><html lang="cs"><head><meta charset="utf-8">'
            f"<title>Rozvrh - {html.escape(dataset.SCHOOL_NAME)}</title></head>"
            f'<body><div id="main"><div class="bk-timetable-selects">{selects}</div>'
            "</div></body></html>"
        )
        return Reply(200, page.encode(), html_type())

    # Data endpoints: Bearer token, then user type and module

    def data(
        self, handler, module: str = "", user_types: tuple[str, ...] = (), refusal=AN_ERROR
    ) -> Handler:
        """`handler(request, account, ...)` behind the Bearer check, the user type and module;
        `refusal` is the 403 body for another user type."""

        def guarded(request: Request, **params) -> Reply:
            account = self.authorize(request)
            if isinstance(account, Reply):
                return account
            if user_types and account.user_type not in user_types:
                return json_reply(403, refusal)
            if module and module not in account.modules:
                return json_reply(403, AN_ERROR)
            return handler(request, account, **params)

        return guarded

    def authorize(self, request: Request) -> Account | Reply:
        token = request.bearer()
        if not token:
            return json_reply(401, DENIED, {"WWW-Authenticate": "Bearer"})
        grant = self.access_tokens.get(token)
        if grant is None:
            return unauthorized("The specified token is invalid.", "ID2004")
        spent = self.access_token_calls is not None and grant.calls >= self.access_token_calls
        if spent or self.clock() >= grant.expires_at:
            quoted = f" ({token})" if self.echo_login else ""  # a hostile server quotes it back
            return unauthorized(f"The specified token{quoted} is no longer valid.", "ID2019")
        grant.calls += 1
        return self.school.account(grant.username)

    def user(self, request: Request, account: Account) -> Reply:
        payload = UserView(self.school, account, self.today(), self.year()).payload()
        if self.summer:
            del payload["EnabledModules"]
            payload["SettingModules"]["Common"].pop("ActualSemester", None)
        return json_reply(200, payload)

    def timetable_permanent(self, request: Request, account: Account) -> Reply:
        view = TimetableView(self.school, account, self.year())
        return json_reply(200, view.permanent(self.week_of(self.today())))

    def timetable_actual(self, request: Request, account: Account) -> Reply:
        day = self.query_date(request, "date")
        if isinstance(day, Reply):
            return day
        planned_until = monday_of(self.today()) + timedelta(days=CHANGES_AHEAD - 1)
        view = TimetableView(self.school, account, self.year(), planned_until)
        return json_reply(200, view.actual(self.week_of(day or self.today())))

    def week_of(self, day: date) -> date:
        """The Monday of `day`'s week, kept within the school year and the summer after it."""
        year = self.year()
        first = monday_of(year.first_school_day)  # not a week of August before a Sunday 1st
        return min(max(monday_of(day), first), monday_of(year.summer_end))

    def events(self, request: Request, account: Account) -> Reply:
        since = self.query_date(request, "from")
        if isinstance(since, Reply):
            return since
        if self.summer:
            return json_reply(200, {"Events": []})
        class_ids = self.school.class_ids_of(account)
        events = [
            event_payload(self.school, event)
            for event in self.school.events
            if (not event.class_ids or class_ids & set(event.class_ids))
            and (since is None or event.times[-1].end.date() >= since)
        ]
        return json_reply(200, {"Events": events})

    def query_date(self, request: Request, name: str) -> date | Reply | None:
        value = request.query.get(name)
        if value is None:
            return None
        try:
            if QUERY_DATE.match(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        return model_state_error(name, value)

    def subjects(self, request: Request, account: Account) -> Reply:
        pupil = self.school.pupil(account.person_id)
        groups = {g.id for g in self.school.groups_of(pupil)} if pupil else set()
        atoms = [a for a in self.school.atoms if a.group_id in groups]
        return json_reply(200, {"Subjects": [pupil_subject(self.school, a) for a in atoms]})

    def marking_atoms(self, request: Request, account: Account) -> Reply:
        if account.username in self.refuse_marking:
            return json_reply(403, AN_ERROR)
        atoms = [atom_payload(self.school, a) for a in self.school.atoms_of(account)]
        return json_reply(200, {"Atoms": atoms})

    def marking_marks(self, request: Request, account: Account, atom_id: str) -> Reply:
        atom = next((a for a in self.school.atoms_of(account) if a.id == atom_id), None)
        if atom is None:
            return json_reply(404, AN_ERROR)
        return json_reply(200, marks_payload(self.school, atom))


def public_select(name: str, label: str, items: list[tuple[str, str]]) -> str:
    options = "".join(
        f'<option value="{html.escape(value)}">{html.escape(text)}</option>'
        for value, text in items
    )
    return (
        f'<label for="{name}">{label}</label><select id="{name}" name="{name}">'
        f'<option value="">-- vyberte --</option>{options}</select>'
    )


def html_type() -> dict[str, str]:
    return {"Content-Type": "text/html; charset=utf-8"}


def unauthorized(description: str, code: str) -> Reply:
    challenge = (
        f'Bearer error="invalid_token", error_description="{description}", '
        f'error_uri="{OPENIDDICT_ERRORS}{code}"'
    )
    return json_reply(401, DENIED, {"WWW-Authenticate": challenge})


def model_state_error(name: str, value: str) -> Reply:
    problem = {
        "$type": "String[]",
        "$values": [f"The value '{value}' is not valid for Nullable`1."],
    }
    body = {
        "Message": "The request is invalid.",
        "ModelState": {"$type": "HttpError", name: problem},
    }
    return json_reply(400, body)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def midnight(day: date) -> str:
    return iso(dataset.at(day))


def ref(item, name: str | None = None) -> dict[str, str]:
    return {"Id": item.id, "Abbrev": item.abbrev, "Name": item.name if name is None else name}


@dataclass
class UserView:
    school: School
    account: Account
    today: date
    year: SchoolYear

    def payload(self) -> dict:
        account = self.account
        return {
            "UserUID": f"{dataset.SCHOOL_ID}/{account.person_id}",
            "CampaignCategoryCode": "",
            "Class": self.school_class(),
            "FullName": self.full_name(),
            "SchoolOrganizationName": dataset.SCHOOL_NAME,
            "SchoolType": None,
            "UserType": account.user_type,
            "UserTypeText": USER_TYPE_TEXT.get(account.user_type, account.user_type),
            "StudyYear": self.study_year(),
            "EnabledModules": [{"Module": m, "Rights": r} for m, r in account.modules.items()],
            "SettingModules": {"Common": self.semester()},
        }

    def pupil(self) -> Pupil | None:
        return self.school.pupil(self.account.person_id)

    def school_class(self) -> dict:
        pupil = self.pupil()
        school_class = self.school.school_class(pupil.class_id) if pupil else None
        return ref(school_class) if school_class else {"Id": "", "Abbrev": "", "Name": ""}

    def full_name(self) -> str:
        if self.account.user_type not in FAMILY_TYPES:
            return self.school.teacher(self.account.person_id).surname_first
        pupil = self.pupil()
        school_class = self.school.school_class(pupil.class_id) if pupil else None
        name = self.account.parent_name or (pupil.display_name if pupil else "")
        return f"{name}, {school_class.abbrev}" if school_class else name

    def study_year(self) -> int:
        pupil = self.pupil()
        school_class = self.school.school_class(pupil.class_id) if pupil else None
        return school_class.grade if school_class else 0

    def semester(self) -> dict:
        """The semester of today; none in the summer holidays, as live servers then answer."""
        if self.year.in_summer(self.today):
            return {"$type": "CommonModuleSettings"}
        year, half = self.year, self.year.second_semester
        first = self.today < half
        start, end = (year.start, half - timedelta(days=1)) if first else (half, year.end)
        return {
            "$type": "CommonModuleSettings",
            "ActualSemester": {
                "SemesterId": "1" if first else "2",
                "From": midnight(start),
                "To": iso(dataset.at(end, 23, 59).replace(second=59)),
            },
        }


@dataclass
class TimetableView:
    """An account's timetable: the permanent one, or one real week with that week's changes.

    A week's changes show to whoever sees the lesson as planned or as taught: the sick teacher
    sees their lessons removed or substituted, the substitute the lessons they take over.
    """

    school: School
    account: Account
    year: SchoolYear
    planned_until: date | None = None  # the last day whose changes are known

    def permanent(self, monday: date) -> dict:
        lessons = self.school.lessons_of(self.account)
        days = [self.permanent_day(monday, weekday, lessons) for weekday in range(1, 6)]
        return self.payload(days, list(CYCLES.values()), lessons)

    def permanent_day(self, monday: date, weekday: int, lessons: list) -> dict:
        on = sorted((x for x in lessons if x.day == weekday), key=lambda x: x.hour_id)
        day = monday + timedelta(days=weekday - 1)
        atoms = [atom_of(lesson, list(CYCLES)) for lesson in on]
        return {**self.frame(day, weekday, "WorkDay", ""), "Atoms": atoms}

    def actual(self, monday: date) -> dict:
        cycle = str(monday.isocalendar().week % 2)
        week = [monday + timedelta(days=n) for n in range(5)]
        planned = [d for d in week if self.year.is_school_day(d) and self.has_plans(d)]
        changes = plan_week(self.school, planned)
        days = [self.actual_day(day, cycle, changes) for day in week]
        taught = [lesson for day in days for lesson in day.pop("lessons")]
        if not taught:  # a whole free week: only the hours remain
            return self.payload(days, [], [])
        return self.payload(days, [CYCLES[cycle]], taught)

    def has_plans(self, day: date) -> bool:
        return self.planned_until is None or day <= self.planned_until

    def actual_day(self, day: date, cycle: str, changes: WeekChanges) -> dict:
        weekday = day.isoweekday()
        free = self.year.day_off(day)
        if free:
            return {**self.frame(day, weekday, *free), "Atoms": [], "lessons": []}
        sees = self.school.sees(self.account)
        taught = [
            changes.of(day, x) or Taught(day, x, None)
            for x in self.school.lessons
            if x.day == weekday
        ]
        taught += [added for added in changes.added if added.day == day]
        shown = [t for t in taught if sees(t.lesson) or sees(self.planned(t))]
        shown.sort(key=lambda t: t.lesson.hour_id)
        atoms = [atom_of(t.lesson, [cycle], t.change, day) for t in shown]
        lessons = [t.lesson for t in shown]
        return {**self.frame(day, weekday, "WorkDay", ""), "Atoms": atoms, "lessons": lessons}

    def planned(self, taught: Taught):
        """The lesson of the permanent timetable a changed one stands for (itself if added)."""
        if taught.change is None or taught.change.kind == "Added":
            return taught.lesson
        return next(
            x
            for x in self.school.lessons
            if (x.day, x.group_id, x.hour_id)
            == (taught.lesson.day, taught.lesson.group_id, taught.lesson.hour_id)
        )

    def frame(self, day: date, weekday: int, day_type: str, description: str) -> dict:
        return {
            "AssistanceAtoms": [],
            "DayOfWeek": weekday,
            "Date": midnight(day),
            "DayDescription": description,
            "DayType": day_type,
        }

    def payload(self, days: list[dict], cycles: list[dict], lessons: list) -> dict:
        school = self.school
        groups = [school.group(x.group_id) for x in lessons]  # one entry per atom: they repeat
        class_ids = {g.class_id for g in groups}
        used = {x.subject_id for x in lessons}, {x.teacher_id for x in lessons}
        room_ids = {x.room_id for x in lessons}
        return {
            "Hours": HOURS,
            "Days": days,
            "Classes": [ref(c) for c in school.classes if c.id in class_ids],
            "Groups": [{"ClassId": g.class_id, **ref(g)} for g in groups],
            "Subjects": [ref(s) for s in school.subjects if s.id in used[0]],
            "Teachers": [ref(t) for t in school.teachers if t.id in used[1]],
            "Rooms": [ref(r) for r in school.rooms if r.id in room_ids],
            "Cycles": cycles,
            "Students": [],
        }


def atom_of(lesson, cycle_ids: list[str], change: Change | None = None, day=None) -> dict:
    held = lesson.subject_id is not None  # a removed or cancelled lesson keeps only its hour
    return {
        "HourId": lesson.hour_id,
        "GroupIds": [lesson.group_id],
        "SubjectId": lesson.subject_id,
        "TeacherId": lesson.teacher_id,
        "RoomId": lesson.room_id,
        "CycleIds": cycle_ids if held else [],
        "Change": change_payload(change, day) if change else None,
        "HomeworkIds": [],
        "Theme": "" if held else None,
        "IsLastRoomLesson": False,
        "Homeworks": [],
        "Assistants": [],
        "Notice": "" if held else None,
        "LessonRelease": "NoChange",
    }


def change_payload(change: Change, day: date) -> dict:
    first, last = (HOURS[hour_id - HOURS[0]["Id"]] for hour_id in change.hours)
    captions = (first["Caption"], last["Caption"])
    hours = f"{captions[0]}. hod" if first is last else "{}. - {}. hod".format(*captions)
    start, end = minutes(first["BeginTime"]), minutes(last["EndTime"])
    return {
        "ChangeSubject": None,
        "Day": midnight(day),
        "Hours": hours,
        "ChangeType": change.kind,
        "ChangeDisplayType": change.display,
        "Description": change.description,
        "Time": f"{first['BeginTime']} - {last['EndTime']}",
        "TypeAbbrev": change.type_abbrev,
        "TypeName": change.type_name,
        "AtomType": "Hour",
        "ChangeLessonInfo": None,
        "BeginTime": None,
        "EndTime": None,
        "Start": start,
        "Duration": end - start,
    }


def minutes(clock_time: str) -> int:
    hours, mins = clock_time.split(":")
    return int(hours) * 60 + int(mins)


def event_payload(school: School, event: Event) -> dict:
    classes = [school.school_class(i) for i in event.class_ids]
    teachers = [school.teacher(i) for i in event.teacher_ids]
    rooms = [school.room(i) for i in event.room_ids]
    return {
        "Id": event.id,
        "Title": event.title,
        "Description": event.description,
        "Times": [
            {"WholeDay": t.whole_day, "StartTime": iso(t.start), "EndTime": iso(t.end)}
            for t in event.times
        ],
        "EventType": dict(zip(("Id", "Abbrev", "Name"), event.kind, strict=True)),
        "Classes": [ref(c) for c in classes if c],
        "ClassSets": [],
        "Teachers": [ref(t, t.surname_first) for t in teachers if t],
        "TeacherSets": [],
        "Rooms": [ref(r) for r in rooms if r],
        "RoomSets": [],
        "Students": [],
        "Note": None,
        "DateChanged": iso(event.changed),
    }


def pupil_subject(school: School, atom) -> dict:
    subject, teacher = school.subject(atom.subject_id), school.teacher(atom.teacher_id)
    return {
        "SubjectID": subject.id,
        "SubjectName": subject.name,
        "SubjectAbbrev": subject.abbrev.rstrip(),
        "TeacherID": teacher.id,
        "TeacherName": teacher.surname_first,
        "TeacherAbbrev": teacher.abbrev,
        "TeacherEmail": f"{teacher.abbrev.lower()}@gjk.example.cz",
        "TeacherWeb": "",
        "TeacherSchoolPhone": None,
        "TeacherHomePhone": None,
        "TeacherMobilePhone": None,
    }


def atom_payload(school: School, atom) -> dict:
    group, subject = school.group(atom.group_id), school.subject(atom.subject_id)
    return {
        "Id": atom.id,
        "Name": f"{group.abbrev}, {subject.name}",
        "Subject": ref(subject),
        "Disabled": False,
        "DisabledText": None,
    }


def marks_payload(school: School, atom) -> dict:
    teacher = school.teacher(atom.teacher_id)
    pupils = school.taught(atom)
    tests = test_days(school.year)
    marks = [mark for pupil in pupils for mark in pupil_marks(atom, pupil, tests)]
    return {
        "MarkOptions": MARK_OPTIONS,
        "Marks": marks,
        "Students": [student_payload(pupil, atom, tests) for pupil in pupils],
        "Teachers": [ref(teacher)],
    }


def student_payload(pupil, atom, tests) -> dict:
    values = [int(m["MarkValue"]) for m in pupil_marks(atom, pupil, tests)]
    average = f"{sum(values) / len(values):.2f} ".replace(".", ",") if values else ""
    return {
        "Id": pupil.id,
        "ClassId": pupil.class_id,
        "DisplayName": pupil.display_name,
        "FirstName": pupil.first_name,
        "MiddleName": "",
        "LastName": pupil.last_name,
        "RegistrationNumber": pupil.registration_number,
        "AverageText1": average,
        "AverageText2": "",
        "ReleasedOfSubject": False,
    }


def test_days(year: SchoolYear) -> tuple[tuple[str, date], ...]:
    """The written tests of the year: the second Wednesday of October, the last Monday of March."""
    autumn = nth_weekday(year.first, 10, WEDNESDAY, 2)
    spring = weekday_on_or_before(date(year.first + 1, 3, 31), MONDAY)
    return ("H1", autumn), ("H2", spring)


def pupil_marks(atom, pupil, tests) -> list[dict]:
    """Two written tests per atom; the mark follows from the ids, so it is stable."""
    marks = []
    for header, day in tests:
        digest = sum(map(ord, f"{atom.id}|{header}|{pupil.id}"))
        if digest % 7 == 0:
            continue  # absent that day
        marks.append(mark_payload(atom, pupil, header, day, str(1 + digest % 5)))
    return marks


def mark_payload(atom, pupil, header: str, day: date, value: str) -> dict:
    edited = iso(dataset.at(day, 14, 10))
    return {
        "Id": f"{pupil.id}:{header}{atom.id}",
        "MarkDate": midnight(day),
        "EditDate": edited,
        "TeacherId": atom.teacher_id,
        "HeaderId": header,
        "MarkValue": value,
        "Theme": "Písemná práce",
        "StudentId": pupil.id,
        "ReadOnly": False,
        "ReadOnlyDescription": None,
        "PublishDate": edited,
        "ConfirmedWhen": None,
        "ConfirmedBy": None,
        "MarkConfirmationState": "None",
    }
