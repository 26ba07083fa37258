"""A throwaway PostgreSQL cluster for the test suite: its own data directory, port and socket,
gone when the run ends.

    python -m tests.postgres python -m pytest tests/test_store.py ...

starts a cluster, runs the command with DATABASE_URL pointing at it, and removes the cluster.
initdb refuses to run as root, so as root the cluster belongs to the unprivileged `nobody`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from showcase.stack import free_port

UNPRIVILEGED = "nobody"
SUPERUSER = "postgres"
IN_CI = os.environ.get("CI", "").lower() == "true"


def bin_dir() -> Path | None:
    """Debian's PostgreSQL binaries: version 15 when present, else the newest installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    preferred = [p for p in found if Path(p).parts[-3] == "15"]
    chosen = (preferred or found[-1:] or [None])[0]
    return Path(chosen).parent if chosen else None


class Cluster:
    def __init__(self, bin_path: Path):
        self.bin = bin_path
        self.root = Path(tempfile.mkdtemp(prefix="shell-game-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin / tool), *args],
            user=UNPRIVILEGED if self.as_root else None,
            cwd=self.root,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed:\n{result.stdout}{result.stderr}")

    def start(self) -> Cluster:
        if self.as_root:
            shutil.chown(self.root, user=UNPRIVILEGED)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync")
        # Durability buys nothing in a cluster that is deleted after the run.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")
        return self

    def url(self, database: str = SUPERUSER) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def create_database(server_url: str) -> str:
    """A fresh, empty database on the cluster that `server_url` points into; return its URL."""
    import psycopg

    name = "live_" + uuid.uuid4().hex[:12]
    server = server_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/{SUPERUSER}", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0] in ("postgres", "postgresql")


def main(command: list[str]) -> int:
    path = bin_dir()
    if path is None:
        message = "NO POSTGRESQL (/usr/lib/postgresql/*/bin/initdb): the PostgreSQL run cannot happen"
        if IN_CI:
            print(message, file=sys.stderr)
            return 1
        print(f"\n!!!!!! {message} — SKIPPED (apt-get install postgresql) !!!!!!\n", file=sys.stderr)
        return 0
    cluster = Cluster(path).start()
    try:
        env = {**os.environ, "DATABASE_URL": cluster.url("shellgame")}
        print(f"PostgreSQL {path.parts[-2]} at {cluster.url()}", flush=True)
        return subprocess.call(command, env=env)
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
