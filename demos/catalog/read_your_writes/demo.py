"""Read your writes: a session token (position of the session's last write) that reads honour."""

from asgiref.sync import sync_to_async
from django.db.models import Max
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from demos import code, fragments, history, reads, registry, session_checks
from demos.scenario import Scenario, lag
from demos.writes import form_context
from showcase.redis_client import redis_client
from store.log import session_ref
from store.models import Event

from . import history as histories
from . import rehearsal as checks

SLUG = "read-your-writes"
REPLICA = "slow"
SCRIPT = "showcase/tricks/read_your_writes.js"
TEMPLATE = "demos/read_your_writes.html"
FORM = {"button": "Comment", "placeholder": "Leave a comment…", "label": "Your comment", "htmx": False}


@require_GET
async def page(request):
    """Async, so the bounded wait for the replica blocks no other request."""
    invoke = history.now()
    strategy = request.GET.get("strategy") or await request.session.aget("ryw_strategy", "merge")
    if strategy not in reads.STRATEGIES:
        strategy = "merge"
    await request.session.aset("ryw_strategy", strategy)
    token = await request.session.aget("ryw_token", 0)
    waited_ms = 0
    if strategy == "wait" and token:
        waited_ms = await reads.wait_for_token(REPLICA, token)
    return await sync_to_async(render_page)(request, strategy, token, waited_ms, invoke)


def strategy_key(ref: str) -> str:
    return f"ryw:strategy:{ref}"


def render_page(request, strategy: str, token: int, waited_ms: int, invoke: float):
    session_key = request.session.session_key or ""
    if session_key:
        # For pushes to this session's pages, which know the session only by its hash.
        redis_client().set(strategy_key(session_ref(session_key)), strategy, ex=24 * 3600)
    read = reads.read_your_writes(strategy, REPLICA, SLUG, session_key, token)
    naive_items = reads.replica_items(REPLICA, SLUG, session_key=session_key)
    who = history.who(session_key)
    # What each pane showed this session, for the history checker (demos/session_checks.py).
    history.record(
        SLUG, session_checks.listed("naive", who, invoke, naive_items), trick_read("trick", who, invoke, read)
    )
    context = {
        "demo": DEMO,
        "timeline": fragments.timeline(SLUG),
        "replica": REPLICA,
        "checkpoint": reads.checkpoint(REPLICA),
        "naive_items": naive_items,
        "read": read,
        "waited_ms": waited_ms,
        "strategy": strategy,
        "strategies": reads.STRATEGIES,
        "token": token,
        **form_context(request, "ryw-write", **FORM),
    }
    if error := request.session.pop("ryw_error", None):
        context.update(error=error["message"], text=error["text"])
    return render(request, TEMPLATE, context)


def pushed() -> str:
    """For every page, after REPLICA applied a write: the naive read as the replica holds it now.
    Still stale until then (that is the point), but it catches up without a reload."""
    context = {"replica": REPLICA, "checkpoint": reads.checkpoint(REPLICA), "oob": True}
    invoke = history.now()
    context["naive_items"] = reads.replica_items(REPLICA, SLUG)
    history.record(SLUG, session_checks.listed("naive", "push", invoke, context["naive_items"]))
    return render_to_string(f"{TEMPLATE}#naive-body", context)


def pushed_to_session(event, replica: str) -> str:
    """For the writer's own pages, after any replica settled their write: the trick's read,
    with the strategy and token of their session. Only the leader's read changes before REPLICA
    applies (the log's verdict comes from whichever replica is first)."""
    # The log keeps the session's hash, not its key: the token is its newest write in the
    # stream, the strategy the one its page last used.
    strategy = (redis_client().get(strategy_key(event.session_key)) or b"merge").decode()
    mine = Event.objects.filter(stream=SLUG, session_key=event.session_key)
    token = mine.aggregate(top=Max("id"))["top"] or 0
    if replica != REPLICA and strategy != "leader":
        return ""
    invoke = history.now()
    read = reads.read_your_writes(strategy, REPLICA, SLUG, event.session_key, token)
    history.record(SLUG, trick_read("trick", history.who(event.session_key), invoke, read))
    context = {"read": read, "strategy": strategy, "token": token, "oob": True}
    return render_to_string(f"{TEMPLATE}#trick-body", context)


def trick_read(pane: str, who: str, invoke: float, read: reads.Read) -> dict:
    """The trick's read in the history: the replica's list is cut at its length, the session's
    merged writes are not."""
    merged = {item.key for item in read.merged}
    floor = session_checks.floor_of([item for item in read.items if item.key not in merged])
    return session_checks.listed(pane, who, invoke, read.items, floor)


@require_POST
def write(request):
    """Post, remember the write's position as this session's token, redirect to the page."""
    outcome = session_checks.accept(request, SLUG, kind="comment.added")
    if outcome.event:
        request.session["ryw_token"] = max(outcome.event.pk, request.session.get("ryw_token", 0))
    else:
        request.session["ryw_error"] = {"message": outcome.error, "text": request.POST.get("text", "")[:200]}
    response = redirect(reverse("demo", args=[SLUG]))
    response.status_code = 303  # see other: the browser GETs the page, never re-POSTs
    return response


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Read your writes",
        naive="“where is my comment?”",
        trick="your session always sees its own writes",
        order=40,
        replica=REPLICA,
        urls=(path("", page), path("write/", write, name="ryw-write")),
        pushed=pushed,
        patched=True,
        pushed_to_session=pushed_to_session,
        examples=("First!", "Great talk so far", "Is the code online?"),
        scenario=Scenario(
            "Post three comments at lag 3 s",
            ("Where is my comment?", "Posting again, just in case", "Oh, there it is"),
            lag(3000),
            guide=(
                "Press R: three comments at lag 3 s.",
                "Naive: post, redirect, and your comment is not there yet.",
                "Trick: your session sees its own comments at once; other sessions still see the lag.",
            ),
        ),
        snippets=lambda: [code.python(write), code.python(reads.read_your_writes), code.python(reads.wait_for_token)],
        script=SCRIPT,
        rehearsal=checks.read_your_writes,
        checked=histories.CHECKED,
    )
)
