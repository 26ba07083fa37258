"""Monotonic reads: once you have seen something, a later read never shows you less."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, guarantees, registry, writes
from demos.fragments import timeline
from demos.scenario import Scenario, lag

from . import rehearsal as checks

SLUG = "monotonic-reads"
SCRIPT = "showcase/tricks/monotonic_reads.js"
TEMPLATE = "demos/monotonic_reads.html"


def _number(request, name: str) -> int:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else 0


@require_GET
def page(request):
    context = {
        "demo": DEMO,
        "timeline": timeline(SLUG),
        "rotation": guarantees.rotation(),
        **writes.form_context(request, "monotonic-write"),
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    outcome = writes.accept(request, SLUG)
    html = render_to_string("demos/_write_form.html", writes.form_context(request, "monotonic-write", outcome), request)
    return writes.response(html, outcome)


@require_GET
def naive(request):
    """The `turn`-th read of the page: the next replica in turn, however stale."""
    turn = _number(request, "turn")
    read = guarantees.round_robin(SLUG, turn)
    return render(request, f"{TEMPLATE}#read", {"read": read, "turn": turn + 1, "pane": "naive"})


@require_GET
def trick(request):
    """The page sends `seen`, the highest position it has read (its session's memory), and
    keeps the answer's watermark as the next `seen`."""
    turn, seen = _number(request, "turn"), _number(request, "seen")
    read = guarantees.monotonic(SLUG, seen, turn)
    return render(request, f"{TEMPLATE}#read", {"read": read, "turn": turn + 1, "pane": "trick", "seen": seen})


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Monotonic reads",
        naive="each read asks the next replica: items appear and vanish",
        trick="never read from a replica staler than what you have seen",
        order=70,
        urls=(
            path("", page),
            path("write/", write, name="monotonic-write"),
            path("naive/", naive, name="monotonic-naive"),
            path("trick/", trick, name="monotonic-trick"),
        ),
        examples=("Welcome to the workshop", "Wi-Fi password is on the badge"),
        # The naive reads go fast, medium, slow, a second apart: the slow replica must lag the fast
        # one by five reads and more for some read to follow a fresher one and show less, however
        # the reads fall against the writes (8 s: even at 1.6 s a read, on a busy laptop).
        scenario=Scenario(
            "Three comments with the slow replica 8 s behind",
            ("First comment", "Second comment", "Third comment"),
            {**lag(500, 8000), "replica_medium": 1500},
            guide=(
                "Press R: the slow replica falls 8 s behind.",
                "Naive: each refresh reads another replica, so comments appear and vanish.",
                "Trick: the session remembers what it saw and never reads an older replica.",
            ),
        ),
        snippets=lambda: [code.python(guarantees.monotonic), code.javascript(SCRIPT, "monotonic-reads")],
        script=SCRIPT,
        rehearsal=checks.monotonic_reads,
    )
)
