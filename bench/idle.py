"""What an idle page costs: HTTP requests per second per page of the talk (the index, the
curtain, the demos') with nobody touching it, in Chromium, as a phone (375x740) and as a laptop.
Websocket frames are not requests and are not counted; a page with nothing new should send none
(the target: at most 0.1/s).

.venv/bin/python -m bench.idle [settle seconds] [window seconds]

Every page of one size is open at once, in its own browser session; each is left `settle`
seconds to load, then its requests are counted over `window` seconds.
"""

import re
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

from bench.common import running_app
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

SIZES = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}
TARGET_PER_S = 0.1


def demo_pages(url: str) -> list[str]:
    """Every demo page the index links to, in its order."""
    with urllib.request.urlopen(url + "/", timeout=10) as response:
        html = response.read().decode()
    return list(dict.fromkeys(re.findall(r'href="(/demos/[a-z0-9-]+/)"', html)))


def talk_pages(url: str) -> list[str]:
    """Every page of the talk: the index, the curtain and the demos'."""
    return ["/", "/curtain/", *demo_pages(url)]


class IdlePages:
    """Every path open at once, each in a browser session of its own, its requests recorded."""

    def __init__(self, browser, url: str, paths: list[str], size: dict):
        self.url = url
        self.requests: dict[str, list[tuple[float, str]]] = {path: [] for path in paths}
        self.contexts = []
        for path in paths:
            context = browser.new_context(viewport=size)
            self.contexts.append(context)
            page = context.new_page()
            page.on("request", lambda request, path=path: self._record(path, request))
            page.goto(url + path)
            page.wait_for_selector("body.is-live")

    def _record(self, path: str, request) -> None:
        if request.resource_type != "websocket":
            self.requests[path].append((time.monotonic(), f"{request.method} {request.url.removeprefix(self.url)}"))

    def pump(self, seconds: float) -> None:
        """Let Playwright deliver the pages' events for `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.contexts[0].pages[0].wait_for_timeout(min(200, left * 1000))

    def quiet_for(self, seconds: float) -> bool:
        """Whether no page has sent a request in the last `seconds`."""
        self.pump(0.2)
        last = max((at for requests in self.requests.values() for at, _ in requests), default=0)
        return time.monotonic() - last >= seconds

    def count(self, window_s: float) -> dict[str, list[str]]:
        """{path: what it requested} over the next `window_s` seconds."""
        started = time.monotonic()
        self.pump(window_s)
        return {path: [what for at, what in requests if at >= started] for path, requests in self.requests.items()}

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def idle_requests(browser, url: str, paths: list[str], size: dict, settle_s: float, window_s: float) -> dict:
    """{path: [requests during the window]} for every path open at once, after `settle_s`."""
    pages = IdlePages(browser, url, paths, size)
    try:
        pages.pump(settle_s)
        return pages.count(window_s)
    finally:
        pages.close()


def measure(app, settle_s: float = 5, window_s: float = 20) -> dict:
    paths = talk_pages(app.url)
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, size in SIZES.items():
            results[name] = idle_requests(browser, app.url, paths, size, settle_s, window_s)
        browser.close()
    return {"window_s": window_s, "paths": paths, "results": results}


def report(r: dict) -> str:
    lines = [f"HTTP requests per second of an idle page ({r['window_s']:.0f} s window; target <= {TARGET_PER_S}/s)"]
    lines.append(f"  {'page':32} " + " ".join(f"{name:>9}" for name in r["results"]))
    for path in r["paths"]:
        rates = [len(r["results"][name][path]) / r["window_s"] for name in r["results"]]
        over = any(rate > TARGET_PER_S for rate in rates)
        lines.append(f"  {path:32} " + " ".join(f"{rate:9.2f}" for rate in rates) + ("  OVER" if over else ""))
    for name, seen in r["results"].items():
        for path, requests in seen.items():
            if len(requests) / r["window_s"] > TARGET_PER_S:
                kinds = sorted({request.split("?")[0] for request in requests})
                lines.append(f"    {name} {path}: {', '.join(kinds)}")
    return "\n".join(lines)


def main(settle_s: float = 5, window_s: float = 20) -> None:
    with running_app() as app:
        app.manage("seed")
        print(report(measure(app, settle_s, window_s)))


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:]))
