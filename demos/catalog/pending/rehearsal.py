"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import Stage, Verdict, seconds, settled


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
        stage.say("naive", done is not None, "said “Done!” at once, whatever the truth", anomaly=done is not None)
        if stage.lagging:
            stage.say("trick", button.is_disabled(), "re-submit disabled while pending")
        took, state = settled(stage, "trick", key)
        stage.say("trick", took is not None, f"{state or 'not settled'} by push after {seconds(took)}")
        enabled = stage.wait(page.locator("[data-write-form] button:enabled"), 5000)
        stage.say("trick", enabled is not None, "the form takes the next order")
    return stage.verdicts
