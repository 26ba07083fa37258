"""Conflicts: invariants and races, head on.

Oversell: a few hoodies left. The naive shop checks stock on a lagging replica and accepts;
concurrent buyers all see the same "3 left" and the shop sells more than it has, found out when
the replica catches up. The trick decides each purchase against the log in the transaction that
appends it (store/guard.py), so the extra buyers hear "sold out" at once.

Lost update: two people edit the same note. The naive note lets the last writer win; the trick
checks the version the editor started from and answers 409 with both versions and a choice.
"""

import difflib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from store import guard, log
from store.models import Delivery, Event

from .. import code, fragments, ratelimit, registry, rehearsal, writes
from ..scenario import Scenario, lag

SLUG = "conflicts"
REPLICA = "fast"
TEMPLATE = "demos/conflicts.html"
SCRIPT = "showcase/tricks/conflicts.js"
RESTOCK, PURCHASE, EDIT = "stock.restocked", "stock.purchased", "note.edited"
PRODUCT = "hoodie"
STOCK = 3
ROUNDS_SHOWN = 10
MAX_BUYERS = 6
PANES = ("naive", "trick")
FIRST_NOTE = "Talk title: Shell Game"
EDITORS = ("Ada", "Grace")
BUYER_NAMES = ("Ada", "Grace", "Linus", "Barbara", "Ken", "Edsger")


# Reading the shop --------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    key: str
    buyer: str
    position: int
    state: str  # pending, confirmed, rejected
    reason: str = ""
    oversold: bool = False


@dataclass
class Shop:
    pane: str
    stock: int = 0
    sold: int = 0  # applied on the replica
    orders: list[Order] = field(default_factory=list)  # since the last restock, newest first
    earlier: list[Order] = field(default_factory=list)
    restocking: bool = False  # the log has a newer restock than the replica

    @property
    def left(self) -> int:
        return max(0, self.stock - self.sold)

    @property
    def oversold_by(self) -> int:
        return max(0, self.sold - self.stock)


def restock_in_log() -> Event | None:
    return Event.objects.filter(stream=SLUG, kind=RESTOCK).order_by("-id").first()


def sold_in_log(pane: str, since: Event) -> int:
    """Purchases the log holds since the restock: pending ones count, they are reservations."""
    return (
        Event.objects.filter(stream=SLUG, kind=PURCHASE, payload__shop=pane, id__gt=since.pk)
        .exclude(verdict="rejected")
        .count()
    )


def applied(kind: str):
    return Delivery.objects.filter(replica_id=REPLICA, state=Delivery.APPLIED, event__stream=SLUG, event__kind=kind)


def left_on_replica(pane: str) -> int:
    """What the naive shop believes: stock minus the purchases its replica has applied."""
    restock = applied(RESTOCK).select_related("event").order_by("-event_id").first()
    if restock is None:
        return 0
    sold = applied(PURCHASE).filter(event__payload__shop=pane, event_id__gt=restock.event_id).count()
    return restock.event.payload["stock"] - sold


def shop(pane: str) -> Shop:
    """The naive shop counts what its replica applied; the trick counts the log, where pending
    purchases are reservations. Orders of earlier sales stay listed (folded), so nothing
    on screen vanishes when the presenter restocks."""
    restocks = list(Event.objects.filter(stream=SLUG, kind=RESTOCK).order_by("-id")[:ROUNDS_SHOWN])
    if not restocks:
        return Shop(pane)
    current, since = restocks[0], restocks[-1].pk
    states = dict(
        Delivery.objects.filter(replica_id=REPLICA, event__stream=SLUG, event_id__gte=since).values_list(
            "event_id", "state"
        )
    )
    result = Shop(pane, stock=current.payload["stock"], restocking=states.get(current.pk) == Delivery.QUEUED)
    events = Event.objects.filter(Q(kind=RESTOCK) | Q(kind=PURCHASE, payload__shop=pane), stream=SLUG, id__gte=since)
    stock = applied_count = 0
    for event in events.order_by("id"):
        state = states.get(event.pk, Delivery.QUEUED)
        if event.kind == RESTOCK:
            stock, applied_count = event.payload["stock"], 0
            continue
        applied_count += state == Delivery.APPLIED
        order = order_of(event, state, oversold=state == Delivery.APPLIED and applied_count > stock)
        (result.orders if event.pk > current.pk else result.earlier).insert(0, order)
    result.sold = applied_count if pane == "naive" else sold_in_log(pane, current)
    return result


