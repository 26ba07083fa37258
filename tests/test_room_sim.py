"""bench/room's simulated phone held to a real Chromium phone: on the same page, through the
same writes, it asks the server for the same things (paths and socket groups)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from bench.room_client import Client, Stats
from tests.conftest import wait_until
from tests.helpers import NetworkLog

pytestmark = pytest.mark.browser

PAGE = "/demos/push/"


def chromium_kinds(page, asked: list):
    """What the page asks the server for, as the simulator names it (a script served from the
    browser's cache asks nothing); call the result for the HTTP requests so far."""
    network = NetworkLog(page)

    def kind(method: str, url: str, resource: str) -> tuple[str, str]:
        path = urlsplit(url).path
        if method == "POST" and path == "/seen/":
            return ("beacon", path)
        if resource == "Document":
            return ("page", path)
        if path.startswith("/static/"):
            return ("static", path)
        return (method, path)

    def on_socket(socket):
        parts = urlsplit(socket.url)
        asked.append(("ws", f"{parts.path}?{parts.query}"))
        socket.on("framesent", lambda payload: asked.append(("beacon", "ws")) if '"seen"' in str(payload) else None)

    page.on("websocket", on_socket)
    return lambda: asked + [kind(*request) for request in network.requests()]


def test_a_simulated_phone_asks_for_what_a_chromium_phone_asks_for(fresh, new_page):
    phone = new_page("/join/", width=390, height=800)  # joined: it follows the presenter
    asked: list = []
    browser_asked = chromium_kinds(phone, asked)
    phone.goto(fresh.url + PAGE)
    phone.wait_for_selector("body.is-live")

    async def simulate():
        stats = Stats()
        sim = Client(fresh.url, stats)
        await sim.open("/join/")
        stats.record = True
        await sim.open(PAGE)
        wait_for_socket = asyncio.get_running_loop().time() + 10
        while sim.ws is None and asyncio.get_running_loop().time() < wait_for_socket:
            await asyncio.sleep(0.05)
        keys = [await asyncio.to_thread(write, f"room check {i}") for i in range(3)]
        for key in keys:
            assert await sim.wait_item(key, 10) is not None
        # Its beacon for the three went out once the frames were in.
        for _ in range(200):
            if stats.kinds.count(("beacon", "ws")) >= 2 and not sim.pending:
                break
            await asyncio.sleep(0.05)
        await sim.close()
        return keys, stats.kinds

    client = fresh.client()

    def write(text: str) -> str:
        key = text.replace(" ", "-")
        client.write(text, stream="push", key=key)
        return key

    # Playwright's sync API keeps an event loop in this thread: the simulator runs in another.
    with ThreadPoolExecutor(1) as pool:
        keys, simulated = pool.submit(asyncio.run, simulate()).result()
    for key in keys:
        wait_until(lambda key=key: phone.locator(f'[data-item-id="{key}"][data-seen]').count(), what=key)
    wait_until(lambda: browser_asked().count(("beacon", "ws")) >= 2, what="the browser's seen reports, over its socket")
    asked = set(browser_asked())
    assert set(simulated) == asked, (sorted(set(simulated) - asked), sorted(asked - set(simulated)))
    assert ("ws", "/ws/live/?g=lag&g=stream.push&g=follow") in asked
    assert ("beacon", "/seen/") not in asked, "a page with its socket open reports over it"
