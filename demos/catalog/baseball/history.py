"""Baseball's six readers as session histories for the checker (checker.sessions): the game's
writes, each with its place in the log, and each reader's reads with the writes they reflected.
Each reader is judged against its own guarantee; the eventual one promises no order, so it is
judged against consistent prefix to show the scores that never existed."""

from checker import sessions
from demos.verdicts import Checked, Judged

from .game import BOUND_MS, GUARANTEES

# A game's reads are judged until this long after its last write: by then every reader has it
# all, and the reads that go on every half second add nothing but time to judge them.
SETTLED_S = BOUND_MS / 1000 + 7

# pane -> (the checker's guarantee, its bound in seconds, what the pane is checked to keep)
CHECKS = {
    "strong": ("bounded-staleness", 0.0, "no stale read"),
    "eventual": ("consistent-prefix", None, "a consistent prefix (not promised)"),
    "consistent-prefix": ("consistent-prefix", None, "a consistent prefix"),
    "bounded-staleness": ("bounded-staleness", BOUND_MS / 1000, f"within {BOUND_MS / 1000:g} s"),
    "monotonic-reads": ("monotonic-reads", None, "monotonic reads"),
    "read-my-writes": ("read-your-writes", None, "reads its writes"),
}


def history(ops: list[dict], pane: str) -> list[sessions.SessionOp]:
    """The newest game's writes and `pane`'s reads of it. The monotonic reader remembers per page,
    so its session is the page's; the scorekeeper's writes are its browser session's."""
    games = [op["game"] for op in ops if op["f"] == "w"]
    game = games[-1] if games else None
    writes = [op for op in ops if op["f"] == "w" and op["game"] == game]
    made = {op["k"] for op in writes}
    until = max((op["c"] or op["i"] for op in writes), default=0.0) + SETTLED_S
    rows = [
        {"session": op["s"], "kind": "write", "write": op["k"], "position": op["pos"], "invoke": op["i"],
         "complete": op["c"]}
        for op in writes
    ]  # fmt: skip
    for op in ops:
        if op["f"] == "r" and op["p"] == pane and op.get("game") == game and op["i"] <= until:
            session = f"{op['s']}/{op.get('page', '')}" if pane == "monotonic-reads" else op["s"]
            seen = [w for w in op["seen"] if w in made]
            rows.append({"session": session, "kind": "read", "seen": seen, "invoke": op["i"], "complete": op["c"]})
    return sessions.operations(rows)


def judge(pane: str):
    guarantee, bound, _ = CHECKS[pane]

    def judged(ops: list[dict]) -> Judged:
        built = history(ops, pane)
        verdict = sessions.check(built, guarantee, bound)
        return Judged(verdict, len(built))

    return judged


CHECKED = tuple(Checked(pane, GUARANTEES[pane][0], promise, judge(pane)) for pane, (_, _, promise) in CHECKS.items())
