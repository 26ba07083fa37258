"""Pushed regions sent as patches: what changed since the last drawing, not the whole drawing.

A region (a demo page's lists and the lines above them) is rendered whole, as before; this
module compares it with the last drawing it sent and sends only the difference: a list gets the
items it did not have and the order of the ones it keeps; any other element with an id is sent
again only when its own markup changed. static/showcase/patch.js applies the patch.

Truth first: a page applies a patch only to exactly the drawing it was computed from. Every
drawing of a region is numbered (one counter in Redis, shared by every process, in Redis's
epoch: showcase.redis_client.numbered); a patch names the drawing it starts from, and each list
patch carries a checksum of the list's keys before and after. A page whose drawing is not the
patch's start (a frame missed, an answer that redrew a list in between, numbers of another
epoch) fetches the region whole instead (push/views.py), and a page always starts from a whole
drawing: the snapshot every socket gets on connect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from showcase.redis_client import Numbered, numbered, redis_client

from .channel import send

LISTS = ("ol", "ul")
KEYED = "data-keyed"  # any other element whose children are a keyed list (an SVG group of marks)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
STATE_TTL_S = 24 * 3600
LOCK_TIMEOUT_S = 10


@dataclass
class Node:
    """An element with an id, or an item of a list (its key), and where it is in the markup."""

    id: str  # an item's key: data-item-id or data-key
    tag: str
    start: int
    open_end: int  # the end of its start tag
    svg: bool = False  # inside an <svg>: its markup travels wrapped in one, to be parsed as SVG
    end: int = 0
    children: list[Node] = field(default_factory=list)  # elements with an id inside, nearest only
    items: list[Node] | None = None  # a list's items, in order

    @property
    def is_list(self) -> bool:
        return self.items is not None


class _Parser(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.lines = [0] + [i + 1 for i, char in enumerate(html) if char == "\n"]
        self.roots: list[Node] = []
        # Open elements: (tag, its node: an element with an id or a list's item, if either).
        self.stack: list[tuple[str, Node | None]] = []

    def _at(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def _owner(self) -> Node | None:
        for _, node in reversed(self.stack):
            if node is not None:
                return node
        return None

    def handle_starttag(self, tag, attrs) -> None:
        if tag in VOID:
            return
        start = self._at()
        attrs = dict(attrs)
        open_end = start + len(self.get_starttag_text())
        svg = any(open_tag == "svg" for open_tag, _ in self.stack)
        parent = self.stack[-1][1] if self.stack else None
        node = None
        if parent is not None and parent.is_list and (tag == "li" or parent.tag not in LISTS):
            node = Node(attrs.get("data-item-id") or attrs.get("data-key") or "", tag, start, open_end, svg)
            parent.items.append(node)
        elif attrs.get("id"):
            keyed = tag in LISTS or KEYED in attrs
            node = Node(attrs["id"], tag, start, open_end, svg, items=[] if keyed else None)
            owner = self._owner()
            (owner.children if owner else self.roots).append(node)
        self.stack.append((tag, node))

    def handle_endtag(self, tag) -> None:
        if tag in VOID or not any(open_tag == tag for open_tag, _ in self.stack):
            return
        end = self.html.index(">", self._at()) + 1
        while self.stack:  # an element left open (a <p> before its parent's end) ends here too
            open_tag, node = self.stack.pop()
            if node is not None:
                node.end = end
            if open_tag == tag:
                break


def parse(html: str) -> list[Node]:
    parser = _Parser(html)
    parser.feed(html)
    parser.close()
    return parser.roots


def checksum(keys: list[str]) -> str:
    """FNV-1a (32 bits) over the keys' code points, each key ended by a newline; the page
    computes the same over its list (static/showcase/patch.js)."""
    value = 0x811C9DC5
    for key in keys:
        for char in key + "\n":
            value = ((value ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    return format(value, "08x")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _inside(html: str, node: Node) -> str:
    """The node's markup after its start tag, without what is drawn separately (its id'd
    children); a list's items are drawn separately, all of them."""
    if node.is_list:
        return ""  # a list's own attributes travel with every list patch
    parts, at = [], node.open_end
    for child in node.children:
        parts.append(html[at : child.start])
        parts.append(f"\0{child.id}\0")
        at = child.end
    parts.append(html[at : node.end])
    return "".join(parts)


def _own(html: str, node: Node) -> list[str]:
    """Digests of the node's start tag and of the rest of its own markup."""
    return [_digest(html[node.start : node.open_end]), _digest(_inside(html, node))]


def _wrap(node: Node, markup: str) -> str:
    """Markup that parses as what it is: an SVG element outside an <svg> would be HTML."""
    return f"<svg data-wrap>{markup}</svg>" if node.svg else markup


def _item_digest(html: str, item: Node) -> str:
    return _digest(html[item.start : item.open_end] + _inside(html, item))


def describe(html: str, roots: list[Node] | None = None) -> dict:
    """What a patch is computed against: each node's own markup and each list's items.
    `roots`: `html` parsed already."""
    nodes, lists = {}, {}

    def walk(node: Node) -> None:
        nodes[node.id] = _own(html, node)
        if node.is_list:
            items = [[item.id, _item_digest(html, item)] for item in node.items]
            lists[node.id] = {"shell": html[node.start : node.open_end], "items": items}
            for item in node.items:
                for child in item.children:
                    walk(child)
        for child in node.children:
            walk(child)

    for root in parse(html) if roots is None else roots:
        walk(root)
    return {"nodes": nodes, "lists": lists}


