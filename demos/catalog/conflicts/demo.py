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
from demos.forms import refusal
from demos.scenario import Scenario, lag
from store import guard

from . import rehearsal as checks
from .base import PANES, REPLICA, SLUG, Told
from .forms import BuyForm, EditForm, ResolveForm
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
from .oversell import (
    BUYER_NAMES,
    MAX_BUYERS,
    PRODUCT,
    RESTOCK,
    STOCK,
    buy_trick,
    race_buyers,
    restock,
    shop,
    sold_out_already,
)

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
    form = BuyForm(request.POST)
    if refused := ratelimit.check(request):
        outcome = writes.Outcome(error=refused, status=429)
    elif not form.is_valid():
        outcome = writes.Outcome(error=form.refusal(), status=400)
    else:
        names, key = form.cleaned_data["text"], form.cleaned_data["key"]
        told = race_buyers(names, key, request.session.session_key)
    context = writes.form_context(request, "conflicts-buy", outcome, **BUY_FORM)
    if told and not any(t.ok for t in told if t.pane == "trick"):
        outcome = writes.Outcome(status=409)  # the trick refused every buyer: sold out
    parts = [("buy-form", context), *panes_oob(), *told_parts(told, "buy")]
    return answer(request, parts, outcome.status)


@require_POST
def restock_view(request):
    if refused := ratelimit.check(request):
        return refusal(request, refused, 429, "restock")
    event = restock(writes.new_key())
    response = answer(request, [*panes_oob(), ("refusal-clear", {"place": "restock"})], 202)
    response["X-Event-Position"] = str(event.pk)
    return response


@require_POST
def edit(request):
    """One text: you save the note in both panes, blindly on the left, version-checked on the
    right. Two texts: two editors save at the same instant, from the same version."""
    if refused := ratelimit.check(request):
        return refusal(request, refused, 429, "edit")
    form = EditForm(request.POST)
    if not form.is_valid():
        return refusal(request, form.refusal(), 400, "edit")
    key, texts, bases = form.cleaned_data["key"], form.cleaned_data["texts"], form.cleaned_data["bases"]
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
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return refusal(request, form.refusal(), 400, "resolve")
    data = form.cleaned_data
    if data["choice"] == "theirs":
        return answer(request, [("edit-form", edit_form()), ("conflicts", {})], 200)
    result = edit_trick(data["editor"], data["text"], data["base"], data["key"], request.session.session_key)
    bases = {**versions(), "trick": result.position} if isinstance(result, Told) else None
    return edit_answer(request, [result], edit_form(data["text"], bases))


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
        snippets=lambda: [
            code.python(buy_trick),
            code.python(sold_out_already),
            code.python(guard.append_if),
            code.python(edit_trick),
        ],
        script=SCRIPT,
        rehearsal=checks.conflicts,
        # A pane lists this sale's orders first (earlier sales folded), then the note's edits.
        markup=registry.Markup(item=".shop > .orders > [data-item-id]"),
    )
)
