"""The conflicts demo's store half: guarded appends under real concurrent threads, the naive
shop's oversell, lost updates and the version check."""

import threading

import pytest
from django.db import transaction

from demos.catalog.conflicts import demo, lost_update, oversell
from demos.catalog.conflicts.base import REPLICA, SLUG, Told
from demos.concurrent import at_once
from store import data, guard, projector
from store.models import Event
from tests import factories
from tests.conftest import wait_until
from tests.helpers import thread

pytestmark = pytest.mark.django_db(transaction=True)
BUYERS = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Edsger", "Tony", "Niklaus"]


@pytest.fixture(autouse=True)
def shop():
    data.seed({SLUG: list(demo.SEED)})


def apply_all() -> None:
    top = Event.objects.order_by("-id").values_list("id", flat=True).first()
    projector.apply(REPLICA, top)


def test_trick_never_sells_more_than_its_stock_to_concurrent_buyers():
    told = at_once([lambda n=name: oversell.buy_trick(n, factories.key()) for name in BUYERS])
    assert sum(t.ok for t in told) == oversell.STOCK
    assert sorted(t.message for t in told if not t.ok) == ["sold out"] * (len(BUYERS) - oversell.STOCK)
    assert Event.objects.filter(kind=oversell.PURCHASE, payload__shop="trick").count() == oversell.STOCK


def test_naive_shop_oversells_concurrent_buyers_and_finds_out_when_the_replica_catches_up():
    told = oversell.race_buyers(BUYERS[:5], factories.key())
    assert all(t.ok for t in told if t.pane == "naive")
    assert sum(t.ok for t in told if t.pane == "trick") == oversell.STOCK
    assert oversell.shop("naive").oversold_by == 0  # nothing applied yet: nobody knows
    apply_all()
    naive, trick = oversell.shop("naive"), oversell.shop("trick")
    assert (naive.sold, naive.oversold_by) == (5, 2)
    # The last two the replica applied are the ones the shop did not have.
    assert [o.oversold for o in naive.orders] == [True, True, False, False, False]
    assert (trick.sold, trick.oversold_by, trick.left) == (3, 0, 0)
    assert not any(o.oversold for o in trick.orders)


def test_a_restock_opens_a_new_sale_and_folds_the_last_one():
    oversell.race_buyers(BUYERS[:4], factories.key())
    oversell.restock(factories.key())
    apply_all()
    trick = oversell.shop("trick")
    assert (trick.left, len(trick.orders), len(trick.earlier)) == (3, 0, 3)
    assert oversell.buy_trick("Late", factories.key()).ok


def test_a_retry_of_an_accepted_purchase_is_the_same_purchase_even_when_sold_out():
    keys = [factories.key() for _ in range(oversell.STOCK)]
    first = [oversell.buy_trick("Ada", k) for k in keys]
    again = oversell.buy_trick("Ada", keys[0])
    assert again.ok and again.position == first[0].position
    assert not oversell.buy_trick("Ada", factories.key()).ok


def test_once_sold_out_a_buyer_is_told_so_without_waiting_for_the_lock_a_purchase_needs():
    """Everyone tapping Buy after the last hoodie: each is told "sold out" from one read of the
    log, while a guarded append (another purchase, a restock) holds the stock's lock."""
    assert all(oversell.buy_trick(name, factories.key()).ok for name in BUYERS[: oversell.STOCK])
    held, release, told = threading.Event(), threading.Event(), []

    def holder():
        with transaction.atomic():
            guard.lock(f"{SLUG}:stock")  # and on SQLite the write lock, taken by BEGIN IMMEDIATE
            held.set()
            release.wait(20)

    holding = thread(holder, bound_s=0)
    try:
        assert held.wait(10)
        buyer = thread(lambda: told.append(oversell.buy_trick("Late", factories.key())), bound_s=0)
        wait_until(lambda: told, 10, what="the late buyer told while the lock is held")
        assert (told[0].ok, told[0].message) == (False, "sold out")
    finally:
        release.set()
        holding.join(20)
    buyer.join(20)
    assert Event.objects.filter(kind=oversell.PURCHASE, payload__shop="trick").count() == oversell.STOCK


def test_guarded_append_writes_nothing_when_the_decision_refuses():
    def refuse():
        raise guard.Refused("no", why="test")

    with pytest.raises(guard.Refused) as refused:
        guard.append_if("conflicts", factories.key(), {"text": "x"}, subject="t", decide=refuse)
    assert refused.value.details == {"why": "test"}
    assert not Event.objects.filter(payload__text="x").exists()


def test_two_editors_at_once_lose_an_edit_on_the_naive_note_and_get_a_409_on_the_trick_note():
    texts = ["Talk title: The Shell Game", "Talk title: Shell Game, live"]
    results = lost_update.race_editors(texts, factories.key())
    naive = [r for r in results if isinstance(r, Told) and r.pane == "naive"]
    saved = [r for r in results if isinstance(r, Told) and r.pane == "trick"]
    refused = [r for r in results if isinstance(r, lost_update.Conflict)]
    assert len(naive) == 2 and all(t.ok for t in naive)
    assert len(saved) == 1 and len(refused) == 1
    conflict = refused[0]
    assert conflict.theirs.text != conflict.mine and {conflict.theirs.text, conflict.mine} == set(texts)
    assert conflict.merged == "Talk title: The Shell Game, live"
    apply_all()
    lost = [e for e in lost_update.note("naive").edits if e.lost_to]
    assert len(lost) == 1 and lost[0].text != lost_update.note("naive").text
    assert not any(e.lost_to for e in lost_update.note("trick").edits)


def test_keep_mine_after_a_409_saves_against_the_version_now_seen():
    base = lost_update.latest_edit("trick").pk
    assert isinstance(lost_update.edit_trick("Grace", "Theirs", base, factories.key()), Told)
    conflict = lost_update.edit_trick("Ada", "Mine", base, factories.key())
    assert isinstance(conflict, lost_update.Conflict)
    kept = lost_update.edit_trick("Ada", conflict.mine, conflict.theirs.pk, factories.key())
    assert isinstance(kept, Told) and lost_update.latest_edit("trick").text == "Mine"


@pytest.mark.parametrize(
    ("base", "mine", "theirs", "merged"),
    [
        ("a b c", "a X b c", "a b c Y", "a X b c Y"),
        ("a b c", "a X c", "a Y c", "a Y c / a X c"),
        ("a b c", "a b c", "a b Z", "a b Z"),
        ("a b", "a b X", "a b Y", "a b Y / a b X"),
    ],
)
def test_merge_keeps_both_changes_when_they_touch_different_words(base, mine, theirs, merged):
    assert lost_update.merge(base, mine, theirs) == merged


def test_buy_answers_what_each_buyer_was_told(client):
    response = client.post("/demos/conflicts/buy/", {"text": ", ".join(BUYERS[:5]), "key": factories.key()})
    assert response.status_code == 202
    html = response.content.decode()
    assert html.count('data-told="refused"') == 2
    assert html.count('data-told="ok"') == 8
    assert 'id="shop-trick"' in html and 'data-sold="3"' in html  # three reserved in the log


def test_edit_race_answers_409_with_both_versions_and_a_choice(client):
    response = client.post("/demos/conflicts/edit/", {"text": ["One", "Two"], "key": factories.key()})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-version="theirs"' in html and 'data-version="mine"' in html
    assert all(f'value="{choice}"' in html for choice in ("mine", "theirs", "merge"))
