"""Optimistic UI: show the write at once as pending; confirm or roll back when the replica speaks."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from store.models import Delivery

from . import code, fragments, reads, writes
from .catalog import BY_SLUG
from .forms import form_context

DEMO = BY_SLUG["optimistic"]
REPLICA = "fast"
TEMPLATE = "demos/optimistic.html"


def lists() -> dict:
    items = reads.replica_items(REPLICA, DEMO.slug)
    return {"naive_items": [i for i in items if i.state == "confirmed"], "trick_items": items}


@require_GET
def page(request):
    context = {
        "demo": DEMO,
        "timeline": fragments.timeline(DEMO.slug),
        **lists(),
        **form_context(request, "optimistic-write"),
        "code": [code.javascript("optimistic"), code.python(pushed)],
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    outcome = writes.accept(request, DEMO.slug)
    form = form_context(request, "optimistic-write", outcome)
    html = render_to_string("demos/_write_form.html", form, request)
    if outcome.event:
        # The naive side starts its spinner and polls until the worker has applied the write.
        naive = {**lists(), "waiting_key": outcome.event.key, "oob": True}
        html += render_to_string(f"{TEMPLATE}#naive-body", naive, request)
    return writes.response(html, outcome)


@require_GET
def naive(request):
    """The naive pane's poll: still saving, or the list once the write is applied."""
    key = request.GET.get("key", "")
    delivery = Delivery.objects.filter(event__key=key, replica_id=REPLICA).select_related("event").first()
    context = lists()
    if delivery and delivery.state == Delivery.QUEUED:
        context["waiting_key"] = key
    elif delivery and delivery.state == Delivery.REJECTED:
        context["failed"] = delivery.event.reason
    return render(request, f"{TEMPLATE}#naive-body", context)


def pushed() -> str:
    """After REPLICA applied or rejected a write: the trick pane's list, for every viewer.

    The page's script drops its pending copy of an item once the pushed list carries it.
    """
    return render_to_string(f"{TEMPLATE}#trick-list", {**lists(), "oob": True})
