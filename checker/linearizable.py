"""Linearizability: can every operation be given one instant between its invocation and its
completion so that, in that order, the model explains what each returned?

The search is Wing and Gong's with Lowe's memoisation, as Porcupine does it: the history is a
doubly linked list of call and return events in time order; the search linearizes the first
call it can (lifting the call and its return out of the list), backtracks when it meets the
return of an operation it has not linearized, and never explores twice the same (set of
linearized operations, state) — the set an int bitset, the state immutable. An operation whose
outcome is unknown returns at infinity, so it can take effect at any instant after its call, or
(placed after everything) never. With P-compositionality (Horn and Kroening), operations on
different keys are on independent objects: each key is checked alone."""

from __future__ import annotations

import time
from collections import defaultdict

from checker.history import History, HistoryError, Op
from checker.models import INVALID, MODELS, Model, sets
from checker.verdict import OK, UNKNOWN, VIOLATION, Verdict, window


class _Entry:
    __slots__ = ("op", "match", "prev", "next", "bit", "step")

    def __init__(self, op: Op | None, match: _Entry | None = None, bit: int = 0, step=None):
        self.op, self.match, self.prev, self.next, self.bit, self.step = op, match, None, None, bit, step


def _entries(ops: list[Op], model: Model) -> _Entry:
    events = []
    for position, op in enumerate(ops):
        ret = _Entry(op)
        # At equal times a call comes before a return: the two operations overlap.
        events.append((op.invoke, 0, op.id, _Entry(op, ret, 1 << position, model.step(op))))
        events.append((op.end, 1, op.id, ret))
    events.sort(key=lambda e: e[:3])
    head = previous = _Entry(None)
    for *_, entry in events:
        previous.next, entry.prev = entry, previous
        previous = entry
    return head


class _Deepest:
    """The longest linearizable prefix the search found, and the operation that stopped it."""

    def __init__(self):
        self.order: list[Op] = []
        self.state = None
        self.stuck: Op | None = None


def _search(ops: list[Op], model: Model, deadline: float, deepest: _Deepest) -> bool | None:
    """True, False, or None when the deadline passed."""
    if not ops:
        return True
    head = _entries(ops, model)
    state, linearized, seen, calls = model.init, 0, set(), []
    entry = head.next
    steps = 0
    while head.next is not None:
        steps += 1
        if not steps & 0x3FF and time.monotonic() > deadline:
            return None
        match = entry.match
        if match is not None:  # a call: try to linearize it here
            new = entry.step(state)
            if new is not INVALID:
                bits = linearized | entry.bit
                if (bits, new) not in seen:
                    seen.add((bits, new))
                    calls.append((entry, state))
                    state, linearized = new, bits
                    entry.prev.next = entry.next
                    entry.next.prev = entry.prev
                    match.prev.next = match.next
                    if match.next is not None:
                        match.next.prev = match.prev
                    entry = head.next
                    continue
            entry = entry.next
            continue
        # The return of an operation not yet linearized: undo the last choice.
        if deepest.stuck is None or len(calls) > len(deepest.order):
            deepest.order, deepest.state, deepest.stuck = [e.op for e, _ in calls], state, entry.op
        if not calls:
            return False
        entry, state = calls.pop()
        linearized ^= entry.bit
        match = entry.match
        match.prev.next = match
        if match.next is not None:
            match.next.prev = match
        entry.prev.next = entry
        entry.next.prev = entry
        entry = entry.next
    return True


def check(history: History, model: Model | str, budget: float = 10.0) -> Verdict:
    """The verdict on `history` under `model`; `unknown` when `budget` seconds run out."""
    model = MODELS[model] if isinstance(model, str) else model
    started = time.monotonic()
    deadline = started + budget
    for op in history.ops:
        if op.f not in model.operations:
            raise HistoryError(op.line, f"the {model.name} model has no {op.f}")
    parts: dict = defaultdict(list)
    for op in history.ops:
        parts[op.key].append(op)
    verdict = Verdict(OK, history.invocations, clock=history.clock, shown=history.ops)
    for ops in sorted(parts.values(), key=len):
        deepest = _Deepest()
        result = _search(ops, model, deadline, deepest)
        if result is None:  # the other keys may still show a violation
            verdict.verdict = UNKNOWN
            verdict.explanation = f"the budget of {budget:g} s ran out"
        elif result is False:
            _explain(verdict, model, ops, deepest, history.clock)
            break
    verdict.ms = (time.monotonic() - started) * 1000
    return verdict


def _explain(verdict: Verdict, model: Model, ops: list[Op], deepest: _Deepest, clock: str) -> None:
    """The operation that cannot be placed after the longest linearizable prefix the search found
    (it tried every operation pending then before it, and every other order), what the state
    was then and which operation set it."""
    stuck = deepest.stuck
    setter = _setter(model, deepest.order)
    verdict.verdict = VIOLATION
    verdict.culprits = {stuck.id: "culprit"}
    if setter is not None:
        verdict.culprits[setter.id] = "context"
    after = f", last set by {setter.describe()}, {setter.where(clock)}" if setter else ""
    verdict.explanation = (
        f"{stuck.describe()} by process {stuck.process}, {stuck.where(clock)}, cannot be placed: "
        f"after the longest linearizable prefix ({_count(len(deepest.order))}) {model.holds} "
        f"{_value(deepest.state)}{after}"
    )
    verdict.roles = {"culprit": "cannot be placed", "context": "set the value it was checked against"}
    verdict.shown = window(ops, verdict.culprits)


def _setter(model: Model, order: list[Op]) -> Op | None:
    """The operation of the prefix that last set the state (a cas of unknown outcome that found
    another value set nothing)."""
    state, setter = model.init, None
    for op in order:
        before, state = state, model.step(op)(state)
        if sets(op, before):
            setter = op
    return setter


def _value(state) -> str:
    return "nil" if state is None else repr(state)


def _count(number: int) -> str:
    return f"{number} operation" + ("" if number == 1 else "s")
