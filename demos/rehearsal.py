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

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .game import GAME, eventual_scores, fmt, prefix_scores

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
    lag_ms: int = 0  # the lag's delay alone: what every replica (and every step of a process) waits, at least
    open_page: Callable[[str], object] = field(default=lambda path: None)  # another session on `path`
    verdicts: list[Verdict] = field(default_factory=list)

    def say(self, pane: str, ok: bool, said: str) -> bool:
        self.verdicts.append(Verdict(pane, bool(ok), said))
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
        """Type `text` into the page's write form and send it; return the write's key."""
        page = page or self.page
        form = page.locator("[data-write-form]")
        key = form.locator("input[name=key]").input_value()
        form.locator("input[type=text], textarea").first.fill(text)
        form.locator("button[type=submit], button:not([type])").first.click()
        return key

    def answered(self, key: str, page=None) -> float | None:
        """Seconds until the write form came back from sending `key`: with a fresh key (taken)
        or with an alert (refused). The next write needs the fresh key."""
        return self.until(ANSWERED, key, 10_000, page)

    @property
    def lagging(self) -> bool:
        return self.delay_ms >= VISIBLE_LAG_MS


ANSWERED = """(key) => {
  const form = document.querySelector('[data-write-form]');
  if (!form || form.classList.contains('htmx-request')) return false;
  return form.querySelector('input[name=key]').value !== key || !!form.querySelector('[role=alert]');
}"""


# The element `selector` shows `text` (and is not just `unless`): what the page tells the audience.
SAYS = """([selector, text, unless]) => {
  const el = document.querySelector(selector);
  return !!el && el.textContent.includes(text) && el.textContent.trim() !== unless;
}"""


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


def cap(stage: Stage) -> list[Verdict]:
    """CP answers a write only once a majority of its three replicas has it — at least the lag —
    and its quorum read shows nothing before that. AP takes the write at once and its writer sees
    it; another session reads whatever the replica holds (stale, and says so) and gets it by push;
    both converge. The partition half (CP refuses, AP still answers) needs the network cut, and
    `manage.py rehearse` runs healed: tests/test_browser_cap.py cuts it."""
    page = stage.page
    reader = stage.open_page(page.url)
    for n, text in enumerate(stage.texts):
        key = stage.write(text)
        accepted = page.locator("#ap-answers [data-op=write][data-outcome=answered]", has_text=text)
        at_once = stage.wait(accepted, 2000)
        own = page.locator(f'#ap-own [data-item-id="{key}"][data-state=pending]')
        shown = at_once is not None and (not stage.lagging or stage.wait(own, 2000) is not None)
        waited = f"202 after {accepted.first.get_attribute('data-ms')} ms" if at_once is not None else "no answer"
        stage.say("ap", shown, f"“{text}” accepted without waiting for a replica ({waited}), shown to its writer")
        if stage.lagging:
            waiting = stage.wait(page.locator(f"#cp-w-{key}.answer--waiting"), 2000)
            early = page.locator(f'#cp-list [data-item-id="{key}"]').count()
            stage.say("cp", waiting is not None and not early, "waits for a majority, and shows nothing yet")
        stage.say("ap", *other_session_reads(stage, reader))
        row = page.locator(f"#cp-w-{key}[data-outcome]")
        took = stage.wait(row)
        stage.say("cp", *cp_answer(stage, row, key, took, first=n == 0))
        converged = stage.wait(page.locator(f'#ap-list [data-item-id="{key}"]'))
        own_gone = stage.until(f"() => !document.querySelector('#ap-own [data-item-id=\"{key}\"]')", ms=3000)
        elsewhere = stage.wait(reader.locator(f'#ap-list [data-item-id="{key}"]'), 5000)
        stage.say(
            "ap",
            converged is not None and own_gone is not None and elsewhere is not None,
            f"converged: on the replica {seconds(converged)} after CP's answer, for its writer and by push elsewhere",
        )
    return stage.verdicts


