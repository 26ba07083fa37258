"""What a check concludes: `ok`, `violation` (with the operations that show it) or `unknown`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK, VIOLATION, UNKNOWN = "ok", "violation", "unknown"


@dataclass
class Verdict:
    verdict: str
    operations: int
    ms: float = 0.0
    explanation: str = ""
    # The operations that show the violation, each with its role: "culprit" (cannot be placed,
    # or the read that broke the guarantee), "missed" (the write it missed), "context".
    culprits: dict[Any, str] = field(default_factory=dict)
    shown: tuple = ()  # the operations a diagram draws
    clock: str = "s"

    @property
    def ok(self) -> bool:
        return self.verdict == OK
