"""What a check concludes: `ok`, `violation` (with the operations that show it) or `unknown`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

OK, VIOLATION, UNKNOWN = "ok", "violation", "unknown"


@dataclass
class Verdict:
    verdict: str
    operations: int
    ms: float = 0.0
    explanation: str = ""
    # The operations that show the violation, by id, each with its role: "culprit" (cannot be
    # placed, or the read that broke the guarantee), "missed" (the write it missed), "context".
    culprits: dict[Any, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # what each role means, for the legend
    shown: tuple = ()  # the operations a diagram draws
    clock: str = "s"

    @property
    def ok(self) -> bool:
        return self.verdict == OK


def window(ops, marked: dict) -> tuple:
    """The operations a diagram of a violation draws: those marked, and those that overlap the
    time from the first marked invocation to the last marked completion (or invocation)."""
    chosen = [op for op in ops if op.id in marked]
    first = min(op.invoke for op in chosen)
    last = max([op.end for op in chosen if not math.isinf(op.end)] + [op.invoke for op in chosen])
    return tuple(op for op in ops if op.id in marked or (op.end >= first and op.invoke <= last))
