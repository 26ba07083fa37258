"""The rehearsal check of this demo: does each pane keep its promise in a real browser?
(The harness is demos/rehearsal.py; the page probes are probes/*.js.)"""

from __future__ import annotations

from demos.rehearsal import Stage, Verdict, probe, seconds


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
        stage.say("naive", naive["missing"] == behind, said, anomaly=naive["missing"])
        if naive["missing"]:
            caught_up = stage.wait(page.locator(f'[data-caught-up="{key}"]'))
            stage.say("naive", caught_up is not None, f"caught up live {seconds(caught_up)} later, and says so")
    return stage.verdicts


NAIVE_READ = probe(__file__, "naive-read")
