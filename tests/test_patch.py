"""Patched regions (push/patch.py): a patch turns exactly the drawing it starts from into the new
one, and a page that connects, or misses a patch, starts again from a whole, numbered drawing."""

import random
import re

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from demos import live, registry
from push import patch, regions
from showcase.redis_client import redis_client
from store import projector, signals
from store.data import ensure_replicas
from tests import factories
from tests.test_push import communicator, receive_until

PART = re.compile(r"<template data-(replace|list|attrs)([^>]*)>(.*?)</template>(?=<template data-|$)", re.S)


def nodes(html: str) -> dict:
    """Every element with an id, in lists' items too."""
    found = {}

    def walk(node):
        found[node.id] = node
        for child in node.children + [c for item in node.items or [] for c in item.children]:
            walk(child)

    for root in patch.parse(html):
        walk(root)
    return found


def unwrap(markup: str) -> str:
    if markup.startswith("<svg data-wrap>"):
        return markup.removeprefix("<svg data-wrap>").removesuffix("</svg>")
    return markup


def apply(page: str, frame: str) -> str:
    """What static/showcase/patch.js does, on markup: refuses a list that is not the start."""
    body = re.match(r'<template data-patch="[^"]*" data-base="\d+" data-seq="\d+">(.*)</template>$', frame, re.S)
    assert body, frame[:200]
    for kind, attrs, inner in PART.findall(body.group(1)):
        inner = unwrap(inner)
        new_id = re.search(r'\bid="([^"]+)"', inner[: inner.index(">")])
        if kind == "replace":
            node = nodes(page)[new_id.group(1)]
            page = page[: node.start] + inner + page[node.end :]
            continue
        if kind == "attrs":
            node = nodes(page)[new_id.group(1)]
            page = page[: node.start] + inner[: inner.index(">") + 1] + page[node.open_end :]
            continue
        fields = dict(re.findall(r'data-(\w+)="([^"]*)"', "data-list" + attrs))
        node = nodes(page)[fields["list"]]
        old = [page[item.start : item.end] for item in node.items]
        assert patch.checksum([item.id for item in node.items]) == fields["from"], "not the drawing it starts from"
        close = f"</{node.tag}>"
        shell = inner[: inner.index(">") + 1]
        fresh = _items_of(node.tag, inner[inner.index(close) + len(close) :])
        rebuilt = [fresh.pop(0) if token == "n" else old[int(token)] for token in fields["order"].split()]
        page = page[: node.start] + shell + "".join(rebuilt) + close + page[node.end :]
    return page


def _items_of(tag: str, markup: str) -> list[str]:
    wrapped = f'<{tag} id="x" data-keyed>{markup}</{tag}>'
    return [wrapped[item.start : item.end] for item in nodes(wrapped)["x"].items]


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
    reworded = old.replace("\n<p id", "\nNow: <p id")
    sent = frame(old, reworded)
    assert sent.count("data-replace") == 1 and "Now:" in sent and "data-list" not in sent
    assert same_drawing(apply(old, sent), reworded)


def test_a_changed_start_tag_alone_sends_the_attributes_alone():
    old = drawing([("a", 1, "one")])
    reshaped = old.replace('<div id="pane" hx-swap-oob="true">', '<div id="pane" hx-swap-oob="true" class="wide">')
    sent = frame(old, reshaped)
    assert '<template data-attrs><div id="pane" hx-swap-oob="true" class="wide"></div></template>' in sent
    assert "data-replace" not in sent and "data-list" not in sent and "one" not in sent
    assert same_drawing(apply(old, sent), reshaped)


MARKS = """<ol id="lanes">{lanes}</ol>"""
LANE = (
    '<li data-key="{key}"><svg id="l{key}" viewBox="0 0 960 {height}"><g id="l{key}-s" class="{state}">'
    '<text>{key}</text><g id="l{key}-w"><text>{window} ms</text></g>'
    '<g id="l{key}-m" data-keyed>{marks}</g></g></svg></li>'
)


def lanes(spec) -> str:
    """Lanes of keyed marks: (key, state, window, [(mark, x)])."""
    drawn = []
    for key, state, window, marks in spec:
        inner = "".join(f'<g data-key="{m}"><circle cx="{x}"/><text>{m} &lt;{x}&gt;</text></g>' for m, x in marks)
        drawn.append(LANE.format(key=key, height=40 + 20 * len(marks), state=state, window=window, marks=inner))
    return MARKS.format(lanes="".join(drawn))


