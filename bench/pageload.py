"""Page-load time with many browsing clients at once: each GETs demo pages back to back.

.venv/bin/python -m bench.pageload [clients] [pages each]
"""

import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.common import percentile, running_app

PAGES = ("/", "/demos/push/", "/demos/optimistic/", "/demos/pending/", "/demos/read-your-writes/", "/curtain/")


def measure(url: str, clients: int = 50, pages: int = 10) -> dict:
    def browse(i: int) -> list[float]:
        times = []
        for j in range(pages):
            started = time.perf_counter()
            with urllib.request.urlopen(url + PAGES[(i + j) % len(PAGES)], timeout=60) as response:
                response.read()
            times.append((time.perf_counter() - started) * 1000)
        return times

    with ThreadPoolExecutor(clients) as pool:
        times = [t for ts in pool.map(browse, range(clients)) for t in ts]
    return {"clients": clients, "n": len(times), "p50": percentile(times, 50), "p95": percentile(times, 95)}


def report(r: dict) -> str:
    return (
        f"page load, {r['clients']} concurrent clients ({r['n']} pages): p50 {r['p50']:.0f} ms · p95 {r['p95']:.0f} ms"
    )


def main(clients: int = 50, pages: int = 10) -> None:
    with running_app() as app:
        print(report(measure(app.url, clients, pages)))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
