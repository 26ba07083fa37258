"""Rehearsal checks: does each pane do, in a real browser at the current lag, what its
explanation promises? The night before the talk, `manage.py rehearse` runs every demo's scenario
through these; the browser tests run the same command.

A check takes a `Stage` (a Playwright page on the demo, the scenario's texts, the lag) and
returns one `Verdict` per promise. A demo declares its own with `rehearsal=` (demos/registry.py);
one without gets `generic`. Checks only use the page: no import of the browser library here.
Where a promise is about what happened between two looks (a read that went back in time, an
answer shown before its question, a step pushed while it ran), a small script in the page
records every drawing, and the check judges the record. Every wait has a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def probe(module: str, name: str) -> str:
    """A page probe: the JavaScript function in probes/`name`.js beside `module` (a check's
    __file__), run in the page with `page.evaluate` or `wait_for_function`."""
    return (Path(module).parent / "probes" / f"{name}.js").read_text()


FINAL = "[data-state=confirmed], [data-state=rejected]"
# Writes slower than this show a stale read a person can see; below it a promise about
# staleness is not checked (and the report says so).
VISIBLE_LAG_MS = 1000


@dataclass(frozen=True)
class Verdict:
    pane: str  # "naive", "trick" (or the demo's own pane names), or "page"
    ok: bool
    said: str
    # Whether the pane showed the anomaly its demo is about (a read back in time, an answer
    # before its question): None where this verdict is not about one.
    anomaly: bool | None = None


def anomaly_shown(verdicts: list[Verdict], pane: str) -> bool | None:
    """Did `pane` show its anomaly: True if any verdict saw it, False if one looked and did
    not, None if none looked."""
    seen = [v.anomaly for v in verdicts if v.pane == pane and v.anomaly is not None]
    return any(seen) if seen else None


@dataclass
class Stage:
    page: object  # a Playwright sync Page on the demo, in its own browser context
    texts: tuple[str, ...]
    delay_ms: int  # what a naive read waits, at least: the lag plus the demo's replica's extra lag
    bound_ms: int  # the longest an apply may take at this lag, with a margin for a busy machine
    lag_ms: int = 0  # the lag's delay alone: what every replica (and every step of a process) waits, at least
    open_page: Callable[[str], object] = field(default=lambda path: None)  # another session on `path`
    verdicts: list[Verdict] = field(default_factory=list)

    def say(self, pane: str, ok: bool, said: str, anomaly: bool | None = None) -> bool:
        self.verdicts.append(Verdict(pane, bool(ok), said, None if anomaly is None else bool(anomaly)))
        return bool(ok)

    def item(self, pane: str, key: str, page=None):
        return (page or self.page).locator(f'[data-pane="{pane}"] [data-item-id="{key}"]')

    def wait(self, locator, ms: int | None = None, state: str = "visible") -> float | None:
        """Seconds until `locator` is visible (or in `state`), or None if it is not within `ms`
        (default: the bound)."""
        started = time.monotonic()
        try:
            locator.first.wait_for(state=state, timeout=ms if ms is not None else self.bound_ms)
        except Exception:  # noqa: BLE001 - Playwright's timeout: the promise was not kept
            return None
        return time.monotonic() - started

    def until(self, condition: str, arg=None, ms: int | None = None, page=None) -> float | None:
        """Seconds until the JavaScript function `condition(arg)` is true in the page, or None if
        it is not within `ms` (default: the bound)."""
        started = time.monotonic()
        try:
            (page or self.page).wait_for_function(condition, arg=arg, timeout=ms if ms is not None else self.bound_ms)
        except Exception:  # noqa: BLE001 - Playwright's timeout: the promise was not kept
            return None
        return time.monotonic() - started

    def write(self, text: str, page=None) -> str:
        return write(page or self.page, text)

    def answered(self, key: str, page=None) -> float | None:
        """Seconds until the write form came back from sending `key`: with a fresh key (taken)
        or with an alert (refused). The next write needs the fresh key."""
        return self.until(ANSWERED, key, 10_000, page)

    @property
    def lagging(self) -> bool:
        return self.delay_ms >= VISIBLE_LAG_MS


def write(page, text: str) -> str:
    """Type `text` into the page's write form (DESIGN's markup contract) and send it; return the
    write's idempotency key. The rehearsal and the browser tests write through this one helper."""
    form = page.locator("[data-write-form]")
    key = form.locator("input[name=key]").input_value()
    form.locator("input[type=text], textarea").first.fill(text)
    form.locator("button[type=submit], button:not([type])").first.click()
    return key


ANSWERED = probe(__file__, "answered")


SAYS = probe(__file__, "says")  # the element `selector` shows `text` (and is not just `unless`)


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def settled(stage: Stage, pane: str, key: str) -> tuple[float | None, str]:
    """Wait until `pane` shows the write final; (seconds, its state)."""
    final = stage.item(pane, key).and_(stage.page.locator(FINAL))
    took = stage.wait(final)
    return took, (final.first.get_attribute("data-state") if took is not None else "") or ""


def generic(stage: Stage) -> list[Verdict]:
    """Any demo: the form takes each text, the trick pane shows it and settles it."""
    for text in stage.texts:
        key = stage.write(text)
        took = stage.wait(stage.page.locator(f'[data-pane] [data-item-id="{key}"]'))
        stage.say("trick", took is not None, f"“{text}” on screen after {seconds(took)}")
        refused = stage.page.locator("[data-write-form] [role=alert]")
        stage.say("page", refused.count() == 0, "the form took it" if not refused.count() else refused.inner_text())
    return stage.verdicts
