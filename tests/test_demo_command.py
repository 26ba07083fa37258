"""`make demo`'s launcher: it comes up healthy, prints the URL, the presenter's own (its web
process, on loopback) and a generated admin login, and Ctrl-C leaves no process behind."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from showcase.stack import ROOT, free_port
from tests.conftest import wait_until

pytestmark = pytest.mark.integration


def children_of(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid == parent and int(entry) not in found:
                    found.add(int(entry))
                    todo.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_demo_starts_healthy_and_ctrl_c_stops_every_child(tmp_path):
    port, stage = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "STAGE_PORT": str(stage), "SHOWCASE_VAR_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    log = open(tmp_path / "demo.log", "w+")
    started = time.monotonic()
    demo = subprocess.Popen(
        [sys.executable, "-m", "showcase.stack"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_until(lambda: "Shell Game is up" in (tmp_path / "demo.log").read_text(), timeout=90, what="make demo")
        print(f"\nlauncher to healthy /healthz: {time.monotonic() - started:.1f} s")
        output = (tmp_path / "demo.log").read_text()
        assert f"http://127.0.0.1:{port}/" in output
        password = re.search(r"user admin, password (\S+)", output).group(1)
        assert len(password) >= 12
        assert f"Presenter (this laptop, a web process of its own): http://127.0.0.1:{stage}/" in output
        for serving in (port, stage):
            with urllib.request.urlopen(f"http://127.0.0.1:{serving}/healthz", timeout=5) as response:
                assert response.status == 200
        assert (tmp_path / "log" / "stage.log").exists()
        children = children_of(demo.pid)
        assert len(children) >= 4  # redis, worker (and its pool), sweeper, web
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
        wait_until(lambda: not any(alive(pid) for pid in children), timeout=15, what="every child to exit")
    finally:
        if demo.poll() is None:
            demo.kill()
        log.close()
