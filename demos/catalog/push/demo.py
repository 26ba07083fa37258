"""Server push: the replica applies, the worker publishes once, every open page swaps it in."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, fragments, reads, registry, writes
from demos.scenario import Scenario, lag
from demos.writes import form_context

from . import rehearsal as checks

SLUG = "push"
REPLICA = "fast"
SCRIPT = "showcase/tricks/push.js"
TEMPLATE = "demos/push.html"


def items() -> list[reads.Item]:
    return reads.replica_items(REPLICA, SLUG)


@require_GET
def page(request):
    context = {
        "demo": DEMO,
        "timeline": fragments.timeline(SLUG),
        "naive_items": items(),
        "trick_items": items(),
        **form_context(request, "push-write"),
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    outcome = writes.accept(request, SLUG)
    return writes.answer(request, "push-write", outcome)


@require_GET
def naive(request):
    """What the naive pane gets when it reloads or polls: a whole list, every time."""
    return render(request, f"{TEMPLATE}#naive-list", {"naive_items": items()})


def pushed() -> str:
    """Rendered once per write REPLICA applied and published to the stream's group; also the
    snapshot a reconnecting socket gets first, so a page that was offline catches up."""
    return render_to_string(f"{TEMPLATE}#trick-list", {"trick_items": items(), "oob": True})


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Server push",
        naive="stale until reload, or polls",
        trick="WebSocket push the moment a replica applies",
        order=60,
        replica=REPLICA,
        urls=(
            path("", page),
            path("write/", write, name="push-write"),
            path("naive/", naive, name="push-naive"),
        ),
        pushed=pushed,
        live_list="push-live",
        examples=("Doors open at 9", "Coffee is in room B", "Next talk starts at 11"),
        scenario=Scenario(
            "Announce three things at lag 2 s",
            ("Lunch is served", "Slides are online", "Last talk in 10 minutes"),
            lag(2000),
            guide=(
                "Press R: three announcements at lag 2 s.",
                "Naive: shows the data as of page load until you reload (count the requests).",
                "Trick: each announcement arrives by WebSocket the moment a replica applies it.",
            ),
        ),
        # The consumer lives in the push layer, above the demos: shown from its source text.
        snippets=lambda: [code.python(pushed), code.python_in("push/consumers.py", "LiveConsumer")],
        script=SCRIPT,
        rehearsal=checks.push,
    )
)
