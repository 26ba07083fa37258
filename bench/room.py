"""The whole room: N phones and the presenter, simulated, measured.

    .venv/bin/python -m bench.room [PHONES ...] [--storm] [--report]

PHONES: room sizes (default 100 300); each is walked after an empty-room baseline (0 phones)
in the same run of the app (2 Daphne processes, supervised, as `make demo` runs on 2 cores, and
the presenter's own, the stage, which the presenter talks to and phones never reach).
Each phone does what the page's own scripts do (bench/room_client.py): joins through /join/,
loads the page and its static files once, opens the socket the page opens (`ws-connect`, with
`&g=follow`), reports the items it renders ("seen" beacon), polls what the page polls
(`hx-trigger="every ..."`), follows the presenter after its random pause, reconnects after a
drop with the page's jittered delay. The presenter walks the talk: each demo page in order,
announcing it (POST /follow/lead/), then the demo's scenario (its lag, then its texts through
the page's write form); then back to the curtain and the index, which the room follows too.

Per demo: click → feedback on the projector (write POST → its own socket gets the item), apply
→ phone push (the replica's applied_at → a phone's socket gets it), follow time (announce →
the phone has the new page), page load, requests/s and bytes/s the room made, CPU of the
server's processes (/proc), errors. The simulator's own CPU is printed beside.

--storm: with the largest room on one demo page, kill -9 every web process (the launcher
starts them again) and measure when each phone is back (socket open) and caught up (has a
write made after the kill): p50/p95/max, and a histogram of reconnect times; the phones not
back or not caught up are counted by what they were doing. --no-stage puts the presenter on the room's
two processes, as before the stage process, for a comparison. --storm-only skips the empty room
and the walk; --storm-during-follow kills while the room is still on its way to the page.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import signal
import time
import uuid
from collections import Counter
from datetime import UTC
from pathlib import Path

from bench.common import percentile, running_app
from bench.room_client import Client, Page, Stats
from tests.conftest import staff_login

HERE = Path(__file__).resolve().parent
ARRIVE_S = 10  # a room takes this long to join (QR codes are not scanned at once)
FOLLOW_GIVE_UP_S = 15
PUSH_GIVE_UP_S = 10
SETTLE_GRACE_S = 1.0
STORM_GIVE_UP_S = 30
PROBE_EVERY_S = 0.5


def talk() -> list[tuple[str, object]]:
    """The demo pages in the talk's order (as the presenter's arrow keys walk them), with
    their declarations; then back to the curtain and the index (no declaration: no scenario)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")
    django.setup()
    from conference.templatetags.conference import walk
    from demos import registry

    index, curtain, *demos = walk()
    return [*((path, registry.get(path.strip("/").split("/")[-1])) for path in demos), (curtain, None), (index, None)]


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Room:
    def __init__(self, app, phones: int):
        self.app = app
        self.stats = Stats()
        self.presenter: Client | None = None
        self.phones: list[Client] = []
        self.size = phones

    def server_pids(self) -> list[int]:
        return [p.pid for p in self.app.stack.procs.values()]

    async def presenter_login(self, password: str) -> None:
        # On its own web process when the app runs one, as `make demo` does: phones never reach it.
        self.presenter = Client(self.app.stage_url or self.app.url, self.stats, wide=True, presenter=True)
        await self.presenter.login("presenter", password)
        await self.presenter.post("/presenter/", {"on": "1"})

    async def fill(self) -> None:
        """Phones join over ARRIVE_S, each through /join/, and land where the projector is."""
        self.phones = [Client(self.app.url, self.stats) for _ in range(self.size)]

        async def arrive(phone: Client) -> None:
            await asyncio.sleep(random.uniform(0, ARRIVE_S) if self.size > 1 else 0)
            await phone.open("/join/")

        await asyncio.gather(*(arrive(p) for p in self.phones))
        target = self.presenter.page.path
        deadline = time.monotonic() + FOLLOW_GIVE_UP_S
        while time.monotonic() < deadline and any(p.page is None or p.page.path != target for p in self.phones):
            await asyncio.sleep(0.1)

    async def demo(self, path: str, demo, follow_only: bool = False) -> dict:
        slug = path.strip("/").split("/")[-1] or "index"
        self.stats.reset()
        ticks0, cpu0, t0 = cpu_ticks(self.server_pids()), own_cpu(), time.monotonic()
        moves = self.presenter.page is None or self.presenter.page.path != path
        await self.presenter.open(path)
        announced = time.time()
        await self.presenter.post("/follow/lead/", {"path": path})
        deadline = time.monotonic() + FOLLOW_GIVE_UP_S
        while time.monotonic() < deadline and any(p.arrived_at(path) is None for p in self.phones):
            await asyncio.sleep(0.05)
        # The first demo: the room joined there, and the projector does not move. A phone that
        # arrives after the announcement is still joining (`fill` gave up on it), not following.
        follow = [p.arrived_at(path) - announced for p in self.phones if (p.arrived_at(path) or 0) > announced]
        follow = follow if moves else []
        lost = sum(1 for p in self.phones if p.arrived_at(path) is None)
        feedback, answered, keys = await self.scenario(None if follow_only else demo)
        seconds = time.monotonic() - t0
        ticks = cpu_ticks(self.server_pids()) - ticks0
        applied = self.applied_at(keys)
        to_phone = [seen - applied[key] for p in self.phones for key, seen in p.seen_items.items() if key in applied]
        # Pushed to the room, not only to the writer's own session: a key some phone got.
        broadcast = [k for k in applied if any(k in p.seen_items for p in self.phones)]
        missing = sum(1 for p in self.phones for key in broadcast if key not in p.seen_items)
        return {
            "demo": slug,
            "phones": self.size,
            "feedback_p95": percentile([x * 1000 for x in feedback], 95),
            "writes": len(keys),
            "push_p95": percentile([x * 1000 for x in to_phone], 95),
            "push_missing": missing,
            "follow_p95": percentile([x * 1000 for x in follow], 95),
            "follow_lost": lost,
            "load_p95": percentile([x * 1000 for x in self.stats.page_loads], 95),
            "requests_s": self.stats.requests / seconds,
            "bytes_s": self.stats.bytes / seconds,
            "server_cpu": ticks / os.sysconf("SC_CLK_TCK") / seconds,
            "sim_cpu": (own_cpu() - cpu0) / seconds,
            "errors": self.stats.errors,
            "failed": dict(self.stats.failed),
            "seconds": seconds,
            "answer_p95": percentile([x * 1000 for x in answered], 95),
            "answered": [x * 1000 for x in answered],
            "load": os.getloadavg()[0],  # the machine is shared: its 1-minute load beside each row
        }

    async def scenario(self, demo) -> tuple[list[float], list[float], list[str]]:
        """The demo's scenario as scenario.js runs it: its lag, then its texts through the form,
        one every pause (the presenter does not wait for a push before the next)."""
        scenario = demo.scenario if demo else None
        page: Page = self.presenter.page
        if scenario is None or page.form is None:
            return [], [], []
        lag = {k: int(v) if isinstance(v, bool) else v for k, v in scenario.lag.items()}
        await self.presenter.post("/control/lag/", lag)
        texts = scenario.texts
        if demo.slug == "conflicts":
            # conflicts.js: restock, wait until the naive shop's replica has it, then every buyer
            # at once through the Buy form (the editors' race has a form of its own: left out).
            # Without the restock, every room after the first finds the hoodies sold out.
            await self.restock()
            texts = texts[:1]
        keys, answered, sent_at, arrivals = [], [], {}, {}
        for text in texts:
            key = uuid.uuid4().hex
            sent = time.time()
            status = await self.presenter.write(text, key)
            answered.append(self.presenter.took)  # timed in the presenter's own process
            if status == 202:
                keys.append(key)
                sent_at[key] = sent
                arrivals[key] = asyncio.create_task(self.presenter.wait_item(key, PUSH_GIVE_UP_S))
            await asyncio.sleep(scenario.pause_ms / 1000)
        # Wait only for pushes that come: until every replica has settled (applied or rejected)
        # every write, then SETTLE_GRACE_S for the pushes in flight. A page that
        # shows no item by its id (CAP's and monotonic reads' tallies) gets nothing to wait for.
        await self.settled(keys)
        grace = time.monotonic() + SETTLE_GRACE_S
        while time.monotonic() < grace:
            got = {k for p in self.phones for k in keys if k in p.seen_items}
            everyone = all(k in p.seen_items for p in self.phones for k in got)
            if everyone and all(task.done() for task in arrivals.values()):
                break
            await asyncio.sleep(0.05)
        feedback = []
        for key, task in arrivals.items():
            if task.done() and (got := task.result()) is not None:
                feedback.append(got - sent_at[key])
            task.cancel()
        return feedback, answered, keys

    async def restock(self) -> None:
        """The conflicts demo's Restock, then until no delivery of it is queued (conflicts.js waits
        for the naive shop to show it), at most PUSH_GIVE_UP_S."""
        from django.urls import reverse

        status = await self.presenter.post(reverse("conflicts-restock"), {})
        if status != 202:
            raise RuntimeError(f"restock answered {status}")
        sql = (
            "SELECT count(*) FROM store_delivery WHERE state = 'queued' AND event_id = "
            "(SELECT max(id) FROM store_event WHERE stream = 'conflicts' AND kind = 'stock.restocked')"
        )
        deadline = time.monotonic() + PUSH_GIVE_UP_S
        while time.monotonic() < deadline and (await asyncio.to_thread(self.app.query, sql))[0][0]:
            await asyncio.sleep(0.1)

    async def settled(self, keys: list[str]) -> None:
        """Until no delivery of `keys` is queued, at most PUSH_GIVE_UP_S."""
        if not keys:
            return
        sql = (
            "SELECT count(*) FROM store_event e JOIN store_delivery d ON d.event_id = e.id "
            "WHERE e.key IN (%s) AND d.state = 'queued'"
        )
        sql %= ",".join("?" * len(keys))
        deadline = time.monotonic() + PUSH_GIVE_UP_S
        while time.monotonic() < deadline:
            if all(k in self.presenter.seen_items for k in keys):
                return
            if not (await asyncio.to_thread(self.app.query, sql, tuple(keys)))[0][0]:
                return
            await asyncio.sleep(0.2)

    def applied_at(self, keys: list[str]) -> dict[str, float]:
        """Each write's first apply on a replica that pushed it, in seconds since the epoch."""
        if not keys:
            return {}
        sql = (
            "SELECT e.key, min(d.applied_at) FROM store_event e JOIN store_delivery d ON d.event_id = e.id "
            "WHERE e.key IN (%s) AND d.pushed_at IS NOT NULL GROUP BY e.key"
        )
        rows = self.app.query(sql % ",".join("?" * len(keys)), tuple(keys))
        return {key: _epoch(at) for key, at in rows if at}

    async def storm(self, during_follow: bool = False) -> dict:
        """kill -9 every web process with the room connected; time everyone's way back.

        The room is connected first: every phone on the presenter's page, its socket open. A kill
        while a room still follows (its page loads in flight, up to FOLLOW_GIVE_UP_S at 1,000
        phones) cuts the loads the killed processes were answering, and those phones are left
        where a browser is left, on its error page with no socket: `during_follow` measures that."""
        path = self.presenter.page.path
        web = [name for name in self.app.stack.procs if name.startswith("web")]
        everyone = [self.presenter, *self.phones]

        def connected(c: Client) -> bool:
            return c.page is not None and c.page.path == path and c.ws is not None

        deadline = time.monotonic() + (0 if during_follow else FOLLOW_GIVE_UP_S)
        while time.monotonic() < deadline and not all(connected(c) for c in everyone):
            await asyncio.sleep(0.1)
        unconnected = Counter(
            c.state() if c.page and c.page.path == path else f"not on the page yet ({c.state()})"
            for c in self.phones
            if not connected(c)
        )
        for client in everyone:
            client.reset_storm()
        stop = asyncio.Event()
        probes: list[str] = []

        async def probe() -> None:
            while not stop.is_set():
                key = uuid.uuid4().hex
                try:
                    if await self.presenter.write(f"probe {key[:6]}", key, timeout=2) == 202:
                        probes.append(key)
                except OSError:
                    pass
                await asyncio.sleep(PROBE_EVERY_S)

        killed = time.time()
        for name in web:
            os.kill(self.app.stack.procs[name].pid, signal.SIGKILL)
        writer = asyncio.create_task(probe())
        deadline = time.monotonic() + STORM_GIVE_UP_S
        while time.monotonic() < deadline and not all(c.caught_up(probes) for c in everyone):
            await asyncio.sleep(0.1)
        stop.set()
        await writer
        back = [c.reopened_at - killed for c in self.phones if c.reopened_at]
        caught = [c.caught_up(probes) - killed for c in self.phones if c.caught_up(probes)]
        stragglers = Counter(c.state() for c in self.phones if not c.caught_up(probes))
        boss = self.presenter
        return {
            "phones": self.size,
            "page": path,
            "back": back,
            "caught": caught,
            "missing": len(self.phones) - len(caught),
            "never_reopened": sum(1 for c in self.phones if not c.reopened_at),
            "reopened_behind": sum(1 for c in self.phones if c.reopened_at and not c.caught_up(probes)),
            "stragglers": stragglers,
            "unconnected": unconnected,
            "during_follow": during_follow,
            "probes": len(probes),
            "presenter_back": (boss.reopened_at - killed) if boss.reopened_at else None,
            "presenter_on_stage": self.app.stage_url is not None,  # its process is not among those killed
            "presenter_caught": (boss.caught_up(probes) - killed) if boss.caught_up(probes) else None,
            "attempts": sum(c.attempts for c in self.phones),
            "presenter_attempts": boss.attempts,
            "load": os.getloadavg()[0],
        }

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in [*self.phones, self.presenter] if c))


