"""The session guarantees of Terry et al. (1994), "Session guarantees for weakly consistent
replicated data", over a history of sessions, plus consistent prefix and bounded staleness.

A history is a list of `SessionOp`: each write has an id and, once the system ordered it, a
position (the event log's); each read lists the ids of the writes it reflected, in the order it
showed them, oldest first; a read of a window of the log (the newest N) has a floor, the lowest
position it covers, and says nothing of writes placed before it. Times are the server's clock in
seconds. "Before" is real time: a write is a session's earlier write when it completed before
the later operation was invoked. A write that never completed may or may not have happened, so no
guarantee requires it; a read that never completed showed nothing and is left out.

- read your writes: a read reflects every earlier write of its own session;
- monotonic reads: a read reflects every write that an earlier read of its session reflected;
- monotonic writes: a read that reflects a write reflects the earlier writes of that write's session;
- writes follow reads: a read that reflects a write reflects every write that the writing session
  had read before making it;
- consistent prefix: a read shows a prefix of the system's order of writes, in that order;
- bounded staleness (bound b seconds): a read reflects every write completed b seconds before it
  was invoked."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass

from checker.history import HistoryError
from checker.verdict import OK, VIOLATION, Verdict, window


@dataclass(frozen=True)
class SessionOp:
    id: int
    session: str
    kind: str  # "write" or "read"
    invoke: float
    complete: float | None  # None: never answered
    write: str | None = None  # a write's id
    position: int | None = None  # a write's place in the system's order, once it has one
    seen: tuple[str, ...] = ()  # a read: the writes it reflected, oldest first
    line: int = 0
    floor: int = 0  # a read: the lowest position it covers (a list cut at its length); 0: all

    @property
    def end(self) -> float:
        return math.inf if self.complete is None else self.complete

    def describe(self) -> str:
        if self.kind == "write":
            return f"write {self.write}" + ("" if self.position is None else f" (#{self.position})")
        return "read [" + ", ".join(self.seen) + "]" + (f" from #{self.floor}" if self.floor else "")

    def covers(self, write: SessionOp) -> bool:
        """Whether this read's window reaches `write` (one without a position: always)."""
        return write.position is None or write.position >= self.floor

    def where(self, clock: str = "s") -> str:
        end = "never answered" if self.complete is None else f"{self.complete:.3f} s"
        return f"session {self.session}, {self.invoke:.3f}–{end}"


@dataclass
class _Break:
    read: SessionOp
    missed: SessionOp
    why: str
    context: tuple[SessionOp, ...] = ()


def operations(rows: list[dict]) -> list[SessionOp]:
    """SessionOps from plain dicts (the JSON lines' fields), numbered in order; ValueError on nonsense."""
    ops = []
    for number, row in enumerate(rows):
        kind = row.get("kind")
        if kind not in ("write", "read"):
            raise ValueError(f"operation {number}: kind {kind!r} is neither write nor read")
        if kind == "write" and not isinstance(row.get("write"), str):
            raise ValueError(f"operation {number}: a write needs its id (a string)")
        ops.append(
            SessionOp(
                number, str(row["session"]), kind, float(row["invoke"]),
                None if row.get("complete") is None else float(row["complete"]),
                row.get("write"), row.get("position"), tuple(row.get("seen") or ()), row.get("line", number + 1),
                int(row.get("floor") or 0),
            )
        )  # fmt: skip
    writes = {op.write for op in ops if op.kind == "write"}
    if len(writes) != sum(op.kind == "write" for op in ops):
        raise ValueError("two writes share an id")
    for op in ops:
        unknown = [w for w in op.seen if w not in writes]
        if unknown:
            raise ValueError(f"operation {op.id}: read a write nobody made: {unknown[0]}")
    return ops


def load(lines) -> list[SessionOp]:
    """The app's session histories: one JSON object per line, e.g.
    {"session": "s1", "kind": "write", "write": "w7", "position": 7, "invoke": 1.25, "complete": 1.31}
    {"session": "s2", "kind": "read", "seen": ["w1", "w7"], "invoke": 1.40, "complete": 1.42}
    (a read may add "floor": the lowest position its window covers)"""
    rows = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                rows.append({**json.loads(line), "line": number})
            except json.JSONDecodeError as error:
                raise HistoryError(number, f"not JSON: {error.msg}") from None
    try:
        return operations(rows)
    except (ValueError, KeyError, TypeError) as error:
        raise HistoryError(0, str(error)) from None