def test_items_keep_their_own_ids_and_keyed_lists_and_svg_travels_as_svg():
    one = [("a", 1), ("b", 5)]
    old = lanes([("1", "pending", 10, one), ("2", "pending", 5, one[:1])])
    new = lanes([("3", "pending", 1, []), ("1", "done", 30, one + [("c", 9)]), ("2", "pending", 15, one[:1])])
    sent = frame(old, new)
    assert same_drawing(apply(old, sent), new)
    assert 'data-order="n 0 1"' in sent  # lane 3 in, the two others kept
    assert 'data-list="l1-m" data-order="0 1 n"' in sent and "c &lt;9&gt;" in sent and "a &lt;1&gt;" not in sent
    assert '<template data-attrs><svg data-wrap><g id="l1-s" class="done"></g></svg></template>' in sent
    assert '<template data-attrs><svg id="l1" viewBox="0 0 960 100"></svg></template>' in sent
    assert '<template data-replace><svg data-wrap><g id="l2-w"><text>15 ms</text></g></svg></template>' in sent
    assert "l2-m" not in sent  # nothing changed in lane 2's marks
    parsed = nodes(new)
    assert parsed["l1-m"].svg and parsed["l1-m"].is_list and [i.id for i in parsed["l1-m"].items] == ["a", "b", "c"]
    assert not parsed["l1"].svg  # the picture itself is in HTML: its own tag says svg


def test_a_list_that_is_not_the_start_is_refused():
    old, new = drawing([("a", 1, "one")]), drawing([("b", 2, "two"), ("a", 1, "one")])
    elsewhere = drawing([("z", 9, "redrawn by an answer meanwhile")])
    with pytest.raises(AssertionError, match="not the drawing it starts from"):
        apply(elsewhere, frame(old, new))


def test_users_text_stays_escaped():
    tricky = "&lt;/li&gt;&lt;/ol&gt;&lt;template data-replace&gt; &lt;svg data-wrap&gt;"
    old, new = drawing([("a", 1, "one")]), drawing([("b", 2, tricky), ("a", 1, "one")])
    sent = frame(old, new)
    assert tricky in sent and sent.count("<template") == 2
    assert same_drawing(apply(old, sent), new)


@pytest.mark.parametrize("seed", range(40))
def test_any_change_to_lanes_of_marks_is_patched_exactly(seed):
    """Lanes come, go and reorder; marks come, go, move and change; heights and states change:
    whatever the change, the patch turns the old drawing into the new one."""
    rng = random.Random(seed)
    names = ["s", "a", "r1", "r2", "r3", "p", "seen"]

    def lane(key):
        return [str(key), "pending", 10, [(m, rng.randint(1, 3)) for m in rng.sample(names, rng.randint(0, 3))]]

    spec = [lane(key) for key in range(rng.randint(0, 4))]
    old = lanes(spec)
    for step in range(12):
        for item in spec:  # each lane: maybe its state, its window, a mark in, out or moved
            change = rng.random()
            if change < 0.2:
                item[1] = rng.choice(["pending", "done"])
            elif change < 0.4:
                item[2] += 5
            elif change < 0.6 and len(item[3]) < len(names):
                item[3].append((rng.choice([n for n in names if n not in dict(item[3])]), rng.randint(1, 3)))
            elif change < 0.7 and item[3]:
                item[3].pop(rng.randrange(len(item[3])))
            elif change < 0.8 and item[3]:
                i = rng.randrange(len(item[3]))
                item[3][i] = (item[3][i][0], item[3][i][1] + 1)
        if rng.random() < 0.3:
            spec.insert(0, lane(100 + step))
        if spec and rng.random() < 0.2:
            spec.pop()
        if rng.random() < 0.1:
            rng.shuffle(spec)
        new = lanes([tuple(item) for item in spec])
        assert same_drawing(apply(old, frame(old, new)), new)
        old = new


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("slug", ["read-your-writes", "consistent-prefix", "cap"])
def test_the_demos_regions_patch_item_by_item(slug, redis_server):
    ensure_replicas()
    demo = registry.get(slug)
    assert regions.stream(slug).patched
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
        again = await database_sync_to_async(regions.patch_snapshot)(regions.stream("consistent-prefix"))
        assert f'data-seq="{seq + 1}"' in again and "data-base" not in again  # nothing new: the same number
        await comm.disconnect()

    async_to_sync(run)()


@pytest.mark.django_db(transaction=True)
def test_numbers_of_a_redis_that_lost_its_data_come_in_a_new_epoch(redis_server):
    """Redis without persistence restarted: counters start again from 1, numbers a page already
    saw. They come with a new epoch, so a page knows (patch.js) and fetches again."""
    ensure_replicas()
    factories.lag(delay_ms=0, jitter_ms=0, failure_rate=0, reorder=False)
    factories.write("Q: before", stream="consistent-prefix")
    first = regions.patch_snapshot(regions.stream("consistent-prefix"))
    before = live.next_seq("push")
    epoch = re.search(r'data-epoch="(\d+)"', first).group(1)
    assert epoch == before.epoch and before.number >= 1
    redis_client().flushall()  # what a restart without persistence leaves
    factories.write("Q: after", stream="consistent-prefix")
    again = regions.patch_snapshot(regions.stream("consistent-prefix"))
    assert re.search(r'data-seq="1" data-epoch="(\d+)"', again).group(1) != epoch
    after = live.next_seq("push")
    assert after.number == 1 and after.epoch != before.epoch
    assert live.current_seq("push") == after
