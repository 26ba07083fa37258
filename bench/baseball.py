"""Terry's table of the scores each guarantee lets a reader see, from real games.

Plays `games` games of the baseball demo against the whole app (Daphne, Celery worker, Redis),
each at a random lag, jitter, reorder and sometimes a partition, while six readers poll their
pane's read endpoint, exactly as the page does. Prints what each reader read.

.venv/bin/python -m bench.baseball [games] [seed]
"""

from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from demos.catalog.baseball import game as scoreboard
from tests.live import HttpClient, LiveApp

READ_EVERY_S = 0.3
PAUSE_S = 0.4  # between two writes, as the page plays
SETTLE_DEADLINE_S = 45
PAPER = {  # CACM 2013, Figure 3: the scores each guarantee allows at the end of the game
    "strong": "2-5",
    "eventual": "any of 0..2 - 0..5 (18 scores)",
    "consistent-prefix": "0-0 0-1 1-1 1-2 1-3 2-3 2-4 2-5",
    "bounded-staleness": "scores at most the bound out of date (2-5 once the bound has passed)",
    "monotonic-reads": "after reading 1-3: 1-3 1-4 1-5 2-3 2-4 2-5",
    "read-my-writes": "2-5 for the scorekeeper",
}
PREFIX = [scoreboard.fmt(s) for s in scoreboard.prefix_scores(len(scoreboard.GAME))]
READING = re.compile(r"<div data-reading ([^>]*)>")
ATTRIBUTE = re.compile(r'data-([a-z-]+)="([^"]*)"')


@dataclass(frozen=True)
class Read:
    guarantee: str
    score: str
    allowed: tuple[str, ...]
    written: int
    in_prefix: bool
    source: str
    started: float  # time.monotonic() when the request left


@dataclass
class Game:
    lag: dict
    reads: list[Read] = field(default_factory=list)
    acked: list[float] = field(default_factory=list)  # time.monotonic() of each write's 202
    settled: bool = False


def parse(html: str) -> dict[str, str]:
    match = READING.search(html)
    if not match:
        raise AssertionError(f"no reading in {html[:200]!r}")
    return dict(ATTRIBUTE.findall(match.group(1)))


def reader(client: HttpClient, guarantee: str, game: str, out: list[Read], stop: threading.Event) -> None:
    seen = turn = 0
    while not stop.is_set():
        started = time.monotonic()
        status, html = client.get(f"/demos/baseball/read/{guarantee}/?game={game}&seen={seen}&turn={turn}")
        if status == 200:
            data = parse(html)
            seen, turn = int(data["seen"]), int(data["turn"])
            allowed, written = tuple(data["allowed"].split()), int(data["written"])
            in_prefix = data["in-prefix"] == "1"
            out.append(Read(guarantee, data["score"], allowed, written, in_prefix, data["source"], started))
        stop.wait(READ_EVERY_S)


def random_lag(rng: random.Random) -> dict:
    return {
        "delay_ms": rng.randint(100, 1200),
        "jitter_ms": rng.choice([0, 300, 800, 1500]),
        "reorder": rng.random() < 0.8,
        "slow_ms": rng.randint(300, 3000),
        "partition": rng.random() < 0.2,
    }


def set_lag(app: LiveApp, lag: dict) -> None:
    app.lag(
        delay_ms=lag["delay_ms"],
        jitter_ms=lag["jitter_ms"],
        failure_rate=0.5,  # a run scored is a fact: even at 50 % refusals every write stands
        heal=True,
        reorder=lag["reorder"],
        no_reorder=not lag["reorder"],
        replica_lag=f"slow={lag['slow_ms']}",
    )


def settled(game: Game, latest: dict[str, Read]) -> bool:
    """Every reader reads the final score, and the staleness bound has passed since the last write."""
    if len(game.acked) < len(scoreboard.GAME) or len(latest) < len(scoreboard.GUARANTEES):
        return False
    past_bound = time.monotonic() - game.acked[-1] > scoreboard.BOUND_MS / 1000 + 0.5
    return past_bound and all(r.score == PREFIX[-1] and r.written == 7 for r in latest.values())


