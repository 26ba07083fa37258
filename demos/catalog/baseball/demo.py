"""Terry's baseball game: one game through the log, six readers, one per guarantee."""

import uuid

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, history, news, ratelimit, registry
from demos.fragments import timeline
from demos.scenario import Scenario, lag
from store import log

from . import history as histories
from . import rehearsal as checks
from . import scoreboard, sharing
from .forms import RunForm

SLUG = scoreboard.STREAM
SCRIPT = "showcase/tricks/baseball.js"
TEMPLATE = "demos/baseball.html"
PAUSE_MS = 400  # between two writes of a game: a run every few hundred ms


def _number(request, name: str) -> int:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else 0


@require_GET
def page(request):
    game = scoreboard.latest_game()
    # A settled game reads the same through every guarantee, for every session: the page shows
    # those reads, and a room arriving on it (a thousand phones following the projector, the page
    # rendered once a second for them: conference/page_cache.py) asks its six readers nothing.
    shown = {g: scoreboard.read(g, game) for g in scoreboard.GUARANTEES} if game and scoreboard.settled(game) else {}
    readers = [
        {"slug": g, "title": t, "who": who, "reading": shown.get(g)} for g, (t, who) in scoreboard.GUARANTEES.items()
    ]
    context = {
        "demo": DEMO,
        "timeline": timeline(SLUG),
        "game": game,
        "latest": game,
        "turn": 1,  # a shown read is the page's first, as its reader's first read would be
        "readers": readers,
        "bound_ms": scoreboard.BOUND_MS,
        "pause_ms": PAUSE_MS,
        "sequence": [f"{team} {runs}" for team, runs in scoreboard.GAME],
        "prefix": [scoreboard.fmt(s) for s in scoreboard.prefix_scores(len(scoreboard.GAME))],
        "news": news.marker(SLUG),
    }
    return render(request, TEMPLATE, context)


@require_POST
def play(request):
    """Start a new game; the page then writes its seven runs one by one (`write`)."""
    if refused := ratelimit.check(request):
        return JsonResponse({"error": refused}, status=429)
    return JsonResponse({"game": uuid.uuid4().hex[:12], "pause_ms": PAUSE_MS, "writes": len(scoreboard.GAME)})


@require_POST
def write(request):
    """The `index`-th write of `game`, in the game's order; the same write twice is one event."""
    invoke = history.now()
    form = RunForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": form.refusal()}, status=400)
    game, index = form.cleaned_data["game"], form.cleaned_data["index"]
    written = log.Event.objects.filter(stream=SLUG, key__startswith=scoreboard.key(game, "")).count()
    exists = log.Event.objects.filter(key=scoreboard.key(game, index)).exists()
    if not exists and written != index:
        return JsonResponse({"error": f"Out of turn: write {written} comes next."}, status=409)
    if not request.session.session_key:
        request.session.save()
    team, runs = scoreboard.GAME[index]
    payload = {"game": game, "index": index, "team": team, "runs": runs, "text": f"{team} {runs}"}
    appended = log.append(
        SLUG,
        scoreboard.key(game, index),
        payload,
        kind="run.scored",
        session_key=request.session.session_key,
        refusable=False,  # a run scored is a fact, not a request
    )
    over = index == len(scoreboard.GAME) - 1
    position = appended.event.pk
    who = history.who(request.session.session_key)
    history.record(SLUG, history.write("game", who, invoke, str(position), payload["text"], position, game=game))
    return JsonResponse({"position": appended.event.pk, "index": index, "over": over}, status=202)


@require_GET
def read(request, guarantee: str):
    """One read by one pane's reader; the page re-reads every few hundred ms until the game is
    settled on every replica, and again when a push says a run was applied."""
    if guarantee not in scoreboard.READERS:
        raise Http404("No such guarantee.")
    game = request.GET.get("game", "") or scoreboard.latest_game()
    session = {
        "seen": _number(request, "seen"),
        "turn": _number(request, "turn"),
        "session_key": request.session.session_key or "",
    }
    invoke = history.now()
    reading = scoreboard.read(guarantee, game, **session)
    seen = [str(position) for position in reading.reflected]
    page = request.GET.get("page", "")[:16]
    history.record(
        SLUG, history.read(guarantee, history.who(session["session_key"]), invoke, seen, game=game, page=page)
    )
    context = {"reading": reading, "game": game, "latest": scoreboard.latest_game(), "turn": session["turn"] + 1}
    if request.GET.get("share") == "1":
        sharing.share(request, guarantee, context, f"{TEMPLATE}#shared-reading")
    return render(request, f"{TEMPLATE}#reading", context)


def pushed() -> str:
    """Pushed when the as-it-arrives replica applies a run: pages that stopped reading read again."""
    return news.marker(SLUG, oob=True)


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Terry’s baseball game",
        naive="six readers, one game",
        trick="each guarantee’s allowed scores",
        order=100,
        replica=scoreboard.EVENTUAL,
        pushed=pushed,
        urls=(
            path("", page),
            path("play/", play, name="baseball-play"),
            path("write/", write, name="baseball-write"),
            path("read/<slug:guarantee>/", read, name="baseball-read"),
        ),
        # Every other run takes the long route, 1.5 to 3 s longer: the run after it, of the other
        # team as often as not, lands first for at least 0.85 s (less the pause and the jitter),
        # longer than the eventual reader takes between two reads.
        scenario=Scenario(
            "Reordering; then press Play",
            (),
            lag(3000, jitter_ms=200, reorder=True),
            guide=(
                "Press R (or Scenario): lag 3 s, and every other run takes the long route.",
                "Press Play: the game's seven scores are written, one at a time.",
                "Watch the eventual reader: it shows scores that never existed; the others never do.",
            ),
        ),
        snippets=lambda: [
            code.python(scoreboard.consistent_prefix),
            code.python(scoreboard.monotonic_reads),
            code.python(scoreboard.bounded_staleness),
            code.javascript(SCRIPT, "baseball"),
        ],
        script=SCRIPT,
        rehearsal=checks.baseball,
        panes=tuple(scoreboard.GUARANTEES),
        seeded=False,  # the page shows the game Play writes, and nothing else
        # Play writes the whole game; each reader lists the scores it read, newest first.
        markup=registry.Markup(write="[data-play]", pane="data-guarantee", item="[data-history] > li", lead="strong"),
        checked=histories.CHECKED,
    )
)
