"""Pushed regions sent as patches: what changed since the last drawing, not the whole drawing.

A region (a demo page's lists and the lines above them) is rendered whole, as before; this
module compares it with the last drawing it sent and sends only the difference: a list gets the
items it did not have and the order of the ones it keeps; any other element with an id is sent
again only when its own markup changed. static/showcase/patch.js applies the patch.

Truth first: a page applies a patch only to exactly the drawing it was computed from. Every
drawing of a region is numbered (one counter in Redis, never reset, shared by every process); a
patch names the drawing it starts from, and each list patch carries a checksum of the list's
keys before and after. A page whose drawing is not the patch's start (a frame missed, an answer
that redrew a list in between) fetches the region whole instead (push/views.py), and a page
always starts from a whole drawing: the snapshot every socket gets on connect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from showcase.redis_client import redis_client

from .channel import send

LISTS = ("ol", "ul")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
STATE_TTL_S = 24 * 3600
LOCK_TIMEOUT_S = 10


@dataclass
class Node:
    """An element with an id, and where it is in the drawing's markup."""

    id: str
    tag: str
    start: int
    open_end: int  # the end of its start tag
    end: int = 0
    children: list[Node] = field(default_factory=list)  # elements with an id inside, nearest only
    items: list[tuple[str, int, int]] | None = None  # a list's <li>s: (data-item-id or data-key, start, end)

    @property
    def is_list(self) -> bool:
        return self.items is not None


