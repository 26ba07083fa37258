"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

import re

from demos.rehearsal import SAYS, Stage, Verdict, seconds


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


def other_session_reads(stage: Stage, reader) -> tuple:
    """Another session reads the AP side right after a write: an answer always, stale or not,
    and when stale the page counts it. (ok, said[, stale])"""
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
        return True, "another session read at once: already converged (the replica was quicker than the read)", False
    counted = stage.until(SAYS, ['[data-pane="ap"] [data-cap="stale"]', "", "0"], 2000, reader)
    writes = "write" if stale == 1 else "writes"
    return counted is not None, f"another session read at once: stale, {stale} {writes} behind, and it says so", True


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
