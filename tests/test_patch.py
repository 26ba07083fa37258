"""Patched regions (push/patch.py): a patch turns exactly the drawing it starts from into the new
one, and a page that connects, or misses a patch, starts again from a whole, numbered drawing."""

import re

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from demos import registry
from push import patch, regions
from showcase.redis_client import redis_client
from store import projector, signals
from store.data import ensure_replicas
from tests import factories
from tests.test_push import communicator, receive_until

PART = re.compile(r"<template data-(replace|list)([^>]*)>(.*?)</template>", re.S)


def nodes(html: str) -> dict:
    found = {}

    def walk(node):
        found[node.id] = node
        for child in node.children:
            walk(child)

    for root in patch.parse(html):
        walk(root)
    return found


def apply(page: str, frame: str) -> str:
    """What static/showcase/patch.js does, on markup: refuses a list that is not the start."""
    body = re.match(r'<template data-patch="[^"]*" data-base="\d+" data-seq="\d+">(.*)</template>$', frame, re.S)
    assert body, frame[:200]
    for kind, attrs, inner in PART.findall(body.group(1)):
        if kind == "replace":
            new_id = re.search(r'\bid="([^"]+)"', inner).group(1)
            node = nodes(page)[new_id]
            page = page[: node.start] + inner + page[node.end :]
            continue
        fields = dict(re.findall(r'data-(\w+)="([^"]*)"', "data-list" + attrs))
        node = nodes(page)[fields["list"]]
        old = [page[start:end] for _, start, end in node.items]
        assert patch.checksum([key for key, _, _ in node.items]) == fields["from"], "not the drawing it starts from"
        close = f"</{node.tag}>"
        shell = inner[: inner.index(">") + 1]
        fresh = _items_of(inner[inner.index(close) + len(close) :])
        rebuilt = [fresh.pop(0) if token == "n" else old[int(token)] for token in fields["order"].split()]
        page = page[: node.start] + shell + "".join(rebuilt) + close + page[node.end :]
    return page


def _items_of(markup: str) -> list[str]:
    wrapped = f'<ol id="x">{markup}</ol>'
    return [wrapped[s:e] for _, s, e in nodes(wrapped)["x"].items]


def same_drawing(a: str, b: str) -> bool:
    return patch.describe(a) == patch.describe(b)


LIST = """<div id="pane" hx-swap-oob="true">
<p id="status" data-n="{n}">checkpoint #{n}</p>
<ol class="items" id="things" data-stale="{stale}">{items}</ol>
</div>"""


def drawing(items, n=1, stale=0):
    rendered = "".join(
        f'\n<li data-item-id="{key}" data-position="{pos}"><span>{text}</span></li>' for key, pos, text in items
    )
    return LIST.format(n=n, stale=stale, items=rendered or '\n<li class="empty">Nothing yet.</li>')


def frame(before: str, after: str) -> str:
    return f'<template data-patch="r" data-base="1" data-seq="2">{patch.diff(patch.describe(before), after)}</template>'


@pytest.mark.parametrize(
    "before, after",
    [
        ([], [("a", 1, "one")]),  # the empty line goes, an item comes
        ([("a", 1, "one")], [("b", 2, "two"), ("a", 1, "one")]),  # a new item on top
        ([("b", 2, "two"), ("a", 1, "one")], [("c", 3, "three"), ("b", 2, "two")]),  # one in, the oldest out
        ([("b", 2, "two"), ("a", 1, "one")], [("a", 1, "one"), ("b", 2, "two")]),  # reordered
        ([("a", 1, "one")], [("a", 1, "one, edited")]),  # same key, new markup
        ([("a", 1, "one")], []),  # emptied
    ],
)
def test_a_patch_turns_the_drawing_it_starts_from_into_the_new_one(before, after):
    old, new = drawing(before, n=1), drawing(after, n=2, stale=3)
    patched = apply(old, frame(old, new))
    assert same_drawing(patched, new)
    assert patched.count("<li") == max(len(after), 1)