def _epoch(value) -> float:
    from datetime import datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def table(rows: list[dict], base: dict[str, dict]) -> list[str]:
    lines = [
        "| phones | demo | write answered p95 (empty room) | write → projector's push p95 (empty room) "
        "| apply → phone push p95 | follow p95 | page load p95 "
        "| requests/s | KB/s | server CPU (empty room) | simulator CPU | errors / lost | load |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        b = base.get(r["demo"], {})
        if r["writes"]:
            fb = f"{r['answer_p95']:.0f} ms ({b.get('answer_p95', 0):.0f}) | {ms(r['feedback_p95'])} "
            fb += f"({ms(b.get('feedback_p95', 0))})"
        else:
            fb = "no writes | —"
        lines.append(
            f"| {r['phones']} | {r['demo']} | {fb} | {ms(r['push_p95'])} | {ms(r['follow_p95'])} "
            f"| {r['load_p95']:.0f} ms | {r['requests_s']:.0f} | {r['bytes_s'] / 1024:.0f} "
            f"| {r['server_cpu']:.2f} cores ({b.get('server_cpu', 0):.2f}) | {r['sim_cpu']:.2f} cores "
            f"| {r['errors']} / {r['follow_lost']} not followed, {r['push_missing']} pushes missing | {r['load']:.1f} |"
        )
    return lines


def pooled(rows: list[dict]) -> list[str]:
    """The presenter's writes of every demo, pooled per room size: a demo's scenario has 3 to 5
    writes, so its own p95 is its slowest write; across the walk there are some thirty."""
    sizes = sorted({r["phones"] for r in rows})
    answered = {n: [x for r in rows if r["phones"] == n for x in r.get("answered", [])] for n in sizes}
    empty = answered.get(0, [])
    lines = []
    for n in sizes:
        if n and answered[n] and empty:
            p50, p95, e50, e95 = (
                percentile(v, q) for v, q in ((answered[n], 50), (answered[n], 95), (empty, 50), (empty, 95))
            )
            lines.append(
                f"{n} phones, the presenter's writes of every demo pooled: answered p50 {p50:.0f} ms, p95 {p95:.0f} ms "
                f"over {len(answered[n])} writes; empty room p50 {e50:.0f} ms, p95 {e95:.0f} ms over {len(empty)} "
                f"({p95 / e95:.1f}x at p95)"
            )
    return lines


def ms(value: float) -> str:
    return f"{value:.0f} ms" if value else "—"


def histogram(values: list[float], width: float = 0.5) -> list[str]:
    if not values:
        return ["(no reconnects)"]
    top = max(values)
    bins = [0] * (int(top / width) + 1)
    for v in values:
        bins[int(v / width)] += 1
    most = max(bins)
    return [
        f"{i * width:5.1f}–{(i + 1) * width:4.1f} s {n:5d} {'#' * round(40 * n / most)}" for i, n in enumerate(bins)
    ]


def storm_report(s: dict) -> list[str]:
    def trio(values: list[float]) -> str:
        if not values:
            return "none"
        return f"p50 {percentile(values, 50):.1f} s · p95 {percentile(values, 95):.1f} s · max {max(values):.1f} s"

    pb = "open again " + (f"{s['presenter_back']:.1f} s" if s["presenter_back"] is not None else "never")
    if s.get("presenter_on_stage") and s["presenter_back"] is None:
        pb = "its socket never closed (its own web process, not killed)"
    pc = f"{s['presenter_caught']:.1f} s" if s["presenter_caught"] is not None else "never"
    when = "while the room still followed the presenter" if s["during_follow"] else "with the room connected"
    return [
        f"kill -9 of every web process {when}: {s['phones']} phones on {s['page']} (load {s['load']:.1f});",
        f"  {s['unconnected'].total()} phones were not on the page with their socket open at the kill",
        *(f"    {n} {state}" for state, n in s["unconnected"].most_common()),
        f"  phones' sockets open again: {trio(s['back'])}; {s['never_reopened']} never within {STORM_GIVE_UP_S} s",
        f"  phones caught up (have one of the {s['probes']} writes made after the kill): {trio(s['caught'])}; "
        f"{s['missing']} not within {STORM_GIVE_UP_S} s: {s['never_reopened']} never reopened, "
        f"{s['reopened_behind']} reopened but not caught up",
        *(f"    {n} {state}" for state, n in s["stragglers"].most_common()),
        f"  presenter's page: {pb}, caught up {pc}, {s['presenter_attempts']} socket attempts",
        f"  socket attempts by phones after the kill: {s['attempts']} for {s['phones']} phones",
        "  reconnect times after the kill (phones):",
        *("    " + line for line in histogram(s["back"])),
    ]


async def run(
    app, sizes: list[int], storm: bool, follow_only: bool = False, during_follow: bool = False, storm_only: bool = False
) -> tuple[list[dict], dict | None]:
    password = staff_login(app, "presenter")
    rows: list[dict] = []
    base: dict[str, dict] = {}
    storm_result = None
    for size in [max(sizes)] if storm_only else [0, *sizes]:
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, heal=True, no_reorder=True, replica_lag="slow=0")
        room = Room(app, size)
        await room.presenter_login(password)
        first = talk()[0][0]
        await room.presenter.open(first)
        await room.presenter.post("/follow/lead/", {"path": first})
        t0, cpu0 = time.monotonic(), own_cpu()
        await room.fill()
        late = sum(1 for p in room.phones if p.page is None or p.page.path != first)
        print(
            f"{size} phones joined in {time.monotonic() - t0:.1f} s (simulator CPU {own_cpu() - cpu0:.1f} s)"
            + (f", {late} not there yet" if late else "")
        )
        for path, demo in [] if storm_only else talk():
            r = await room.demo(path, demo, follow_only)
            rows.append(r)
            if size == 0:
                base[r["demo"]] = r
            print("\n".join(table([r], base)[2:]), flush=True)
            if r["failed"]:
                print("   errors:", ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(r["failed"].items())))
        print("\n".join(pooled([r for r in rows if r["phones"] in (0, size)])), flush=True)
        if storm and size == max(sizes):
            await room.presenter.open("/demos/push/")
            await room.presenter.post("/follow/lead/", {"path": "/demos/push/"})
            await asyncio.sleep(3)
            storm_result = await room.storm(during_follow)
            print("\n".join(storm_report(storm_result)), flush=True)
        await room.close()
    return rows, storm_result, base


