"""Settings: the only module that reads the environment.

Values come from the process environment, then from `.env` beside manage.py (cron runs jobs
with a bare environment, so the file is found relative to this project, never the cwd).
"""

import base64
import hashlib
import ipaddress
import re
import shlex
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set (see .env.example)")
    return value


def number(name: str, default: float, cast: type = int, minimum: float = 1):
    """An int or float setting; a value that is none, or too small, is a configuration error
    naming it (a bare ValueError would exit 1, as a failed sync does)."""
    try:
        value = env(name, cast=cast, default=default)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {env.str(name)!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum:g}, not {value:g}")
    return value


def flag(name: str, default: bool) -> bool:
    """A true/false setting; any other value is a configuration error naming it (django-environ
    would read a typo such as DEBUG=ture as false)."""
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value not in (*environ.Env.BOOLEAN_TRUE_STRINGS, "false", "off", "no", "n", "0"):
        raise ImproperlyConfigured(f"{name} must be true or false, not {env.str(name)!r}")
    return value in environ.Env.BOOLEAN_TRUE_STRINGS


def database(default_file: Path) -> dict:
    """DATABASE_URL as Django's settings: PostgreSQL or SQLite. The URL is never echoed, as it
    may hold a password; an SQLite file must be in a folder that exists (a typo makes none)."""
    url = env.str("DATABASE_URL", default="")
    if not url:
        default_file.parent.mkdir(parents=True, exist_ok=True)  # var/ of a fresh checkout
        url = f"sqlite:///{default_file}"
    scheme, found, _ = url.partition("://")
    if not (found and re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*", scheme)):
        raise ImproperlyConfigured(
            "DATABASE_URL has no scheme: it must be postgres://… or sqlite:///…"
        )
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must be postgres://… or sqlite:///…, not {scheme}://…"
        )
    folder = Path(config["NAME"]).parent
    if config["ENGINE"] == "django.db.backends.sqlite3" and not folder.is_dir():
        raise ImproperlyConfigured(
            f"DATABASE_URL names an SQLite file in {folder}, a folder that does not exist"
        )
    return config


def email_server(url: str) -> dict:
    """EMAIL_URL as Django's EMAIL_* settings (backend, host, port, login, TLS). The URL is never
    echoed, as it may hold a password."""
    scheme = url.partition("://")[0]
    if scheme not in environ.Env.EMAIL_SCHEMES:
        raise ImproperlyConfigured(
            "EMAIL_URL must be smtp://…, smtp+tls://…, smtp+ssl://… or consolemail://, "
            f"not {scheme or 'no scheme'}://…"
        )
    try:
        config = environ.Env.email_url_config(url)
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number") from None
    return {name: value for name, value in config.items() if value not in (None, "")}


def email_addresses(name: str) -> list[str]:
    """A comma-separated list of e-mail addresses; one that is none is a configuration error."""
    addresses = [address.strip() for address in env.list(name, default=[]) if address.strip()]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(f"{name} holds {address!r}, not an e-mail address") from None
    return addresses


def channel_urls(name: str) -> list[str]:
    """Apprise URLs separated by spaces, new lines or commas; a comma inside a URL (some carry
    lists in their query) separates only where the next URL's scheme follows it."""
    text = env.str(name, default="")
    return [url for url in re.split(r"\s+|,\s*(?=[a-zA-Z][a-zA-Z0-9+.-]*://)", text) if url]


DEBUG = flag("DEBUG", default=False)
SECRET_KEY = required("SECRET_KEY")
# Newest first: the first key encrypts, every key decrypts (see `manage.py rotate_secrets`).
FIELD_ENCRYPTION_KEYS = [k.strip() for k in required("FIELD_ENCRYPTION_KEYS").split(",") if k]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_crontab",
    "import_export",
    "tenants",
    "sync",
    "sync.sources.bakalari",
    "sync.sources.sari",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files from the web process itself, compressed and cache-busted (collectstatic)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "edurpg.urls"
WSGI_APPLICATION = "edurpg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database(BASE_DIR / "var" / "edurpg.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # two sync processes queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory: tests start real sync processes that must see the test database.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(DATABASES["default"]["NAME"]).with_name("test-edurpg.sqlite3"))
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Prague")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
with suppress(OSError):  # WhiteNoise looks there from the start (collectstatic fills it)
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names (a year in browsers' caches) and gzip/brotli copies, made by collectstatic.
    "staticfiles": {"BACKEND": "edurpg.static_files.StaticFiles"},
}

