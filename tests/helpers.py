"""Helpers the tests share: writing through a page's form, and running work on a thread of its own."""

import threading

from django.db import connections
from playwright.sync_api import expect

from demos.catalog.baseball.game import GAME, GUARANTEES, prefix_scores
from demos.rehearsal import write

__all__ = ["NetworkLog", "thread", "write", "write_accepted"]


def write_accepted(page, text: str) -> str:
    """Write through the page's form and wait for its 202: the form comes back with a new key."""
    key = write(page, text)
    expect(page.locator("[data-write-form] .form-ok")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-write-form] input[name=key]")).not_to_have_value(key, timeout=30_000)
    return key


class NetworkLog:
    """The HTTP requests a Chromium page sent to the network, as Chrome's own DevTools count them:
    Playwright reports a script served from the browser's cache as a request too."""

    def __init__(self, page):
        self.sent: dict[str, tuple[str, str, str]] = {}  # request id -> (method, url, resource type)
        self.cached: set[str] = set()
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", lambda event: self.cached.add(event["requestId"]))
        cdp.on("Network.responseReceived", self._received)
        cdp.send("Network.enable")

    def _sent(self, event) -> None:
        request = event["request"]
        self.sent[event["requestId"]] = (request["method"], request["url"], event.get("type", ""))

    def _received(self, event) -> None:
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            self.cached.add(event["requestId"])

    def requests(self) -> list[tuple[str, str, str]]:
        """(method, url, resource type) of every request that went to the server, in order."""
        return [request for rid, request in self.sent.items() if rid not in self.cached]

    def clear(self) -> None:
        self.sent.clear()
        self.cached.clear()


def thread(work, bound_s: float = 10) -> threading.Thread:
    """Run `work` on its own connection; wait for it at most `bound_s` (0: don't wait)."""

    def run():
        try:
            work()
        finally:
            connections.close_all()

    started = threading.Thread(target=run)
    started.start()
    started.join(bound_s)
    return started


def assert_readers_kept_their_guarantees(reads: dict) -> None:
    """Baseball: every reader read (window.baseballReads), each read within what its guarantee
    allows; strong and consistent prefix only scores the game had; monotonic reads never lower."""
    prefix = [f"{v}-{h}" for v, h in prefix_scores(len(GAME))]
    assert set(reads) == set(GUARANTEES)
    for guarantee, seen in reads.items():
        assert seen, guarantee
        for read in seen:
            assert read["score"] in read["allowed"], (guarantee, read)
    assert all(r["score"] in prefix for g in ("strong", "consistent-prefix") for r in reads[g])
    monotonic = [tuple(map(int, r["score"].split("-"))) for r in reads["monotonic-reads"]]
    assert all(b[0] >= a[0] and b[1] >= a[1] for a, b in zip(monotonic, monotonic[1:], strict=False))
