"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import SAYS, Stage, Verdict, probe, seconds


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
        stage.say("naive", counted is not None, said + ", and counted it", anomaly=True)
    else:
        said = "never went back this time: its replicas' lags too close for reads a second apart"
        stage.say("naive", True, said, anomaly=False)
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


READS = probe(__file__, "reads")
CAUGHT_UP = probe(__file__, "caught-up")