# Security: strict by default outside DEBUG; each can be relaxed from the environment
# (for example behind a TLS-terminating proxy that already redirects).
SECURE_SSL_REDIRECT = flag("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = flag("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = flag("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = number("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = flag("SECURE_HSTS_PRELOAD", default=False)
if flag("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"


def csp_hash(text: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline text."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


# Content-Security-Policy: this site's own files only. Our templates' inline scripts and styles
# carry the request's nonce; import-export's export page has attributes of its own, allowed by
# their exact text.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "script-src-attr": [UNSAFE_HASHES, csp_hash("onSelectToggleChange(event)")],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_HASHES, csp_hash("padding: 0;"), csp_hash("font-weight: bold;")],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Login guessing: after AXES_FAILURE_LIMIT failed logins of one username from one address, that
# pair is refused for AXES_COOLOFF_MINUTES (django-axes; each refused try starts them again).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = number("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=number("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "edurpg.lockout.locked_out"
# The address is the one that connected, unless TRUSTED_PROXY_COUNT proxies stand in front, each
# appending the address it saw to X-Forwarded-For: then it is that many entries from the end, and
# whatever a client wrote there itself is ignored. (ipware counts only the proxies listed in the
# header; non-strict, a longer header still yields the entry our proxies wrote.)
TRUSTED_PROXY_COUNT = number("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
IPWARE_STRICT = False

# Outbound connections: https to public hosts only, unless this is set (the sandboxes run on
# loopback over plain http).
SYNC_ALLOW_INSECURE_URLS = flag("SYNC_ALLOW_INSECURE_URLS", default=False)

# Scheduling and sync behaviour.
SYNC_SCHEDULE = env.str("SYNC_SCHEDULE", default="*/15 * * * *")
if "%" in SYNC_SCHEDULE:
    raise ImproperlyConfigured("SYNC_SCHEDULE must not contain '%' (cron reads it as a newline)")
SYNC_WORKERS = number("SYNC_WORKERS", 4)
# How the admin's "Sync now" and the HTTP trigger start runs: process, thread or celery.
SYNC_EXECUTOR = env.str("SYNC_EXECUTOR", default="process")
if SYNC_EXECUTOR not in ("process", "thread", "celery"):
    raise ImproperlyConfigured("SYNC_EXECUTOR must be 'process', 'thread' or 'celery'")
# A run that stops renewing its lease for this long is presumed dead; another run may start.
SYNC_LEASE_SECONDS = number("SYNC_LEASE_SECONDS", 300)
SYNC_HTTP_LIMITS = {
    "timeout": number("SYNC_HTTP_TIMEOUT", 15.0, float, minimum=0.001),
    "deadline": number("SYNC_HTTP_DEADLINE", 120.0, float, minimum=0.001),
    "max_in_flight": number("SYNC_HTTP_MAX_IN_FLIGHT", 4),
    "max_response_bytes": number("SYNC_HTTP_MAX_RESPONSE_MB", 50) * 1024 * 1024,
}
SYNC_HTTP_RETRY = {
    "attempts": number("SYNC_HTTP_RETRY_ATTEMPTS", 4),
    "total_seconds": number("SYNC_HTTP_RETRY_SECONDS", 60.0, float, minimum=0.001),
}

# django-crontab: the scheduled job is a thin shell over the same engine the admin uses.
SYNC_CRON_LOG = env.str("SYNC_CRON_LOG", default=str(BASE_DIR / "var" / "cron.log"))
# The cron line appends to it before Python starts: a missing folder would stop every tick.
with suppress(OSError):  # where it cannot be made, the job's own redirect says so in cron's mail
    Path(SYNC_CRON_LOG).parent.mkdir(parents=True, exist_ok=True)
# Retention (docs/operations.md, "What is kept"): runs older than this many days are deleted
# (each connection keeps its latest, latest successful and latest failed run); records missing
# upstream this long are purged (0: never; a tenant may set its own).
SYNC_HISTORY_DAYS = number("SYNC_HISTORY_DAYS", 90)
SYNC_PURGE_MISSING_DAYS = number("SYNC_PURGE_MISSING_DAYS", 365, minimum=0)
SYNC_HOUSEKEEPING_SCHEDULE = env.str("SYNC_HOUSEKEEPING_SCHEDULE", default="30 3 * * *")
CRONJOBS = [
    (SYNC_SCHEDULE, "sync.ops.cron.scheduled_sync", f">> {shlex.quote(SYNC_CRON_LOG)} 2>&1"),
    (
        SYNC_HOUSEKEEPING_SCHEDULE,
        "sync.ops.cron.housekeeping",
        f">> {shlex.quote(SYNC_CRON_LOG)} 2>&1",
    ),
]
CRONTAB_DJANGO_SETTINGS_MODULE = "edurpg.settings"
CRONTAB_DJANGO_MANAGE_PATH = str(BASE_DIR / "manage.py")
CRONTAB_LOCK_JOBS = True  # same-host overlap; the database lease covers other machines
# Unique per checkout, so two projects on one host never replace each other's lines.
CRONTAB_COMMENT = f"edurpg-sync {BASE_DIR}"

# Alerts (sync.alerts): e-mail through EMAIL_URL's server, from SYNC_ALERT_FROM, and apprise's chat
# and webhook channels. The operator's own contacts hear of every tenant; each tenant's page
# holds its own. EMAIL_URL sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD and EMAIL_USE_TLS or EMAIL_USE_SSL.
globals().update(email_server(env.str("EMAIL_URL", default="consolemail://")))
DEFAULT_FROM_EMAIL = env.str("SYNC_ALERT_FROM", default="EduRPG sync <sync@localhost>")
SYNC_ALERT_EMAILS = email_addresses("SYNC_ALERT_EMAILS")
SYNC_ALERT_URLS = channel_urls("SYNC_ALERT_URLS")
# Seconds to connect to a mail server or channel, and for each read of its answer: a dead one
# must not hold the caller.
SYNC_ALERT_TIMEOUT = number("SYNC_ALERT_TIMEOUT", 10.0, float, minimum=0.001)
EMAIL_TIMEOUT = SYNC_ALERT_TIMEOUT

# Celery, for SYNC_EXECUTOR=celery (docs/scaling.md). Plain values: only workers, beat and the
# processes that enqueue read them, so nothing here imports Celery.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
if SYNC_EXECUTOR == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("CELERY_BROKER_URL is not set (required with SYNC_EXECUTOR=celery)")
# Deployments sharing one broker need their own queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="edurpg-sync")
# Acknowledge a task when it ends, not when it starts, and give it back when its pool process
# dies: the broker redelivers a dead worker's task, and the lease decides when it may run again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Each pool process reserves only the task it runs, so idle workers get the rest.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A run that loses the broker goes on; the copy delivered elsewhere waits for its lease.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Redis only: a task not acknowledged within this many seconds is delivered again.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": number("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # outcomes are SyncRun rows, as for local runs
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep LOGGING, so workers log like sync_sources
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE  # beat reads SYNC_SCHEDULE in the same zone as the admin

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {env.str('LOG_LEVEL')!r}"
    )
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "sync.ops.logformat.JsonLinesFormatter"},
    },
    # no log line leaves with a secret of the connection being synced or tested
    "filters": {"scrub_secrets": {"()": "sync.upstream.scrub.ScrubSecrets"}},
    "handlers": {
        "console": {
            # a process writing SYNC_CRON_LOG follows it when logrotate moves it (the guide)
            "()": "sync.ops.logfile.console",
            "path": SYNC_CRON_LOG,
            "formatter": LOG_FORMAT,
            "filters": ["scrub_secrets"],
        },
        "nowhere": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its start-up banner, in every command's output
        # apprise's lines, its errors too, repeat a channel's whole URL, tokens and all: none
        # reaches the log. sync.alerts reads why a channel failed from them and says it in a
        # sentence without the URL.
        "apprise": {"level": "DEBUG", "handlers": ["nowhere"], "propagate": False},
        "urllib3": {"level": "WARNING"},  # apprise's requests: its debug lines name the path
    },
}

# Incidents and their messages (docs/operations.md, "Alerts"). The contacts, e-mail and
# chat settings are with the mail settings above.
SYNC_ALERT_AFTER_FAILURES = {
    # failed runs in a row that open an incident: kinds a person must mend (credentials,
    # rights, settings) at once, transient ones when they repeat
    "permanent": number("SYNC_ALERT_AFTER_PERMANENT_FAILURES", 1),
    "transient": number("SYNC_ALERT_AFTER_TRANSIENT_FAILURES", 2),
}
SYNC_ALERT_REMIND_HOURS = number("SYNC_ALERT_REMIND_HOURS", 0, minimum=0)  # 0: no reminders
# Who may scrape /metrics without an API token: addresses or networks ("127.0.0.1,10.0.0.0/8").
SYNC_METRICS_ALLOW = env.list("SYNC_METRICS_ALLOW", default=[])
for _network in SYNC_METRICS_ALLOW:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"SYNC_METRICS_ALLOW: {_network!r} is not an address or network (10.0.0.0/8)"
        ) from None
# Where the admin is served, for the links in messages ("https://sync.example.cz").
SYNC_SITE_URL = env.str("SYNC_SITE_URL", default="")
# A healthchecks.io-style check pinged by every scheduled round: /start, then itself or /fail.
SYNC_HEARTBEAT_URL = env.str("SYNC_HEARTBEAT_URL", default="")
