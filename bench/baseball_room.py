"""A baseball game with a room of phones watching: what the room costs the server, against what
the server can serve, both measured in the same run.

    .venv/bin/python -m bench.baseball_room [PHONES] [--saturate-s S]

The app runs as bench/room.py runs it (2 Daphne processes, supervised, as `make demo` runs on 2
cores). The presenter, in presenter mode, leads to the baseball page; PHONES phones (default
1,000) join through /join/ and follow it there. Each phone is bench/room_client.py's Client plus
the page's own baseball script (demos/catalog/baseball/static/showcase/tricks/baseball.js):
six readers that read on page load until settled, read again when a push says a run was
applied, and, while the playing page's reads come by push (`shared-read-*`, at most
WATCH_GRACE_MS apart), show those instead of reading. The presenter's page plays: POST play/,
the game's seven writes one every pause_ms, its six readers reading every 500 ms with share=1
until the game is settled on every replica. The lag is the demo's scenario (3 s, reordering).

Room cost: the CPU of every server process (Daphne, worker, sweeper, beat, Redis; from /proc),
in cores, from Play until every phone shows every reader settled on the whole game. An empty
room (the presenter alone) plays the same game first, in the same run, for comparison.

Capacity: the CPU the server's processes reach when saturated, measured in the same run right
after the game with the phones still connected: as many concurrent clients as it takes read the
six readers of the game (the request a reader makes) for --saturate-s seconds; the figure is the
server's cores (and reads/s) then. This is "2 cores minus what else runs" measured rather than
assumed: the simulator's own CPU and the other work on this shared machine take their share
during saturation just as they do during the game. The target: room cost / capacity < 0.5.

Frames of shared reads: the frames that carried the presenter's reads to the phones (each
process gathers them per window: demos/catalog/baseball/sharing.py), and the reads in them.
Redis clients: the most connected at once per stage, and what they last ran at the most.

Phones' push: from the presenter's read being sent to a phone getting that read pushed (an
upper bound: it includes the server's read itself), p95 over every (phone, read).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import time
import uuid
from collections import Counter

import redis.asyncio

from bench.common import percentile, running_app
from bench.room import ARRIVE_S, cpu_ticks, own_cpu, talk
from bench.room_client import Client, Stats
from tests.conftest import staff_login

PAGE = "/demos/baseball/"
EVERY_S = 0.5  # baseball.js EVERY_MS
WATCH_GRACE_S = 2.5  # baseball.js WATCH_GRACE_MS
GAME_GIVE_UP_S = 90
ARRIVED_GIVE_UP_S = 60  # after the last phone joined: following a projector takes a room of 1,000 a while
WRITE_TRIES = 3  # a write the server did not answer in 10 s is sent again (counted in errors)
QUIET_GIVE_UP_S = 120
PANE = re.compile(r'data-guarantee="([^"]+)"[^>]*\bdata-url="([^"]+)"', re.S)
GAME_ID = re.compile(r'data-game-id="([^"]*)"')
PLAY = re.compile(r'data-play-url="([^"]+)" data-write-url="([^"]+)"')
READING = re.compile(r"<div data-reading\s[^>]*>", re.S)
SHARED = re.compile(r'id="shared-read-([a-z-]+)" data-shared-read')
NEWS = re.compile(r'id="news-baseball" data-news="([^"]*)"')
ATTR = re.compile(r'data-([a-z-]+)="([^"]*)"')


def reading_of(markup: str) -> dict[str, str] | None:
    """The data-* attributes of the first `[data-reading]` in `markup`."""
    if not (m := READING.search(markup)):
        return None
    return {k: html.unescape(v) for k, v in ATTR.findall(m.group(0))}


class Reader:
    """One pane's reader, as baseball.js's `reader(pane)` does it."""

    def __init__(self, phone: BaseballPhone, guarantee: str, url: str):
        self.phone, self.guarantee, self.url = phone, guarantee, url
        self.seen = self.turn = 0
        self.awake = self.again = False
        self.watched_at, self.watched_game, self.watched_turn = 0.0, "", 0
        self.fallback: asyncio.TimerHandle | None = None
        self.shown: dict[str, str] | None = None  # the reading the pane shows

    def clear(self) -> None:
        self.shown = None

    def watching(self) -> bool:
        return time.monotonic() - self.watched_at < WATCH_GRACE_S

    def wake(self) -> None:
        if self.watching():
            return
        self.again = True
        if self.awake:
            return
        self.awake = True
        self.phone.later(random.random() * EVERY_S, self.read)

    async def read(self) -> None:
        if self.watching():
            self.awake = False
            return
        phone = self.phone
        self.again = False
        query = {"game": phone.game, "seen": self.seen, "turn": self.turn, "page": phone.page_id}
        if phone.game and phone.game == phone.sharing:
            query["share"] = "1"
        sent = time.time()
        path = self.url + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        status, _, body = await phone.request("GET", path, headers={"HX-Request": "true"}, kind="read")
        phone.reads += 1
        settled = False
        if status == 200:
            if query.get("share") and (r := reading_of(body)):
                phone.shared_sent[(r["game-id"], self.guarantee, r["turn"])] = sent
            settled = self.landed(body)
        if settled and not self.again and not phone.playing:
            self.awake = False
            return
        phone.later(EVERY_S, self.read)

    def landed(self, markup: str) -> bool:
        phone = self.phone
        reading = reading_of(markup)
        if reading is None:
            return False
        latest = reading.get("latest-game", "")
        if not phone.playing and latest and latest != phone.game:
            phone.new_game(latest)
            return False
        if reading.get("game-id") != phone.game:
            return False
        self.turn, self.seen = int(reading["turn"]), int(reading["seen"])
        self.shown = reading
        return reading.get("settled") == "1"

    def watch(self, markup: str) -> None:
        phone = self.phone
        reading = reading_of(markup)
        if reading is None or (phone.game and phone.game == phone.sharing):
            return
        turn = int(reading.get("turn", "0"))
        if reading.get("game-id") == self.watched_game and turn <= self.watched_turn:
            return
        self.watched_game, self.watched_turn, self.watched_at = reading.get("game-id", ""), turn, time.monotonic()
        phone.pushed.append((self.watched_game, self.guarantee, str(turn), time.time()))
        if self.watched_game != phone.game:
            phone.new_game(self.watched_game, pushed=True)
        if self.fallback:
            self.fallback.cancel()
        if not self.landed(markup):
            self.fallback = asyncio.get_running_loop().call_later(WATCH_GRACE_S, self.wake)

    def expect(self) -> None:
        """The playing page's read of this reader is on its way: wait WATCH_GRACE_S for it."""
        if self.watching():
            return
        if self.fallback:
            self.fallback.cancel()
        self.fallback = asyncio.get_running_loop().call_later(WATCH_GRACE_S, self.wake)

    def done(self, game: str) -> bool:
        """Shows the whole game, settled, and reads no more."""
        s = self.shown
        return bool(s and s.get("game-id") == game and s.get("settled") == "1" and s.get("written") == "7") and (
            not self.awake
        )


