"""Oversell per pane over scripted races: restock 3 hoodies, let the replica hear of it, then
five buyers at the same instant (the demo's own race, through the real write path), at lag 2 s.
Counts are read from the log and the replica once every purchase has been applied.

    .venv/bin/python -m bench.conflicts_race [rounds] [buyers]
"""

import os
import sys
import time
import uuid

import django

from bench.common import running_app

# Only for the demo's own names and numbers; the app under test runs in its own processes.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")
django.setup()
from demos.catalog.conflicts.base import REPLICA  # noqa: E402
from demos.catalog.conflicts.oversell import BUYER_NAMES, PURCHASE, STOCK  # noqa: E402

TIMEOUT_S = 60


def wait_for(condition, what: str):
    deadline = time.monotonic() + TIMEOUT_S
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def applied(app, position: int) -> bool:
    rows = app.query("SELECT state FROM store_delivery WHERE event_id = ? AND replica_id = ?", (position, REPLICA))
    return bool(rows) and rows[0][0] == "applied"


def sold(app, since: int, shop: str) -> tuple[int, int]:
    """(purchases applied by the replica, purchases still queued) of `shop` since `since`."""
    rows = app.query(
        "SELECT d.state, COUNT(*) FROM store_event e JOIN store_delivery d ON d.event_id = e.id "
        "WHERE e.kind = ? AND json_extract(e.payload, '$.shop') = ? AND e.id > ? AND d.replica_id = ? "
        "GROUP BY d.state",
        (PURCHASE, shop, since, REPLICA),
    )
    counts = dict(rows)
    return counts.get("applied", 0), counts.get("queued", 0)


def race(app, buyers: int) -> dict[str, int]:
    client = app.client()
    status, headers, body = client.post("/demos/conflicts/restock/", {})
    assert status == 202, body
    restock = int(headers["X-Event-Position"])
    wait_for(lambda: applied(app, restock), "the replica to apply the restock")
    names = ", ".join(BUYER_NAMES[:buyers])
    status, _, body = client.post("/demos/conflicts/buy/", {"text": names, "key": uuid.uuid4().hex})
    assert status in (202, 409), body
    wait_for(lambda: all(sold(app, restock, shop)[1] == 0 for shop in ("naive", "trick")), "every purchase applied")
    return {shop: sold(app, restock, shop)[0] - STOCK for shop in ("naive", "trick")}


def main(rounds: int = 10, buyers: int = 5) -> None:
    with running_app() as app:
        app.lag(delay_ms=2000, jitter_ms=0, failure_rate=0, replica_lag="slow=2000", heal=True, no_reorder=True)
        results = []
        for i in range(rounds):
            oversold = race(app, buyers)
            results.append(oversold)
            line = f"naive oversold by {oversold['naive']}, trick oversold by {oversold['trick']}"
            print(f"race {i + 1:2}: {buyers} buyers for {STOCK}: {line}", flush=True)
        for shop in ("naive", "trick"):
            values = [r[shop] for r in results]
            over = sum(v > 0 for v in values)
            print(f"{shop}: oversold in {over} of {rounds} races, {sum(values)} hoodies in all (max {max(values)})")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