def play(app: LiveApp, lag: dict) -> Game:
    """One game at `lag`, read by six readers until every one of them has the final score."""
    set_lag(app, lag)
    scorekeeper = app.client()
    status, _, body = scorekeeper.post("/demos/baseball/play/", {})
    assert status == 200, body
    game_id = json.loads(body)["game"]
    game, stop = Game(lag), threading.Event()
    reads: dict[str, list[Read]] = {g: [] for g in scoreboard.GUARANTEES}
    # The scorekeeper reads its own writes; everyone else is a fan with a session of their own.
    clients = {g: scorekeeper if g == "read-my-writes" else app.client() for g in scoreboard.GUARANTEES}
    threads = [
        threading.Thread(target=reader, args=(clients[g], g, game_id, reads[g], stop), daemon=True)
        for g in scoreboard.GUARANTEES
    ]
    for thread in threads:
        thread.start()
    try:
        for index in range(len(scoreboard.GAME)):
            if lag["partition"] and index == 3:
                app.lag(pause=True)
            status, _, body = scorekeeper.post("/demos/baseball/write/", {"game": game_id, "index": index})
            assert status == 202, body
            game.acked.append(time.monotonic())
            if lag["partition"] and index == 5:
                app.lag(heal=True)
            time.sleep(PAUSE_S)  # the game's own pace, as the page plays it
        deadline = time.monotonic() + SETTLE_DEADLINE_S
        while time.monotonic() < deadline and not game.settled:
            game.settled = settled(game, {g: r[-1] for g, r in reads.items() if r})
            time.sleep(READ_EVERY_S)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    game.reads = [r for g in scoreboard.GUARANTEES for r in reads[g]]
    return game


def violations(game: Game) -> list[str]:
    """Every read checked against its pane's allowed set and against what the test knows itself."""
    found = []
    by = defaultdict(list)
    for read in game.reads:
        by[read.guarantee].append(read)
        if read.score not in read.allowed:
            found.append(f"{read.guarantee} read {read.score}, outside its allowed {read.allowed}")
    for read in by["consistent-prefix"] + by["strong"] + by["bounded-staleness"] + by["read-my-writes"]:
        if read.score not in PREFIX:
            found.append(f"{read.guarantee} read {read.score}, a score the game never had")
    monotonic = [tuple(map(int, r.score.split("-"))) for r in by["monotonic-reads"]]
    for before, after in zip(monotonic, monotonic[1:], strict=False):
        if after[0] < before[0] or after[1] < before[1]:
            found.append(f"monotonic reads went back from {before} to {after}")
    last = game.acked[-1] if len(game.acked) == 7 else float("inf")
    for read in by["strong"] + by["read-my-writes"]:
        if read.started > last and read.score != PREFIX[-1]:
            found.append(f"{read.guarantee} read {read.score} after the game")
    for read in by["bounded-staleness"]:
        if read.started > last + scoreboard.BOUND_MS / 1000 and read.score != PREFIX[-1]:
            found.append(f"bounded staleness read {read.score} after the bound had passed")
    if not game.settled:
        found.append("the readers did not all reach the final score in time")
    return found


def left_prefix(game: Game) -> list[str]:
    return sorted({r.score for r in game.reads if r.guarantee == "eventual" and not r.in_prefix})


def table(games: list[Game]) -> str:
    lines = [f"{len(games)} games, {sum(len(g.reads) for g in games)} reads"]
    width = max(len(g) for g in scoreboard.GUARANTEES)
    for guarantee in scoreboard.GUARANTEES:
        reads = [r for g in games for r in g.reads if r.guarantee == guarantee]
        after = [r for g in games for r in g.reads if r.guarantee == guarantee and r.started > g.acked[-1]]
        counts = Counter(r.score for r in reads)
        scores = " ".join(f"{s}×{counts[s]}" for s in sorted(counts))
        final = " ".join(sorted({r.score for r in after}))
        lines.append(f"{guarantee:<{width}}  paper: {PAPER[guarantee]}")
        lines.append(f"{'':<{width}}  read during the games ({len(reads)}): {scores}")
        lines.append(f"{'':<{width}}  read after the last write: {final}")
    outside = [g for g in games if left_prefix(g)]
    never = sorted({s for g in games for s in left_prefix(g)})
    lines.append(
        f"eventual left the prefix in {len(outside)} of {len(games)} games;"
        f" scores that never existed: {' '.join(never)}"
    )
    return "\n".join(lines)


def main(count: int = 20, seed: int = 2013) -> None:
    from bench.common import running_app

    rng = random.Random(seed)
    with running_app() as app:
        app.manage("seed", "--reset")
        games = [play(app, random_lag(rng)) for _ in range(count)]
    for i, game in enumerate(games):
        problems = violations(game)
        last = {r.guarantee: r.score for r in game.reads}
        print(f"game {i + 1}: {game.lag} · {len(game.reads)} reads · last {last}")
        print(f"  eventual outside the prefix: {left_prefix(game)}")
        for problem in problems:
            print(f"  VIOLATION: {problem}")
    print(table(games))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
