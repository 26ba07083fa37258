"""The app running for real as subprocesses, and the means to steer and inspect it.
Used by the tests' fixtures and by the benchmarks."""

from __future__ import annotations

import http.cookiejar
import os
import sqlite3
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from showcase.stack import Stack, free_port, wait_for
from tests import postgres


class LiveApp:
    """The app running as subprocesses, with helpers to look at and steer it from a test."""

    def __init__(self, stack: Stack, database_url: str):
        self.stack = stack
        self.database_url = database_url

    @property
    def url(self) -> str:
        return self.stack.url

    @property
    def stage_url(self) -> str | None:
        """The presenter's own web process (`stage=True`), or None."""
        return self.stack.stage_url

    def manage(self, *args: str) -> str:
        return self.stack.manage(*args)

    def lag(self, **options) -> None:
        """Change the lag settings the way a presenter would from a shell."""
        args = []
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                args.append(flag)
            elif value is not False and value is not None:
                args += [flag, str(value)]
        self.manage("lag", *args)

    def client(self) -> HttpClient:
        return HttpClient(self.url)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run `sql` (with `?` placeholders) on the app's database, SQLite or PostgreSQL."""
        if postgres.is_postgres(self.database_url):
            import psycopg

            with psycopg.connect(self.database_url) as db:
                return db.execute(sql.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(self.database_url.removeprefix("sqlite:///"), timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def dump_logs(self) -> str:
        out = []
        for path in sorted((self.stack.log_dir or Path()).glob("*.log")):
            out.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(out)


class HttpClient:
    """A cookie-keeping HTTP client for plain (non-browser) requests to the live app."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def csrf(self) -> str:
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token is None:
            self.get("/curtain/")
            token = next(c.value for c in self.jar if c.name == "csrftoken")
        return token

    def post(self, path: str, data: dict, headers: dict | None = None) -> tuple[int, dict, str]:
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"X-CSRFToken": self.csrf(), "HX-Request": "true", **(headers or {})},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def write(self, text: str, stream: str = "curtain", key: str | None = None) -> int:
        """Write through the real endpoint; return the event's position."""
        status, headers, body = self.post(f"/write/{stream}/", {"text": text, "key": key or uuid.uuid4().hex})
        assert status == 202, body
        return int(headers["X-Event-Position"])


def start_live(
    root: Path, redis_url: str | None = None, supervised: bool = False, stage: bool = False, **env: str
) -> LiveApp:
    """Daphne, a Celery worker and the sweeper on a fresh database: SQLite under `root`, or a
    new database in the PostgreSQL cluster that DATABASE_URL points into. `supervised`, they are
    started again when they die, as `make demo` does. `stage`, the presenter's own web process
    too, on a port of its own (`make demo`'s STAGE_PORT)."""
    database_url = os.environ.get("DATABASE_URL")
    if postgres.is_postgres(database_url):
        database_url = postgres.create_database(database_url)
    else:
        database_url = f"sqlite:///{root / 'db.sqlite3'}"
    stack = Stack(
        port=free_port(),
        stage_port=free_port() if stage else 0,
        redis_url=redis_url,
        database_url=database_url,
        var_dir=root,
        log_dir=root / "log",
        extra_env={"SWEEP_GRACE_MS": "1500", "SWEEP_EVERY_S": "0.5", "DEBUG": "0", **env},
    )
    app = LiveApp(stack, database_url)
    try:
        stack.start()
        wait_for(stack.healthy, 30, "/healthz")
        if supervised:
            stack.supervise_in_background()
    except Exception:
        print(app.dump_logs(), file=sys.stderr)
        stack.stop()
        raise
    return app