def other_session_reads(stage: Stage, reader) -> tuple[bool, str]:
    """Another session reads the AP side right after a write: an answer always, stale or not,
    and when stale the page counts it."""
    reads = "#ap-answers [data-op=read]"
    before = reader.locator(reads).count()
    reader.locator('[data-pane="ap"] .reread').click()
    if stage.until("([sel, n]) => document.querySelectorAll(sel).length > n", [reads, before], 5000, reader) is None:
        return False, "another session's read got no answer"
    answer = reader.locator(reads).first
    if answer.get_attribute("data-outcome") != "answered":
        return False, f"another session's read was refused: {answer.inner_text()}"
    stale = int(answer.get_attribute("data-stale") or 0)
    if not stale:
        return True, "another session read at once: already converged (the replica was quicker than the read)"
    counted = stage.until(SAYS, ['[data-pane="ap"] [data-cap="stale"]', "", "0"], 2000, reader)
    writes = "write" if stale == 1 else "writes"
    return counted is not None, f"another session read at once: stale, {stale} {writes} behind, and it says so"


def cp_answer(stage: Stage, row, key: str, took: float | None, first: bool) -> tuple[bool, str]:
    """CP's answer to a write: on a majority, no sooner than the lag, then in its quorum read."""
    if took is None:
        return False, "no answer to the write"
    if row.get_attribute("data-outcome") != "answered":
        return False, f"refused without a partition: {row.inner_text()}"
    ms = int(row.get_attribute("data-ms") or 0)
    on = re.search(r"on (\d+) of (\d+) replicas", row.inner_text())
    if on is None:
        return False, f"answered without saying on how many replicas: {row.inner_text()}"
    acks, total = int(on[1]), int(on[2])
    listed = stage.wait(stage.page.locator(f'#cp-list [data-item-id="{key}"]'), 2000)
    ok = acks > total // 2 and ms >= stage.lag_ms and listed is not None
    said = f"answered after {ms / 1000:.1f} s (lag {stage.lag_ms / 1000:.1f} s), on {acks} of {total} replicas"
    return ok, said + (": consistency costs latency (a partition's refusal is not rehearsed)" if first else "")


def business_process(stage: Stage) -> list[Verdict]:
    """Naive: the request waits on payment, stock and shipping — the sum of the steps — or gives
    up at the timeout, in doubt, while the order goes on. Trick: “Thanks — we will let you know”
    at once, the steps by push, then confirmed or the compensation shown, and a notification."""
    page = stage.page
    page.evaluate(CARDS)
    for text in stage.texts:
        key = stage.write(text)
        card = stage.item("trick", key)
        at_once = stage.wait(card, 2000)
        first = page.evaluate("key => (window.__cards[key] || [''])[0]", key)
        told = first.startswith("pending") and "we will let you know" in first
        ok = at_once is not None and (told or not stage.lagging)
        stage.say("trick", ok, f"“{text}” accepted {seconds(at_once)} after the click: “{first.split('|')[-1]}”")
        if stage.lagging:
            spinner = stage.wait(page.locator(f"#naive-wait-{key}.busy"), 2000)
            answered = stage.item("naive", key).count()
            stage.say("naive", spinner is not None and not answered, "a spinner while payment, stock and shipping run")
        took, state = settled(stage, "trick", key)
        stage.say("trick", *steps_by_push(stage, key, took, state))
        stage.say("naive", *naive_checkout(stage, key))
    return stage.verdicts


CARDS = """() => {
  // Every drawing of each order card: its state, its steps' states, its notice.
  window.__cards = {};
  const look = () => document.querySelectorAll('#bp-orders [data-item-id]').forEach((card) => {
    const seen = window.__cards[card.dataset.itemId] = window.__cards[card.dataset.itemId] || [];
    const steps = [...card.querySelectorAll('[data-step]')].map((s) => s.dataset.step + ' ' + s.dataset.stepState);
    const notice = card.querySelector('.notice');
    const now = [card.dataset.state, steps.join(', '), notice ? notice.textContent.trim() : ''].join('|');
    if (seen[seen.length - 1] !== now) seen.push(now);
  });
  look();
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-state', 'data-step-state']});
}"""


