"""/healthz latency on an idle app, and how many of the calls answered 200.

.venv/bin/python -m bench.healthz [calls]
"""

import sys
import time
import urllib.error
import urllib.request

from bench.common import percentile, running_app


def measure(url: str, calls: int = 200) -> dict:
    times, ok = [], 0
    for _ in range(calls):
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
                response.read()
                ok += response.status == 200
        except urllib.error.HTTPError:
            pass
        times.append((time.perf_counter() - started) * 1000)
    return {"calls": calls, "ok": ok, "p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times)}


def report(result: dict) -> str:
    return (
        f"/healthz: {result['ok']}/{result['calls']} answered 200; "
        f"p50 {result['p50']:.1f} ms · p95 {result['p95']:.1f} ms · max {result['max']:.1f} ms"
    )


def main(calls: int = 200) -> None:
    with running_app() as app:
        print(report(measure(app.url, calls)))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
