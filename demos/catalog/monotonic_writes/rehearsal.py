"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import SAYS, Stage, Verdict, probe

LABEL = "applied before the write it follows"


def monotonic_writes(stage: Stage) -> list[Verdict]:
    """Both sides show the listing of the replica that applies writes as they arrive. Naive: as
    they arrive, so a session's "publish" can take effect before its "price 40" (that takes
    reorder, or jitter longer than the time between two writes). Trick: a session's writes in
    the order it made them; one that overtook waits, and the pane says for which."""
    page = stage.page
    page.evaluate(DRAWINGS)
    keys = []
    for text in stage.texts:  # one right after the other, as a seller would
        keys.append(stage.write(text))
        stage.answered(keys[-1])
    applied = {pane: stage.until(APPLIED, [pane, keys]) for pane in ("naive", "trick")}
    seen = page.evaluate("window.__writes")
    stage.say("naive", applied["naive"] is not None, f"applied all {len(keys)} writes as they arrived")
    early = [k for k in keys if k in seen["naive"]["early"]]
    if early:
        counted = stage.until(SAYS, ['[data-pane="naive"] [data-anomaly-list]', LABEL, ""], 2000)
        text = stage.texts[keys.index(early[0])]
        said = f"applied “{text}” before the write it follows, and counted it"
        stage.say("naive", counted is not None, said, anomaly=True)
    else:
        said = "no write overtook the one before it this time (that takes reorder or jitter)"
        stage.say("naive", True, said, anomaly=False)
    early = [k for k in keys if k in seen["trick"]["early"]]
    counted = LABEL in page.locator('[data-pane="trick"] [data-anomaly-list]').inner_text()
    held = ", ".join(f"#{gap}" for gap in seen["held"])
    said = f"held back what overtook (it waited for {held})" if held else "nothing overtook, nothing held back"
    stage.say("trick", not early and not counted, f"never applied a write before the one it follows; {said}")
    stage.say("trick", applied["trick"] is not None, f"applied all {len(keys)} in the order they were made")
    return stage.verdicts


DRAWINGS = probe(__file__, "drawings")
APPLIED = probe(__file__, "applied")