def steps_by_push(stage: Stage, key: str, took: float | None, state: str) -> tuple[bool, str]:
    """The card moved step by step, then ended confirmed, or rejected with what was undone."""
    page = stage.page
    if took is None:
        return False, "never completed nor failed"
    drawings = page.evaluate("key => window.__cards[key] || []", key)
    pushed = len([d for d in drawings if d.startswith("pending")]) - 1  # the first came with the 202
    # Steps that ran: after the first one, each was pushed while it ran (a first step that
    # fails ends the order at once, with nothing in between).
    ran = len([step for step in drawings[-1].split("|")[1].split(", ") if not step.endswith(" waiting")])
    notice = page.locator(f'#bp-notify [data-notification="{key}"]')
    if state == "confirmed":
        final = stage.wait(notice.filter(has_text="is confirmed"), 3000) is not None
        ending = "confirmed, with a notification"
    else:
        undone = stage.item("trick", key).locator("[data-undone]")
        final = undone.count() > 0 and stage.wait(notice.filter(has_text="could not be completed"), 3000) is not None
        ending = f"failed, showing “{undone.first.inner_text() if undone.count() else 'nothing'}”, with a notification"
    ok = final and (pushed >= 1 or ran < 2 or not stage.lagging)
    return ok, f"{pushed} steps pushed while it ran, then {ending}, {seconds(took)} after the click"


def naive_checkout(stage: Stage, key: str) -> tuple[bool, str]:
    """The naive answer: after the whole chain (at least twice the lag), or a timeout in doubt
    while the order goes on — and the page counts the doubt."""
    page = stage.page
    answer = stage.item("naive", key)
    if stage.wait(answer) is None:
        return False, "no answer at all"
    waited = int(answer.get_attribute("data-waited-ms") or 0)
    if answer.get_attribute("data-doubt") is None:
        state = answer.get_attribute("data-state")
        least = 2 * stage.lag_ms if state == "confirmed" else stage.lag_ms
        said = "“✓ Order complete”" if state == "confirmed" else "“Sorry, that failed”"
        return waited >= least, f"{said} after {waited / 1000:.1f} s, the sum of the steps run"
    lane = page.locator(f'#bp-timeline [data-process="n-{key}"]')
    done = stage.wait(lane.and_(page.locator("[data-state=completed], [data-state=failed]")), state="attached")
    counted = stage.until(SAYS, ['[data-pane="naive"] [data-bp="doubt"]', "", "0"], 2000)
    outcome = lane.first.get_attribute("data-state") if done is not None else "never finished"
    said = f"timed out after {waited / 1000:.1f} s: “Did it go through?” — it {outcome} anyway, and nobody said so"
    return done is not None and counted is not None, said


def optimistic(stage: Stage) -> list[Verdict]:
    """Naive: a spinner while the worker works, the item only once applied. Trick: the item at
    once, pending; then confirmed by push, or rolled back with a reason — never falsely confirmed."""
    page = stage.page
    for text in stage.texts:
        key = stage.write(text)
        at_once = stage.wait(stage.item("trick", key), 2000)
        pending = at_once is not None and stage.item("trick", key).get_attribute("data-state") == "pending"
        if pending or stage.lagging:
            stage.say("trick", pending, f"“{text}” shown pending {seconds(at_once)} after the click")
        else:  # below a visible lag the push can beat the first look: pending for less than a glance
            shown = f"“{text}” shown {seconds(at_once)} after the click, already confirmed"
            stage.say("trick", at_once is not None, shown)
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


