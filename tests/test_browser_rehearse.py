"""`manage.py rehearse --at-preset --seed N --json` against the real app in real Chromium: at
their scenarios' own lag the naive panes of monotonic reads and consistent prefix crack on cue,
and the lag is as it was afterwards."""

import json

import pytest

pytestmark = pytest.mark.browser

CRACKING = ("monotonic-reads", "consistent-prefix")


@pytest.mark.timeout(300)
def test_rehearse_at_preset_shows_every_naive_anomaly_and_prints_one_object_per_pane(fresh, browser):
    fresh.lag(delay_ms=100, jitter_ms=0, replica_lag="slow=300")
    demos = [arg for slug in CRACKING for arg in ("--demo", slug)]
    out = fresh.manage("rehearse", "--url", fresh.url, "--at-preset", "--seed", "1", "--json", *demos)
    rows = [json.loads(line) for line in out.splitlines()]
    assert all(set(row) == {"demo", "pane", "ok", "anomaly_shown"} for row in rows), out
    assert [(row["demo"], row["pane"]) for row in rows] == [
        (slug, pane) for slug in CRACKING for pane in ("naive", "trick")
    ]
    assert all(row["ok"] for row in rows), out
    shown = {(row["demo"], row["pane"]): row["anomaly_shown"] for row in rows}
    assert shown == {(slug, pane): pane == "naive" or None for slug in CRACKING for pane in ("naive", "trick")}, out
    # Each demo ran at its own preset, then the lag came back, unseeded.
    assert fresh.query("SELECT delay_ms, jitter_ms, reorder, seed FROM store_lagsettings") == [(100, 0, 0, None)]
    assert fresh.query("SELECT extra_lag_ms FROM store_replica WHERE name = 'slow'") == [(300,)]
