"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import Stage, Verdict, seconds


def push(stage: Stage) -> list[Verdict]:
    """Another session sees each write the moment the replica applies it, by push, without a
    reload; its naive pane stays as of page load until it reloads."""
    reader = stage.open_page(stage.page.url)
    for text in stage.texts:
        key = stage.write(text)
        took = stage.wait(stage.item("trick", key, reader))
        stage.say("trick", took is not None, f"another session got “{text}” by push after {seconds(took)}")
        stale = stage.item("naive", key, reader).count() == 0
        stage.say("naive", stale, "the other session's naive pane is still as of page load", anomaly=stale)
    reader.get_by_role("button", name="Reload").click()
    last = stage.wait(reader.locator('[data-pane="naive"] [data-item-id]', has_text=stage.texts[-1]), 5000)
    stage.say("naive", last is not None, "a reload (one more request) brings it")
    return stage.verdicts
