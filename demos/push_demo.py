"""Server push: the replica applies, the worker publishes once, every open page swaps it in."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from push import consumers

from . import code, fragments, reads, writes
from .catalog import BY_SLUG
from .forms import form_context

DEMO = BY_SLUG["push"]
REPLICA = "fast"
TEMPLATE = "demos/push.html"


def items() -> list[reads.Item]:
    return reads.replica_items(REPLICA, DEMO.slug)


@require_GET
def page(request):
    context = {
        "demo": DEMO,
        "timeline": fragments.timeline(DEMO.slug),
        "naive_items": items(),
        "trick_items": items(),
        **form_context(request, "push-write"),
        "code": [code.python(pushed), code.python(consumers.LiveConsumer)],
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    outcome = writes.accept(request, DEMO.slug)
    html = render_to_string("demos/_write_form.html", form_context(request, "push-write", outcome), request)
    return writes.response(html, outcome)


@require_GET
def naive(request):
    """What the naive pane gets when it reloads or polls: a whole list, every time."""
    return render(request, f"{TEMPLATE}#naive-list", {"naive_items": items()})


def pushed() -> str:
    """Rendered once per write REPLICA applied and published to the stream's group; also the
    snapshot a reconnecting socket gets first, so a page that was offline catches up."""
    return render_to_string(f"{TEMPLATE}#trick-list", {"trick_items": items(), "oob": True})