class _Index:
    def __init__(self, ops: list[SessionOp]):
        self.reads = sorted((op for op in ops if op.kind == "read" and op.complete is not None), key=lambda o: o.invoke)
        self.writes = {op.write: op for op in ops if op.kind == "write"}
        self.by_session: dict[str, list[SessionOp]] = defaultdict(list)
        for op in sorted(ops, key=lambda o: o.invoke):
            self.by_session[op.session].append(op)

    def before(self, op: SessionOp, kind: str):
        """The operations of op's session of `kind` that completed before op was invoked."""
        return [o for o in self.by_session[op.session] if o.kind == kind and o.end <= op.invoke]


def _first_missing(required: dict[str, tuple], read: SessionOp, index: _Index):
    """The earliest-completed write in `required` (id -> context) that `read` does not reflect."""
    seen = set(read.seen)
    missing = [w for w in required if w not in seen and read.covers(index.writes[w])]
    if not missing:
        return None
    write = min(missing, key=lambda w: index.writes[w].end)
    return index.writes[write], required[write]


def _read_your_writes(index: _Index, bound: float | None):
    for read in index.reads:
        if found := _first_missing({w.write: () for w in index.before(read, "write")}, read, index):
            yield _Break(read, found[0], "its own session's earlier write is missing")


def _monotonic_reads(index: _Index, bound: float | None):
    for read in index.reads:
        required = {}
        for earlier in index.before(read, "read"):
            required.update({w: (earlier,) for w in earlier.seen if w not in required})
        if found := _first_missing(required, read, index):
            yield _Break(read, found[0], "an earlier read of its session reflected this write", found[1])


def _monotonic_writes(index: _Index, bound: float | None):
    for read in index.reads:
        required = {}
        for w in read.seen:
            later = index.writes[w]
            required.update({e.write: (later,) for e in index.before(later, "write") if e.write not in required})
        if found := _first_missing(required, read, index):
            yield _Break(
                read, found[0], f"it reflects {found[1][0].write}, a later write of the same session", found[1]
            )


def _writes_follow_reads(index: _Index, bound: float | None):
    for read in index.reads:
        required = {}
        for w in read.seen:
            later = index.writes[w]
            for earlier in index.before(later, "read"):
                required.update({d: (later, earlier) for d in earlier.seen if d not in required})
        if found := _first_missing(required, read, index):
            why = f"it reflects {found[1][0].write}, written by a session that had read this write"
            yield _Break(read, found[0], why, found[1])


def _consistent_prefix(index: _Index, bound: float | None):
    order = sorted((w for w in index.writes.values() if w.position is not None), key=lambda w: w.position)
    for read in index.reads:
        shown = list(read.seen)
        expected = [w.write for w in order if read.covers(w)][: len(shown)]
        if shown == expected:
            continue
        seen = set(shown)
        gap = next((w for w in expected if w not in seen), None)
        if gap is not None:
            yield _Break(read, index.writes[gap], "it shows later writes without this earlier one")
        else:
            wrong = next(i for i, (a, b) in enumerate(zip(shown, expected, strict=True)) if a != b)
            later = index.writes[shown[wrong]]
            yield _Break(read, index.writes[expected[wrong]], f"it shows {later.write} before this earlier write")


def _bounded_staleness(index: _Index, bound: float | None):
    if bound is None:
        raise ValueError("bounded staleness needs a bound (seconds)")
    for read in index.reads:
        stale = {w.write: () for w in index.writes.values() if w.end <= read.invoke - bound}
        if found := _first_missing(stale, read, index):
            age = read.invoke - found[0].complete
            yield _Break(read, found[0], f"it completed {age:.3f} s before the read, beyond the bound of {bound:g} s")


GUARANTEES = {
    "read-your-writes": _read_your_writes,
    "monotonic-reads": _monotonic_reads,
    "monotonic-writes": _monotonic_writes,
    "writes-follow-reads": _writes_follow_reads,
    "consistent-prefix": _consistent_prefix,
    "bounded-staleness": _bounded_staleness,
}


def check(ops: list[SessionOp], guarantee: str, bound: float | None = None) -> Verdict:
    """Whether every read keeps `guarantee`; a violation names the first read that breaks it and
    the write it missed."""
    index = _Index(ops)
    breaks = list(GUARANTEES[guarantee](index, bound))
    verdict = Verdict(OK, len(ops), shown=tuple(ops), clock="s")
    if breaks:
        first = breaks[0]
        verdict.verdict = VIOLATION
        verdict.culprits = {
            **{op.id: "context" for op in first.context},
            first.missed.id: "missed",
            first.read.id: "culprit",
        }
        verdict.roles = {"culprit": "the read that breaks it", "missed": "the write it missed", "context": "why"}
        verdict.shown = window(ops, verdict.culprits)
        more = f" ({len(breaks)} reads break it)" if len(breaks) > 1 else ""
        verdict.explanation = (
            f"{guarantee}{more}: {first.read.describe()} in {first.read.where()} misses "
            f"{first.missed.describe()} in {first.missed.where()}: {first.why}"
        )
    return verdict
