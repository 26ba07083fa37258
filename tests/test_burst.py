""" "Everyone, tap now" against the whole app: a burst of concurrent writes from many sessions is
answered, every write (202, 409 or 429 with its reason; never a 5xx or no answer), and each
accepted write is in the log once and applied once on every replica."""

from collections import Counter

import pytest

from bench.burst import burst
from tests.conftest import wait_until

pytestmark = pytest.mark.timeout(300)


def test_a_burst_of_two_hundred_writes_from_a_hundred_sessions_is_answered_and_applied_once(fresh):
    queued = "SELECT count(*) FROM store_delivery WHERE state = 'queued'"
    wait_until(lambda: fresh.query(queued)[0][0] == 0, 60, what="the seeded writes applied")
    applies = "SELECT coalesce(sum(applies), 0) FROM store_replica"  # the projector's own count
    before = fresh.query(applies)[0][0]
    r = burst(fresh, writes=200, spread_s=0.5, page="/demos/push/", phones=100)
    first = Counter(status for status, _, _ in r["first"])
    assert set(first) <= {202, 409, 429}, first
    assert all(why for status, _, why in r["first"] if status == 429), "a 429 without its reason"
    assert r["final"] == {202: 200}, r["final"]  # each 429 sent again, same key, went through

    keys = tuple(r["accepted_keys"])
    marks = ",".join("?" * len(keys))
    events = fresh.query(f"SELECT key, id FROM store_event WHERE key IN ({marks})", keys)  # noqa: S608
    assert sorted(k for k, _ in events) == sorted(keys)  # none lost, none twice (keys are unique)
    ids = tuple(i for _, i in events)
    id_marks = ",".join("?" * len(ids))
    replicas = fresh.query("SELECT count(*) FROM store_replica WHERE stream = ''")[0][0]
    settled_sql = f"SELECT count(*) FROM store_delivery WHERE state = 'applied' AND event_id IN ({id_marks})"  # noqa: S608
    wait_until(lambda: fresh.query(settled_sql, ids)[0][0] >= replicas * len(ids), 60, what="every write applied")
    rows, distinct = fresh.query(
        f"SELECT count(*), count(DISTINCT replica_id || '-' || event_id) FROM store_delivery "  # noqa: S608
        f"WHERE state = 'applied' AND event_id IN ({id_marks})",
        ids,
    )[0]
    assert rows == distinct == replicas * len(ids) == fresh.query(applies)[0][0] - before


def test_everyone_tapping_buy_at_once_gets_the_stock_sold_exactly_and_everyone_else_told_sold_out(fresh):
    """The conflicts demo's Buy, a hundred phones at once after a restock: the trick sells exactly
    its stock, and each phone hears what became of its purchase (202 it's yours, 409 sold out)."""
    from bench.burst import BUY, BUY_PAGE, restock, settle_buys, trick_told

    stock = restock(fresh)
    r = burst(fresh, writes=100, spread_s=0.5, page=BUY_PAGE, path=BUY, why=trick_told)
    first = Counter(status for status, _, _ in r["first"])
    assert set(first) <= {202, 409, 429}, first
    assert {why for status, _, why in r["first"] if status == 409} == {"sold out"}
    assert r["final"] == {202: stock, 409: 100 - stock}, r["final"]
    assert settle_buys(fresh, r, stock) == {
        "sold": stock,
        "stock": stock,
        "lost": 0,
        "sold_without_202": 0,
        "doubled": 0,
    }
