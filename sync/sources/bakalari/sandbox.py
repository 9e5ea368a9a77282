"""A local Bakaláři server (API v3) with the quirks real school servers have.

Unauthenticated discovery (`/api`, `/api/3`), the OpenIddict-style token endpoint with
rotating refresh tokens (each redeemable three times, then "already been redeemed"), Bearer-only
data endpoints that answer 401 with a `WWW-Authenticate` challenge, ASP.NET Web API error bodies
(405, 400 `ModelState`), the timetable week snapping, and per-account modules and user types.

Where public notes are silent the sandbox decides, and says so here:
- an endpoint meant for another user type (marking for pupils and parents, subjects for
  teachers), or one whose module is switched off, answers 403 `{"Message": "An error has
  occurred."}`, like the what-if endpoint does when prediction is off;
- teachers' grade book (marking) is gated on their `Marks` module;
- an unknown or someone else's marking atom answers 404 `{"Message": "An error has occurred."}`;
- a weekend date in `timetable/actual` returns the week it belongs to (Monday to Friday);
- the permanent timetable's days carry the dates of the current week;
- a server without the mobile API (`mobile_api_enabled = False`) answers `invalid_client`;
- in `summer` mode (mid-summer, when servers stop serving last year) `/api/3/user` lists neither
  the semester nor the modules, and the event lists are empty; the modules still gate access.
"""

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

API_VERSION = {"ApiVersion": "3.28.0", "ApplicationVersion": "1.62.1022.1", "BaseUrl": "api/3"}
LEGACY_VERSION = {"ApiVersion": "3.8.0", "ApplicationVersion": "1.28.306.4", "BaseUrl": "api/3"}
CLIENT_ID = "ANDR"
OPENIDDICT_ERRORS = "https://documentation.openiddict.com/errors/"
DENIED = {"Message": "Authorization has been denied for this request."}
AN_ERROR = {"Message": "An error has occurred."}
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
        error_uris: bool = False,
    ) -> None:
        super().__init__(prefix)
        self.school = school or School.build()
        self.clock = clock
        self.legacy = legacy  # API 3.8: token_type "bearer", 599 s, no id_token or scope
        self.access_lifetime = access_lifetime or (599 if legacy else 3599)
        self.refresh_reuse_limit = refresh_reuse_limit
        self.refresh_idle_seconds = refresh_idle_seconds
        self.error_uris = error_uris  # newer servers add OpenIddict error codes to 400 bodies
        self.access_token_calls: int | None = None  # fault: tokens die after this many calls
        # fault: the token endpoint refuses, quoting the posted form; a spent token is quoted
        self.echo_login = False
        self.mobile_api_enabled = True
        self.summer = False
        self.api_versions = [LEGACY_VERSION if legacy else API_VERSION]
        self.access_tokens: dict[str, AccessGrant] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.add_routes()

    def add_routes(self) -> None:
        self.route("GET", "/api", self.versions)
        self.route("GET", "/api/3", self.version)
        self.route("POST", "/api/login", self.login)
        self.route("GET", "/api/3/user", self.data(self.user))
        timetable = self.data(self.timetable_permanent, module="Timetable")
        self.route("GET", "/api/3/timetable/permanent", timetable)
        self.route("GET", "/api/3/timetable/actual", self.data(self.timetable_actual, "Timetable"))
        self.route("GET", "/api/3/events", self.data(self.events, module="Events"))
        self.route("GET", "/api/3/subjects", self.data(self.subjects, "Subjects", FAMILY_TYPES))
        atoms = self.data(self.marking_atoms, "Marks", ("teacher",))
        self.route("GET", "/api/3/marking/atoms", atoms)
        marks = self.data(self.marking_marks, "Marks", ("teacher",))
        self.route("GET", "/api/3/marking/marks/(?P<atom_id>.+)", marks)

    # What tests and the demo change

    def disable_module(self, username: str, module: str) -> None:
        self.school.account(username).modules.pop(module, None)

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token handed out so far (for leak checks)."""
        return [*self.access_tokens, *self.refresh_tokens]

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock(), PRAGUE).date()

    # Requests outside the prefix, unknown paths, wrong methods

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
                "invalid_client", "The mandatory 'client_id' parameter is missing."
            )
        if not form.get("grant_type"):
            return self.oauth_error(
                "invalid_request", "The mandatory 'grant_type' parameter is missing."
            )
        if form["client_id"] != CLIENT_ID or not self.mobile_api_enabled:
            return self.oauth_error("invalid_client", "The specified 'client_id' is invalid.")
        if form["grant_type"] == "password":
            return self.password_grant(form)
        if form["grant_type"] == "refresh_token":
            return self.refresh_grant(form)
        return self.oauth_error(
            "unsupported_grant_type", "The specified 'grant_type' is not supported."
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
                "invalid_request", "The mandatory 'refresh_token' parameter is missing."
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

    # Data endpoints: Bearer token, then user type and module

    def data(self, handler, module: str = "", user_types: tuple[str, ...] = ()) -> Handler:
        """`handler(request, account, ...)` behind the Bearer check, the user type and module."""

        def guarded(request: Request, **params) -> Reply:
            account = self.authorize(request)
            if isinstance(account, Reply):
                return account
            if user_types and account.user_type not in user_types:
                return json_reply(403, AN_ERROR)
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
        payload = UserView(self.school, account, self.today()).payload()
        if self.summer:
            del payload["EnabledModules"]
            del payload["SettingModules"]["Common"]["ActualSemester"]
        return json_reply(200, payload)

    def timetable_permanent(self, request: Request, account: Account) -> Reply:
        view = TimetableView(self.school, self.school.lessons_of(account))
        return json_reply(200, view.permanent(self.week_of(self.today())))

    def timetable_actual(self, request: Request, account: Account) -> Reply:
        day = self.query_date(request, "date")
        if isinstance(day, Reply):
            return day
        view = TimetableView(self.school, self.school.lessons_of(account))
        return json_reply(200, view.actual(self.week_of(day or self.today())))

    def week_of(self, day: date) -> date:
        """The Monday of `day`'s week, kept within the school year and the summer after it."""
        monday = day - timedelta(days=day.weekday())
        first = dataset.YEAR_START - timedelta(days=dataset.YEAR_START.weekday())
        summer_end = date(dataset.YEAR_END.year, 8, 31)
        last = summer_end - timedelta(days=summer_end.weekday())
        return min(max(monday, first), last)

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
        atoms = [atom_payload(self.school, a) for a in self.school.atoms_of(account)]
        return json_reply(200, {"Atoms": atoms})

    def marking_marks(self, request: Request, account: Account, atom_id: str) -> Reply:
        atom = next((a for a in self.school.atoms_of(account) if a.id == atom_id), None)
        if atom is None:
            return json_reply(404, AN_ERROR)
        return json_reply(200, marks_payload(self.school, atom))


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
        half = date(dataset.YEAR_START.year + 1, 2, 1)
        first = self.today < half
        start, end = (
            (dataset.YEAR_START, half - timedelta(days=1)) if first else (half, dataset.YEAR_END)
        )
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
    """The timetable payload of a set of lessons: the permanent one or one real week."""

    school: School
    lessons: list

    def permanent(self, monday: date) -> dict:
        days = [self.day(monday + timedelta(days=n), n + 1, list(CYCLES)) for n in range(5)]
        return self.payload(days, list(CYCLES.values()), self.lessons)

    def actual(self, monday: date) -> dict:
        cycle = str(monday.isocalendar().week % 2)
        days = [self.actual_day(monday + timedelta(days=n), n + 1, cycle) for n in range(5)]
        taught = [lesson for day in days for lesson in day.pop("lessons")]
        if not taught:  # a whole free week: only the hours remain
            return self.payload(days, [], [])
        return self.payload(days, [CYCLES[cycle]], taught)

    def actual_day(self, day: date, weekday: int, cycle: str) -> dict:
        free = dataset.HOLIDAYS.get(day)
        if free is None and not dataset.YEAR_START <= day <= dataset.YEAR_END:
            free = ("Holiday", "")
        if free:
            return {**self.frame(day, weekday, *free), "Atoms": [], "lessons": []}
        return {**self.day(day, weekday, [cycle]), "lessons": self.on(weekday)}

    def day(self, day: date, weekday: int, cycle_ids: list[str]) -> dict:
        atoms = [atom_of(lesson, cycle_ids) for lesson in self.on(weekday)]
        return {**self.frame(day, weekday, "WorkDay", ""), "Atoms": atoms}

    def frame(self, day: date, weekday: int, day_type: str, description: str) -> dict:
        return {
            "AssistanceAtoms": [],
            "DayOfWeek": weekday,
            "Date": midnight(day),
            "DayDescription": description,
            "DayType": day_type,
        }

    def on(self, weekday: int) -> list:
        return sorted((x for x in self.lessons if x.day == weekday), key=lambda x: x.hour_id)

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