class BaseballPhone(Client):
    """A Client whose baseball page runs the page's readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.readers: list[Reader] = []
        self.game = self.sharing = self.news = ""
        self.playing = False
        self.page_id = uuid.uuid4().hex[:8]
        self.handles: set[asyncio.TimerHandle] = set()
        self.body = ""
        self.reads = 0
        self.shared_sent: dict[tuple[str, str, str], float] = {}  # the player's: (game, guarantee, turn) -> sent
        self.pushed: list[tuple[str, str, str, float]] = []  # a phone's: shared reads that came
        self.shared_frames = self.shared_reads = 0  # frames carrying shared reads, and the reads in them

    async def request(self, method, path, data=None, headers=None, timeout=10, kind=""):
        answer = await super().request(method, path, data, headers, timeout, kind)
        if kind == "page":
            self.body = answer[2]
        return answer

    def later(self, delay: float, coroutine_fn) -> None:
        def run() -> None:
            self.handles.discard(handle)
            task = asyncio.get_running_loop().create_task(coroutine_fn())
            self.tasks.append(task)

        handle = asyncio.get_running_loop().call_later(delay, run)
        self.handles.add(handle)

    async def open(self, path: str) -> None:
        await super().open(path)
        if self.page and self.page.path == PAGE and self.body:
            self.game = m.group(1) if (m := GAME_ID.search(self.body)) else ""
            self.news = m.group(1) if (m := NEWS.search(self.body)) else ""
            self.play_urls = PLAY.search(self.body).groups()
            self.readers = [Reader(self, g, html.unescape(u)) for g, u in PANE.findall(self.body)]
            for reader in self.readers:
                # The pane's slot, before its shared-read holder: a settled game comes read.
                pane = self.body.split(f'data-guarantee="{reader.guarantee}"', 1)[1].split("data-shared-read", 1)[0]
                if not ((shown := reading_of(pane)) and shown.get("settled") == "1" and reader.landed(pane)):
                    reader.wake()

    async def leave_page(self) -> None:
        for handle in self.handles:
            handle.cancel()
        self.handles.clear()
        for reader in self.readers:
            if reader.fallback:
                reader.fallback.cancel()
        self.readers = []
        await super().leave_page()

    def frame(self, message: str) -> None:
        super().frame(message)
        if not self.readers:
            return
        if (news := NEWS.search(message)) and news.group(1) != self.news:
            self.news = news.group(1)
            for reader in self.readers:
                reader.wake()
        if shared_reads := len(SHARED.findall(message)):
            self.shared_frames += 1
            self.shared_reads += shared_reads
        for shared in SHARED.finditer(message):
            for reader in self.readers:
                if reader.guarantee == shared.group(1):
                    reader.watch(message[shared.end() :])

    def new_game(self, game: str, pushed: bool = False) -> None:
        self.game = game
        for reader in self.readers:
            reader.clear()
            if pushed:
                reader.expect()
            else:
                reader.wake()

    def idle(self) -> bool:
        return all(not r.awake for r in self.readers)

    async def play(self) -> str:
        """The Play button: a new game, its writes one every pause_ms, as the page's play()."""
        self.playing = True
        headers = {"X-CSRFToken": self.page.csrf, "Origin": self.base}
        try:
            status, _, body = await self.request("POST", self.play_urls[0], {}, headers)
            started = json.loads(body)
            self.sharing = started["game"]
            self.new_game(started["game"])
            for index in range(started["writes"]):
                scored = {"game": self.game, "index": index}
                for _ in range(WRITE_TRIES):  # the same write again is the same event (demo.py write)
                    status, _, body = await self.request("POST", self.play_urls[1], scored, headers)
                    if status == 202:
                        break
                if status != 202:
                    raise RuntimeError(f"write {index} answered {status}: {body[:200]}")
                if index + 1 < started["writes"]:
                    await asyncio.sleep(started["pause_ms"] / 1000)
        finally:
            self.playing = False
        return self.game