def monotonic_reads(stage: Stage) -> list[Verdict]:
    """Both sides re-read every second. Naive: each read asks the next replica in turn, so a
    comment one read showed the next may lack — it went back in time — until every replica has
    it. Trick: reads only a replica at least as fresh as what it has seen: never back."""
    page = stage.page
    page.evaluate(READS)
    rotation = (page.locator('[data-pane="naive"] [data-reader]').get_attribute("data-rotation") or "").split()
    keys = []
    for text in stage.texts:
        keys.append(stage.write(text))
        stage.answered(keys[-1])
    # Until a whole round of naive reads, one per replica, shows every comment, and the trick does.
    took = stage.until(CAUGHT_UP, [keys, rotation], stage.bound_ms + 1000 * (len(rotation) + 1))
    reads = page.evaluate("window.__reads")
    naive, trick = reads["naive"], reads["trick"]
    sources = [r["source"] for r in naive]
    in_turn = len(rotation) > 1 and set(sources) == set(rotation) and all(a != b for a, b in pairs(sources))
    said = f"read in turn from {', '.join(rotation) or 'nowhere'}; each had all comments {seconds(took)} after the last"
    stage.say("naive", in_turn and took is not None, said)
    back = [(a, b) for a, b in pairs(naive) if b["top"] < a["top"]]
    if back:
        a, b = back[0]
        counted = stage.until(SAYS, ['[data-pane="naive"] [data-anomaly-list]', "went back in time", ""], 2000)
        said = f"went back in time: “{b['source']}” showed up to #{b['top']} after “{a['source']}” showed #{a['top']}"
        stage.say("naive", counted is not None, said + ", and counted it")
    else:
        stage.say("naive", True, "never went back this time: its replicas' lags too close for reads a second apart")
    back = [(a, b) for a, b in pairs(trick) if b["top"] < a["top"] or b["watermark"] < a["watermark"]]
    counted = "went back in time" in page.locator('[data-pane="trick"] [data-anomaly-list]').inner_text()
    skipped = sum(r["skipped"] for r in trick)
    if back:
        a, b = back[0]
        said = f"went back in time: “{b['source']}” showed up to #{b['top']} after “{a['source']}” showed #{a['top']}"
    else:
        times = "once" if skipped == 1 else f"{skipped} times"
        said = f"never went back in {len(trick)} reads; passed over a staler replica {times}"
    stage.say("trick", not back and not counted, said)
    has_all = bool(trick) and all(key in trick[-1]["keys"] for key in keys)
    stage.say("trick", has_all, f"shows every comment, read from “{trick[-1]['source'] if trick else 'nowhere'}”")
    return stage.verdicts


def pairs(items: list) -> list[tuple]:
    return list(zip(items, items[1:], strict=False))


READS = """() => {
  // Every read each side made: where from, how fresh, its newest position and its items.
  window.__reads = {naive: [], trick: []};
  for (const pane of ['naive', 'trick']) {
    const reader = document.querySelector(`[data-pane="${pane}"] [data-reader]`);
    const look = () => {
      const read = reader.querySelector('[data-read]');
      const reads = window.__reads[pane];
      if (!read || (reads.length && reads[reads.length - 1].turn === read.dataset.turn)) return;
      const items = [...read.querySelectorAll('[data-item-id]')];
      const token = read.querySelector('.token');
      reads.push({turn: read.dataset.turn, source: read.dataset.source, watermark: Number(read.dataset.watermark),
                  top: items.length ? Number(items[0].dataset.position) : 0, keys: items.map((i) => i.dataset.itemId),
                  skipped: token && token.textContent.includes('skipped') ? 1 : 0});
    };
    look();
    new MutationObserver(look).observe(reader, {childList: true});
  }
}"""

CAUGHT_UP = """([keys, rotation]) => {
  const has = (read) => keys.every((key) => read.keys.includes(key));
  const trick = window.__reads.trick, round = window.__reads.naive.slice(-rotation.length);
  return trick.length > 0 && has(trick[trick.length - 1]) && round.length === rotation.length
    && rotation.every((name) => round.some((read) => read.source === name)) && round.every(has);
}"""


