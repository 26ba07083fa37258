"""Consistent prefix: a thread where an answer never shows before its question."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, guarantees, history, registry, session_checks, writes
from demos.fragments import timeline
from demos.scenario import Scenario, lag

from . import history as histories
from . import rehearsal as checks

SLUG = "consistent-prefix"
# Applies each post the moment it arrives: with reorder on, a later post can overtake.
REPLICA = "arrival"
SCRIPT = "showcase/tricks/consistent_prefix.js"
TEMPLATE = "demos/consistent_prefix.html"
FORM = {"button": "Post", "placeholder": "Ask or answer…", "label": "Your post"}


def threads(session: str) -> dict:
    """Both panes' threads, and what each showed, in its order, in the history the checker judges."""
    invoke = history.now()
    shown = {"naive": guarantees.as_arrived(REPLICA, SLUG), "trick": guarantees.in_log_order(REPLICA, SLUG)}
    posts = {pane: [post.item for post in thread.posts] for pane, thread in shown.items()}
    history.record(
        SLUG, *(session_checks.listed(pane, session, invoke, posts[pane], t.floor) for pane, t in shown.items())
    )
    return shown


@require_GET
def page(request):
    context = {
        "demo": DEMO,
        "timeline": timeline(SLUG),
        "replica": REPLICA,
        **threads(history.who(request.session.session_key)),
        **writes.form_context(request, "prefix-write", **FORM),
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    outcome = session_checks.accept(request, SLUG, kind="post.added")
    return writes.answer(request, "prefix-write", outcome, **FORM)


def pushed() -> str:
    """After the replica applied a post: both threads, for every viewer."""
    return render_to_string(f"{TEMPLATE}#threads", {**threads("push"), "oob": True})


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Consistent prefix",
        naive="shows posts as they arrive: the answer before the question",
        trick="releases posts in log order; a gap is waited for",
        order=80,
        replica=REPLICA,
        urls=(path("", page), path("write/", write, name="prefix-write")),
        pushed=pushed,
        patched=True,
        examples=("Q: When does the workshop start?", "A: At two, in the main hall"),
        # With reorder, every other write takes a route half to one more delay longer: posts
        # sent within 1 s minus the jitter of each other, three in a row, always show one overtaking.
        scenario=Scenario(
            "Question then answer, with reordering",
            ("Q: Where is the coffee?", "A: Room B, next to the stage", "Q: Thanks! Any milk?"),
            lag(2000, jitter_ms=200, reorder=True),
            pause_ms=150,
            guide=(
                "Press R: lag 2 s, and every other post takes the long route.",
                "Naive: replies applied as they arrive, so an answer can show before its question.",
                "Trick: applied in log order; a gap waits for what comes before it.",
            ),
        ),
        snippets=lambda: [code.python(guarantees.in_log_order), code.python(pushed)],
        script=SCRIPT,
        rehearsal=checks.consistent_prefix,
        checked=histories.CHECKED,
    )
)