async def fill(base: str, stats: Stats, size: int, arrive_s: float) -> list[BaseballPhone]:
    """Phones join through /join/ over `arrive_s` and follow the projector to the baseball page."""
    phones = [BaseballPhone(base, stats) for _ in range(size)]

    async def arrive(phone: BaseballPhone) -> None:
        await asyncio.sleep(random.uniform(0, arrive_s))
        await phone.open("/join/")

    await asyncio.gather(*(arrive(p) for p in phones))
    await until(lambda: all(p.readers for p in phones), ARRIVED_GIVE_UP_S)
    return phones


async def until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return condition()


def server_cpu(app) -> float:
    """CPU seconds of every process of the server so far."""
    return cpu_ticks([p.pid for p in app.stack.procs.values()]) / os.sysconf("SC_CLK_TCK")


async def game(app, presenter: BaseballPhone, phones: list[BaseballPhone], stats: Stats) -> dict:
    """Play one game with `phones` watching; the server's CPU from Play until all is settled."""
    await until(lambda: presenter.idle() and all(p.idle() for p in phones), QUIET_GIVE_UP_S)
    stats.reset()
    reads0 = sum(p.reads for p in phones)
    frames0 = sum(p.shared_frames for p in phones)
    cpu0, sim0, t0 = server_cpu(app), own_cpu(), time.monotonic()
    played = await presenter.play()
    everyone = [presenter, *phones]
    settled = await until(lambda: all(r.done(played) for c in everyone for r in c.readers), GAME_GIVE_UP_S)
    seconds = time.monotonic() - t0
    cpu, sim = server_cpu(app) - cpu0, own_cpu() - sim0
    sent = presenter.shared_sent
    push = [at - sent[(g, r, t)] for p in phones for g, r, t, at in p.pushed if g == played and (g, r, t) in sent]
    return {
        "phones": len(phones),
        "seconds": seconds,
        "settled": settled,
        "not_settled": sum(1 for p in phones if not all(r.done(played) for r in p.readers)),
        "server_cores": cpu / seconds,
        "sim_cores": sim / seconds,
        "phone_reads": sum(p.reads for p in phones) - reads0,
        "requests": stats.requests,
        "shared_frames": sum(p.shared_frames for p in phones) - frames0,
        "errors": stats.errors,
        "push_p95": percentile([x * 1000 for x in push], 95),
        "push_n": len(push),
        "load": os.getloadavg()[0],
    }


async def saturate(app, game_id: str, seconds: float, clients: int = 48) -> dict:
    """The server's CPU and reads/s with `clients` reading the six readers back to back."""
    stats = Stats()
    guarantees = ["strong", "eventual", "consistent-prefix", "bounded-staleness", "monotonic-reads", "read-my-writes"]
    stop = time.monotonic() + seconds
    done = 0

    async def reader() -> None:
        nonlocal done
        client = Client(app.url, stats)
        while time.monotonic() < stop:
            g = random.choice(guarantees)
            status, _, _ = await client.request(
                "GET", f"{PAGE}read/{g}/?game={game_id}", headers={"HX-Request": "true"}
            )
            done += status == 200

    cpu0, sim0, t0 = server_cpu(app), own_cpu(), time.monotonic()
    await asyncio.gather(*(reader() for _ in range(clients)))
    elapsed = time.monotonic() - t0
    return {
        "server_cores": (server_cpu(app) - cpu0) / elapsed,
        "sim_cores": (own_cpu() - sim0) / elapsed,
        "reads_s": done / elapsed,
        "errors": stats.errors,
        "load": os.getloadavg()[0],
    }