def order_of(event: Event, state: str, oversold: bool) -> Order:
    buyer = event.payload["buyer"]
    if oversold:
        return Order(event.key, buyer, event.pk, "rejected", "oversold: refunded, with an apology", True)
    states = {Delivery.QUEUED: "pending", Delivery.APPLIED: "confirmed", Delivery.REJECTED: "rejected"}
    return Order(event.key, buyer, event.pk, states[state], event.reason)


# Buying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Told:
    """What one buyer or editor was told, at once, in answer to the request."""

    pane: str
    who: str
    ok: bool
    message: str
    position: int = 0


def buy_naive(buyer: str, key: str, session_key: str = "") -> Told:
    """Check stock on the replica, then append: the check and the append are far apart."""
    if left_on_replica("naive") <= 0:
        return Told("naive", buyer, False, "sold out")
    event = log.append(SLUG, key, purchase("naive", buyer), kind=PURCHASE, session_key=session_key).event
    return Told("naive", buyer, True, "it’s yours!", event.pk)


def buy_trick(buyer: str, key: str, session_key: str = "") -> Told:
    """Decide against the log in the transaction that appends: sold never exceeds stock."""

    def decide() -> None:
        restock = restock_in_log()
        if restock is None or sold_in_log("trick", restock) >= restock.payload["stock"]:
            raise guard.Refused("sold out")

    command = purchase("trick", buyer)
    try:
        appended = guard.append_if(
            SLUG, key, command, subject=f"{SLUG}:stock", decide=decide, kind=PURCHASE, session_key=session_key
        )
    except guard.Refused as refused:
        return Told("trick", buyer, False, str(refused))
    return Told("trick", buyer, True, "it’s yours!", appended.event.pk)


def purchase(pane: str, buyer: str) -> dict:
    return {"text": f"{buyer} buys a {PRODUCT}", "shop": pane, "buyer": buyer}


def restock(key: str, stock: int = STOCK) -> Event:
    payload = {"text": f"Restocked: {stock} {PRODUCT}s", "stock": stock}
    return log.append(SLUG, key, payload, kind=RESTOCK).event


def at_once(calls: list) -> list:
    """Run every call in its own thread, released together: a real race, every time.

    Each thread has its own database connection, as concurrent requests would."""
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait()
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def buyers(text: str) -> list[str]:
    names = [" ".join(n.split())[:30] for n in text.split(",")]
    names = [n for n in names if n]
    if not names:
        raise log.CommandError("Who buys? One name, or several separated by commas.")
    if len(names) > MAX_BUYERS:
        raise log.CommandError(f"At most {MAX_BUYERS} buyers at once.")
    return names


def race_buyers(names: list[str], key: str, session_key: str = "") -> list[Told]:
    """Every buyer buys in both shops, all at the same instant."""
    calls = []
    for i, name in enumerate(names):
        calls.append(lambda n=name, i=i: buy_naive(n, f"{key}-n{i}", session_key))
        calls.append(lambda n=name, i=i: buy_trick(n, f"{key}-t{i}", session_key))
    return at_once(calls)


# Editing the note ------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    key: str
    editor: str
    text: str
    position: int
    base: int
    state: str
    lost_to: str = ""


@dataclass
class Note:
    pane: str
    text: str = ""
    version: int = 0  # position of the edit the replica shows
    edits: list[Edit] = field(default_factory=list)


@dataclass(frozen=True)
class Conflict:
    """A 409: the edit started from `base`, but `theirs` was saved since."""

    editor: str
    mine: str
    base: int
    theirs: Event
    merged: str
    resolve_key: str = field(default_factory=writes.new_key)


def latest_edit(pane: str) -> Event | None:
    return Event.objects.filter(stream=SLUG, kind=EDIT, payload__note=pane).exclude(verdict="rejected").first()