def consistent_prefix(stage: Stage) -> list[Verdict]:
    """Both sides show the thread of the replica that applies posts as they arrive. Naive: as
    they arrive, so an answer can show before its question (that takes reorder, or jitter longer
    than the time between two posts). Trick: in log order; a post that overtook one waits, and
    the pane says for which; never a post before the one it follows."""
    page = stage.page
    page.evaluate(THREAD)
    keys = []
    for text in stage.texts:  # one right after the other, as a question and its quick answer
        keys.append(stage.write(text))
        stage.answered(keys[-1])
    posted = page.evaluate("performance.now()")
    arrived = {pane: stage.until(IN_THREAD, [pane, keys]) for pane in ("naive", "trick")}
    seen = page.evaluate("window.__thread")
    positions = page.evaluate(POSITIONS, keys)

    def last(pane: str) -> str:
        if arrived[pane] is None:
            return "never"
        return f"{max(0, max(seen[pane]['first'][k] for k in keys) - posted) / 1000:.1f} s"

    order = sorted(keys, key=lambda k: (seen["naive"]["first"].get(k, float("inf")), positions.get(k, 0)))
    said = f"showed each post as it arrived: {', '.join(f'#{positions.get(k, 0)}' for k in order)}"
    stage.say("naive", arrived["naive"] is not None, f"{said}, the last {last('naive')} after it was posted")
    early = [k for k in keys if k in seen["naive"]["early"]]
    if early:
        counted = stage.until(SAYS, ['[data-pane="naive"] [data-anomaly-list]', "answer before its question", ""], 2000)
        text = stage.texts[keys.index(early[0])]
        stage.say("naive", counted is not None, f"showed “{text}” before the post it follows, and counted it")
    else:
        said = "no post overtook the one before it this time (that takes reorder or jitter, and luck)"
        stage.say("naive", True, said)
    early = [k for k in keys if k in seen["trick"]["early"]]
    counted = "answer before its question" in page.locator('[data-pane="trick"] [data-anomaly-list]').inner_text()
    gaps = ", ".join(f"#{gap}" for gap in seen["gaps"])
    held = f"held back what overtook, “waiting for {gaps}”" if gaps else "nothing overtook, nothing held back"
    said = f"never showed a post before the one it follows; {held}" if not early else "showed a post before its own"
    stage.say("trick", not early and not counted, said)
    in_order = page.evaluate(IN_LOG_ORDER)
    said = f"released all {len(keys)} in log order, the last {last('trick')} after it was posted"
    stage.say("trick", arrived["trick"] is not None and in_order, said)
    return stage.verdicts


THREAD = """() => {
  // When each post first showed in each pane, which showed before the post they follow, and
  // every gap the trick held later posts back for.
  window.__thread = {naive: {first: {}, early: []}, trick: {first: {}, early: []}, gaps: []};
  const look = () => {
    for (const pane of ['naive', 'trick']) {
      const list = document.getElementById(`cp-${pane}`), seen = window.__thread[pane];
      if (!list) continue;
      for (const post of list.querySelectorAll('[data-item-id]')) {
        const key = post.dataset.itemId, after = post.dataset.after;
        if (!(key in seen.first)) seen.first[key] = performance.now();
        const alone = after !== '0' && !list.querySelector(`[data-position="${after}"]`);
        if (alone && !seen.early.includes(key)) seen.early.push(key);
      }
    }
    // "waiting for #12 · 1 later post held back": only a gap with something behind it.
    const gap = document.querySelector('#cp-trick [data-waiting-for]'), gaps = window.__thread.gaps;
    const held = gap ? Number((/(\\d+) later post/.exec(gap.textContent) || [0, 0])[1]) : 0;
    if (held > 0 && !gaps.includes(gap.dataset.waitingFor)) gaps.push(gap.dataset.waitingFor);
  };
  look();
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true});
}"""

IN_THREAD = """([pane, keys]) => keys.every((key) => document.querySelector(`#cp-${pane} [data-item-id="${key}"]`))"""

POSITIONS = """(keys) => Object.fromEntries(keys.map((key) => {
  const post = document.querySelector(`#cp-trick [data-item-id="${key}"], #cp-naive [data-item-id="${key}"]`);
  return [key, post ? Number(post.dataset.position) : 0];
}))"""

IN_LOG_ORDER = """() => {
  const shown = [...document.querySelectorAll('#cp-trick [data-item-id]')].map((post) => Number(post.dataset.position));
  return shown.every((position, i) => i === 0 || position < shown[i - 1]);
}"""


