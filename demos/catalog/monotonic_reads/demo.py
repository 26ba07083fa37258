"""Monotonic reads: once you have seen something, a later read never shows you less."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, guarantees, history, news, registry, session_checks, writes
from demos.fragments import timeline
from demos.scenario import Scenario, lag

from . import history as histories
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
        "news": news.marker(SLUG),
        **writes.form_context(request, "monotonic-write"),
    }
    return render(request, TEMPLATE, context)


@require_POST
def write(request):
    outcome = session_checks.accept(request, SLUG)
    return writes.answer(request, "monotonic-write", outcome)


@require_GET
def naive(request):
    """The `turn`-th read of the page: the next replica in turn, however stale."""
    turn, invoke = _number(request, "turn"), history.now()
    read = guarantees.round_robin(SLUG, turn)
    served(request, "naive", invoke, read)
    return render(request, f"{TEMPLATE}#read", {"read": read, "turn": turn + 1, "pane": "naive"})


@require_GET
def trick(request):
    """The page sends `seen`, the highest position it has read (its session's memory), and
    keeps the answer's watermark as the next `seen`."""
    turn, seen, invoke = _number(request, "turn"), _number(request, "seen"), history.now()
    read = guarantees.monotonic(SLUG, seen, turn)
    served(request, "trick", invoke, read)
    return render(request, f"{TEMPLATE}#read", {"read": read, "turn": turn + 1, "pane": "trick", "seen": seen})


def served(request, pane: str, invoke: float, read: guarantees.Turn) -> None:
    """The read in the history the checker judges: monotonic reads are per page (the trick's
    memory travels with the page's reads), so it names the page as well as the session."""
    who, page = history.who(request.session.session_key), request.GET.get("page", "")[:16]
    history.record(SLUG, session_checks.listed(pane, who, invoke, read.items, page=page))


def pushed() -> str:
    """Pushed when the fast replica applies a comment: panes that stopped reading read again."""
    return news.marker(SLUG, oob=True)


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Monotonic reads",
        naive="each read asks the next replica: items appear and vanish",
        trick="never read from a replica staler than what you have seen",
        order=70,
        replica="fast",
        pushed=pushed,
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
        checked=histories.CHECKED,
    )
)