def note(pane: str, limit: int = 20) -> Note:
    """The note as the replica shows it, and its latest edits; an edit overwritten by one that
    started from an older version than itself is lost: its editor was never asked."""
    events = list(Event.objects.filter(stream=SLUG, kind=EDIT, payload__note=pane).order_by("id"))
    states = dict(Delivery.objects.filter(replica_id=REPLICA, event__in=events).values_list("event_id", "state"))
    shown = [e for e in events if states.get(e.pk) == Delivery.APPLIED]
    result = Note(pane, shown[-1].text if shown else "", shown[-1].pk if shown else 0)
    for event in events[-limit:]:
        later = [e for e in shown if e.pk > event.pk and e.payload.get("base", 0) < event.pk]
        lost_to = later[0].payload["editor"] if later and states.get(event.pk) == Delivery.APPLIED else ""
        state = {Delivery.APPLIED: "confirmed", Delivery.REJECTED: "rejected"}.get(states.get(event.pk), "pending")
        result.edits.append(
            Edit(event.key, event.payload["editor"], event.text, event.pk, event.payload.get("base", 0), state, lost_to)
        )
    result.edits.reverse()
    return result


def edit_naive(editor: str, text: str, base: int, key: str, session_key: str = "") -> Told:
    """Last writer wins: the base is recorded (so the loss can be shown later), never checked."""
    event = log.append(SLUG, key, edit_payload("naive", editor, text, base), kind=EDIT, session_key=session_key).event
    return Told("naive", editor, True, "saved", event.pk)


def edit_trick(editor: str, text: str, base: int, key: str, session_key: str = "") -> Told | Conflict:
    """Save only if nobody saved since `base`, the version this editor started from."""

    def decide() -> None:
        theirs = latest_edit("trick")
        if theirs is not None and theirs.pk != base:
            raise guard.Refused("edited meanwhile", theirs=theirs)

    command = edit_payload("trick", editor, text, base)
    try:
        appended = guard.append_if(
            SLUG, key, command, subject=f"{SLUG}:note", decide=decide, kind=EDIT, session_key=session_key
        )
    except guard.Refused as refused:
        theirs = refused.details["theirs"]
        return Conflict(editor, text, base, theirs, merge(base_text(base), text, theirs.text))
    return Told("trick", editor, True, "saved", appended.event.pk)


def edit_payload(pane: str, editor: str, text: str, base: int) -> dict:
    return {"text": text, "note": pane, "editor": editor, "base": base}


def base_text(base: int) -> str:
    event = Event.objects.filter(pk=base).first()
    return event.text if event else ""


