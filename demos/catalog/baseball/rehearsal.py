"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import Stage, Verdict, probe, seconds

from .game import GAME, eventual_scores, fmt, prefix_scores


def baseball(stage: Stage) -> list[Verdict]:
    """Play writes the game run by run; six readers re-read on their own, each through its
    guarantee. Every read keeps its guarantee — judged here from the reads and the times this
    page's runs were answered, not only from the allowed scores the server sends along — and
    every reader ends at the final score. Only eventual may show a score the game never had
    (that takes reorder, or jitter longer than the time between two runs)."""
    page = stage.page
    page.evaluate(RUNS)
    before = page.locator("[data-game-id]").first.get_attribute("data-game-id")
    page.locator("[data-play]").click()
    played = stage.until(PLAYED, before)
    status = page.locator("[data-play-status]").inner_text()
    stage.say("page", played is not None, f"Play wrote the game, {seconds(played)}: “{status}”")
    final = fmt(prefix_scores(len(GAME))[-1])
    runs = page.evaluate("window.__runs")
    bound = int(page.locator("[data-bound-ms]").get_attribute("data-bound-ms") or 0)
    for guarantee in [pane.get_attribute("data-guarantee") for pane in page.locator("[data-guarantee]").all()]:
        took = stage.until(ENDS_AT, [guarantee, final])
        reads = page.evaluate("(guarantee) => window.baseballReads[guarantee] || []", guarantee)
        stage.say(guarantee, *kept(guarantee, reads, runs, bound, final if took is not None else ""))
    return stage.verdicts


# What each reader promises of every read, in the words of the report.
PROMISES = {
    "strong": "the whole game so far",
    "eventual": "some value written of each team",
    "consistent-prefix": "a score the game had",
    "bounded-staleness": "a score the game had, at most the bound behind",
    "monotonic-reads": "never lower than the read before",
    "read-my-writes": "with every run this page had written",
}


def kept(guarantee: str, reads: list[dict], runs: list[float], bound: int, final: str) -> tuple:
    """Whether every read kept `guarantee` and the reader ended at `final` ("": it did not);
    for the eventual reader, whether it showed a score the game never had."""
    promise, before = PROMISES.get(guarantee, "within what it allows"), (0, 0)
    for read in reads:
        if read["score"] not in read["allowed"] or not keeps(guarantee, read, before, runs, bound):
            runs = f"{read['written']} run{'' if read['written'] == 1 else 's'}"
            return False, f"read {read['score']} with {runs} written: not {promise}"
        before = score(read)
    if not final:
        return False, f"never reached the final score: its last read was {reads[-1]['score'] if reads else 'none'}"
    said = f"{len(reads)} reads, each {promise}; ended at {final}"
    if guarantee == "eventual":
        never = sorted({r["score"] for r in reads if score(r) not in prefix_scores(r["written"])})
        said += f"; showed {' and '.join(never)}, never the score" if never else "; only real scores this time"
        return bool(reads), said, bool(never)
    return bool(reads), said


def keeps(guarantee: str, read: dict, before: tuple[int, int], runs: list[float], bound: int) -> bool:
    """One read against its guarantee: `before` is the score of the reader's read before it,
    `runs` the page times at which each run of the game was answered (a read started after an
    answer must show that run, where its guarantee says so)."""
    now, had = score(read), prefix_scores(read["written"])

    def answered_before(at: float) -> tuple[int, int]:
        return prefix_scores(len(GAME))[len([t for t in runs if t < at])]

    if guarantee == "strong":
        return now == had[-1]
    if guarantee == "consistent-prefix":
        return now in had
    if guarantee == "bounded-staleness":
        return now in had and at_least(now, answered_before(read["at"] - bound))
    if guarantee == "monotonic-reads":
        return at_least(now, before)
    if guarantee == "read-my-writes":
        return at_least(now, answered_before(read["at"]))
    return now in eventual_scores(read["written"])


def score(read: dict) -> tuple[int, int]:
    visitors, home = read["score"].split("-")
    return int(visitors), int(home)


def at_least(mine: tuple[int, int], than: tuple[int, int]) -> bool:
    return mine[0] >= than[0] and mine[1] >= than[1]


RUNS = probe(__file__, "runs")
PLAYED = probe(__file__, "played")
ENDS_AT = probe(__file__, "ends-at")
