"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import SAYS, Stage, Verdict, probe, seconds


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


def shop_after(stage: Stage, pane: str, stock: int, took: float | None) -> tuple:
    """Once the replica applied every purchase: sold more than stock (naive) only with the alarm
    and an apology per hoodie it did not have; never (trick). (ok, said[, oversold])"""
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
        return not oversold and not alarm.count(), f"sold {sold} of {stock}: nothing oversold ({why})", False
    shown = f"Oversold by {over}" in (alarm.inner_text() if alarm.count() else "")
    counted = stage.until(SAYS, ['[data-pane="naive"] [data-anomaly-list]', "oversold", ""], 2000)
    ok = oversold == apologies == over and shown and counted is not None
    said = f"{seconds(took)} later its replica caught up: sold {sold} of {stock}, “Oversold by {over}!”"
    return ok, f"{said}, {apologies} apologies", True


def note_after(stage: Stage, pane: str, prefix: str, took: float | None, saved: str) -> tuple:
    """Once the replica applied the race's edits: one lost unasked (naive); none, and the note
    is the edit that was `saved` (trick). (ok, said[, lost])"""
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
        return not lost.count(), "one of the two edits was refused: nothing to lose", False
    counted = stage.until(SAYS, ['[data-pane="naive"] [data-anomaly-list]', "lost update", ""], 2000)
    saved = page.locator("#told-edit-naive [data-told=ok]").count() == edits.count()
    reason = lost.first.locator(".reason").inner_text() if lost.count() else "nothing lost"
    ok = lost.count() == 1 and saved and counted is not None
    return ok, f"both told “saved”; then one edit {reason}", lost.count() > 0


RESTOCKS = probe(__file__, "restocks")
TOLD = probe(__file__, "told")
SHOP_SETTLED = probe(__file__, "shop-settled")
NOTE_SETTLED = probe(__file__, "note-settled")
RACE_TEXTS = probe(__file__, "race-texts")