def diff(old: dict, html: str, roots: list[Node] | None = None, new: dict | None = None) -> str:
    """The parts of a patch from the drawing `old` describes to `html` (`roots`: it parsed
    already; `new`: it described already); '' if nothing changed. Parts apply in order: a list
    is patched before what is inside the items it keeps."""
    roots = parse(html) if roots is None else roots
    new = describe(html, roots) if new is None else new
    parts: list[str] = []

    def visit(node: Node) -> None:
        was, now = old["nodes"].get(node.id), new["nodes"][node.id]
        if was is None or was[1] != now[1]:
            markup = _wrap(node, html[node.start : node.end])
            parts.append(f"<template data-replace>{markup}</template>")
            return  # the node anew, with everything inside it
        if was[0] != now[0] and not node.is_list:  # its attributes alone (a list's travel with its patch)
            shell = _wrap(node, f"{html[node.start : node.open_end]}</{node.tag}>")
            parts.append(f"<template data-attrs>{shell}</template>")
        if node.is_list:
            patch, kept = _list_patch(old["lists"].get(node.id), new["lists"][node.id], html, node)
            parts.append(patch)
            for item in kept:
                for child in item.children:
                    visit(child)
        for child in node.children:
            visit(child)

    for root in roots:
        visit(root)
    return "".join(parts)


def _list_patch(before: dict | None, after: dict, html: str, node: Node) -> tuple[str, list[Node]]:
    """A list's patch: its start tag (attributes may change), the items it did not have, and
    for each place in the new list an index into the old one or "n", the next new item. Also
    the items it keeps: what is inside them may have changed on its own. `after`: the list as
    `describe` has it."""
    before = before or {"shell": "", "items": []}
    index: dict[tuple[str, str], list[int]] = {}
    for i, (key, digest) in enumerate(before["items"]):
        index.setdefault((key, digest), []).append(i)
    order, fresh, kept = [], [], []
    for item, (key, digest) in zip(node.items, after["items"], strict=True):
        same = index.get((key, digest))
        i = same.pop(0) if same else None  # each old item kept once at most
        if i is None:
            order.append("n")
            fresh.append(html[item.start : item.end])
        else:
            order.append(str(i))
            kept.append(item)
    shell = after["shell"]
    if shell == before["shell"] and order == [str(i) for i in range(len(before["items"]))]:
        return "", kept
    keys_before = [key for key, _ in before["items"]]
    keys_after = [key for key, _ in after["items"]]
    markup = _wrap(node, f"{shell}</{node.tag}>{''.join(fresh)}")
    return (
        f'<template data-list="{escape(node.id)}" data-order="{" ".join(order)}"'
        f' data-from="{checksum(keys_before)}" data-to="{checksum(keys_after)}">{markup}</template>'
    ), kept


def _state_key(region: str) -> str:
    return f"push:patch:{region}"


def _seq_key(region: str) -> str:
    return f"push:patch-seq:{region}"


def whole(region: str, seq: Numbered, html: str) -> str:
    """The region's whole drawing number `seq`, as a page starts from it."""
    return f'<template data-patch="{escape(region)}" data-seq="{seq.number}" data-epoch="{seq.epoch}">{html}</template>'


def insert(region: str, list_id: str, seq: Numbered, items: str) -> str:
    """`items` to put in their places in the live list `list_id` of the region, numbered `seq`
    in the region's count: no drawing to start from, only the number that must come next."""
    return (
        f'<template data-patch="{escape(region)}" data-seq="{seq.number}" data-epoch="{seq.epoch}"'
        f' data-insert data-list="{escape(list_id)}">{items}</template>'
    )


def _patch(region: str, base: int, seq: Numbered, parts: str) -> str:
    return (
        f'<template data-patch="{escape(region)}" data-base="{base}" data-seq="{seq.number}"'
        f' data-epoch="{seq.epoch}">{parts}</template>'
    )


def draw(region: str, group: str, render: Callable[[], str]) -> tuple[Numbered, str]:
    """Render the region; if it changed since the last drawing, number it, keep it and push the
    patch to `group`. Returns the current drawing (its number and markup). Under a lock: one
    drawing at a time per region, so patches are numbered, kept and sent in one order."""
    client = redis_client()
    with client.lock(f"push:patch-lock:{region}", timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_TIMEOUT_S):
        html = render()
        raw = client.get(_state_key(region))
        state = json.loads(raw) if raw else None
        if state and state["html"] == html:
            return Numbered(state.get("epoch", ""), state["seq"]), html
        seq = numbered(_seq_key(region))
        roots = parse(html)
        described = describe(html, roots)
        drawing = {"epoch": seq.epoch, "seq": seq.number, "html": html, **described}
        client.set(_state_key(region), json.dumps(drawing), ex=STATE_TTL_S)
        if state and state.get("epoch") == seq.epoch:
            send(group, _patch(region, state["seq"], seq, diff(state, html, roots, described)), counted=False)
        else:  # nothing to compute a patch from (the first drawing, or Redis lost its data)
            send(group, whole(region, seq, html), counted=False)
        return seq, html


def snapshot(region: str, group: str, render: Callable[[], str]) -> str:
    """The region whole, as it is now, for a page that (re)connects or missed a patch."""
    seq, html = draw(region, group, render)
    return whole(region, seq, html)
