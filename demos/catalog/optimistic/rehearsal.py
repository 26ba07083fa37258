"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import Stage, Verdict, seconds, settled


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
            waits = spinner is not None and absent
            stage.say("naive", waits, "a spinner, and no item, while the worker works", anomaly=waits)
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
