"""Rehearsal checks: does each pane do, in a real browser at the current lag, what its
explanation promises? The night before the talk, `manage.py rehearse` runs every demo's scenario
through these; the browser tests run the same command.

A check takes a `Stage` (a Playwright page on the demo, the scenario's texts, the lag) and
returns one `Verdict` per promise. A demo declares its own with `rehearsal=` (demos/registry.py);
one without gets `generic`. Checks only use the page: no import of the browser library here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

FINAL = "[data-state=confirmed], [data-state=rejected]"
# Writes slower than this show a stale read a person can see; below it a promise about
# staleness is not checked (and the report says so).
VISIBLE_LAG_MS = 1000


@dataclass(frozen=True)
class Verdict:
    pane: str  # "naive", "trick" (or the demo's own pane names), or "page"
    ok: bool
    said: str


@dataclass
class Stage:
    page: object  # a Playwright sync Page on the demo, in its own browser context
    texts: tuple[str, ...]
    delay_ms: int  # what a naive read waits, at least: the lag plus the demo's replica's extra lag
    bound_ms: int  # the longest an apply may take at this lag, with a margin for a busy machine
    open_page: Callable[[str], object] = field(default=lambda path: None)  # another session on `path`
    verdicts: list[Verdict] = field(default_factory=list)

    def say(self, pane: str, ok: bool, said: str) -> bool:
        self.verdicts.append(Verdict(pane, bool(ok), said))
        return bool(ok)

    def item(self, pane: str, key: str, page=None):
        return (page or self.page).locator(f'[data-pane="{pane}"] [data-item-id="{key}"]')

    def wait(self, locator, ms: int | None = None) -> float | None:
        """Seconds until `locator` is visible, or None if it is not within `ms` (default: the bound)."""
        started = time.monotonic()
        try:
            locator.first.wait_for(state="visible", timeout=ms if ms is not None else self.bound_ms)
        except Exception:  # noqa: BLE001 - Playwright's timeout: the promise was not kept
            return None
        return time.monotonic() - started

    def write(self, text: str, page=None) -> str:
        """Type `text` into the page's write form and send it; return the write's key."""
        page = page or self.page
        form = page.locator("[data-write-form]")
        key = form.locator("input[name=key]").input_value()
        form.locator("input[type=text], textarea").first.fill(text)
        form.locator("button[type=submit], button:not([type])").first.click()
        return key

    @property
    def lagging(self) -> bool:
        return self.delay_ms >= VISIBLE_LAG_MS


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


def optimistic(stage: Stage) -> list[Verdict]:
    """Naive: a spinner while the worker works, the item only once applied. Trick: the item at
    once, pending; then confirmed by push, or rolled back with a reason — never falsely confirmed."""
    page = stage.page
    for text in stage.texts:
        key = stage.write(text)
        at_once = stage.wait(stage.item("trick", key).and_(page.locator("[data-state=pending]")), 2000)
        stage.say("trick", at_once is not None, f"“{text}” shown pending {seconds(at_once)} after the click")
        if stage.lagging:
            spinner = stage.wait(page.locator('[data-pane="naive"] .busy'), 2000)
            absent = stage.item("naive", key).count() == 0
            stage.say("naive", spinner is not None and absent, "a spinner, and no item, while the worker works")
        took, state = settled(stage, "trick", key)
        reason = stage.item("trick", key).locator(".reason")
        honest = state == "confirmed" or (state == "rejected" and reason.count() == 1)
        stage.say("trick", took is not None and honest, f"{state or 'not settled'} by push after {seconds(took)}")
        if state == "rejected":
            alert = stage.wait(page.locator('[data-pane="naive"] [role=alert]'))
            stage.say("naive", alert is not None, "says it failed (the rejection, after the lag)")
        else:
            naive = stage.wait(stage.item("naive", key))
            stage.say("naive", naive is not None, f"shows it only once applied, {seconds(naive)} after the push")
    return stage.verdicts


def read_your_writes(stage: Stage) -> list[Verdict]:
    """Post, redirect: the trick's read has your comment at once. The naive read of the lagging
    replica lacks it exactly while the replica is behind your write — "where is my comment?" —
    and catches up live when the replica applies it, and says so."""
    page = stage.page
    for text in stage.texts:
        with page.expect_navigation():  # a plain form: post, redirect, get
            key = stage.write(text)
        page.wait_for_selector("body.is-live")
        mine = stage.wait(stage.item("trick", key), 3000)
        stage.say("trick", mine is not None, f"your “{text}” is there at once, after the redirect")
        # One look at the naive pane: the replica's checkpoint it shows, and whether your write is in it.
        naive = page.evaluate(NAIVE_READ, key)
        token = int(page.get_attribute("[data-session-token]", "data-session-token") or 0)
        behind = naive["checkpoint"] < token
        if naive["missing"]:
            said = f"“where is my comment?”: read the replica at #{naive['checkpoint']}, your write is #{token}"
        else:
            said = f"there: the replica had reached #{naive['checkpoint']} ≥ your #{token} (page load > lag)"
        stage.say("naive", naive["missing"] == behind, said)
        if naive["missing"]:
            caught_up = stage.wait(page.locator(f'[data-caught-up="{key}"]'))
            stage.say("naive", caught_up is not None, f"caught up live {seconds(caught_up)} later, and says so")
    return stage.verdicts


NAIVE_READ = """(key) => {
  const pane = document.querySelector('[data-pane="naive"]');
  return {checkpoint: Number(pane.querySelector('[data-checkpoint]').dataset.checkpoint),
          missing: !pane.querySelector(`[data-item-id="${key}"]`)};
}"""


def pending(stage: Stage) -> list[Verdict]:
    """Naive: "Done!" at once. Trick: received → processing, re-submit disabled, then completed
    or rejected by push; the form takes the next order only then."""
    page = stage.page
    button = page.locator("[data-write-form] button")
    for text in stage.texts:
        key = stage.write(text)
        card = stage.wait(stage.item("trick", key), 2000)
        stage.say("trick", card is not None, f"order card {seconds(card)} after the click")
        done = stage.wait(page.locator(f'[data-pane="naive"] [data-item-id="{key}"][data-claims=done]'), 3000)
        stage.say("naive", done is not None, "said “Done!” at once, whatever the truth")
        if stage.lagging:
            stage.say("trick", button.is_disabled(), "re-submit disabled while pending")
        took, state = settled(stage, "trick", key)
        stage.say("trick", took is not None, f"{state or 'not settled'} by push after {seconds(took)}")
        enabled = stage.wait(page.locator("[data-write-form] button:enabled"), 5000)
        stage.say("trick", enabled is not None, "the form takes the next order")
    return stage.verdicts


def push(stage: Stage) -> list[Verdict]:
    """Another session sees each write the moment the replica applies it, by push, without a
    reload; its naive pane stays as of page load until it reloads."""
    reader = stage.open_page(stage.page.url)
    for text in stage.texts:
        key = stage.write(text)
        took = stage.wait(stage.item("trick", key, reader))
        stage.say("trick", took is not None, f"another session got “{text}” by push after {seconds(took)}")
        stale = stage.item("naive", key, reader).count() == 0
        stage.say("naive", stale, "the other session's naive pane is still as of page load")
    reader.get_by_role("button", name="Reload").click()
    last = stage.wait(reader.locator('[data-pane="naive"] [data-item-id]', has_text=stage.texts[-1]), 5000)
    stage.say("naive", last is not None, "a reload (one more request) brings it")
    return stage.verdicts