def atom_of(lesson, cycle_ids: list[str]) -> dict:
    return {
        "HourId": lesson.hour_id,
        "GroupIds": [lesson.group_id],
        "SubjectId": lesson.subject_id,
        "TeacherId": lesson.teacher_id,
        "RoomId": lesson.room_id,
        "CycleIds": cycle_ids,
        "Change": None,
        "HomeworkIds": [],
        "Theme": "",
        "IsLastRoomLesson": False,
        "Homeworks": [],
        "Assistants": [],
        "Notice": "",
        "LessonRelease": "NoChange",
    }


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
    group, teacher = school.group(atom.group_id), school.teacher(atom.teacher_id)
    pupils = school.members(group)
    marks = [mark for pupil in pupils for mark in pupil_marks(atom, pupil)]
    return {
        "MarkOptions": MARK_OPTIONS,
        "Marks": marks,
        "Students": [student_payload(pupil, atom) for pupil in pupils],
        "Teachers": [ref(teacher)],
    }


def student_payload(pupil, atom) -> dict:
    values = [int(m["MarkValue"]) for m in pupil_marks(atom, pupil)]
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


def pupil_marks(atom, pupil) -> list[dict]:
    """Two written tests per atom; the mark follows from the ids, so it is stable."""
    marks = []
    for header, day in (("H1", date(2025, 10, 8)), ("H2", date(2026, 3, 30))):
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