def write_report(sizes: list[int], rows: list[dict], base: dict, storm_result: dict | None, stage: bool) -> None:
    md = (HERE / "report.md").read_text()
    heading = "## The room (python -m bench.room)"
    md = md.split("\n" + heading)[0].rstrip() + "\n\n"
    load = os.getloadavg()[0]
    section = [
        heading,
        "",
        f"`python -m bench.room {' '.join(map(str, sizes))}{' --storm' if storm_result else ''}"
        f"{'' if stage else ' --no-stage'}` on {os.cpu_count()} cores (2 Daphne for the room, the presenter "
        f"{'on a web process of its own as `make demo` runs it' if stage else 'on the same two'}, "
        f"simulator in the same machine), load at the end {load:.1f}. "
        "Empty room (0 phones) in brackets, same run.",
        "",
        *table([r for r in rows if r["phones"]], base),
        "",
        *(f"- {line}" for line in pooled(rows)),
        "",
    ]
    if storm_result:
        section += ["```", *storm_report(storm_result), "```", ""]
    (HERE / "report.md").write_text(md + "\n".join(section))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phones", nargs="*", type=int, default=[100, 300])
    parser.add_argument("--storm", action="store_true", help="kill -9 the web processes with the largest room")
    parser.add_argument("--report", action="store_true", help="add the figures to bench/report.md")
    parser.add_argument("--logs", help="copy the app's logs into this folder at the end")
    parser.add_argument(
        "--no-stage", action="store_true", help="the presenter on the room's web processes, as before the stage process"
    )
    parser.add_argument("--follow-only", action="store_true", help="walk the talk without the scenarios' writes")
    parser.add_argument("--storm-only", action="store_true", help="the storm alone: no empty room, no walk")
    parser.add_argument(
        "--storm-during-follow", action="store_true", help="kill 3 s after the room is sent to the page, not once on it"
    )
    args = parser.parse_args()
    started = time.monotonic()
    with running_app(supervised=True, stage=not args.no_stage, WEB_PROCESSES="2", RATELIMIT_WRITES="100000") as app:
        where = f"{app.stage_url}, a web process of its own" if app.stage_url else "the same processes"
        print(f"room on {app.url} (2 Daphne); presenter on {where}", flush=True)
        try:
            rows, storm_result, base = asyncio.run(
                run(
                    app,
                    args.phones,
                    args.storm or args.storm_only or args.storm_during_follow,
                    args.follow_only,
                    args.storm_during_follow,
                    args.storm_only,
                )
            )
        finally:
            if args.logs and app.stack.log_dir:
                shutil.copytree(app.stack.log_dir, args.logs, dirs_exist_ok=True)
    print(f"whole run {time.monotonic() - started:.0f} s; simulator CPU {own_cpu():.0f} s")
    if args.report:
        write_report(args.phones, rows, base, storm_result, not args.no_stage)


if __name__ == "__main__":
    main()
