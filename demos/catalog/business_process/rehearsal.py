"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import SAYS, Stage, Verdict, probe, seconds, settled


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
            waits = spinner is not None and not answered
            stage.say("naive", waits, "a spinner while payment, stock and shipping run", anomaly=waits)
        took, state = settled(stage, "trick", key)
        stage.say("trick", *steps_by_push(stage, key, took, state))
        stage.say("naive", *naive_checkout(stage, key))
    return stage.verdicts


CARDS = probe(__file__, "cards")


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
