"""The ceiling under any Django write view on this machine: Django on Daphne (on uvloop, as the
app runs it: showcase/serve.py) with one POST view that writes nothing and answers 202, no
middleware, no database, measured by the same client as bench.throughput (urllib, 16 threads)
in the same run.

.venv/bin/python -m bench.bare_django [requests] [threads]

Served as `daphne bench.bare_django:application` by `measure()`; the module configures a
settings-less Django of its own, so it shares nothing with the app but the server and the
framework.
"""

import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import path


def accept(request):
    return HttpResponse(f"accepted {len(request.POST.get('text', ''))}", status=202)


urlpatterns = [path("write/", accept)]

if not settings.configured:
    settings.configure(DEBUG=False, ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], MIDDLEWARE=[], SECRET_KEY="bench")
    django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402  (after settings)

application = get_asgi_application()


def measure(requests: int = 400, threads: int = 16) -> dict:
    # Here, not at the top: this module's settings must be configured before the app's modules load.
    from bench.throughput import pid_cpu_seconds
    from showcase.stack import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "showcase.serve", "-b", "127.0.0.1", "-p", str(port), "bench.bare_django:application"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/write/"

    def one(i: int) -> int:
        request = urllib.request.Request(base, data=f"text=load+{i}&key=k{i}".encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                one(-1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        one(-2)
        cpu_before, started = pid_cpu_seconds(server.pid), time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            statuses = list(pool.map(one, range(requests)))
        elapsed = time.monotonic() - started
        cpu = pid_cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(10)
    assert statuses == [202] * requests
    return {"per_s": requests / elapsed, "cpu_ms": cpu * 1000 / requests, "requests": requests, "threads": threads}


def report(r: dict) -> str:
    return (
        f"bare Django on Daphne (a POST view that does nothing, no middleware), {r['requests']} requests from "
        f"{r['threads']} threads: {r['per_s']:.0f} answered/s, {r['cpu_ms']:.1f} ms of server CPU per request"
    )


if __name__ == "__main__":
    print(report(measure(*(int(a) for a in sys.argv[1:]))))