def merge(base: str, mine: str, theirs: str) -> str:
    """A word-level three-way merge suggestion: both sides' changes when they touch different
    words, else theirs and mine side by side for the editor to settle."""
    words = base.split()
    changes = []
    for side in (mine.split(), theirs.split()):
        matcher = difflib.SequenceMatcher(a=words, b=side, autojunk=False)
        changes += [(i1, i2, side[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    changes.sort(key=lambda c: (c[0], c[1]))
    for (a1, a2, _), (b1, b2, _) in zip(changes, changes[1:], strict=False):
        if b1 < a2 or (a1 == b1 and a2 == b2) or (a1 == a2 == b1):
            return mine if mine == theirs else f"{theirs} / {mine}"
    merged, at = [], 0
    for i1, i2, new in changes:
        merged += words[at:i1] + new
        at = i2
    return " ".join(merged + words[at:])


def race_editors(texts: list[str], key: str, session_key: str = "") -> list[Told | Conflict]:
    """Two editors start from the same version of each note and save at the same instant."""
    bases = {pane: (latest_edit(pane).pk if latest_edit(pane) else 0) for pane in PANES}
    calls = []
    for i, (editor, text) in enumerate(zip(EDITORS, texts, strict=True)):
        calls.append(lambda e=editor, t=text, i=i: edit_naive(e, t, bases["naive"], f"{key}-n{i}", session_key))
        calls.append(lambda e=editor, t=text, i=i: edit_trick(e, t, bases["trick"], f"{key}-t{i}", session_key))
    return at_once(calls)


# Views -----------------------------------------------------------------------------------

BUY_FORM = {"button": "Buy", "label": "Buyers", "placeholder": "Your name, or several: Ada, Grace, Linus"}


def live_context() -> dict:
    """Both shops and both notes, stamped before they are read: a page keeps the newest of an
    answer and a push that cross on the way (static/showcase/tricks/conflicts.js)."""
    as_of = time.time_ns()
    return {"shops": {p: shop(p) for p in PANES}, "notes": {p: note(p) for p in PANES}, "as_of": as_of}


def versions() -> dict[str, int]:
    """The version of each note in the log: where a new edit starts from."""
    return {p: (e.pk if (e := latest_edit(p)) else 0) for p in PANES}


def edit_form(text: str | None = None, bases: dict | None = None) -> dict:
    if text is None:
        text = latest_edit("trick").text if latest_edit("trick") else FIRST_NOTE
    return {
        "note_text": text,
        "bases": bases or versions(),
        "edit_key": writes.new_key(),
        "editors": EDITORS,
        "race_texts": DEMO.scenario.texts[1:],
        "oob": True,
    }


@require_GET
def page(request):
    context = {
        "demo": DEMO,
        "timeline": fragments.timeline(SLUG),
        "stock": STOCK,
        **live_context(),
        **{**edit_form(), "oob": False},
        **writes.form_context(request, "conflicts-buy", **BUY_FORM),
    }
    return render(request, TEMPLATE, context)


def answer(request, parts: list[tuple[str, dict]], status: int) -> HttpResponse:
    """Several partials in one htmx answer: each names its own place (out of band)."""
    html = "".join(render_to_string(f"{TEMPLATE}#{name}", context, request) for name, context in parts)
    return HttpResponse(html, status=status)


def panes_oob() -> list[tuple[str, dict]]:
    live = live_context()
    return [
        (part, {"pane": p, "shop": live["shops"][p], "note": live["notes"][p], "as_of": live["as_of"], "oob": True})
        for p in PANES
        for part in ("shop", "note")
    ]


def told_parts(told: list[Told], kind: str) -> list[tuple[str, dict]]:
    by_pane = {p: [t for t in told if t.pane == p] for p in PANES}
    return [("told", {"told": by_pane[p], "pane": p, "kind": kind}) for p in PANES if by_pane[p]]


@require_POST
def buy(request):
    """Each name buys in both shops, all at once; the answer says what each buyer was told."""
    outcome, told = writes.Outcome(status=202), []
    if refused := ratelimit.check(request):
        outcome = writes.Outcome(error=refused, status=429)
    else:
        try:
            key = log.clean_key(request.POST.get("key", ""))
            told = race_buyers(buyers(request.POST.get("text", "")), key, request.session.session_key)
        except log.CommandError as error:
            outcome = writes.Outcome(error=str(error), status=400)
    form = writes.form_context(request, "conflicts-buy", outcome, **BUY_FORM)
    if told and not any(t.ok for t in told if t.pane == "trick"):
        outcome = writes.Outcome(status=409)  # the trick refused every buyer: sold out
    parts = [("buy-form", form), *panes_oob(), *told_parts(told, "buy")]
    return answer(request, parts, outcome.status)


@require_POST
def restock_view(request):
    if refused := ratelimit.check(request):
        return HttpResponse(refused, status=429, content_type="text/plain")
    event = restock(writes.new_key())
    response = answer(request, panes_oob(), 202)
    response["X-Event-Position"] = str(event.pk)
    return response


def edit_input(request) -> tuple[str, list[str], dict[str, int]]:
    """(key, texts, bases) of an edit, or CommandError/ValueError."""
    key = log.clean_key(request.POST.get("key", ""))
    texts = [log.clean_text(t) for t in request.POST.getlist("text")]
    if len(texts) not in (1, len(EDITORS)):
        raise log.CommandError(f"Send one text, or {len(EDITORS)} to race.")
    return key, texts, {p: int(request.POST.get(f"base_{p}", "0")) for p in PANES}


@require_POST
def edit(request):
    """One text: you save the note in both panes, blindly on the left, version-checked on the
    right. Two texts: two editors save at the same instant, from the same version."""
    if refused := ratelimit.check(request):
        return HttpResponse(refused, status=429, content_type="text/plain")
    try:
        key, texts, bases = edit_input(request)
    except (log.CommandError, ValueError) as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    session_key = request.session.session_key
    if len(texts) > 1:
        return edit_answer(request, race_editors(texts, key, session_key), edit_form())
    results = [
        edit_naive("You", texts[0], bases["naive"], f"{key}-n", session_key),
        edit_trick("You", texts[0], bases["trick"], f"{key}-t", session_key),
    ]
    # Your next edit starts from what you saved; after a 409, still from what you had.
    saved = {t.pane: t.position for t in results if isinstance(t, Told)}
    return edit_answer(request, results, edit_form(texts[0], {**bases, **saved}))


def edit_answer(request, results: list, form: dict) -> HttpResponse:
    conflicts = [r for r in results if isinstance(r, Conflict)]
    told = [r for r in results if isinstance(r, Told)]
    parts = [("edit-form", form), *panes_oob(), *told_parts(told, "edit"), ("conflicts", {"conflicts": conflicts})]
    return answer(request, parts, 409 if conflicts else 202)


@require_POST
def resolve(request):
    """The choice after a 409. Keep mine, or a merge: saved against the version now seen, so
    checked again. Keep theirs: nothing to save."""
    choice = request.POST.get("choice")
    if choice == "theirs":
        return answer(request, [("edit-form", edit_form()), ("conflicts", {})], 200)
    try:
        text = log.clean_text(request.POST.get("mine" if choice == "mine" else "merged", ""))
        base = int(request.POST.get("base", ""))
        key = log.clean_key(request.POST.get("key", ""))
    except (log.CommandError, ValueError) as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    editor = " ".join(request.POST.get("editor", "").split())[:30] or "You"
    result = edit_trick(editor, text, base, key, request.session.session_key)
    form = edit_form(text, {**versions(), "trick": result.position} if isinstance(result, Told) else None)
    return edit_answer(request, [result], form)


def pushed() -> str:
    """After the replica applied a purchase, a restock or an edit: both shops and both notes."""
    return "".join(render_to_string(f"{TEMPLATE}#{name}", context) for name, context in panes_oob())


SEED = (
    (RESTOCK, {"text": f"Restocked: {STOCK} {PRODUCT}s", "stock": STOCK}),
    (EDIT, edit_payload("naive", "Seed", FIRST_NOTE, 0)),
    (EDIT, edit_payload("trick", "Seed", FIRST_NOTE, 0)),
)

DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Conflicts: invariants and races",
        naive="checks a replica, last writer wins",
        trick="decides in the log, checks the version",
        order=90,
        replica=REPLICA,
        urls=(
            path("", page),
            path("buy/", buy, name="conflicts-buy"),
            path("restock/", restock_view, name="conflicts-restock"),
            path("edit/", edit, name="conflicts-edit"),
            path("resolve/", resolve, name="conflicts-resolve"),
        ),
        pushed=pushed,
        examples=SEED,
        scenario=Scenario(
            f"{MAX_BUYERS - 1} buyers for {STOCK} hoodies, then two editors, all at once, at lag 2 s",
            (", ".join(BUYER_NAMES[:5]), "Talk title: The Shell Game", "Talk title: Shell Game, live"),
            lag(2000),
            pause_ms=2500,
            guide=(
                "Press R: buyers race for the last hoodies at lag 2 s.",
                "Naive: stock is checked on a lagging replica and sells too many.",
                'Trick: the log decides in the append ("sold out" at once); two editors get a 409 and a merge choice.',
            ),
        ),
        snippets=lambda: [code.python(buy_trick), code.python(guard.append_if), code.python(edit_trick)],
        script=SCRIPT,
        rehearsal=rehearsal.conflicts,
        # A pane lists this sale's orders first (earlier sales folded), then the note's edits.
        markup=registry.Markup(item=".shop > .orders > [data-item-id]"),
    )
)