class _Parser(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.lines = [0] + [i + 1 for i, char in enumerate(html) if char == "\n"]
        self.roots: list[Node] = []
        # Open elements: (tag, its node if it has an id, the list it is an item of).
        self.stack: list[tuple[str, Node | None, Node | None]] = []
        self.item: tuple[str, int] | None = None  # the list item being read: its key and start

    def _at(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def _owner(self) -> Node | None:
        for _, node, _ in reversed(self.stack):
            if node is not None:
                return node
        return None

    def handle_starttag(self, tag, attrs) -> None:
        if tag in VOID:
            return
        start = self._at()
        attrs = dict(attrs)
        parent = self.stack[-1][1] if self.stack else None
        if self.item is None and parent is not None and parent.is_list and tag == "li":
            self.item = (attrs.get("data-item-id") or attrs.get("data-key") or "", start)
            self.stack.append((tag, None, parent))
            return
        node = None
        if attrs.get("id") and self.item is None:  # inside an item, an id is just part of the item
            open_end = start + len(self.get_starttag_text())
            node = Node(attrs["id"], tag, start, open_end, items=[] if tag in LISTS else None)
            owner = self._owner()
            (owner.children if owner else self.roots).append(node)
        self.stack.append((tag, node, None))

    def handle_endtag(self, tag) -> None:
        if tag in VOID or not any(open_tag == tag for open_tag, _, _ in self.stack):
            return
        end = self.html.index(">", self._at()) + 1
        while self.stack:  # an element left open (a <p> before its parent's end) ends here too
            open_tag, node, of_list = self.stack.pop()
            if node is not None:
                node.end = end
            if of_list is not None and self.item is not None:
                key, start = self.item
                of_list.items.append((key, start, end))
                self.item = None
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


def _own(html: str, node: Node) -> str:
    """The node's markup without what is drawn separately: its id'd children, a list's items."""
    if node.is_list:
        return node.tag  # a list's own attributes travel with every list patch
    parts, at = [], node.start
    for child in node.children:
        parts.append(html[at : child.start])
        parts.append(f"\0{child.id}\0")
        at = child.end
    parts.append(html[at : node.end])
    return "".join(parts)


def describe(html: str, roots: list[Node] | None = None) -> dict:
    """What a patch is computed against: each node's own markup and each list's items.
    `roots`: `html` parsed already."""
    nodes, lists = {}, {}

    def walk(node: Node) -> None:
        nodes[node.id] = _digest(_own(html, node))
        if node.is_list:
            items = [[key, _digest(html[start:end])] for key, start, end in node.items]
            lists[node.id] = {"shell": html[node.start : node.open_end], "items": items}
        for child in node.children:
            walk(child)

    for root in parse(html) if roots is None else roots:
        walk(root)
    return {"nodes": nodes, "lists": lists}


def diff(old: dict, html: str, roots: list[Node] | None = None) -> str:
    """The parts of a patch from the drawing `old` describes to `html` (`roots`: it parsed
    already); '' if nothing changed."""
    parts: list[str] = []

    def visit(node: Node) -> None:
        if old["nodes"].get(node.id) != _digest(_own(html, node)):
            parts.append(f"<template data-replace>{html[node.start : node.end]}</template>")
            return  # the node anew, with everything inside it
        if node.is_list:
            parts.append(_list_patch(old["lists"].get(node.id), html, node))
        for child in node.children:
            visit(child)

    for root in parse(html) if roots is None else roots:
        visit(root)
    return "".join(parts)


def _list_patch(before: dict | None, html: str, node: Node) -> str:
    """A list's patch: its start tag (attributes may change), the items it did not have, and
    for each place in the new list an index into the old one or "n", the next new item."""
    before = before or {"shell": "", "items": []}
    index: dict[tuple[str, str], list[int]] = {}
    for i, (key, digest) in enumerate(before["items"]):
        index.setdefault((key, digest), []).append(i)
    order, fresh = [], []
    for key, start, end in node.items:
        same = index.get((key, _digest(html[start:end])))
        i = same.pop(0) if same else None  # each old item kept once at most
        if i is None:
            order.append("n")
            fresh.append(html[start:end])
        else:
            order.append(str(i))
    shell = html[node.start : node.open_end]
    if shell == before["shell"] and order == [str(i) for i in range(len(before["items"]))]:
        return ""
    keys_before = [key for key, _ in before["items"]]
    keys_after = [key for key, _, _ in node.items]
    return (
        f'<template data-list="{escape(node.id)}" data-order="{" ".join(order)}"'
        f' data-from="{checksum(keys_before)}" data-to="{checksum(keys_after)}">'
        f"{shell}</{node.tag}>{''.join(fresh)}</template>"
    )


def _state_key(region: str) -> str:
    return f"push:patch:{region}"


def _seq_key(region: str) -> str:
    return f"push:patch-seq:{region}"


def whole(region: str, seq: int, html: str) -> str:
    """The region's whole drawing number `seq`, as a page starts from it."""
    return f'<template data-patch="{escape(region)}" data-seq="{seq}">{html}</template>'


def _patch(region: str, base: int, seq: int, parts: str) -> str:
    return f'<template data-patch="{escape(region)}" data-base="{base}" data-seq="{seq}">{parts}</template>'


def draw(region: str, group: str, render: Callable[[], str]) -> tuple[int, str]:
    """Render the region; if it changed since the last drawing, number it, keep it and push the
    patch to `group`. Returns the current drawing (its number and markup). Under a lock: one
    drawing at a time per region, so patches are numbered, kept and sent in one order."""
    client = redis_client()
    with client.lock(f"push:patch-lock:{region}", timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_TIMEOUT_S):
        html = render()
        raw = client.get(_state_key(region))
        state = json.loads(raw) if raw else None
        if state and state["html"] == html:
            return state["seq"], html
        seq = int(client.incr(_seq_key(region)))
        roots = parse(html)
        client.set(_state_key(region), json.dumps({"seq": seq, "html": html, **describe(html, roots)}), ex=STATE_TTL_S)
        if state:
            send(group, _patch(region, state["seq"], seq, diff(state, html, roots)))
        else:  # nothing to compute a patch from (the first drawing, or after a reset of Redis)
            send(group, whole(region, seq, html))
        return seq, html


def snapshot(region: str, group: str, render: Callable[[], str]) -> str:
    """The region whole, as it is now, for a page that (re)connects or missed a patch."""
    seq, html = draw(region, group, render)
    return whole(region, seq, html)
