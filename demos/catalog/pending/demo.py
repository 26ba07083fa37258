"""Explicit pending state: say "received", show the steps, finish by push (or a poll)."""

from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, fragments, reads, registry, writes
from demos.scenario import Scenario, lag
from demos.writes import form_context
from store.log import session_ref
from store.models import Delivery, Event

from . import rehearsal as checks

SLUG = "pending"
REPLICA = "fast"
SCRIPT = "showcase/tricks/pending.js"
TEMPLATE = "demos/pending.html"
FORM = {"button": "Place order", "placeholder": "What do you order? e.g. 2 tickets", "label": "Your order"}
WAITING = "Order being processed…"


def order_of(event: Event) -> reads.Item:
    delivery = Delivery.objects.get(event=event, replica_id=REPLICA)
    state = {Delivery.QUEUED: "pending", Delivery.APPLIED: "confirmed", Delivery.REJECTED: "rejected"}
    return reads.Item(event.key, event.text, event.pk, state[delivery.state], event.reason, own=True)


def my_orders(session_key: str) -> list[reads.Item]:
    events = Event.objects.filter(stream=SLUG, session_key=session_ref(session_key)).order_by("-id")[:10]
    return [order_of(e) for e in events] if session_key else []


@require_GET
def page(request):
    orders = my_orders(request.session.session_key or "")
    waiting = any(o.state == "pending" for o in orders)
    form = form_context(request, "pending-write", **FORM, waiting=WAITING if waiting else "")
    context = {
        "demo": DEMO,
        "timeline": fragments.timeline(SLUG),
        "orders": orders,
        **form,
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    """202 and an explicit pending state; the form stays disabled until the order is final."""
    outcome = writes.accept(request, SLUG, kind="order.placed")
    if outcome.error:
        form = form_context(request, "pending-write", outcome, **FORM)
        return writes.response(render_to_string(f"{TEMPLATE}#order-form", form, request), outcome)
    event = outcome.event
    form = form_context(request, "pending-write", **FORM, waiting=WAITING)
    form["key"] = event.key  # a second click re-sends the same key: still one order
    html = render_to_string(f"{TEMPLATE}#order-form", form, request)
    html += render_to_string(f"{TEMPLATE}#naive-done", {"event": event})
    html += render_to_string(f"{TEMPLATE}#order-new", {"order": order_of(event)}, request)
    return writes.response(html, outcome)


@require_GET
def order(request, key: str):
    """The polling fallback: the order card, plus a fresh form once the order is final."""
    event = Event.objects.filter(key=key, stream=SLUG).first()
    mine = (
        request.session.session_key
        and event is not None
        and event.session_key == session_ref(request.session.session_key)
    )
    if not mine:
        raise Http404("No such order in this session.")
    return render(request, "demos/pending_update.html", update_context(request, event, oob=False))


def update_context(request, event: Event, oob) -> dict:
    card = order_of(event)
    context = {"order": card, "oob": oob, "final": card.state != "pending"}
    if context["final"]:
        context.update(form_context(request, "pending-write", **FORM), form_oob=True)
    return context


def pushed_to_session(event: Event, replica: str) -> str:
    """For the writer's own sockets: the final card and a form that takes the next order."""
    if replica != REPLICA:
        return ""
    return render_to_string("demos/pending_update.html", update_context(None, event, oob="true"))


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Explicit pending state",
        naive="“Done!” while nothing is done",
        trick="received → processing → completed",
        order=50,
        replica=REPLICA,
        urls=(
            path("", page),
            path("write/", write, name="pending-write"),
            path("order/<slug:key>/", order, name="pending-order"),
        ),
        pushed_to_session=pushed_to_session,
        examples=("Order #1: 2 tickets", "Order #2: 1 T-shirt", "Order #3: 3 stickers"),
        scenario=Scenario(
            "Place two orders at lag 4 s, one in four refused",
            ("Order: 2 tickets", "Order: 1 hoodie"),
            lag(4000, failure_rate=0.25),
            pause_ms=1200,
            guide=(
                "Press R: lag 4 s, one order in four refused.",
                'Naive: "Done!" at once while nothing is done; a double click orders twice.',
                "Trick: an explicit pending state with steps; the final state arrives by push.",
            ),
        ),
        snippets=lambda: [code.python(write), code.python(order), code.javascript(SCRIPT, "pending")],
        script=SCRIPT,
        rehearsal=checks.pending,
    )
)
