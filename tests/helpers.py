"""Helpers the tests share: writing through a page's form, and running work on a thread of its own."""

import threading

from django.db import connections
from playwright.sync_api import expect

from demos.rehearsal import write

__all__ = ["thread", "write", "write_accepted"]


def write_accepted(page, text: str) -> str:
    """Write through the page's form and wait for its 202: the form comes back with a new key."""
    key = write(page, text)
    expect(page.locator("[data-write-form] .form-ok")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-write-form] input[name=key]")).not_to_have_value(key, timeout=30_000)
    return key


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
