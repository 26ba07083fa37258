"""A supervisor of child processes, whatever they are (showcase/stack.py says which to run).

Each child gets its own process group and dies with the launcher (even on SIGKILL). A child
that dies is started again with the same command: at once after a good run, with growing
pauses after fast crashes; after MAX_FAST_CRASHES fast crashes in a row it gives up and says
why, with the last line of the child's log.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PR_SET_PDEATHSIG = 1
FAST_CRASH_S = 10.0  # a child that dies sooner than this after starting crashed "fast"
MAX_FAST_CRASHES = 5
KEPT_RESTARTS = 20


class GaveUp(RuntimeError):
    """A child kept crashing right after each start: restarting it again would only spin."""


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


@dataclass
class Supervisor:
    """Named child processes, each started again with the same command when it dies: at once
    after a good run, with growing pauses after fast crashes, and never again after
    MAX_FAST_CRASHES of them in a row (GaveUp). Each restart is one line on stdout and one entry
    in `restarts_file`."""

    log_dir: Path | None = None
    restarts_file: Path | None = None
    cwd: Path | None = None
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    supervised: bool = False
    backoff_s: float = 0.5  # pause before the 2nd fast restart in a row; doubles, at most 16x
    restarts: list[dict] = field(default_factory=list)
    gave_up: str | None = None
    _commands: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _pass_fds: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _started: dict[str, float] = field(default_factory=dict, repr=False)
    _fast_crashes: dict[str, int] = field(default_factory=dict, repr=False)
    _restart_due: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _halt: threading.Event = field(default_factory=threading.Event, repr=False)
    _watcher: threading.Thread | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def stop_order(self, names: list[str]) -> list[str]:
        """The order `stop()` stops every process in."""
        return names

    def _log(self, name: str):
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return open(self.log_dir / f"{name}.log", "ab")

    def spawn(self, name: str, args: list[str], pass_fds: tuple[int, ...] = ()) -> subprocess.Popen:
        out = self._log(name)
        proc = subprocess.Popen(
            args,
            cwd=self.cwd,
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

    def _record_restarts(self) -> None:
        """Keep the latest restarts where the web process reads them for the curtain page."""
        path = self.restarts_file
        if path is None:
            return
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
        """Stop one process (with its children) or all of them, in `stop_order`. A stopped
        process is no longer supervised, so it stays down until started again."""
        if name is None and self._watcher is not None:
            self._halt.set()
            self._watcher.join()
        with self._lock:
            names = [name] if name else self.stop_order(list(self.procs))
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
