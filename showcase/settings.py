"""Settings come from environment variables; the defaults serve `make demo` on one laptop."""

import os
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF

from showcase.network import lan_address

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHOWCASE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    # A generated key kept on disk: sessions survive restarts, and no default key ships.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _lan_addresses() -> list[str]:
    """This machine's own addresses, so `HOST=0.0.0.0` serves phones on the same network."""
    addresses = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    addresses.add(lan_address())
    return sorted(addresses)


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG")
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
# The presenter's own web process (showcase/stack.py), on loopback; PORT stays the audience's.
STAGE_PORT = int(os.environ.get("STAGE_PORT") or "0")

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
if HOST not in ("127.0.0.1", "localhost", "0.0.0.0", "::"):
    ALLOWED_HOSTS.append(HOST)
if HOST in ("0.0.0.0", "::"):
    ALLOWED_HOSTS += [a if ":" not in a else f"[{a}]" for a in _lan_addresses()]
ALLOWED_HOSTS += [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]
# Behind a proxy (docker-compose): the address the audience uses, advertised by the join page.
PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")
if PUBLIC_URL:
    ALLOWED_HOSTS.append(urlsplit(PUBLIC_URL).hostname or "")
    CSRF_TRUSTED_ORIGINS = [f"{urlsplit(PUBLIC_URL).scheme}://{urlsplit(PUBLIC_URL).netloc}"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "store",
    "push",
    "demos",
    "runs",
    "conference",
    "proof",
]

MIDDLEWARE = [
    "showcase.middleware.Security",
    "showcase.middleware.Session",
    "showcase.middleware.Common",
    "showcase.middleware.Csrf",
    "showcase.middleware.Authentication",
    "showcase.middleware.Message",
    "showcase.middleware.XFrameOptions",
    "showcase.middleware.CSP",
    "django_htmx.middleware.HtmxMiddleware",
    # A room following the projector: a demo page rendered once a second for every phone that
    # has written nothing, each with its own CSRF token and keys (conference/page_cache.py).
    "conference.page_cache.FollowerPageCache",
]

# Nothing inline and nothing from elsewhere: every script, style and font is a file of ours.
# htmx runs without eval (allowEval false in base.html) and without its injected styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

ROOT_URLCONF = "showcase.urls"
ASGI_APPLICATION = "showcase.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", *sorted(BASE_DIR.glob("demos/catalog/*/templates"))],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "store.context_processors.lag",
                "showcase.restarts.restarts",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "showcase.sqlite"  # Django's, with connections kept: showcase/sqlite
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE avoids
        # lock-upgrade deadlocks between the two. A web process (showcase/serve.py says so) leaves
        # the WAL's checkpoints to the worker (store/tasks.py `sweep`, and its own commits): one runs
        # in the commit that finds the WAL past 1,000 pages, 10-60 ms of copying and fsync, and
        # that commit was sometimes a presenter's write.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        + (" PRAGMA wal_autocheckpoint=0;" if os.environ.get("SHOWCASE_WEB_PROCESS") == "1" else ""),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
elif DATABASE_POOL := int(os.environ.get("DATABASE_POOL", "0")):
    # A web process (showcase/serve.py sets this) runs each request in a thread of its own, and
    # Django's connections are per thread: without a pool every request opened a PostgreSQL
    # connection, a server process forked and authenticated for one write. Not in the Celery
    # worker: each pool child runs one task at a time on the one connection it keeps
    # (CELERY_DB_REUSE_MAX below), and Celery's Django fixup closes a pool with its connections.
    # A request that finds every connection taken waits for one (a CP write holds its own while it
    # waits for a majority), as long as 30 s, rather than fail.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "pool": {"min_size": 2, "max_size": DATABASE_POOL, "timeout": 30},
        "application_name": "shell-game web",  # its connections, in pg_stat_activity
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# A demo is a folder (demos/catalog/<name>/): its templates and static files live in it.
STATICFILES_DIRS = [BASE_DIR / "static", *sorted(BASE_DIR.glob("demos/catalog/*/static"))]
STATIC_ROOT = VAR_DIR / "static"
# Each {% static %} URL carries its file's digest and is cached a year (showcase/static.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "showcase.static.VersionedStaticFilesStorage"},
}

LOGIN_URL = "/admin/login/"

# How long a web write waits for another writer's SQLite lock before answering 503 "busy, retry"
# (the worker keeps the connection's 20 s: it should wait a busy moment out, not fail).
WRITE_BUSY_TIMEOUT_MS = int(os.environ.get("WRITE_BUSY_TIMEOUT_MS", "3000"))
# How long a web write waits for its turn in its process's group commit (store/log.py) before it
# is answered 429 "sent again in a moment", unwritten.
WRITE_ADMIT_WAIT_MS = int(os.environ.get("WRITE_ADMIT_WAIT_MS", "2000"))

# Writes per session (not per address: a venue shares one NAT address) within a window.
RATELIMIT_WRITES = int(os.environ.get("RATELIMIT_WRITES", "10"))
RATELIMIT_WINDOW_S = int(os.environ.get("RATELIMIT_WINDOW_S", "10"))
# Per address, within the same window: a venue's NAT carries hundreds of phones.
RATELIMIT_ADDRESS_WRITES = int(os.environ.get("RATELIMIT_ADDRESS_WRITES", "600"))
# Writes arriving without a session, per address and minute (pages open the session first).
RATELIMIT_NEW_SESSIONS = int(os.environ.get("RATELIMIT_NEW_SESSIONS", "20"))


def _redis_url() -> str:
    if url := os.environ.get("REDIS_URL"):
        return url
    # `make demo` leaves the embedded server's address here, so `manage.py lag` finds it.
    embedded = VAR_DIR / "redis_url"
    return embedded.read_text().strip() if embedded.exists() else "redis://127.0.0.1:6379/0"


REDIS_URL = _redis_url()

CHANNEL_LAYERS = {
    "default": {
        # Pub/sub: a group send is one PUBLISH however many sockets listen.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    }
}

# Celery: the event log is the source of truth, the broker only carries reminders.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every lag the settings allow is well below this, so a countdown task is never redelivered
# while it is still waiting for its time.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes a worker's database connections before and after every task: on
# PostgreSQL every drain opened one (a server process forked, Django's session set up). Kept
# for 250 tasks instead (the fixup counts both closes); one a task left broken is closed after
# that task (showcase/celery.py), as Django does after a request. bench.scale_out, alternated:
# 15-16 writes/s against 12-13 closing after every task (CELERY_DB_REUSE_MAX=0).
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "500"))
SWEEP_EVERY_S = float(os.environ.get("SWEEP_EVERY_S", "2"))
# How long after its due time an unapplied delivery waits before the sweeper re-enqueues it.
SWEEP_GRACE_MS = int(os.environ.get("SWEEP_GRACE_MS", "10000"))
# Task modules outside the apps' tasks.py, which autodiscovery would miss.
CELERY_IMPORTS = ("push.coalesce", "store.process")
CELERY_BEAT_SCHEDULE = {
    "sweep": {"task": "store.tasks.sweep", "schedule": SWEEP_EVERY_S},
    # Recorded runs reach the database in batches, off the request path (runs/recorder.py).
    "runs-flush": {"task": "runs.tasks.flush", "schedule": float(os.environ.get("RUNS_FLUSH_EVERY_S", "2"))},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
