"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import SAYS, Stage, Verdict, probe


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
        said = f"showed “{text}” before the post it follows, and counted it"
        stage.say("naive", counted is not None, said, anomaly=True)
    else:
        said = "no post overtook the one before it this time (that takes reorder, or jitter and luck)"
        stage.say("naive", True, said, anomaly=False)
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


THREAD = probe(__file__, "thread")
IN_THREAD = probe(__file__, "in-thread")
POSITIONS = probe(__file__, "positions")
IN_LOG_ORDER = probe(__file__, "in-log-order")
