"""One simulated browser of bench/room.py: what a page's own scripts make it ask for.

Copied from the page, not imagined: the socket URL is the page's `ws-connect` (plus the groups
patch.js and follow.js add), the "seen" beacon is presenter.js's (tokens the page rendered,
batched per frame), polls are the page's `hx-trigger="every ..."` elements, a following phone
moves after follow.js's random pause (a pushed page swapped in on the same socket, any other
loaded), a dropped socket retries with app.js's delay (to the groups of the page shown now). A static
file (its URL versioned, fresh for a year: showcase/static.py) is fetched once; one without a
max-age is asked again on every page with If-Modified-Since. HTTP is plain HTTP/1.0 over
asyncio streams, one connection a request; only to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import html
import json
import random
import re
import socket
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import websockets

FOLLOW_JITTER_S = 0.8  # static/showcase/follow.js JITTER_MS
SWAP_JITTER_S = 0.25  # static/showcase/follow.js SWAP_JITTER_MS
PAGE_FRAME = "<!--follow-page "  # push/follow.py PAGE_FRAME
TOKEN_MARK = "\x00csrf\x00"  # conference/page_cache.py TOKEN_MARK
SOCKET_WAIT_S = 3.0  # static/showcase/seen.js SOCKET_WAIT_MS
WS_CONNECT = re.compile(r'ws-connect="([^"]+)"')
TIMELINE = re.compile(r'data-timeline-group="([^"]+)"')
ITEM = re.compile(r'data-item-id="([^"]+)"')
SEEN = re.compile(r'data-seen="([^":]+:[^"]+)"')  # a signed token (demos/seen.py), not a reading's number
FOLLOW_AT = re.compile(r'id="follow-at"[^>]*data-follow-path="([^"]*)"')
HX_HEADERS = re.compile(r"hx-headers='([^']+)'")
ASSETS = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*rel="(?:stylesheet|icon)"[^>]*\shref)="(/static/[^"]+)"')
POLL = re.compile(r'<[^>]*\bhx-get="([^"]+)"[^>]*\bhx-trigger="every (\d+)(ms|s)"')
FORM = re.compile(r"<form\b[^>]*\bdata-write-form\b[^>]*>.*?</form>", re.S)
ACTION = re.compile(r'\baction="([^"]+)"')
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
TEXT_FIELD = re.compile(r'<(?:input[^>]*type="text"|textarea)[^>]*\bname="([^"]+)"')
NAME = re.compile(r'\bname="([^"]+)"')
VALUE = re.compile(r'\bvalue="([^"]*)"')


@dataclass
class Stats:
    requests: int = 0
    bytes: int = 0
    errors: int = 0
    failed: Counter = field(default_factory=Counter)  # (kind, status or exception): what the errors were
    page_loads: list[float] = field(default_factory=list)
    kinds: list[tuple[str, str]] = field(default_factory=list)  # (kind, path): what was asked
    record: bool = False

    def reset(self) -> None:
        self.requests = self.bytes = self.errors = 0
        self.failed = Counter()
        self.page_loads = []


@dataclass
class Page:
    path: str
    ws_path: str
    following: bool
    csrf: str
    form: dict | None
    polls: list[tuple[str, float]]


def delay_s(retry: int, presenter: bool) -> float:
    """static/showcase/app.js reconnectDelay: full jitter, the projector's cap lower, a phone's floor."""
    if presenter:
        return min(500, 50 * 2**retry) * random.random() / 1000
    return (1000 + min(5000, 500 * 2**retry) * random.random()) / 1000


def parse(path: str, body: str, wide: bool) -> Page:
    ws = html.unescape(m.group(1)) if (m := WS_CONNECT.search(body)) else ""
    following = "data-follow-bar" in body
    if ws and following:
        ws += "&g=follow"  # follow.js, in the head
    if ws and wide and (t := TIMELINE.search(body)):
        ws += "&g=" + t.group(1)  # patch.js, in the body: wide screens follow the timeline
    headers = json.loads(html.unescape(m.group(1))) if (m := HX_HEADERS.search(body)) else {}
    form = None
    if f := FORM.search(body):
        chunk = f.group(0)
        fields = {}
        for tag in HIDDEN.findall(chunk):
            if (n := NAME.search(tag)) and (v := VALUE.search(tag)):
                fields[n.group(1)] = html.unescape(v.group(1))
        text = TEXT_FIELD.search(chunk)
        action = ACTION.search(chunk)
        if text and action:
            form = {"action": html.unescape(action.group(1)), "text": text.group(1), "fields": fields}
    polls = [(html.unescape(u), int(n) / (1000 if unit == "ms" else 1)) for u, n, unit in POLL.findall(body)]
    return Page(path, ws, following, headers.get("X-CSRFToken", ""), form, polls)


def exchange(host: str, port: int, raw: bytes, timeout: float) -> tuple[bytes, float]:
    """One HTTP/1.0 request and its whole answer on a connection of its own, and how long it took."""
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks), time.perf_counter() - started


class Client:
    def __init__(self, base: str, stats: Stats, wide: bool = False, presenter: bool = False):
        parts = urlsplit(base)
        self.base, self.host, self.port = base, parts.hostname, parts.port
        self.stats, self.wide, self.presenter = stats, wide, presenter
        self.cookies: dict[str, str] = {}
        self.assets: dict[str, dict[str, str]] = {}  # URL -> its answer's headers
        self.page: Page | None = None
        self.socket_opened = False
        self.ws = None
        self.tasks: list[asyncio.Task] = []
        self.arrivals: dict[str, float] = {}
        self.seen_items: dict[str, float] = {}
        self.reported: set[str] = set()
        self.pending: set[str] = set()
        self.flush_queued = False
        self.moving: asyncio.TimerHandle | None = None
        self.going: str | None = None  # follow.js: the path on its way to
        self.pushed_page: tuple[str, str, dict] | None = None  # the last page pushed: (path, html, drawn)
        self.polls: list[asyncio.Task] = []
        self.loads = 0  # pages loaded (a swap is not one): a socket lives as long as its page load
        self.closing = False
        self.closers: set[asyncio.Task] = set()
        self.waiters: dict[str, asyncio.Future] = {}
        # The presenter's requests go from a process of its own (a laptop's browser does not
        # wait on a loop with a thousand phones in it), each timed there: `took`.
        self.apart: ProcessPoolExecutor | None = ProcessPoolExecutor(1) if presenter else None
        self.took = 0.0
        self.reset_storm()

    def reset_storm(self) -> None:
        """From now on count socket attempts and note the first socket open (bench/room.py's
        storm): a page loaded again after the kill opens a first socket, and that is back too."""
        self.reopened_at: float | None = None
        self.attempts = 0
        self.failures: Counter = Counter()  # why attempts failed
        self.load_failed: int | None = None  # the status of the last page load, if it failed

    def state(self) -> str:
        """What this phone is doing now, in words, for a storm's stragglers."""
        if self.load_failed is not None:
            # A browser whose navigation fails shows its error page: no script, no socket.
            return f"its page load failed ({self.load_failed or 'no answer'}): no page, no socket"
        if self.ws is not None:
            return "socket open"
        socket = [t for t in self.tasks if t.get_coro().__name__ == "socket" and not t.done()]
        failed = ", ".join(f"{n} {k}" for k, n in sorted(self.failures.items()))
        return f"socket retrying ({failed or 'no failure yet'})" if socket else "no socket"

    # HTTP -------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        data: dict | None = None,
        headers: dict | None = None,
        timeout: float = 10,
        kind: str = "",
    ) -> tuple[int, dict, str]:
        body = urlencode(data, doseq=True).encode() if data is not None else b""
        lines = [f"{method} {path} HTTP/1.0", f"Host: {self.host}:{self.port}", "Accept: text/html"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if data is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self.stats.requests += 1
        if self.stats.record:
            self.stats.kinds.append((kind or method, path.split("?")[0]))
        try:
            if self.apart is not None:
                loop = asyncio.get_running_loop()
                answer, self.took = await loop.run_in_executor(self.apart, exchange, self.host, self.port, raw, timeout)
            else:
                started = time.perf_counter()
                reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), timeout)
                try:
                    writer.write(raw)
                    answer = await asyncio.wait_for(reader.read(-1), timeout)
                finally:
                    writer.close()
                self.took = time.perf_counter() - started
        except (TimeoutError, OSError) as error:
            self.stats.errors += 1
            self.stats.failed[(kind or method, type(error).__name__)] += 1
            return 0, {}, ""
        self.stats.bytes += len(raw) + len(answer)
        head, _, content = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1]) if len(status_line.split()) > 1 else 0
        out: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.lower() == "set-cookie":
                cookie, _, _ = value.strip().partition(";")
                k, _, v = cookie.partition("=")
                self.cookies[k] = v
            out[name.lower()] = value.strip()
        if status >= 500 or status == 0:
            self.stats.errors += 1
            self.stats.failed[(kind or method, str(status))] += 1
        return status, out, content.decode(errors="replace")

    async def post(self, path: str, data: dict, timeout: float = 10) -> int:
        token = self.page.csrf if self.page else self.cookies.get("csrftoken", "")
        status, _, _ = await self.request(
            "POST", path, data, {"X-CSRFToken": token, "HX-Request": "true", "Origin": self.base}, timeout
        )
        return status

    async def login(self, username: str, password: str) -> None:
        await self.request("GET", "/admin/login/")
        fields = {
            "username": username,
            "password": password,
            "next": "/",
            "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
        }
        status, _, _ = await self.request("POST", "/admin/login/", fields, {"Origin": self.base})
        if status != 302:
            raise RuntimeError(f"staff login answered {status}")

    async def write(self, text: str, key: str, timeout: float = 10) -> int:
        form = self.page.form
        fields = {**form["fields"], form["text"]: text, "key": key}
        return await self.post(form["action"], fields, timeout)

    # A page -------------------------------------------------------------------------------

    async def open(self, path: str) -> None:
        """Load `path` as a browser does, then open its socket; the previous page goes away."""
        await self.leave_page()
        started = time.time()
        status, _, body = await self.request("GET", path, kind="page")
        if status != 200:
            self.load_failed = status
            return
        self.load_failed = None
        self.stats.page_loads.append(time.time() - started)
        for asset in dict.fromkeys(html.unescape(a) for a in ASSETS.findall(body)):
            kept = self.assets.get(asset, {})
            if "max-age" in kept.get("cache-control", ""):
                continue  # fresh in the browser's cache: no request (tests/test_room_sim.py)
            since = {"If-Modified-Since": kept["last-modified"]} if "last-modified" in kept else {}
            status, headers, _ = await self.request("GET", asset, headers=since, kind="static")
            if status == 200:
                self.assets[asset] = headers
        page = parse(path, body, self.wide)
        self.page = page
        self.loads += 1
        self.socket_opened = False  # seen.js waits for it
        self.arrivals.setdefault(path, time.time())
        self.collect(body)
        self.polls = [asyncio.create_task(self.poll(url, every)) for url, every in page.polls]
        self.tasks = []
        if page.ws_path:
            self.tasks.append(asyncio.create_task(self.socket()))

    def swap(self, path: str, body: str, drawn: dict) -> None:
        """follow.js swap(): the pushed page shown on the same socket, which moves to its groups."""
        page = parse(path, body.replace(TOKEN_MARK, self.page.csrf), self.wide)
        for task in self.polls:
            task.cancel()
        self.page = page
        self.arrivals.setdefault(path, time.time())
        self.collect(body)
        self.polls = [asyncio.create_task(self.poll(url, every)) for url, every in page.polls]
        if self.ws is not None:
            groups = parse_qs(urlsplit(page.ws_path).query).get("g", [])
            self.send_soon(json.dumps({"groups": groups, "drawn": drawn}))

    def send_soon(self, frame: str) -> None:
        async def send(ws) -> None:
            try:
                await ws.send(frame)
            except websockets.WebSocketException:
                pass  # closed: the reconnect asks for the page shown now

        task = asyncio.create_task(send(self.ws))
        self.closers.add(task)
        task.add_done_callback(self.closers.discard)

    async def leave_page(self) -> None:
        if self.moving:
            self.moving.cancel()
        for task in [*self.tasks, *self.polls]:
            task.cancel()
        self.tasks, self.polls = [], []
        if self.ws is not None:
            # A browser leaving a page sends its close frame and goes on: it does not wait for
            # the server's answer (the handshake waited for a busy server added seconds to a follow).
            ws, self.ws = self.ws, None
            closer = asyncio.create_task(ws.close())
            self.closers.add(closer)
            closer.add_done_callback(self.closers.discard)

    def arrived_at(self, path: str) -> float | None:
        return self.arrivals.get(path)

    async def poll(self, url: str, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await self.request("GET", url, kind="poll")

    async def socket(self) -> None:
        """The htmx ws extension's socket: open, listen, and after a drop try again."""
        retry, first = 0, True
        headers = {"Origin": self.base, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        loaded = self.loads
        while not self.closing and self.loads == loaded:
            url = f"ws://{self.host}:{self.port}{self.page.ws_path}"  # app.js: the page shown now's groups
            if not first:
                await asyncio.sleep(delay_s(retry, self.presenter))
                retry += 1
            self.attempts += 1
            try:
                if self.stats.record:
                    self.stats.kinds.append(("ws", self.page.ws_path))
                async with websockets.connect(
                    url, additional_headers=headers, open_timeout=10, ping_interval=None, max_size=None
                ) as ws:
                    self.ws = ws
                    self.socket_opened = True
                    if self.reopened_at is None:
                        self.reopened_at = time.time()
                    retry = 0
                    async for message in ws:
                        self.frame(message if isinstance(message, str) else message.decode())
            except (TimeoutError, OSError, websockets.WebSocketException) as error:
                self.failures[type(error).__name__] += 1
            first = False
            self.ws = None

    def frame(self, message: str) -> None:
        now = time.time()
        self.stats.bytes += len(message)
        if message.startswith(PAGE_FRAME):
            head, _, body = message[len(PAGE_FRAME) :].partition("-->")
            path, _, drawn = head.partition(" ")  # the groups' counts it was rendered at (push/sent.py)
            self.pushed_page = (path, body, json.loads(drawn) if drawn else {})
            return
        for key in ITEM.findall(message):
            if key not in self.seen_items:
                self.seen_items[key] = now
                if (waiter := self.waiters.pop(key, None)) and not waiter.done():
                    waiter.set_result(now)
        self.collect(message)
        if self.page and self.page.following and (m := FOLLOW_AT.search(message)):
            self.follow(m.group(1))

    def follow(self, path: str) -> None:
        if path == self.going:
            return
        if self.moving:
            self.moving.cancel()
        self.going = path
        if path and path != self.page.path:
            loop = asyncio.get_running_loop()
            pause = SWAP_JITTER_S if self.swappable(path) else FOLLOW_JITTER_S
            self.moving = loop.call_later(random.random() * pause, self.move, path)

    def swappable(self, path: str) -> tuple[str, str, dict] | None:
        return self.pushed_page if self.pushed_page and self.pushed_page[0] == path else None

    def move(self, path: str) -> None:
        """follow.js: the pushed page if it came (even during the pause), else a page load."""
        if pushed := self.swappable(path):
            self.swap(path, pushed[1], pushed[2])
        else:
            self.go(path)

    def go(self, path: str) -> None:
        self.mover = asyncio.get_running_loop().create_task(self.open(path))

    async def wait_item(self, key: str, timeout: float) -> float | None:
        if key in self.seen_items:
            return self.seen_items[key]
        waiter = self.waiters.setdefault(key, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None

    def caught_up(self, probes: list[str]) -> float | None:
        times = [self.seen_items[k] for k in probes if k in self.seen_items]
        return min(times) if times else None

    # The "seen" beacon (presenter.js) -------------------------------------------------------

    def collect(self, markup: str) -> None:
        for token in SEEN.findall(markup):
            if token not in self.reported:
                self.pending.add(token)
        if self.pending and not self.flush_queued:
            self.flush_queued = True
            asyncio.get_running_loop().call_later(0.016, lambda: self.tasks.append(asyncio.create_task(self.flush())))

    async def flush(self) -> None:
        self.flush_queued = False
        # seen.js: over the page's socket, which a fresh page waits for (SOCKET_WAIT_S); else the beacon.
        if self.page and self.page.ws_path:
            waited = time.monotonic() + SOCKET_WAIT_S
            while not self.socket_opened and self.page and time.monotonic() < waited:
                await asyncio.sleep(0.05)
        while self.pending and self.page:
            tokens = sorted(self.pending)[:100]
            self.pending.difference_update(tokens)
            self.reported.update(tokens)
            if self.ws is not None:
                try:
                    await self.ws.send(json.dumps({"seen": tokens}))
                    if self.stats.record:
                        self.stats.kinds.append(("beacon", "ws"))
                    continue
                except websockets.WebSocketException:
                    pass
            await self.request(
                "POST",
                "/seen/",
                {"csrfmiddlewaretoken": self.page.csrf, "seen": tokens},
                {"Origin": self.base},
                kind="beacon",
            )

    async def close(self) -> None:
        self.closing = True
        await self.leave_page()
        await asyncio.gather(*self.closers, return_exceptions=True)
        if self.apart is not None:
            self.apart.shutdown(wait=False)
