"""Monotonic writes, driven by the real projector: the naive listing applies writes as they
arrive, the trick applies each session's writes in the order the session made them."""

import pytest
from django.test import Client

from demos.catalog.monotonic_writes import listing
from store import projector
from store.data import ensure_replicas
from store.log import session_ref
from store.models import Event
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = "/demos/monotonic-writes/"


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def send(client: Client, text: str, key: str | None = None) -> Event:
    response = client.post(PAGE + "write/", {"text": text, "key": key or factories.key()})
    assert response.status_code == 202, response.content
    return Event.objects.get(pk=int(response["X-Event-Position"]))


def seller() -> Client:
    client = Client()
    client.get(PAGE)  # the page opens the session its writes count against
    return client


def test_each_write_carries_the_position_of_its_sessions_write_before_it():
    ada, grace = seller(), seller()
    first = send(ada, "price 40")
    other = send(grace, "price 45")
    second = send(ada, "publish")
    assert first.payload["after"] == 0 and other.payload["after"] == 0
    assert second.payload["after"] == first.pk


def test_a_retried_write_carries_the_same_after_and_is_one_event():
    ada = seller()
    first = send(ada, "price 40")
    key = factories.key()
    again = [send(ada, "publish", key=key), send(ada, "publish", key=key)]
    assert again[0].pk == again[1].pk and again[0].payload["after"] == first.pk


def test_naive_publishes_at_the_old_price_when_publish_overtakes_the_price():
    ada = seller()
    price, publish = send(ada, "price 40"), send(ada, "publish")
    projector.apply(listing.REPLICA, publish.pk)
    naive = listing.as_arrived()
    assert naive.published and naive.price is None
    assert [w.item.position for w in naive.early] == [publish.pk]
    trick = listing.in_session_order()
    assert not trick.published and trick.waiting_for == [price.pk]
    held = {w.item.position: w for w in trick.writes}
    assert held[publish.pk].held and held[publish.pk].item.state == "pending"


def test_the_trick_releases_a_held_write_once_the_one_it_follows_arrives():
    ada = seller()
    price, publish = send(ada, "price 40"), send(ada, "publish")
    projector.apply(listing.REPLICA, publish.pk)
    projector.apply(listing.REPLICA, price.pk)
    trick = listing.in_session_order()
    assert trick.published and trick.price == 40 and not trick.waiting_for
    assert [w.item.position for w in trick.writes] == [publish.pk, price.pk]  # newest applied first
    assert not any(w.held for w in trick.writes) and not trick.early
    naive = listing.as_arrived()
    assert naive.price == 40 and [w.item.position for w in naive.early] == [publish.pk]


def test_another_sessions_write_never_waits_for_mine():
    ada, grace = seller(), seller()
    send(ada, "price 40")
    publish = send(grace, "publish")
    projector.apply(listing.REPLICA, publish.pk)
    trick = listing.in_session_order()
    assert trick.published and not trick.waiting_for and not trick.early


def test_commands_are_read_from_the_text():
    assert listing.command("price 40") == ("price", 40)
    assert listing.command("Price   7 euros") == ("price", 7)
    assert listing.command("Publish!") == ("publish", None)
    assert listing.command("Hoodie, size M") == ("note", None)


def test_after_counts_only_the_sessions_own_writes():
    ada = seller()
    first = send(ada, "price 40")
    factories.write("someone else", stream=listing.SLUG, session_key="other")
    assert listing.after_of(session_ref(ada.session.session_key), "new") == first.pk
    assert listing.after_of("", "new") == 0
