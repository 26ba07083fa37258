"""Monotonic writes: a session's writes take effect in the order it made them."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, history, registry, session_checks, writes
from demos.fragments import timeline
from demos.scenario import Scenario, lag
from store.log import session_ref

from . import history as histories
from . import listing
from . import rehearsal as checks
from .listing import REPLICA, SLUG

SCRIPT = "showcase/tricks/monotonic_writes.js"
TEMPLATE = "demos/monotonic_writes.html"
KIND = "listing.changed"
FORM = {"button": "Send", "placeholder": "price 40 · publish · a note", "label": "Your change to the listing"}


def listings(session: str) -> dict:
    """Both panes' listings, and the writes each had applied (not those held back), in the history
    the checker judges."""
    invoke = history.now()
    shown = {"naive": listing.as_arrived(), "trick": listing.in_session_order()}
    applied = {pane: [w.item for w in each.writes if not w.held] for pane, each in shown.items()}
    history.record(
        SLUG, *(session_checks.listed(pane, session, invoke, applied[pane], each.floor) for pane, each in shown.items())
    )
    return shown


@require_GET
def page(request):
    context = {
        "demo": DEMO,
        "timeline": timeline(SLUG),
        "replica": REPLICA,
        **listings(history.who(request.session.session_key)),
        **writes.form_context(request, "monotonic-writes-write", **FORM),
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    """Every write carries the position of its session's write before it: what a replica needs
    to apply a session's writes in the order they were made."""
    session = session_ref(request.session.session_key)
    outcome = session_checks.accept(
        request, SLUG, kind=KIND, extra=lambda key: {"after": listing.after_of(session, key)}
    )
    return writes.answer(request, "monotonic-writes-write", outcome, **FORM)


def pushed() -> str:
    """After the replica applied a write: both listings, for every viewer."""
    return render_to_string(f"{TEMPLATE}#listings", {**listings("push"), "oob": True})


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Monotonic writes",
        naive="applies each write as it arrives: “publish” can land before “price 40”",
        trick="applies a session's writes in the order it made them; a gap is waited for",
        order=75,
        replica=REPLICA,
        urls=(path("", page), path("write/", write, name="monotonic-writes-write")),
        pushed=pushed,
        patched=True,
        examples=((KIND, {"text": "price 50", "after": 0}), (KIND, {"text": "Hoodie, size M", "after": 0})),
        scenario=Scenario(
            "Lower the price, publish, lower it again, with reordering",
            ("price 40", "publish", "price 35"),
            # With reorder, every other write takes a longer route (store/models.py): of three
            # writes 150 ms apart, one always overtakes the write before it.
            lag(2000, jitter_ms=200, reorder=True),
            pause_ms=150,
            guide=(
                "Press R: “price 40”, “publish”, “price 35”, at lag 2 s with reordering.",
                "Naive: whichever arrives first is applied first, so the listing can go live at 50 €.",
                "Trick: “publish” waits for “price 40”, the write it follows, and says so.",
            ),
        ),
        snippets=lambda: [code.python(write), code.python(listing.in_session_order)],
        script=SCRIPT,
        rehearsal=checks.monotonic_writes,
        checked=histories.CHECKED,
    )
)