def test_a_patch_carries_only_what_changed():
    items = [(f"k{i}", i, f"item number {i} " * 5) for i in range(15, 0, -1)]
    old = drawing(items[1:], n=14)
    new = drawing(items[:-1], n=15)  # one in on top, the oldest out, the checkpoint moved
    sent = frame(old, new)
    assert "item number 15" in sent and "item number 14" not in sent and "item number 1 " not in sent
    assert 'data-order="n 0 1 2 3 4 5 6 7 8 9 10 11 12"' in sent
    assert "checkpoint #15" in sent and 'id="pane"' not in sent  # the status alone, not its container
    assert len(sent) < len(new) / 3


def test_nothing_changed_is_an_empty_patch_and_a_changed_container_is_sent_whole():
    old = drawing([("a", 1, "one")])
    assert patch.diff(patch.describe(old), old) == ""
    reshaped = old.replace('<div id="pane" hx-swap-oob="true">', '<div id="pane" hx-swap-oob="true" class="wide">')
    sent = frame(old, reshaped)
    assert sent.count("data-replace") == 1 and 'class="wide"' in sent and "data-list" not in sent


def test_a_list_that_is_not_the_start_is_refused():
    old, new = drawing([("a", 1, "one")]), drawing([("b", 2, "two"), ("a", 1, "one")])
    elsewhere = drawing([("z", 9, "redrawn by an answer meanwhile")])
    with pytest.raises(AssertionError, match="not the drawing it starts from"):
        apply(elsewhere, frame(old, new))


def test_users_text_stays_escaped_and_ids_inside_items_are_part_of_the_item():
    tricky = '&lt;/li&gt;&lt;/ol&gt;&lt;template data-replace&gt; <span id="inner">x</span>'
    old, new = drawing([("a", 1, "one")]), drawing([("b", 2, tricky), ("a", 1, "one")])
    assert "inner" not in patch.describe(new)["nodes"]
    assert same_drawing(apply(old, frame(old, new)), new)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("slug", ["read-your-writes", "consistent-prefix", "cap"])
def test_the_demos_regions_patch_item_by_item(slug, redis_server):
    ensure_replicas()
    demo = registry.get(slug)
    assert regions.patched(f"stream:{slug}")
    factories.lag(delay_ms=0, jitter_ms=0, failure_rate=0, reorder=False)
    # The AP side shows the writes it took (its own kind, its own prefix on the form's key).
    extra = (lambda: {"kind": "cap.ap", "key": f"ap-{factories.key()}"}) if slug == "cap" else dict
    events = [factories.write(f"{slug} {i} " * 8, stream=slug, **extra()) for i in range(12)]
    for event in events[:-1]:
        projector.apply(demo.replica, event.pk)
    old = demo.pushed()
    projector.apply(demo.replica, events[-1].pk)
    new = demo.pushed()
    sent = frame(old, new)
    assert same_drawing(apply(old, sent), new)
    assert f"{slug} 11" in sent and f"{slug} 3 " not in sent, "only the new item travels"
    assert len(sent.encode()) < 2048 < len(new.encode())


@pytest.mark.django_db(transaction=True)
def test_a_socket_starts_from_the_whole_region_then_gets_numbered_patches(redis_server):
    ensure_replicas()
    factories.lag(delay_ms=0, jitter_ms=0, failure_rate=0, reorder=False)
    redis_client().delete("push:patch:stream:consistent-prefix")
    question = factories.write("Q: <b>where</b>?", stream="consistent-prefix")

    async def run():
        comm = communicator("g=stream.consistent-prefix")
        await comm.connect()
        whole = await receive_until(comm, 'data-patch="stream:consistent-prefix"')
        seq = int(re.search(r'data-seq="(\d+)"', whole).group(1))
        assert "data-base" not in whole and 'id="cp-naive"' in whole
        settled = await database_sync_to_async(projector.apply)("arrival", question.pk)
        await database_sync_to_async(signals.announce)(signals.settled, replica="arrival", deliveries=settled)
        sent = await receive_until(comm, question.key)
        assert f'data-base="{seq}" data-seq="{seq + 1}"' in sent
        assert "&lt;b&gt;where&lt;/b&gt;" in sent and "<b>" not in sent
        again = await database_sync_to_async(regions.patch_snapshot)("stream:consistent-prefix")
        assert f'data-seq="{seq + 1}"' in again and "data-base" not in again  # nothing new: the same number
        await comm.disconnect()

    async_to_sync(run)()
