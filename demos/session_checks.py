"""The session demos' panes as histories for checker.sessions (Terry et al., 1994): one write
feeds both panes, so a write is recorded once (pane `WRITES`) and each pane's reads on their own;
each pane is judged against a guarantee by the checker alone, which names the read that broke it
and the write it missed; the demo only words that in the pane's terms.

A read is what a pane was served or pushed: the keys it showed, oldest first (or in the order the
pane shows them, where order is the point), and its floor: a list cut at its length (the newest N)
covers the log only from its oldest position on, and says nothing of older writes."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

from checker import sessions
from checker.sessions import SessionOp
from checker.verdict import VIOLATION

from . import history, writes
from .reads import LIMIT, Item
from .verdicts import Checked, Judged

WRITES = "writes"

# (the read that broke it, the write it missed, the operation that made it required or None,
# every write by its name) -> the violation in the pane's words
Words = Callable[[SessionOp, SessionOp, SessionOp | None, dict[str, SessionOp]], str]


def floor_of(items: list[Item], cut: int = LIMIT) -> int:
    """A list of at most `cut` items, newest first: the lowest position it covers if it is full."""
    return min(item.position for item in items) if len(items) >= cut else 0


def accept(request, slug: str, **kwargs) -> writes.Outcome:
    """writes.accept, and the write in the run's history once it is answered 202, with its place
    in the log."""
    invoke = history.now()
    outcome = writes.accept(request, slug, **kwargs)
    if event := outcome.event:
        who = history.who(request.session.session_key)
        history.record(slug, history.write(WRITES, who, invoke, event.key, event.text, event.pk))
    return outcome


def listed(pane: str, session: str, invoke: float, items: list[Item], floor: int | None = None, **extra) -> dict:
    """A read that showed `items` (newest first, as panes list them); floor: see floor_of."""
    seen = [item.key for item in reversed(items)]
    return history.read(pane, session, invoke, seen, floor_of(items) if floor is None else floor, **extra)


def history_of(ops: list[dict], pane: str, session: Callable[[dict], str] | None = None):
    """The run's writes and `pane`'s reads as checker.sessions operations.
    A read's writes made before the run (seeds, an earlier run) are left out: nothing says when."""
    writes: dict[str, dict] = {}
    for op in ops:
        if op["f"] == "w" and op["st"] != "fail":
            writes.setdefault(op["k"], op)  # a retried key is one write: acknowledged the first time
    names = _names(writes)
    rows = [
        {"session": op["s"], "kind": "write", "write": names[key], "position": op["pos"], "invoke": op["i"],
         "complete": op["c"]}
        for key, op in writes.items()
    ]  # fmt: skip
    for op in ops:
        if op["f"] == "r" and op["p"] == pane:
            rows.append({
                "session": session(op) if session else op["s"], "kind": "read", "invoke": op["i"],
                "complete": op["c"], "seen": [names[k] for k in op["seen"] if k in writes],
                "floor": op.get("floor", 0),
            })  # fmt: skip
    return sessions.operations(rows)


def _names(writes: dict[str, dict]) -> dict[str, str]:
    """Each write's name in the history and its diagram: its text, short, quoted (the key is a
    hex string nobody in the room can read); with its position where two texts are the same."""
    short = {key: op["v"] if len(op["v"]) <= 24 else op["v"][:23] + "…" for key, op in writes.items()}
    twice = {text for text, count in Counter(short.values()).items() if count > 1}
    return {key: f"“{text}”" + (f"·{writes[key]['pos']}" if text in twice else "") for key, text in short.items()}


def judge(pane: str, guarantee: str, words: Words, session: Callable[[dict], str] | None = None):
    def judged(ops: list[dict]) -> Judged:
        started = time.perf_counter()
        built = history_of(ops, pane, session)
        verdict = sessions.check(built, guarantee)
        verdict.ms = (time.perf_counter() - started) * 1000
        why = ""
        if verdict.verdict == VIOLATION:
            roles: dict[str, list[SessionOp]] = {}
            for op in verdict.shown:
                if role := verdict.culprits.get(op.id):
                    roles.setdefault(role, []).append(op)
            context = roles.get("context", [None])[0]
            writes = {op.write: op for op in built if op.kind == "write"}
            why = words(roles["culprit"][0], roles["missed"][0], context, writes)
            if more := re.search(r"\((\d+) reads break it\)", verdict.explanation):
                why += f"; {more[1]} reads break it"
        return Judged(verdict, len(built), why)

    return judged


def checked(pane: str, label: str, promise: str, guarantee: str, words: Words, broken: str = "", session=None):
    return Checked(pane, label, promise, judge(pane, guarantee, words, session), broken)


def reader(read: SessionOp, what: str) -> str:
    """`what` the pane showed (a listing) and to whom, in a pane's words."""
    return f"a {what} pushed to every page" if read.session == "push" else f"a {what} served to session {read.session}"


def quote(write: SessionOp) -> str:
    """A write as a pane names it: its text, quoted, and its place in the log."""
    return f"{write.write} (#{write.position})"
