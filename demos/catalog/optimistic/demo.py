"""Optimistic UI: show the write at once as pending; confirm or roll back when the replica speaks."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, fragments, reads, registry, writes
from demos.scenario import Scenario, lag
from store.models import Delivery

from . import rehearsal as checks

SLUG = "optimistic"
REPLICA = "fast"
TEMPLATE = "demos/optimistic.html"
SCRIPT = "showcase/tricks/optimistic.js"


def lists() -> dict:
    items = reads.replica_items(REPLICA, SLUG)
    return {"naive_items": [i for i in items if i.state == "confirmed"], "trick_items": items}


@require_GET
def page(request):
    context = {
        "demo": DEMO,
        "timeline": fragments.timeline(SLUG),
        **lists(),
        **writes.form_context(request, "optimistic-write"),
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    outcome = writes.accept(request, SLUG)
    html = writes.form_html(request, "optimistic-write", outcome)
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


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Optimistic UI",
        naive="spinner for as long as the lag",
        trick="shows it at once, pending; confirmed by push",
        order=30,
        replica=REPLICA,
        urls=(
            path("", page),
            path("write/", write, name="optimistic-write"),
            path("naive/", naive, name="optimistic-naive"),
        ),
        pushed=pushed,
        live_list="opt-list",
        examples=("Buy oat milk", "Book the venue", "Print the slides"),
        scenario=Scenario(
            "Add three to-dos at lag 3 s, one in five refused",
            ("Buy more coffee", "Rehearse the demo", "Charge the clicker"),
            lag(3000, failure_rate=0.2),
            guide=(
                "Press R: lag 3 s, one write in five refused.",
                "Naive: the spinner lasts as long as the lag.",
                "Trick: the to-do shows at once, pending; confirmed by push, or rolled back with its reason.",
            ),
        ),
        snippets=lambda: [code.javascript(SCRIPT, "optimistic"), code.python(pushed)],
        script=SCRIPT,
        rehearsal=checks.optimistic,
    )
)
