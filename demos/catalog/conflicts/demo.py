"""Conflicts: invariants and races, head on. Two halves on one page, one module each:
oversell (oversell.py) and lost update (lost_update.py); here, the page, its views and its
declaration."""

import time

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, fragments, ratelimit, registry, writes
from demos.scenario import Scenario, lag
from store import guard, log

from . import rehearsal as checks
from .base import PANES, REPLICA, SLUG, Told
from .lost_update import (
    EDIT,
    EDITORS,
    FIRST_NOTE,
    Conflict,
    edit_naive,
    edit_payload,
    edit_trick,
    latest_edit,
    note,
    race_editors,
)
from .oversell import BUYER_NAMES, MAX_BUYERS, PRODUCT, RESTOCK, STOCK, buy_trick, buyers, race_buyers, restock, shop

TEMPLATE = "demos/conflicts.html"
SCRIPT = "showcase/tricks/conflicts.js"


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
        ),
        snippets=lambda: [code.python(buy_trick), code.python(guard.append_if), code.python(edit_trick)],
        script=SCRIPT,
        rehearsal=checks.conflicts,
        # A pane lists this sale's orders first (earlier sales folded), then the note's edits.
        markup=registry.Markup(item=".shop > .orders > [data-item-id]"),
    )
)