def conflicts(stage: Stage) -> list[Verdict]:
    """The scenario's steps, as static/showcase/tricks/conflicts.js runs them: restock, every
    buyer at once, two editors at once. Oversell — naive: its replica says some are left, every
    buyer hears “it’s yours!”, and once the replica catches up the shop finds it sold more than it
    had and apologises. Trick: decided in the log, the extra buyers hear “sold out” at once and
    sold never exceeds stock. Lost update — naive: the last writer wins, the other edit is lost
    unasked. Trick: the version check answers 409 with both versions and a choice."""
    page = stage.page
    page.evaluate(RESTOCKS)
    page.locator("[data-restock]").click()
    restocked = stage.until("() => window.__restocked > 0 && !document.querySelector('#shop-naive[data-restocking]')")
    stock = int(page.locator("#shop-trick").get_attribute("data-stock") or 0)
    said = f"restocked {stock}; the naive shop's replica heard {seconds(restocked)} later"
    stage.say("page", restocked is not None, said)
    buyers = len([name for name in stage.texts[0].split(",") if name.strip()])
    stage.write(stage.texts[0])
    told = stage.until(TOLD, ["buy", buyers, buyers])
    yes = {p: page.locator(f"#told-buy-{p} [data-told=ok]").count() for p in ("naive", "trick")}
    said = f"{yes['naive']} of {buyers} buyers told “it’s yours!” at once: its replica said {stock} left"
    stage.say("naive", told is not None and (yes["naive"] == buyers or not stage.lagging), said)
    said = f"{yes['trick']} of {buyers} told “it’s yours!”, the other {buyers - yes['trick']} “sold out”, at once"
    stage.say("trick", told is not None and yes["trick"] == min(buyers, stock), said)
    for pane in ("naive", "trick"):
        # A burst: every purchase lands at once, each applied and pushed with both shops redrawn.
        took = stage.until(SHOP_SETTLED, [pane, yes[pane]], 2 * stage.bound_ms)
        stage.say(pane, *shop_after(stage, pane, stock, took))
    race = page.locator("[data-race-form] input[name=key]").input_value()
    page.evaluate(RACE_TEXTS, list(stage.texts[1:3]))
    page.locator("button[form=race-form]").click()
    stage.until(TOLD, ["edit", 2, 1])
    conflict = page.locator("#conflicts [data-conflict]")
    one = conflict.count() == 1
    versions = {v: conflict.locator(f'[data-version="{v}"]').inner_text() if one else "" for v in ("mine", "theirs")}
    ok = one and set(versions.values()) == set(stage.texts[1:3])
    said = "two editors at once: one saved, the other “409 Conflict” with both versions and a choice"
    stage.say("trick", ok, said if one else f"{conflict.count()} conflicts for two editors at once")
    for pane in ("naive", "trick"):
        took = stage.until(NOTE_SETTLED, [pane, f"{race}-{pane[0]}"], 2 * stage.bound_ms)
        stage.say(pane, *note_after(stage, pane, f"{race}-{pane[0]}", took, versions["theirs"]))
    return stage.verdicts


def shop_after(stage: Stage, pane: str, stock: int, took: float | None) -> tuple[bool, str]:
    """Once the replica applied every purchase: sold more than stock (naive) only with the alarm
    and an apology per hoodie it did not have; never (trick)."""
    page = stage.page
    if took is None:
        return False, "its replica never applied the purchases"
    orders = f"#shop-{pane} > ol.orders >"
    paid = page.locator(f"{orders} [data-state=confirmed]").count()
    oversold = page.locator(f"{orders} [data-oversold]").count()
    apologies = page.locator(f"{orders} [data-oversold] .apology").count()
    alarm = page.locator(f"#shop-{pane} [data-oversold-alarm]")
    sold, over = paid + oversold, max(0, paid + oversold - stock)
    if pane == "trick":
        return sold <= stock and not oversold and not alarm.count(), f"sold {sold} of {stock}, never more"
    if not over:
        refused = page.locator(f"{orders} [data-state=rejected]:not([data-oversold])").count()
        why = f"{refused} refused by the failure rate" if refused else "its replica caught up between buyers"
        return not oversold and not alarm.count(), f"sold {sold} of {stock}: nothing oversold ({why})"
    shown = f"Oversold by {over}" in (alarm.inner_text() if alarm.count() else "")
    counted = stage.until(SAYS, ['[data-pane="naive"] [data-anomaly-list]', "oversold", ""], 2000)
    ok = oversold == apologies == over and shown and counted is not None
    said = f"{seconds(took)} later its replica caught up: sold {sold} of {stock}, “Oversold by {over}!”"
    return ok, f"{said}, {apologies} apologies"