async def redis_clients(app, peak: dict[str, int]) -> None:
    """The most clients Redis had connected at once, per stage of the run (showcase/redis_client.py's pools)."""
    client = redis.asyncio.Redis.from_url(app.stack.redis_url)
    try:
        while True:
            listed = [c for c in await client.client_list() if c["cmd"] != "client|list"]
            if len(listed) > max((n for n in peak.values() if isinstance(n, int)), default=0):
                # What each connection last did, at the most: which pool holds them.
                peak["last commands"] = Counter(c["cmd"] for c in listed).most_common(6)
            peak[peak["stage"]] = max(peak.get(peak["stage"], 0), len(listed))
            await asyncio.sleep(0.25)
    finally:
        await client.aclose()


async def run(app, size: int, saturate_s: float, arrive_s: float) -> tuple[dict, dict, dict]:
    peak: dict = {"stage": "empty room"}
    sampler = asyncio.create_task(redis_clients(app, peak))
    password = staff_login(app, "presenter")
    scenario = dict(talk())[PAGE].scenario
    lag = {k: int(v) if isinstance(v, bool) else v for k, v in scenario.lag.items()}
    stats = Stats()
    presenter = BaseballPhone(app.url, stats, wide=True, presenter=True)
    await presenter.login("presenter", password)
    await presenter.post("/presenter/", {"on": "1"})
    await presenter.open(PAGE)
    await presenter.post("/follow/lead/", {"path": PAGE})
    await presenter.post("/control/lag/", lag)  # the demo's scenario: R
    alone = await game(app, presenter, [], stats)
    print(line("empty room", alone), flush=True)
    t0 = time.monotonic()
    peak["stage"] = "arrival"
    phones = await fill(app.url, stats, size, arrive_s)
    joined = sum(1 for p in phones if p.readers)
    print(
        f"{joined} of {size} phones on {PAGE} in {time.monotonic() - t0:.1f} s; their readers read "
        f"{sum(p.reads for p in phones)} times on arrival; {stats.errors} errors; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    peak["stage"] = "game"
    room = await game(app, presenter, phones, stats)
    print(line(f"{size} phones", room), flush=True)
    peak["stage"] = "saturation"
    capacity = await saturate(app, presenter.game, saturate_s)
    sampler.cancel()
    print(
        "Redis clients connected, most at once: "
        + ", ".join(f"{stage} {n}" for stage, n in peak.items() if stage != "stage"),
        flush=True,
    )
    print(
        f"capacity: server {capacity['server_cores']:.2f} cores at saturation, {capacity['reads_s']:.0f} reads/s "
        f"(simulator {capacity['sim_cores']:.2f} cores, {capacity['errors']} errors, load {capacity['load']:.1f})",
        flush=True,
    )
    await asyncio.gather(*(c.close() for c in [presenter, *phones]))
    return alone, room, capacity


def line(label: str, r: dict) -> str:
    unsettled = "" if r["settled"] else f" (NOT settled on {r['not_settled']} phones)"
    return (
        f"{label}: game settled in {r['seconds']:.1f} s{unsettled}; "
        f"server {r['server_cores']:.2f} cores, simulator {r['sim_cores']:.2f} cores; "
        f"phones' own reads {r['phone_reads']}, requests {r['requests']}; "
        f"frames of shared reads {r['shared_frames']}; push p95 {r['push_p95']:.0f} ms "
        f"({r['push_n']} pushed reads); errors {r['errors']}; load {r['load']:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phones", nargs="?", type=int, default=1000)
    parser.add_argument("--saturate-s", type=float, default=8)
    # bench/room.py's room arrives in ARRIVE_S; on this page each arriving phone's six readers
    # read once on load, so a room arriving that fast asks more than the server serves.
    parser.add_argument("--arrive-s", type=float, default=ARRIVE_S, help="the room joins over this many seconds")
    args = parser.parse_args()
    with running_app(supervised=True, WEB_PROCESSES="2", RATELIMIT_WRITES="100000") as app:
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, heal=True, no_reorder=True, replica_lag="slow=0")
        alone, room, capacity = asyncio.run(run(app, args.phones, args.saturate_s, args.arrive_s))
    ratio = room["server_cores"] / max(capacity["server_cores"], 0.01)
    print(
        f"room cost {room['server_cores']:.2f} cores (empty room {alone['server_cores']:.2f}) / capacity "
        f"{capacity['server_cores']:.2f} cores = {ratio:.2f} (target < 0.5); phones' push p95 "
        f"{room['push_p95']:.0f} ms; errors {room['errors']}; load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
