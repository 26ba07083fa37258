"""Behind the curtain: the event log and every replica, the truth the demos hide.

Not a demo with two panes, but it has a stream of its own, examples and a scenario."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import fragments, registry
from .scenario import Scenario, lag
from .writes import new_key

STREAM = "curtain"
EXAMPLES = ("Hello from the log", "Every write lands here first", "Replicas catch up later")
SCENARIO = Scenario(
    "Three writes at lag 3 s: watch them travel",
    ("Hello, back row!", "Is this thing on?", "Eventually, everything arrives"),
    lag(3000),
)


@require_GET
def page(request):
    if not request.session.session_key:
        request.session.save()  # the session the page's writes count against
    context = {**fragments.curtain_context(), **form_context()}
    return render(request, "demos/curtain.html", context)


def form_context(**extra) -> dict:
    return {
        "action": f"/write/{STREAM}/",
        "htmx": True,
        "key": new_key(),
        "stream": STREAM,
        "note": "The replicas apply it after their lag.",
        **extra,
    }


def examples() -> dict[str, list[str]]:
    """Seed examples of every stream: the curtain's own and each demo's."""
    return {STREAM: list(EXAMPLES), **{d.stream: list(d.examples) for d in registry.demos() if d.examples}}


def scenarios() -> dict[str, Scenario]:
    """Scripted scenarios by page: the curtain's and each demo's."""
    return {STREAM: SCENARIO, **{d.slug: d.scenario for d in registry.demos() if d.scenario}}