def note_after(stage: Stage, pane: str, prefix: str, took: float | None, saved: str) -> tuple[bool, str]:
    """Once the replica applied the race's edits: one lost unasked (naive); none, and the note
    is the edit that was `saved` (trick)."""
    page = stage.page
    if took is None:
        return False, "its replica never applied the edits"
    edits = page.locator(f'#note-{pane} [data-item-id^="{prefix}"]')
    lost = page.locator(f'#note-{pane} [data-item-id^="{prefix}"][data-lost]')
    if pane == "trick":
        note = page.locator("#note-trick [data-note-text]").inner_text()
        return not lost.count() and note == saved, f"the note shows “{note}”, nothing lost"
    both = page.locator(f'#note-{pane} [data-item-id^="{prefix}"][data-state=confirmed]').count() == 2
    if not both:
        return not lost.count(), "one of the two edits was refused: nothing to lose"
    counted = stage.until(SAYS, ['[data-pane="naive"] [data-anomaly-list]', "lost update", ""], 2000)
    saved = page.locator("#told-edit-naive [data-told=ok]").count() == edits.count()
    reason = lost.first.locator(".reason").inner_text() if lost.count() else "nothing lost"
    return lost.count() == 1 and saved and counted is not None, f"both told “saved”; then one edit {reason}"


RESTOCKS = """() => {
  window.__restocked = 0;
  document.addEventListener('htmx:afterRequest', (event) => {
    const config = event.detail.requestConfig, source = (config && config.elt) || event.detail.elt;
    if (source && source.matches && source.matches('[data-restock]')) window.__restocked += 1;
  });
}"""

TOLD = """([kind, naive, trick]) => {
  const count = (selector) => document.querySelectorAll(selector).length;
  const conflicts = kind === 'edit' ? count('#conflicts [data-conflict]') : 0;
  return count(`#told-${kind}-naive [data-told]`) === naive && count(`#told-${kind}-trick [data-told]`) === trick
    && (kind !== 'edit' || conflicts === 1);
}"""

SHOP_SETTLED = """([pane, n]) => {
  const orders = [...document.querySelectorAll(`#shop-${pane} > ol.orders > [data-item-id]`)];
  return orders.length === n && orders.every((order) => order.dataset.state !== 'pending');
}"""

NOTE_SETTLED = """([pane, prefix]) => {
  const edits = [...document.querySelectorAll(`#note-${pane} [data-item-id^="${prefix}"]`)];
  return edits.length > 0 && edits.every((edit) => edit.dataset.state !== 'pending');
}"""

RACE_TEXTS = """(texts) => document.querySelectorAll('[data-race-form] [data-race-text]').forEach((field, i) => {
  field.value = texts[i];
})"""


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


def kept(guarantee: str, reads: list[dict], runs: list[float], bound: int, final: str) -> tuple[bool, str]:
    """Whether every read kept `guarantee` and the reader ended at `final` ("": it did not)."""
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


RUNS = """() => {
  // The page time at which each run of a game was answered, from the play status line.
  window.__runs = [];
  const status = document.querySelector('[data-play-status]');
  new MutationObserver(() => {
    const run = /Run (\\d+) of/.exec(status.textContent);
    if (run && Number(run[1]) > window.__runs.length) window.__runs.push(Date.now());
  }).observe(status, {childList: true, characterData: true, subtree: true});
}"""

PLAYED = """(before) => {
  // A new game, all its runs written, and Play done (its button back).
  const board = document.querySelector('[data-game-id]');
  return !!board.dataset.gameId && board.dataset.gameId !== before && !document.querySelector('[data-play]').disabled
    && document.querySelector('[data-demo]').dataset.game === 'over';
}"""

ENDS_AT = """([guarantee, score]) => {
  const reads = (window.baseballReads || {})[guarantee] || [];
  return reads.length > 0 && reads[reads.length - 1].score === score;
}"""
